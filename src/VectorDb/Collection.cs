using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using VectorDb.Adaptive;
using VectorDb.Hnsw;
using VectorDb.Log;
using VectorDb.PayloadIndexing;
using VectorDb.Persistence;
using VectorDb.Query;
using VectorDb.Storage;

namespace VectorDb;

/// <summary>
/// A named set of points with one vector dimension and metric, indexed by an HNSW graph. Thread-safe:
/// writes are serialised per collection (a batch is inserted with all cores), searches run concurrently
/// with them. In a database opened from a directory every write is logged before it is applied.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "A collection belongs to its VectorDatabase, which releases it on DeleteCollection and Dispose.")]
public sealed class Collection : ICheckpointed
{
    /// <summary>The most hits a search returns, and the most points a scroll page holds.</summary>
    public const int MaxSearchLimit = 10_000;

    // Batches at least this large are linked in parallel; below it the thread hand-off costs more.
    private const int ParallelInsertThreshold = 64;

    // One unfiltered search in this many reports its work to the planner's cost model.
    private const int CalibrationSampleMask = 63;

    // Sample points an adaptive-search calibration measures as queries.
    private const int CalibrationQueries = 200;

    private readonly HnswIndex _index;
    private readonly PayloadIndexSet _payloadIndexes;
    private readonly QueryPlanner _planner;
    private readonly PointSource _source;
    private readonly DurableStore? _durable;
    private readonly ConcurrentDictionary<PointId, int> _internalIds = new();
    private readonly Lock _writeLock = new();
    private readonly Lock _adaptiveLock = new(); // prefix copies and calibrations are made one at a time
    private readonly ConcurrentDictionary<(double Target, int K), CachedCalibration> _calibrations = new();

    // Reads hold this shared; a write makes all of its batch visible (or invisible) while holding it exclusively,
    // so no read sees half a batch. The slow parts of a write (linking, repairing links) happen outside it.
    private readonly ReaderWriterLockSlim _visibility = new(LockRecursionPolicy.NoRecursion);
    private StoredPoint?[] _points = new StoredPoint?[1024]; // by internal id; replaced, never resized in place
    private volatile bool _dropped;
    private int _searches;
    private int _prefixDimensions; // the longest prefix the graph keeps a compact copy of (0: none yet)
    private FittedRotation? _rotation; // a PCA collection's fitted axes, once fitted
    private int _fitting; // 1 while a fit started by a write runs in the background

    internal Collection(string name, uint id, CollectionOptions options, DurableStore? durable, HnswIndex? index = null)
    {
        Name = name;
        Id = id;
        Options = options.Matryoshka is { } prefixes ? options with { Matryoshka = [.. prefixes] } : options; // the caller's list may change later
        _durable = durable;
        _index = index ?? new HnswIndex(options.Dimensions, options.Distance, options.ToHnswParameters());
        _payloadIndexes = new PayloadIndexSet(_index, options.PayloadLinks);
        _planner = new QueryPlanner(options.Dimensions, 2 * options.M);
        _source = new PointSource(this);
    }

    /// <summary>The collection's name.</summary>
    public string Name { get; }

    /// <summary>The options it was created with.</summary>
    public CollectionOptions Options { get; }

    /// <summary>Identifies the collection in the log and the point store; never reused, unlike names.</summary>
    internal uint Id { get; }

    /// <summary>The sequence number of the last log record applied (<see cref="Apply"/>).</summary>
    internal long LastSequence { get; set; }

    /// <summary>A PCA collection's fitted rotation (null before the fit, and for other collections).</summary>
    public RotationInfo? Rotation => Volatile.Read(ref _rotation)?.Info;

    /// <summary>Why the last automatic PCA fit failed, if it did (it is tried again after the next write).</summary>
    public string? RotationFitError { get; private set; }


    /// <summary>Bytes held by the vector index (vectors, links, per-node metadata).</summary>
    public long IndexMemoryBytes
    {
        get
        {
            using var read = ReadVisible();
            return _index.MemoryBytes;
        }
    }

    /// <summary>Number of points.</summary>
    public int Count() => Count(null);

    /// <summary>Number of points matching <paramref name="filter"/> (all points when null).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired while counting.</exception>
    public int Count(Filter? filter, CancellationToken cancellation = default)
    {
        ThrowIfDropped();
        using var read = ReadVisible();
        return filter is null ? _index.Count : MatchingNodes(filter, cancellation).Count;
    }

    /// <summary>The payload indexes, with how many points each covers.</summary>
    public IReadOnlyList<PayloadIndexInfo> PayloadIndexes => _payloadIndexes.Describe();

    /// <summary>
    /// True while keyword indexes link the points of their large values, or a tenant index builds their graphs, in the
    /// background (after the index is created, a value reaches 1,000 points, or the database opens without them saved).
    /// Results are correct meanwhile; filters on those values take other strategies until their links or graph are ready.
    /// </summary>
    public bool IsIndexing => _payloadIndexes.Linking;

    /// <summary>
    /// Indexes the values at a payload key path, so filters on it are counted and listed from the index
    /// instead of by reading payloads, and the planner can estimate them exactly. Replaces an index of
    /// another schema on the same key; an identical one is left as it is.
    /// </summary>
    /// <param name="key">Payload key path (<c>a.b</c>, <c>a[].b</c>).</param>
    /// <param name="schema">Which values to index and which conditions it answers.</param>
    /// <param name="wait">As for <see cref="Upsert(IEnumerable{Point}, bool)"/>.</param>
    /// <param name="isTenant">
    /// Keyword and uuid only (Qdrant's <c>is_tenant</c>): keep an HNSW graph per value held by at least 1,000 points,
    /// so a filter that requires one value — a tenant, a category — searches only that value's points, as fast and
    /// as accurately as an unfiltered search of a collection their size, even when the query lies among other
    /// values' points. Each such graph copies its points' vectors (memory and checkpoints grow by their size); the graphs
    /// are built in the background (<see cref="IsIndexing"/>) and saved by checkpoints, so opening the database restores them.
    /// </param>
    /// <returns>False when an identical index already existed.</returns>
    /// <exception cref="InvalidRequestException">The key is empty, the schema unknown, or a tenant index not keyword or uuid.</exception>
    public bool CreatePayloadIndex(string key, PayloadSchemaType schema, bool wait = true, bool isTenant = false)
    {
        if (string.IsNullOrWhiteSpace(key) || !Enum.IsDefined(schema))
        {
            throw new InvalidRequestException(string.IsNullOrWhiteSpace(key) ? "A payload index needs a field name." : $"Unknown payload index schema {schema}.");
        }

        if (isTenant && schema is not (PayloadSchemaType.Keyword or PayloadSchemaType.Uuid))
        {
            throw new InvalidRequestException($"Only keyword and uuid indexes can be tenant indexes, not {schema.ToString().ToLowerInvariant()}.");
        }

        return Write(wait, () => PayloadIndexes.Any(i => i.Key == key && i.Schema == schema && i.IsTenant == isTenant) ? null : new CreatePayloadIndexRecord(Id, key, schema, isTenant)).Written;
    }

    /// <summary>Deletes the payload index on <paramref name="key"/>; filters on it keep working, by reading payloads.</summary>
    /// <returns>False when there was none.</returns>
    public bool DeletePayloadIndex(string key, bool wait = true)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Write(wait, () => PayloadIndexes.Any(i => i.Key == key) ? new DeletePayloadIndexRecord(Id, key) : null).Written;
    }

    /// <summary>Deletes every point matching <paramref name="filter"/>; logged as the ids it matched.</summary>
    /// <returns>How many points were deleted.</returns>
    public int Delete(Filter filter, bool wait = true) => Delete(FindIds(filter), wait);

    /// <summary>Ids of the points matching <paramref name="filter"/>, in internal order.</summary>
    public IReadOnlyList<PointId> FindIds(Filter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ThrowIfDropped();
        using var read = ReadVisible();
        var points = Volatile.Read(ref _points);
        var ids = new List<PointId>();
        foreach (int node in MatchingNodes(filter))
        {
            if (Volatile.Read(ref points[node]) is { } stored)
            {
                ids.Add(stored.Id);
            }
        }

        return ids;
    }

    /// <summary>Sets the top-level keys of <paramref name="payload"/> on each point, keeping its other keys.</summary>
    /// <returns>How many points exist among <paramref name="ids"/> and were updated.</returns>
    public int SetPayload(IEnumerable<PointId> ids, Payload payload, bool wait = true) =>
        UpdatePayload(ids, PayloadOperation.Set, payload ?? throw new ArgumentNullException(nameof(payload)), null, wait);

    /// <summary>Replaces each point's payload with <paramref name="payload"/>.</summary>
    public int OverwritePayload(IEnumerable<PointId> ids, Payload payload, bool wait = true) =>
        UpdatePayload(ids, PayloadOperation.Overwrite, payload ?? throw new ArgumentNullException(nameof(payload)), null, wait);

    /// <summary>Removes <paramref name="keys"/> from each point's payload.</summary>
    public int DeletePayloadKeys(IEnumerable<PointId> ids, IEnumerable<string> keys, bool wait = true) =>
        UpdatePayload(ids, PayloadOperation.DeleteKeys, null, [.. keys ?? throw new ArgumentNullException(nameof(keys))], wait);

    /// <summary>Removes every key from each point's payload.</summary>
    public int ClearPayload(IEnumerable<PointId> ids, bool wait = true) => UpdatePayload(ids, PayloadOperation.Clear, null, null, wait);

    /// <summary>
    /// Inserts points, replacing any with the same id. The batch is validated as a whole first: if any point
    /// is invalid, nothing is changed. Within a batch the last point with a given id wins.
    /// </summary>
    /// <param name="points">The points.</param>
    /// <param name="wait">On disk: return only once the write is durable (true), or once it is logged in
    /// memory, to be committed within the commit interval (false).</param>
    /// <exception cref="DimensionMismatchException">A vector has the wrong length.</exception>
    /// <exception cref="InvalidRequestException">A vector has NaN/infinite components, or zero norm under cosine.</exception>
    /// <exception cref="StorageException">The write could not be logged; it was not applied.</exception>
    public void Upsert(IEnumerable<Point> points, bool wait = true) => Upsert(points, wait ? UpsertOptions.Default : new UpsertOptions { Wait = false });

    /// <summary>
    /// Inserts and replaces the points of a batch that <paramref name="options"/> admit: new points unless the mode is
    /// update-only, existing points unless it is insert-only and, with an update filter, only those matching it. The
    /// batch is validated as a whole first (every point, admitted or not); within it the last point with an id wins.
    /// </summary>
    /// <returns>How many points were written.</returns>
    /// <exception cref="DimensionMismatchException">A vector has the wrong length.</exception>
    /// <exception cref="InvalidRequestException">A vector has NaN/infinite components or zero norm under cosine, or the filter is invalid.</exception>
    /// <exception cref="StorageException">The write could not be logged; it was not applied.</exception>
    public int Upsert(IEnumerable<Point> points, UpsertOptions options)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(options);
        var batch = PrepareBatch(points);
        var (_, written) = Write(options.Wait, () => Admitted(batch, options) is { Length: > 0 } admitted ? new UpsertPointsRecord(Id, [.. admitted.Select(PointData.From)]) : null);
        ScheduleRotationFit();
        return written;
    }

    /// <summary>Inserts or replaces one point. See <see cref="Upsert(IEnumerable{Point}, bool)"/>.</summary>
    public void Upsert(Point point, bool wait = true) => Upsert([point], wait);

    /// <summary>Deletes points by id; unknown ids are ignored.</summary>
    /// <param name="ids">The ids.</param>
    /// <param name="wait">As for <see cref="Upsert(IEnumerable{Point}, bool)"/>.</param>
    /// <returns>How many points were deleted.</returns>
    /// <exception cref="StorageException">The delete could not be logged; it was not applied.</exception>
    public int Delete(IEnumerable<PointId> ids, bool wait = true) =>
        WriteExisting(ids, wait, existing => new DeletePointsRecord(Id, existing));

    /// <summary>Returns the points that exist among <paramref name="ids"/>, in the order asked for.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired while reading.</exception>
    public IReadOnlyList<PointRecord> Get(IEnumerable<PointId> ids, bool withVector = true, bool withPayload = true, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ThrowIfDropped();
        using var read = ReadVisible();
        var found = new List<PointRecord>();
        int looked = 0;
        foreach (var id in ids)
        {
            if ((++looked & 8191) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }

            if (TryGet(id, withVector, withPayload) is { } record)
            {
                found.Add(record);
            }
        }

        return found;
    }

    /// <summary>Returns one point, or null when it does not exist.</summary>
    public PointRecord? Get(PointId id, bool withVector = true, bool withPayload = true)
    {
        ThrowIfDropped();
        using var read = ReadVisible();
        return TryGet(id, withVector, withPayload);
    }

    /// <summary>
    /// A page of points in id order (integers first, then UUIDs), starting at <paramref name="offset"/>
    /// (inclusive); <see cref="ScrollPage.NextOffset"/> is where the next page starts, or null at the end.
    /// </summary>
    /// <exception cref="InvalidRequestException"><paramref name="limit"/> is not in 1..10,000.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired while reading.</exception>
    public ScrollPage Scroll(PointId? offset, int limit, bool withVector = false, bool withPayload = true, Filter? filter = null, CancellationToken cancellation = default)
    {
        ThrowIfDropped();
        CheckPageSize(limit);
        using var read = ReadVisible();

        // Sorting every call is O(n log n); an ordered id index would make pages O(limit).
        var predicate = filter is null ? null : FilterCompiler.Compile(filter, _payloadIndexes, _source);
        int looked = 0;
        var ids = _internalIds
            .Where(entry =>
            {
                if ((++looked & 8191) == 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                }

                return (offset is null || entry.Key >= offset.Value) && (predicate is null || predicate.Matches(entry.Value));
            })
            .Select(entry => entry.Key).Order().Take(limit + 1).ToList();
        var points = ids.Take(limit).Select(id => TryGet(id, withVector, withPayload)).OfType<PointRecord>().ToList();
        return new ScrollPage(points, ids.Count > limit ? ids[limit] : null);
    }

    /// <summary>
    /// A page of points in the order of a numeric payload field, from <see cref="ScrollOrder.StartFrom"/> (inclusive)
    /// on; a point holding several values appears once per value (<see cref="PointRecord.OrderValue"/>), points with
    /// none are left out, and ties come in internal order. There is no <see cref="ScrollPage.NextOffset"/>: the next page
    /// starts from the last value, with a filter leaving out the points already seen with it (as in Qdrant).
    /// </summary>
    /// <exception cref="InvalidRequestException">No integer or float payload index on the key, or a bad limit.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired while reading.</exception>
    public ScrollPage ScrollOrdered(ScrollOrder order, int limit, bool withVector = false, bool withPayload = true, Filter? filter = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        ThrowIfDropped();
        CheckPageSize(limit);
        using var read = ReadVisible();
        if (_payloadIndexes.Find(order.Key) is not NumericFieldIndex index)
        {
            throw new InvalidRequestException($"No range index for `order_by` key: {order.Key}. Create an integer or float payload index on it to order by it.");
        }

        var predicate = filter is null ? null : FilterCompiler.Compile(filter, _payloadIndexes, _source);
        var points = Volatile.Read(ref _points);
        var page = new List<PointRecord>(Math.Min(limit, 1024));
        int chunkSize = Math.Max(limit, 1024);
        (double, int)? after = null;
        while (page.Count < limit)
        {
            cancellation.ThrowIfCancellationRequested();
            var chunk = index.Ordered(order.StartFrom, order.Descending, after, chunkSize);
            foreach (var (value, node) in chunk)
            {
                if ((uint)node < (uint)points.Length && Volatile.Read(ref points[node]) is { } stored && _index.IsLive(node)
                    && (predicate is null || predicate.Matches(node)))
                {
                    page.Add(new PointRecord(stored.Id, withVector ? ReadVector(node) : null, withPayload ? stored.Payload : null) { OrderValue = value });
                    if (page.Count == limit)
                    {
                        break;
                    }
                }
            }

            if (chunk.Count < chunkSize)
            {
                break;
            }

            after = chunk[^1];
        }

        return new ScrollPage(page, null);
    }

    /// <summary>Refuses a search's k or a scroll's page size outside 1..<see cref="MaxSearchLimit"/>.</summary>
    private static void CheckPageSize(int limit)
    {
        if (limit is < 1 or > MaxSearchLimit)
        {
            throw new InvalidRequestException($"limit must be between 1 and {MaxSearchLimit}, got {limit}.");
        }
    }

    /// <summary>The k points closest to <paramref name="query"/>, best first.</summary>
    /// <param name="query">Query vector of the collection's dimension.</param>
    /// <param name="k">How many hits to return at most (1..10,000).</param>
    /// <param name="options">Beam width, exact search, what to include in hits.</param>
    /// <exception cref="DimensionMismatchException">The query has the wrong length.</exception>
    /// <param name="cancellation">Stops a long search (exact scans, filters that read payloads) early.</param>
    /// <exception cref="InvalidRequestException">Bad k or ef, non-finite components, zero cosine query.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the search.</exception>
    public SearchResults Search(ReadOnlySpan<float> query, int k, SearchOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= SearchOptions.Default;
        ThrowIfDropped();
        cancellation.ThrowIfCancellationRequested();
        ValidateVector(query, "of the query");
        CheckPageSize(k);
        int ef = options.Ef ?? Options.EfConstruction;
        if (ef is < 1 or > 100_000)
        {
            throw new InvalidRequestException($"hnsw_ef must be between 1 and 100000, got {ef}.");
        }

        int wanted = k;
        k += options.Excluded?.Count ?? 0;
        var buffer = ArrayPool<Neighbor>.Shared.Rent(k);
        using var read = ReadVisible();
        try
        {
            SearchExplain? explain = null;
            int found;
            if (options.Filter is { } filter)
            {
                if (options.Adaptive is not null)
                {
                    throw new InvalidRequestException("Adaptive-dimension search cannot be combined with a filter yet.");
                }

                var predicate = FilterCompiler.Compile(filter, _payloadIndexes, _source);
                var forced = options.Exact ? SearchStrategy.ExactScan : options.Strategy;
                found = Query.FilteredSearch.Run(_index, _planner, query, k, ef, predicate, _source, forced, buffer, out var planned, cancellation);
                explain = options.Explain ? planned : null;
            }
            else if (options.Adaptive is { } adaptive)
            {
                var plan = PlanAdaptive(adaptive, k, ef, options.Exact);
                var statistics = options.Explain ? new SearchStatistics() : null;
                found = plan.Dimensions == Options.Dimensions
                    ? _index.Search(query, k, plan.Ef, buffer, default(AcceptAll), twoHop: false, statistics)
                    : _index.SearchAdaptive(query, k, plan.Ef, plan.Dimensions, plan.Shortlist, buffer, statistics, plan.RescoreDimensions);
                explain = statistics is null ? null : WalkExplain(SearchStrategy.Adaptive, plan.Reason, statistics, Math.Max(plan.Ef, k));
            }
            else if (options.Exact)
            {
                var statistics = options.Explain ? new SearchStatistics() : null;
                found = _index.ExactSearch(query, k, buffer, default(AcceptAll), statistics, cancellation);
                explain = statistics is null ? null : UnfilteredExplain(SearchStrategy.Exact, "exact search was asked for", statistics.DistanceComputations, statistics.NodesVisited, ef);
            }
            else
            {
                var statistics = options.Explain || (Interlocked.Increment(ref _searches) & CalibrationSampleMask) == 0 ? new SearchStatistics() : null;
                found = _index.Search(query, k, ef, buffer, default(AcceptAll), twoHop: false, statistics);
                if (statistics is not null)
                {
                    if (!statistics.FellBackToExact)
                    {
                        _planner.Observe(Math.Max(ef, k), statistics.DistanceComputations);
                    }

                    explain = options.Explain ? WalkExplain(SearchStrategy.Graph, "no filter", statistics, ef) : null;
                }
            }

            return new SearchResults(ToScoredPoints(buffer.AsSpan(0, found), options, wanted), explain);
        }
        finally
        {
            ArrayPool<Neighbor>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// What an adaptive search runs: the given prefix and shortlist, or the calibrated choice for a target recall
    /// (whose prefix may be the whole vector, i.e. a plain search). Makes sure the graph keeps the prefix copy.
    /// </summary>
    private AdaptivePlan PlanAdaptive(AdaptiveSearch adaptive, int k, int ef, bool exact)
    {
        if (exact)
        {
            throw new InvalidRequestException("Exact search and adaptive-dimension search exclude each other.");
        }

        if ((adaptive.SearchDimensions is null) == (adaptive.TargetRecall is null))
        {
            throw new InvalidRequestException("Adaptive search needs either search_dims or target_recall (not both).");
        }

        if (adaptive.TargetRecall is double target)
        {
            if (adaptive.RescoreDimensions is not null)
            {
                throw new InvalidRequestException("rescore_dims goes with search_dims; a target_recall search rescores with the whole vector.");
            }

            var choice = Calibrated(k, target);
            string outcome = choice.Recall >= target ? "reached" : "not reached by any configuration; best";
            return new AdaptivePlan(choice.SearchDimensions, k * choice.Oversampling, choice.Ef, string.Create(CultureInfo.InvariantCulture,
                $"calibrated for recall {target}: {choice.SearchDimensions} of {Options.Dimensions} dimensions, shortlist x{choice.Oversampling}, ef {choice.Ef} ({outcome} {choice.Recall:F3} on {choice.CalibrationQueries} of the collection's points, {choice.MicrosecondsPerQuery:F0} us per query)"));
        }

        int dims = adaptive.SearchDimensions!.Value;
        if (dims < 1 || dims > Options.Dimensions)
        {
            throw new InvalidRequestException($"search_dims must be between 1 and {Options.Dimensions}, got {dims}.");
        }

        int rescored = adaptive.RescoreDimensions ?? Options.Dimensions;
        if (rescored < dims || rescored > Options.Dimensions)
        {
            throw new InvalidRequestException($"rescore_dims must be between search_dims ({dims}) and {Options.Dimensions}, got {rescored}.");
        }

        if (rescored < Options.Dimensions && (Options.Pca is not null || (Options.Matryoshka is { } valid && !valid.Contains(rescored))))
        {
            throw new InvalidRequestException(Options.Pca is not null
                ? "rescore_dims cannot be used on a PCA collection: its stored vectors are not rotated."
                : $"rescore_dims must be one of the collection's Matryoshka prefixes [{string.Join(", ", Options.Matryoshka!)}] or {Options.Dimensions}, got {rescored}.");
        }

        if (adaptive.Oversampling is < 1 or > 100)
        {
            throw new InvalidRequestException($"oversampling must be between 1 and 100, got {adaptive.Oversampling}.");
        }

        if ((long)k * adaptive.Oversampling > 100_000)
        {
            throw new InvalidRequestException($"limit × oversampling must be at most 100000 (the widest beam), got {(long)k * adaptive.Oversampling}.");
        }

        if (dims == Options.Dimensions)
        {
            return new AdaptivePlan(dims, k, ef, $"adaptive: all {dims} dimensions, a plain search");
        }

        if (Options.Matryoshka is { } prefixes && !prefixes.Contains(dims))
        {
            throw new InvalidRequestException($"search_dims must be one of the collection's Matryoshka prefixes [{string.Join(", ", prefixes)}] or {Options.Dimensions}, got {dims}.");
        }

        if (Options.Pca is not null)
        {
            if (Volatile.Read(ref _rotation) is not { } fitted)
            {
                return new AdaptivePlan(Options.Dimensions, k, ef, "PCA rotation not fitted yet: plain search on all dimensions");
            }

            if (dims > fitted.Info.Dimensions)
            {
                throw new InvalidRequestException($"search_dims must be at most {fitted.Info.Dimensions} (the principal axes this collection keeps) or {Options.Dimensions}, got {dims}.");
            }

            return new AdaptivePlan(dims, k * adaptive.Oversampling, ef, $"adaptive: graph walked on the first {dims} principal axes of {Options.Dimensions} dimensions, {k * adaptive.Oversampling} candidates rescored with all");
        }

        if (Volatile.Read(ref _prefixDimensions) < dims)
        {
            lock (_adaptiveLock)
            {
                _index.KeepPrefixCopy(dims);
                Volatile.Write(ref _prefixDimensions, Math.Max(_prefixDimensions, dims));
            }
        }

        int shortlist = k * adaptive.Oversampling;
        string rescoring = rescored == Options.Dimensions ? "all" : $"the first {rescored}";
        return new AdaptivePlan(dims, shortlist, ef, $"adaptive: graph walked on {dims} of {Options.Dimensions} dimensions, {shortlist} candidates rescored with {rescoring}", rescored);
    }

    /// <summary>The cached calibration for (target, k), measured again once the collection has doubled or halved.</summary>
    private AdaptiveChoice Calibrated(int k, double target)
    {
        int points = _index.Count;
        bool Fresh(CachedCalibration? cached) => cached is not null && points <= 2 * cached.Points && 2 * points >= cached.Points;
        if (_calibrations.TryGetValue((target, k), out var cached) && Fresh(cached))
        {
            return cached.Choice;
        }

        lock (_adaptiveLock)
        {
            if (_calibrations.TryGetValue((target, k), out cached) && Fresh(cached))
            {
                return cached.Choice;
            }

            var sample = new List<int>(CalibrationQueries);
            int bound = _index.AllocatedCount;
            for (int node = 0, step = Math.Max(1, bound / CalibrationQueries); node < bound && sample.Count < CalibrationQueries; node += step)
            {
                if (_index.IsLive(node))
                {
                    sample.Add(node);
                }
            }

            var prefixes = CalibrationPrefixes();
            var choice = AdaptiveCalibration.Calibrate(_index, sample, k, target, prefixes);
            Volatile.Write(ref _prefixDimensions, Math.Max(_prefixDimensions, prefixes.Where(d => d < Options.Dimensions).DefaultIfEmpty(0).Max()));
            _calibrations[(target, k)] = new CachedCalibration(points, choice);
            return choice;
        }
    }

    /// <summary>
    /// The prefixes a calibration tries: a Matryoshka collection's own, a PCA collection's up to its kept axes (none
    /// before the fit), else powers of two up to a quarter of the dimension; and always the whole vector.
    /// </summary>
    private List<int> CalibrationPrefixes()
    {
        int dimensions = Options.Dimensions;
        IEnumerable<int> prefixes = AdaptiveCalibration.DefaultPrefixes(dimensions);
        if (Options.Matryoshka is { } trained)
        {
            prefixes = trained;
        }
        else if (Options.Pca is not null)
        {
            int axes = Volatile.Read(ref _rotation)?.Info.Dimensions ?? 0;
            prefixes = prefixes.Where(d => d < axes).Append(axes).Where(d => d > 0);
        }

        return [.. prefixes.Append(dimensions).Distinct().Order()];
    }

    /// <summary>
    /// Fits the PCA rotation now on a sample of the collection's vectors (replacing an earlier fit), logs it and
    /// makes adaptive searches walk the leading axes. Stored vectors and full-dimension scores do not change.
    /// Takes seconds for large samples; searches keep running meanwhile, except while the axes are applied.
    /// </summary>
    /// <param name="wait">As for <see cref="Upsert(IEnumerable{Point}, bool)"/>.</param>
    /// <exception cref="InvalidRequestException">The collection has no PCA option, or fewer than two points.</exception>
    public RotationInfo FitRotation(bool wait = true)
    {
        if (Options.Pca is not { } pca)
        {
            throw new InvalidRequestException($"Collection {Name} was not created with the pca option.");
        }

        ThrowIfDropped();
        lock (_adaptiveLock)
        {
            var sample = SampleVectors(pca.SamplePoints);
            if (sample.Count < 2)
            {
                throw new InvalidRequestException($"A PCA rotation needs at least 2 points; collection {Name} has {sample.Count}.");
            }

            var rotation = PcaRotation.Fit(sample, Options.Dimensions, center: Options.Distance == DistanceMetric.Euclid);
            int kept = Options.PcaDimensions!.Value;
            var axes = rotation.LeadingAxes(kept);
            double explained = rotation.ExplainedShare(kept);
            Write(wait, () => new SetRotationRecord(Id, axes, explained));
            return new RotationInfo(kept, explained, sample.Count);
        }
    }

    /// <summary>Makes adaptive searches walk these axes; drops calibrations measured without them.</summary>
    /// <exception cref="InvalidDataException">The axes do not fit the collection (a damaged record or checkpoint).</exception>
    internal void ApplyRotation(float[] axes, double explainedVariance)
    {
        if (Options.PcaDimensions is not int kept || axes.Length != kept * Options.Dimensions)
        {
            throw new InvalidDataException($"a rotation of {axes.Length} values does not fit collection {Name}");
        }

        _index.KeepRotatedPrefix(axes);
        Volatile.Write(ref _prefixDimensions, kept);
        Volatile.Write(ref _rotation, new FittedRotation(axes, new RotationInfo(kept, explainedVariance, null)));
        _calibrations.Clear();
    }

    /// <summary>Starts the automatic PCA fit in the background once the collection has reached its size.</summary>
    internal void ScheduleRotationFit()
    {
        if (Options.Pca is not { FitAtPoints: > 0 } pca || Volatile.Read(ref _rotation) is not null || _index.Count < pca.FitAtPoints
            || Interlocked.CompareExchange(ref _fitting, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(() =>
        {
            try
            {
                if (Volatile.Read(ref _rotation) is null)
                {
                    FitRotation();
                    RotationFitError = null;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                RotationFitError = _dropped ? null : e.Message; // a dropped or closed collection has nothing left to fit
            }
            finally
            {
                Volatile.Write(ref _fitting, 0);
            }
        });
    }

    /// <summary>Up to <paramref name="count"/> live vectors, evenly spread over the internal ids.</summary>
    private List<float[]> SampleVectors(int count)
    {
        using var read = ReadVisible();
        ThrowIfDropped();
        var sample = new List<float[]>(Math.Min(count, _index.Count));
        int bound = _index.AllocatedCount;
        double step = Math.Max(1.0, (double)bound / count);
        for (double position = 0; position < bound && sample.Count < count; position += step)
        {
            int node = (int)position;
            if (_index.IsLive(node))
            {
                var vector = new float[Options.Dimensions];
                _index.CopyVector(node, vector);
                sample.Add(vector);
            }
        }

        return sample;
    }

    private static SearchExplain UnfilteredExplain(SearchStrategy strategy, string reason, long distances, long visited, int ef) =>
        new(strategy, reason, null, null, new Dictionary<SearchStrategy, double>(), distances, visited, null, ef);

    /// <summary>Explains an unfiltered graph walk, or the exact scan that answered for it when the walk stranded.</summary>
    private static SearchExplain WalkExplain(SearchStrategy walk, string reason, SearchStatistics statistics, int ef) =>
        statistics.FellBackToExact
            ? new(SearchStrategy.Exact, $"{reason}; the walk found fewer than k points, so an exact scan answered", null, null,
                new Dictionary<SearchStrategy, double>(), statistics.DistanceComputations, statistics.NodesVisited, walk, ef)
            : UnfilteredExplain(walk, reason, statistics.DistanceComputations, statistics.NodesVisited, ef);

    /// <summary>The live nodes matching a filter, listed from payload indexes where they can, else by checking every point.</summary>
    private List<int> MatchingNodes(Filter filter, CancellationToken cancellation = default)
    {
        var predicate = FilterCompiler.Compile(filter, _payloadIndexes, _source);
        predicate.Estimate(new EstimationContext(_source)); // lets an AND list its smallest part and intersect the others
        int bound = Math.Min(Volatile.Read(ref _points).Length, _index.AllocatedCount);
        var nodes = new List<int>();
        if (predicate.TryListMatches(bound, nodes))
        {
            nodes.RemoveAll(node => !_source.TryGetPoint(node, out _, out _));
            return nodes;
        }

        for (int node = 0; node < bound; node++)
        {
            if ((node & 8191) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }

            if (_source.TryGetPoint(node, out _, out _) && predicate.Matches(node))
            {
                nodes.Add(node);
            }
        }

        return nodes;
    }

    /// <summary>
    /// Applies a validated, deduplicated batch; the caller holds the write lock (or is replaying the log).
    /// The new nodes are linked unpublished, then the whole batch replaces the old points at once.
    /// </summary>
    internal int ApplyUpsert(Point[] batch)
    {
        EnsurePointCapacity(_index.AllocatedCount + batch.Length);
        var nodes = new int[batch.Length];
        if (batch.Length >= ParallelInsertThreshold && Environment.ProcessorCount > 1)
        {
            Parallel.For(0, batch.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => nodes[i] = InsertUnpublished(batch[i]));
        }
        else
        {
            for (int i = 0; i < batch.Length; i++)
            {
                nodes[i] = InsertUnpublished(batch[i]);
            }
        }

        var replaced = new List<int>();
        using (WriteVisible())
        {
            for (int i = 0; i < batch.Length; i++)
            {
                if (_internalIds.TryGetValue(batch[i].Id, out int previous) && Unpublish(previous))
                {
                    replaced.Add(previous);
                }

                _index.Publish(nodes[i]);
                _internalIds[batch[i].Id] = nodes[i];
            }
        }

        foreach (int node in replaced)
        {
            _index.Repair(node);
        }

        if (_durable is not null)
        {
            for (int i = 0; i < batch.Length; i++)
            {
                _durable.Points.Upsert(Id, batch[i].Id, new StoredPointValue(nodes[i], batch[i].Vector, batch[i].Payload?.ToJson()));
            }
        }

        return batch.Length;
    }

    /// <summary>Applies a delete; the caller holds the write lock (or is replaying the log).</summary>
    internal int ApplyDelete(IEnumerable<PointId> ids)
    {
        var deleted = new List<(PointId Id, int Node)>();
        using (WriteVisible())
        {
            foreach (var id in ids)
            {
                if (_internalIds.TryRemove(id, out int node) && Unpublish(node))
                {
                    deleted.Add((id, node));
                }
            }
        }

        foreach (var (id, node) in deleted)
        {
            _index.Repair(node);
            _durable?.Points.Delete(Id, id);
        }

        return deleted.Count;
    }

    /// <summary>Takes a node out of searches, payload indexes and lookups; the caller holds visibility exclusively.</summary>
    private bool Unpublish(int node)
    {
        _payloadIndexes.Remove(node);
        Volatile.Write(ref _points[node], null);
        return _index.Retire(node);
    }

    /// <summary>Applies a payload update to the points that exist; the caller holds the write lock (or is replaying).</summary>
    internal int ApplyPayloadUpdate(IEnumerable<PointId> ids, PayloadOperation operation, Payload? payload, IReadOnlyList<string>? keys)
    {
        var updated = new List<(PointId Id, int Node, Payload Payload)>();
        using (WriteVisible())
        {
            var points = Volatile.Read(ref _points);
            foreach (var id in ids)
            {
                if (!_internalIds.TryGetValue(id, out int node) || Volatile.Read(ref points[node]) is not { } stored)
                {
                    continue;
                }

                var current = stored.Payload ?? Payload.Empty;
                var next = operation switch
                {
                    PayloadOperation.Set => current.With(payload!),
                    PayloadOperation.Overwrite => payload!,
                    PayloadOperation.DeleteKeys => current.Without(keys!),
                    _ => Payload.Empty,
                };
                _payloadIndexes.Update(node, stored.Payload, next);
                Volatile.Write(ref points[node], stored with { Payload = next });
                updated.Add((id, node, next));
            }
        }

        if (_durable is not null)
        {
            foreach (var (id, node, next) in updated)
            {
                _durable.Points.Upsert(Id, id, new StoredPointValue(node, ReadVector(node), next.ToJson()));
            }
        }

        return updated.Count;
    }

    /// <summary>
    /// Builds a payload index from the current points, restoring the value links <paramref name="links"/> holds (saved by
    /// a checkpoint with this graph); the caller holds the write lock (or is recovering).
    /// </summary>
    internal void ApplyCreatePayloadIndex(string key, PayloadSchemaType schema, bool isTenant = false, Stream? links = null, Action<string>? linksUnusable = null)
    {
        var points = Volatile.Read(ref _points);
        var existing = Enumerable.Range(0, Math.Min(points.Length, _index.AllocatedCount))
            .Select(node => (Node: node, Stored: Volatile.Read(ref points[node])))
            .Where(entry => entry.Stored is not null && _index.IsLive(entry.Node))
            .Select(entry => (entry.Node, entry.Stored!.Payload));
        _payloadIndexes.Create(key, schema, existing, isTenant, links, linksUnusable);
    }


    internal void ApplyDeletePayloadIndex(string key) => _payloadIndexes.Drop(key);

    /// <summary>Waits until the keyword indexes have linked their values' points (they do it in the background after
    /// being created over existing points, as when the database opens).</summary>
    internal void WaitForPayloadLinks() => _payloadIndexes.WaitForLinks();

    long ICheckpointed.CheckpointBytesUpperBound => IndexMemoryBytes;

    /// <summary>
    /// Writes the graph's snapshot, the fitted rotation and the payload indexes' links (or tenant graphs) into a
    /// checkpoint's folder; the caller keeps writers out. Links are written straight to their files: a tenant index's
    /// graphs hold copies of its points' vectors.
    /// </summary>
    CollectionManifest ICheckpointed.WriteCheckpoint(string folder)
    {
        string snapshotFile = $"collection-{Id}.hnsw";
        ChecksummedFile.Write(Path.Combine(folder, snapshotFile), _index.WriteSnapshot);
        string? rotationFile = null;
        if (Volatile.Read(ref _rotation) is { } fitted)
        {
            rotationFile = $"collection-{Id}.rotation";
            RotationFile.Write(Path.Combine(folder, rotationFile), fitted.Axes, fitted.Info.ExplainedVariance);
        }

        var linksFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in _payloadIndexes.KeysWithLinksToSave())
        {
            string linksFile = $"collection-{Id}.{linksFiles.Count}.links";
            ChecksummedFile.Write(Path.Combine(folder, linksFile), stream => _payloadIndexes.WriteLinks(key, stream));
            linksFiles[key] = linksFile;
        }

        return new CollectionManifest(
            Id,
            Name,
            CollectionConfig.From(Options),
            snapshotFile,
            Count(),
            [.. PayloadIndexes.Select(i => new PayloadIndexDefinition(i.Key, i.Schema, i.IsTenant, linksFiles.GetValueOrDefault(i.Key)))],
            rotationFile,
            LastSequence);
    }

    /// <summary>
    /// Attaches the points recovered from the store to a graph loaded from a snapshot, after checking that the
    /// two agree: the same number of points, and every point on a distinct live node.
    /// </summary>
    /// <exception cref="InvalidDataException">They disagree.</exception>
    internal void Restore(IReadOnlyDictionary<PointId, RecoveredPoint> points)
    {
        if (points.Count != _index.Count)
        {
            throw new InvalidDataException($"the store holds {points.Count} points but the graph {_index.Count}");
        }

        EnsurePointCapacity(_index.AllocatedCount);
        foreach (var (id, point) in points)
        {
            if ((uint)point.InternalId >= (uint)_index.AllocatedCount || !_index.IsLive(point.InternalId) || _points[point.InternalId] is not null)
            {
                throw new InvalidDataException($"point {id} refers to graph node {point.InternalId}, which is not a distinct live node");
            }

            var payload = point.PayloadJson is null ? null : Payload.Parse(point.PayloadJson);
            _points[point.InternalId] = new StoredPoint(id, payload);
            _internalIds[id] = point.InternalId;
        }
    }

    /// <summary>Deletes the collection's stored points and frees its graph.</summary>
    internal void Drop()
    {
        lock (_writeLock)
        {
            if (_durable is not null)
            {
                foreach (var id in _internalIds.Keys)
                {
                    _durable.Points.Delete(Id, id);
                }
            }

            Release();
        }
    }

    /// <summary>Frees the graph's memory when the database closes; the stored points stay.</summary>
    internal void Release()
    {
        lock (_writeLock)
        {
            // Running reads still use the graph: wait for them, and let later ones find the collection gone.
            using (WriteVisible())
            {
                _dropped = true;
            }

            _payloadIndexes.Dispose();
            _index.Dispose();
        }
    }

    /// <summary>The points of a batch that an upsert's mode and update filter let it write; the caller holds the write lock.</summary>
    private Point[] Admitted(Point[] batch, UpsertOptions options)
    {
        if (options.Mode == UpsertMode.Upsert && options.UpdateFilter is null)
        {
            return batch;
        }

        var filter = options.UpdateFilter is { } updateFilter ? FilterCompiler.Compile(updateFilter, _payloadIndexes, _source) : null;
        return [.. batch.Where(point =>
        {
            bool exists = _internalIds.TryGetValue(point.Id, out int node);
            return exists
                ? options.Mode != UpsertMode.InsertOnly && (filter is null || filter.Matches(node))
                : options.Mode != UpsertMode.UpdateOnly;
        })];
    }

    /// <summary>Validates and deduplicates a batch for <see cref="ApplyUpsert"/>.</summary>
    internal Point[] PrepareBatch(IEnumerable<Point> points)
    {
        var batch = Deduplicate(points);
        foreach (var point in batch)
        {
            ValidateVector(point.Vector, $"for point {point.Id}");
        }

        return batch;
    }

    private int UpdatePayload(IEnumerable<PointId> ids, PayloadOperation operation, Payload? payload, IReadOnlyList<string>? keys, bool wait) =>
        WriteExisting(ids, wait, existing => new UpdatePayloadRecord(Id, existing, operation, payload?.ToJson(), keys));

    /// <summary>Writes a record about those of <paramref name="ids"/> that exist (nothing, when none does).</summary>
    private int WriteExisting(IEnumerable<PointId> ids, bool wait, Func<PointId[], CollectionRecord> record)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var requested = ids.ToHashSet();
        return Write(wait, () => requested.Where(_internalIds.ContainsKey).ToArray() is { Length: > 0 } existing ? record(existing) : null).Changed;
    }

    /// <summary>
    /// The write path: under the write lock, makes the record (null: nothing to write), numbers it, logs it and applies
    /// it with <see cref="Apply"/>; then, when <paramref name="wait"/>, waits until the log commit covering it is durable.
    /// </summary>
    /// <exception cref="StorageException">The record could not be logged; nothing was applied.</exception>
    private (bool Written, int Changed) Write(bool wait, Func<CollectionRecord?> makeRecord)
    {
        var (commit, written, changed) = Write(makeRecord);
        if (wait)
        {
            commit.Wait();
        }

        return (written, changed);
    }

    private (WriteCommit Commit, bool Written, int Changed) Write(Func<CollectionRecord?> makeRecord)
    {
        using (_durable?.EnterWrite() ?? default)
        {
            lock (_writeLock)
            {
                ThrowIfDropped();
                if (makeRecord() is not { } record)
                {
                    return (WriteCommit.Done, false, 0);
                }

                record = record with { Sequence = LastSequence + 1 };
                long address = _durable?.Log.Append(LogRecordCodec.Encode(record)) ?? 0;
                int changed = Apply(record);
                return (new WriteCommit(_durable?.Log, address), true, changed);
            }
        }
    }

    /// <summary>
    /// The one place a collection's state changes: a live write (<see cref="Write(Func{CollectionRecord?})"/>), the replay
    /// of the log, and later a replica applying what its leader shipped. A record already applied — its sequence number
    /// not past <see cref="LastSequence"/> — is skipped; records logged before there were sequence numbers count on.
    /// The caller holds the write lock, or is recovering.
    /// </summary>
    /// <returns>How many points the record changed.</returns>
    internal int Apply(CollectionRecord record)
    {
        if (record.Sequence != 0 && record.Sequence <= LastSequence)
        {
            return 0;
        }

        int changed = record.ApplyTo(this);
        LastSequence = record.Sequence == 0 ? LastSequence + 1 : record.Sequence;
        return changed;
    }

    private List<ScoredPoint> ToScoredPoints(ReadOnlySpan<Neighbor> neighbors, SearchOptions options, int k)
    {
        var points = Volatile.Read(ref _points);
        var hits = new List<ScoredPoint>(Math.Min(k, neighbors.Length));
        foreach (var neighbor in neighbors)
        {
            // A point deleted after the graph returned it has no record any more: leave it out.
            if (Volatile.Read(ref points[neighbor.Id]) is not { } stored || options.Excluded?.Contains(stored.Id) == true)
            {
                continue;
            }

            if (hits.Count == k)
            {
                break;
            }

            hits.Add(new ScoredPoint(
                stored.Id,
                Options.Distance.ToScore(neighbor.Distance),
                options.WithPayload ? stored.Payload : null,
                options.WithVector ? ReadVector(neighbor.Id) : null));
        }

        return hits;
    }

    private PointRecord? TryGet(PointId id, bool withVector, bool withPayload)
    {
        if (!_internalIds.TryGetValue(id, out int internalId))
        {
            return null;
        }

        var stored = Volatile.Read(ref Volatile.Read(ref _points)[internalId]);
        if (stored is null)
        {
            return null;
        }

        return new PointRecord(stored.Id, withVector ? ReadVector(internalId) : null, withPayload ? stored.Payload : null);
    }

    private float[] ReadVector(int internalId)
    {
        var vector = new float[Options.Dimensions];
        _index.CopyVector(internalId, vector);
        return vector;
    }

    /// <summary>Stores and links a point on a new node that no read sees until it is published.</summary>
    private int InsertUnpublished(Point point)
    {
        int node = _index.Reserve(point.Vector);
        Volatile.Write(ref _points[node], new StoredPoint(point.Id, point.Payload));
        _index.Link(node, publish: false);
        _payloadIndexes.Add(node, point.Payload); // after the graph's links: a keyword index's value links start from them
        return node;
    }

    /// <summary>Holds visibility shared for a read; a collection dropped meanwhile is not found.</summary>
    private VisibilityScope ReadVisible()
    {
        _visibility.EnterReadLock();
        if (_dropped)
        {
            _visibility.ExitReadLock();
            throw new CollectionNotFoundException(Name);
        }

        return new VisibilityScope(_visibility, exclusive: false);
    }

    private VisibilityScope WriteVisible()
    {
        _visibility.EnterWriteLock();
        return new VisibilityScope(_visibility, exclusive: true);
    }

    /// <summary>Grows the record array before a batch, so the parallel inserts never resize it.</summary>
    private void EnsurePointCapacity(int required)
    {
        if (required <= _points.Length)
        {
            return;
        }

        var grown = new StoredPoint?[Math.Max(required, _points.Length * 2)];
        Array.Copy(_points, grown, _points.Length);
        Volatile.Write(ref _points, grown);
    }

    private void ValidateVector(ReadOnlySpan<float> vector, string what)
    {
        if (vector.Length != Options.Dimensions)
        {
            throw new DimensionMismatchException(Options.Dimensions, vector.Length, what);
        }

        // Checked here, before the write is logged: a vector the graph then refused would fail every replay.
        float limit = Options.Distance == DistanceMetric.Cosine ? float.MaxValue : Options.DataType.MaxMagnitude();
        for (int i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                throw new InvalidRequestException($"Vector {what} has a non-finite component ({vector[i]}) at index {i}.");
            }

            if (MathF.Abs(vector[i]) > limit)
            {
                throw new InvalidRequestException($"Vector {what} has a component ({vector[i]}) at index {i} beyond what {Options.DataType.ToApiName()} stores (±{limit}).");
            }
        }

        if (Options.Distance == DistanceMetric.Cosine && VectorMath.Norm(vector) == 0f)
        {
            throw new InvalidRequestException($"Vector {what} is all zeros, which has no direction under cosine distance.");
        }
    }

    private static Point[] Deduplicate(IEnumerable<Point> points)
    {
        var list = points as IReadOnlyList<Point> ?? points.ToList();
        var lastIndex = new Dictionary<PointId, int>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            var point = list[i] ?? throw new InvalidRequestException($"Point at position {i} is null.");
            if (point.Vector is null)
            {
                throw new InvalidRequestException($"Point {point.Id} has no vector.");
            }

            lastIndex[point.Id] = i;
        }

        if (lastIndex.Count == list.Count)
        {
            return list as Point[] ?? [.. list];
        }

        return [.. lastIndex.Values.Order().Select(i => list[i])];
    }

    private void ThrowIfDropped()
    {
        if (_dropped)
        {
            throw new CollectionNotFoundException(Name);
        }
    }

    private sealed record StoredPoint(PointId Id, Payload? Payload);

    private sealed record CachedCalibration(int Points, AdaptiveChoice Choice);

    private sealed record FittedRotation(float[] Axes, RotationInfo Info);

    private readonly record struct AdaptivePlan(int Dimensions, int Shortlist, int Ef, string Reason, int? RescoreDimensions = null);

    private readonly struct VisibilityScope(ReaderWriterLockSlim gate, bool exclusive) : IDisposable
    {
        public void Dispose()
        {
            if (exclusive)
            {
                gate.ExitWriteLock();
            }
            else
            {
                gate.ExitReadLock();
            }
        }
    }

    /// <summary>The collection's points as filter evaluation sees them.</summary>
    private sealed class PointSource(Collection collection) : IPointSource
    {
        public int NodeBound => Math.Min(Volatile.Read(ref collection._points).Length, collection._index.AllocatedCount);

        public int LiveCount => collection._index.Count;

        public bool TryGetPoint(int node, out PointId id, out Payload? payload)
        {
            var points = Volatile.Read(ref collection._points);
            if ((uint)node < (uint)points.Length && Volatile.Read(ref points[node]) is { } stored && collection._index.IsLive(node))
            {
                (id, payload) = (stored.Id, stored.Payload);
                return true;
            }

            (id, payload) = (default, null);
            return false;
        }

        public bool TryGetNode(PointId id, out int node) => collection._internalIds.TryGetValue(id, out node);
    }
}

/// <summary>A point as recovery found it in the store: the graph node it was on, and its payload.</summary>
internal readonly record struct RecoveredPoint(int InternalId, string? PayloadJson);
