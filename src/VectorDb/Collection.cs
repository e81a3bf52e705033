using System.Buffers;
using VectorDb.Hnsw;
using VectorDb.Log;
using VectorDb.Query.PayloadIndexing;
using VectorDb.Persistence;
using VectorDb.Points;
using VectorDb.Query;
using VectorDb.Spaces;
using VectorDb.Storage;

namespace VectorDb;

/// <summary>
/// A named set of points, each with its vectors — an unnamed dense vector, named dense vectors, sparse vectors —
/// and a payload; each vector name is searched through its own index. Thread-safe: writes are serialised per
/// collection (a batch is inserted with all cores), searches run concurrently with them. In a database opened from a
/// directory every write is logged before it is applied.
/// </summary>
/// <remarks>
/// The public API lives here; the write path (<c>Collection.WritePath.cs</c>: every change is a log record applied by
/// <see cref="Apply"/>), the vectors and their spaces (<c>Collection.Vectors.cs</c>) and what checkpoints and recovery
/// need (<c>Collection.Storage.cs</c>) beside it. The points are in a <see cref="PointTable"/>, each vector name's
/// vectors in a vector space (<see cref="IVectorSpace"/>), the payloads' indexes in a <see cref="PayloadIndexSet"/>.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "A collection belongs to its VectorDatabase, which releases it on DeleteCollection and Dispose.")]
public sealed partial class Collection : ICheckpointed
{
    /// <summary>The most hits a search returns, and the most points a scroll page holds.</summary>
    public const int MaxSearchLimit = 10_000;

    private readonly DenseVectorSpace? _unnamed;
    private readonly PointTable _table;
    private readonly PayloadIndexSet _payloadIndexes;
    private readonly DurableStore? _durable;

    /// <summary>Creates a collection, its graphs loaded from snapshots where <paramref name="graphs"/> gives them (by vector name).</summary>
    internal Collection(string name, uint id, CollectionOptions options, DurableStore? durable, IReadOnlyDictionary<string, HnswIndex>? graphs = null)
    {
        Name = name;
        Id = id;
        Options = options with // the caller's collections may change later
        {
            Matryoshka = options.Matryoshka is { } prefixes ? [.. prefixes] : null,
            NamedVectors = options.NamedVectors?.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal),
            SparseVectors = options.SparseVectors?.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal),
        };
        _durable = durable;
        _table = new PointTable(name, vector => _spaces!.Find(vector) is { } space ? space.Holds : null);
        var dense = new Dictionary<string, DenseVectorSpace>(StringComparer.Ordinal);
        var multi = new Dictionary<string, MultivectorSpace>(StringComparer.Ordinal);
        try
        {
            _unnamed = Options.HasUnnamedVector ? new DenseVectorSpace(name, "", Options, _table, graphs?.GetValueOrDefault(""), RowsFile("")) : null;
            if (_unnamed is not null)
            {
                dense[""] = _unnamed;
            }

            foreach (var (vector, settings) in Options.NamedVectors ?? new Dictionary<string, DenseVectorOptions>())
            {
                if (settings.Multivector is null)
                {
                    dense[vector] = new DenseVectorSpace(name, vector, settings.ToSpaceOptions(Options.Quantization), _table, graphs?.GetValueOrDefault(vector), RowsFile(vector));
                }
                else
                {
                    multi[vector] = new MultivectorSpace(vector, settings.ToSpaceOptions(), _table, graphs?.GetValueOrDefault(vector));
                }
            }
        }
        catch
        {
            // Spaces made so far hold memory and, for rows on disk, their files (opened exclusively): a rebuild opens them again.
            foreach (var made in dense.Values.Cast<IVectorSpace>().Concat(multi.Values))
            {
                made.Dispose();
            }

            throw;
        }

        _payloadIndexes = new PayloadIndexSet(_unnamed?.Graph, options.PayloadLinks);

        var sparse = (Options.SparseVectors ?? new Dictionary<string, SparseVectorOptions>())
            .ToDictionary(v => v.Key, v => new SparseVectorSpace(v.Key, v.Value, _table), StringComparer.Ordinal);
        _spaces = new VectorSpaces(dense, sparse, multi);
    }

    /// <summary>The collection's name.</summary>
    public string Name { get; }

    /// <summary>The options it was created with, and the named vectors added and removed since.</summary>
    public CollectionOptions Options { get; private set; }

    /// <summary>Identifies the collection in the log and the point store; never reused, unlike names.</summary>
    internal uint Id { get; }

    /// <summary>A PCA collection's fitted rotation (null before the fit, and for other collections).</summary>
    public RotationInfo? Rotation => _unnamed?.Adaptive.Rotation;

    /// <summary>Why the last automatic PCA fit failed, if it did (it is tried again after the next write).</summary>
    public string? RotationFitError => _unnamed?.Adaptive.FitError;

    /// <summary>Nodes handed out so far, live or free: what the collection's per-node memory is sized by.</summary>
    internal int AllocatedNodes => _table.NodeBound;

    /// <summary>Bytes held by the vector indexes (vectors, links or postings, per-node metadata).</summary>
    public long IndexMemoryBytes
    {
        get
        {
            using var read = _table.ReadVisible();
            return _spaces.All.Sum(space => space.MemoryBytes);
        }
    }

    /// <summary>Bytes held by the index of one vector (<c>""</c>: the unnamed one).</summary>
    /// <exception cref="InvalidRequestException">The collection has no vector of that name.</exception>
    public long VectorMemoryBytes(string vector)
    {
        using var read = _table.ReadVisible();
        return _spaces.Find(vector)?.MemoryBytes ?? throw UnknownVector(vector);
    }

    /// <summary>
    /// The RAM a dense vector's graph holds by component (<c>""</c>: the unnamed vector): stored rows, codes and links,
    /// and whether its codes are fitted (a quantized vector fits them once it holds
    /// <see cref="Hnsw.HnswIndex.CodeTrainingRows"/> rows; until then searches read the rows).
    /// </summary>
    /// <exception cref="InvalidRequestException">The collection has no dense vector of that name.</exception>
    public DenseVectorMemory DenseMemory(string vector = "")
    {
        using var read = _table.ReadVisible();
        if (_spaces.Find(vector) is not Spaces.DenseVectorSpace { Graph: var graph })
        {
            throw _spaces.Find(vector) is null ? UnknownVector(vector) : new InvalidRequestException($"`{vector}` is not a dense vector.");
        }

        long rows = graph.RowMemoryBytes, codes = graph.CodeMemoryBytes, prefix = graph.PrefixMemoryBytes;
        return new DenseVectorMemory(rows - prefix, codes, graph.MemoryBytes - rows - codes, graph.RowDiskBytes, graph.HasCodes) { PrefixBytes = prefix };
    }

    /// <summary>The payload indexes, with how many points each covers.</summary>
    public IReadOnlyList<PayloadIndexInfo> PayloadIndexes => _payloadIndexes.Describe();

    /// <summary>The points' payloads' size as their JSON text is kept, in UTF-8 bytes.</summary>
    public long PayloadBytes => _table.PayloadBytes;

    /// <summary>
    /// True while keyword indexes link the points of their large values, or a tenant index builds their graphs, in the
    /// background (after the index is created, a value reaches 1,000 points, or the database opens without them saved).
    /// Results are correct meanwhile; filters on those values take other strategies until their links or graph are ready.
    /// </summary>
    public bool IsIndexing => _payloadIndexes.Linking;

    /// <summary>Number of points.</summary>
    public int Count() => Count(null);

    /// <summary>Number of points matching <paramref name="filter"/> (all points when null).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired while counting.</exception>
    public int Count(Filter? filter, CancellationToken cancellation = default)
    {
        using var read = _table.ReadVisible();
        return filter is null ? _table.LiveCount : MatchingNodes(filter, cancellation).Count;
    }

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
    /// <param name="text">A text index's analysis (tokenizer, lower-casing, stop words, stemming, phrases); Qdrant's defaults when null.</param>
    /// <returns>False when an identical index already existed.</returns>
    /// <exception cref="InvalidRequestException">The key is empty, the schema unknown, a tenant index not keyword or uuid, or text options for another schema.</exception>
    public bool CreatePayloadIndex(string key, PayloadSchemaType schema, bool wait = true, bool isTenant = false, TextIndexOptions? text = null) =>
        Write(wait, CreatePayloadIndexWrite(key, schema, isTenant, text)).Written;

    private Func<CollectionRecord?> CreatePayloadIndexWrite(string key, PayloadSchemaType schema, bool isTenant, TextIndexOptions? text)
    {
        if (string.IsNullOrWhiteSpace(key) || !Enum.IsDefined(schema))
        {
            throw new InvalidRequestException(string.IsNullOrWhiteSpace(key) ? "A payload index needs a field name." : $"Unknown payload index schema {schema}.");
        }

        if (isTenant && schema is not (PayloadSchemaType.Keyword or PayloadSchemaType.Uuid))
        {
            throw new InvalidRequestException($"Only keyword and uuid indexes can be tenant indexes, not {schema.ToString().ToLowerInvariant()}.");
        }

        if (text is not null && schema != PayloadSchemaType.Text)
        {
            throw new InvalidRequestException($"Text options belong to text indexes, not {schema.ToString().ToLowerInvariant()}.");
        }

        text?.Validate();
        var analysis = schema == PayloadSchemaType.Text ? text ?? new TextIndexOptions() : null;
        return () => PayloadIndexes.Any(i => i.Key == key && i.Schema == schema && i.IsTenant == isTenant && (analysis is null || analysis.SameAs(i.Text)))
            ? null
            : new CreatePayloadIndexRecord(Id, key, schema, isTenant, analysis is null ? null : TextIndexConfig.From(analysis));
    }

    /// <summary>Deletes the payload index on <paramref name="key"/>; filters on it keep working, by reading payloads.</summary>
    /// <returns>False when there was none.</returns>
    public bool DeletePayloadIndex(string key, bool wait = true) => Write(wait, DeletePayloadIndexWrite(key)).Written;

    private Func<CollectionRecord?> DeletePayloadIndexWrite(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return () => PayloadIndexes.Any(i => i.Key == key) ? new DeletePayloadIndexRecord(Id, key) : null;
    }

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
        ArgumentNullException.ThrowIfNull(options);
        int written = Write(options.Wait, UpsertWrite(points, options)).Changed;
        ScheduleRotationFit();
        return written;
    }

    private Func<CollectionRecord?> UpsertWrite(IEnumerable<Point> points, UpsertOptions options)
    {
        ArgumentNullException.ThrowIfNull(points);
        var spaces = _spaces;
        var batch = PrepareBatch(points);
        return () =>
        {
            RevalidateIfVectorsChanged(batch, spaces, partial: false);
            return Admitted(batch, options) is { Length: > 0 } admitted ? new UpsertPointsRecord(Id, [.. admitted.Select(PointData.From)]) : null;
        };
    }

    /// <summary>Inserts or replaces one point. See <see cref="Upsert(IEnumerable{Point}, bool)"/>.</summary>
    public void Upsert(Point point, bool wait = true) => Upsert([point], wait);

    /// <summary>Deletes points by id; unknown ids are ignored.</summary>
    /// <param name="ids">The ids.</param>
    /// <param name="wait">As for <see cref="Upsert(IEnumerable{Point}, bool)"/>.</param>
    /// <returns>How many points were deleted.</returns>
    /// <exception cref="StorageException">The delete could not be logged; it was not applied.</exception>
    public int Delete(IEnumerable<PointId> ids, bool wait = true) => Write(wait, DeleteWrite(ids)).Changed;

    private Func<CollectionRecord?> DeleteWrite(IEnumerable<PointId> ids) => ExistingWrite(ids, existing => new DeletePointsRecord(Id, existing));

    /// <summary>Deletes every point matching <paramref name="filter"/>; logged as the ids it matched.</summary>
    /// <returns>How many points were deleted.</returns>
    public int Delete(Filter filter, bool wait = true) => Delete(FindIds(filter), wait);

    /// <summary>Sets the top-level keys of <paramref name="payload"/> on each point, keeping its other keys.</summary>
    /// <returns>How many points exist among <paramref name="ids"/> and were updated.</returns>
    public int SetPayload(IEnumerable<PointId> ids, Payload payload, bool wait = true) => Write(wait, SetPayloadWrite(ids, payload)).Changed;

    private Func<CollectionRecord?> SetPayloadWrite(IEnumerable<PointId> ids, Payload payload) =>
        PayloadWrite(ids, PayloadOperation.Set, payload ?? throw new ArgumentNullException(nameof(payload)), null);

    /// <summary>
    /// Sets the keys of <paramref name="payload"/> inside the object at <paramref name="key"/> (a dotted path, e.g.
    /// <c>meta.source</c>) of each point's payload, keeping its other keys; objects missing on the way are created, and a
    /// value on the way that is not an object is replaced by one (Qdrant's <c>set_payload</c> with <c>key</c>).
    /// </summary>
    /// <returns>How many points exist among <paramref name="ids"/> and were updated.</returns>
    /// <exception cref="InvalidRequestException">A malformed path.</exception>
    public int SetPayload(IEnumerable<PointId> ids, Payload payload, string key, bool wait = true) => Write(wait, SetPayloadWrite(ids, payload, key)).Changed;

    private Func<CollectionRecord?> SetPayloadWrite(IEnumerable<PointId> ids, Payload payload, string key)
    {
        ArgumentNullException.ThrowIfNull(payload);
        _ = Payload.CheckedPath(key);
        return PayloadWrite(ids, PayloadOperation.SetAt, payload, [key]);
    }

    /// <summary>Replaces each point's payload with <paramref name="payload"/>.</summary>
    public int OverwritePayload(IEnumerable<PointId> ids, Payload payload, bool wait = true) => Write(wait, OverwritePayloadWrite(ids, payload)).Changed;

    private Func<CollectionRecord?> OverwritePayloadWrite(IEnumerable<PointId> ids, Payload payload) =>
        PayloadWrite(ids, PayloadOperation.Overwrite, payload ?? throw new ArgumentNullException(nameof(payload)), null);

    /// <summary>Removes <paramref name="keys"/> from each point's payload.</summary>
    public int DeletePayloadKeys(IEnumerable<PointId> ids, IEnumerable<string> keys, bool wait = true) => Write(wait, DeletePayloadKeysWrite(ids, keys)).Changed;

    private Func<CollectionRecord?> DeletePayloadKeysWrite(IEnumerable<PointId> ids, IEnumerable<string> keys) =>
        PayloadWrite(ids, PayloadOperation.DeleteKeys, null, [.. keys ?? throw new ArgumentNullException(nameof(keys))]);

    /// <summary>Removes every key from each point's payload.</summary>
    public int ClearPayload(IEnumerable<PointId> ids, bool wait = true) => Write(wait, PayloadWrite(ids, PayloadOperation.Clear, null, null)).Changed;

    /// <summary>
    /// Fits the PCA rotation now on a sample of the collection's vectors (replacing an earlier fit), logs it and
    /// makes adaptive searches walk the leading axes. Stored vectors and full-dimension scores do not change.
    /// Takes seconds for large samples; searches keep running meanwhile, except while the axes are applied.
    /// </summary>
    /// <param name="wait">As for <see cref="Upsert(IEnumerable{Point}, bool)"/>.</param>
    /// <exception cref="InvalidRequestException">The collection has no PCA option, or fewer than two points.</exception>
    public RotationInfo FitRotation(bool wait = true)
    {
        _table.ThrowIfDropped();
        var unnamed = _unnamed ?? throw new InvalidRequestException("PCA rotation is a setting of the unnamed vector, which this collection does not have.");
        return unnamed.Adaptive.Fit((axes, explained) => Write(wait, () => new SetRotationRecord(Id, axes, explained)));
    }

    /// <summary>Ids of the points matching <paramref name="filter"/>, in internal order.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired while reading.</exception>
    public IReadOnlyList<PointId> FindIds(Filter filter, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        using var read = _table.ReadVisible();
        return [.. MatchingNodes(filter, cancellation).Select(node => _table.Stored(node)?.Id).OfType<PointId>()];
    }

    /// <summary>Returns the points that exist among <paramref name="ids"/>, in the order asked for.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired while reading.</exception>
    public IReadOnlyList<PointRecord> Get(IEnumerable<PointId> ids, bool withVector = true, bool withPayload = true, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        using var read = _table.ReadVisible();
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
        using var read = _table.ReadVisible();
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
        CheckPageSize(limit);
        using var read = _table.ReadVisible();

        // Sorting every call is O(n log n); an ordered id index would make pages O(limit).
        var predicate = filter is null ? null : FilterCompiler.Compile(filter, _payloadIndexes, _table);
        int looked = 0;
        var ids = _table.Nodes
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
        CheckPageSize(limit);
        using var read = _table.ReadVisible();
        var predicate = filter is null ? null : FilterCompiler.Compile(filter, _payloadIndexes, _table);
        var page = Ordered(order, predicate, among: null, excluded: null, limit, cancellation)
            .Select(hit => _table.TryGetPoint(hit.Node, out var id, out var payload) ? Record(hit.Node, id, payload, withVector, withPayload) with { OrderValue = hit.OrderValue } : null)
            .OfType<PointRecord>().ToList();
        return new ScrollPage(page, null);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> live points in the order of a numeric payload field (a point once per value it
    /// holds), those the predicate matches and, when <paramref name="among"/> is given, among those nodes (ascending);
    /// each hit carries its value. The caller holds a read.
    /// </summary>
    private List<Querying.Hit> Ordered(ScrollOrder order, NodePredicate? predicate, int[]? among, IReadOnlySet<int>? excluded, int limit, CancellationToken cancellation)
    {
        if (_payloadIndexes.Find(order.Key) is NumericFieldIndex { Schema: PayloadSchemaType.Datetime })
        {
            throw new InvalidRequestException($"Ordering by the datetime index on `{order.Key}` is not supported yet: order by an integer or float index.");
        }

        if (_payloadIndexes.Find(order.Key) is not NumericFieldIndex index)
        {
            throw new InvalidRequestException($"No range index for `order_by` key: {order.Key}. Create an integer or float payload index on it to order by it.");
        }

        if (among is not null)
        {
            return OrderedAmong(order, index.Schema, among, excluded, limit);
        }

        var hits = new List<Querying.Hit>(Math.Min(limit, 1024));
        int chunkSize = Math.Max(limit, 1024);
        (double, int)? after = null;
        while (hits.Count < limit)
        {
            cancellation.ThrowIfCancellationRequested();
            var chunk = index.Ordered(order.StartFrom, order.Descending, after, chunkSize);
            foreach (var (value, node) in chunk)
            {
                if (_table.IsLive(node) && (predicate is null || predicate.Matches(node)) && excluded?.Contains(node) != true)
                {
                    hits.Add(new Querying.Hit(node, 1f, value));
                    if (hits.Count == limit)
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

        return hits;
    }

    /// <summary>
    /// <see cref="Ordered"/> over given nodes (a stage's prefetched points): their own values, read from their payloads as
    /// the index reads them, sorted, rather than a walk of the whole index.
    /// </summary>
    private List<Querying.Hit> OrderedAmong(ScrollOrder order, PayloadSchemaType schema, int[] among, IReadOnlySet<int>? excluded, int limit)
    {
        var entries = new List<(double Value, int Node)>();
        var seen = new HashSet<double>(); // a point appears once per value, however often it holds it
        foreach (int node in among)
        {
            if (excluded?.Contains(node) == true || !_table.TryGetPoint(node, out _, out var payload))
            {
                continue;
            }

            seen.Clear();
            foreach (var element in PayloadPath.Values(payload, order.Key))
            {
                double? value = element.ValueKind != System.Text.Json.JsonValueKind.Number ? null
                    : schema == PayloadSchemaType.Integer ? (element.TryGetInt64(out long integer) ? integer : null)
                    : element.GetDouble();
                if (value is double v && (order.StartFrom is not double start || (order.Descending ? v <= start : v >= start)) && seen.Add(v))
                {
                    entries.Add((v, node));
                }
            }
        }

        entries.Sort((a, b) => a.Value != b.Value ? (order.Descending ? b.Value.CompareTo(a.Value) : a.Value.CompareTo(b.Value)) : a.Node.CompareTo(b.Node));
        return [.. entries.Take(limit).Select(entry => new Querying.Hit(entry.Node, 1f, entry.Value))];
    }

    /// <summary>Up to <paramref name="limit"/> live points the predicate matches, in id order (integers first, then UUIDs). The caller holds a read.</summary>
    private List<Querying.Hit> ById(NodePredicate? predicate, IReadOnlySet<int> excluded, int limit, CancellationToken cancellation)
    {
        int looked = 0;
        return [.. _table.Nodes
            .Where(entry =>
            {
                if ((++looked & 8191) == 0)
                {
                    cancellation.ThrowIfCancellationRequested();
                }

                return _table.IsLive(entry.Value) && !excluded.Contains(entry.Value) && (predicate is null || predicate.Matches(entry.Value));
            })
            .OrderBy(entry => entry.Key).Take(limit).Select(entry => new Querying.Hit(entry.Value, 1f))];
    }

    /// <summary>The k points closest to <paramref name="query"/> by the vector <see cref="SearchOptions.Using"/> names, best first.</summary>
    /// <param name="query">Query vector of that vector's dimension.</param>
    /// <param name="k">How many hits to return at most (1..10,000).</param>
    /// <param name="options">Which vector, beam width, exact search, what to include in hits.</param>
    /// <exception cref="DimensionMismatchException">The query has the wrong length.</exception>
    /// <param name="cancellation">Stops a long search (exact scans, filters that read payloads) early.</param>
    /// <exception cref="InvalidRequestException">No dense vector of that name, bad k or ef, non-finite components, zero cosine query.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the search.</exception>
    public SearchResults Search(ReadOnlySpan<float> query, int k, SearchOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= SearchOptions.Default;
        _table.ThrowIfDropped();
        cancellation.ThrowIfCancellationRequested();
        CheckPageSize(k);
        // Points left out of the hits are searched for too, so the hits still number k.
        int searched = k + (options.Excluded?.Count ?? 0);
        var buffer = ArrayPool<Neighbor>.Shared.Rent(searched);
        using var read = _table.ReadVisible();
        try
        {
            var space = DenseSpace(options.Using);
            ValidateVector(space.Options, query, "of the query");
            int ef = options.Ef ?? space.Options.EfConstruction;
            if (ef is < 1 or > 100_000)
            {
                throw new InvalidRequestException($"hnsw_ef must be between 1 and 100000, got {ef}.");
            }

            var filter = options.Filter is { } given ? FilterCompiler.Compile(given, _payloadIndexes, _table) : null;
            int found = space.Search(query, searched, options, filter, _table, buffer, out var explain, cancellation);
            return new SearchResults(ToScoredPoints(buffer.AsSpan(0, found), options, k, space.Options.Distance), explain);
        }
        finally
        {
            ArrayPool<Neighbor>.Shared.Return(buffer);
        }
    }

    /// <summary>Refuses a search's k or a scroll's page size outside 1..<see cref="MaxSearchLimit"/>.</summary>
    private static void CheckPageSize(int limit)
    {
        if (limit is < 1 or > MaxSearchLimit)
        {
            throw new InvalidRequestException($"limit must be between 1 and {MaxSearchLimit}, got {limit}.");
        }
    }

    /// <summary>The live nodes matching a filter, listed from payload indexes where they can, else by checking every point.</summary>
    private List<int> MatchingNodes(Filter filter, CancellationToken cancellation = default) =>
        MatchingNodes(FilterCompiler.Compile(filter, _payloadIndexes, _table), cancellation);

    /// <summary>
    /// A uniform random sample of up to <paramref name="count"/> live nodes the predicate matches (all when null) that
    /// hold a vector of <paramref name="space"/> (any, when null) and are not <paramref name="excluded"/>, in random order.
    /// </summary>
    private List<int> RandomNodes(int count, NodePredicate? predicate, IVectorSpace? space, IReadOnlySet<int>? excluded, CancellationToken cancellation)
    {
        // Without a filter, when most nodes are live, drawing node numbers at random finds a few points without listing all.
        int bound = _table.NodeBound;
        if (predicate is null && count <= _table.LiveCount / 4 && 2L * _table.LiveCount >= bound)
        {
            var drawn = new HashSet<int>();
            for (int attempt = 0; drawn.Count < count && attempt < (16 * count) + 64; attempt++)
            {
                int node = Random.Shared.Next(bound);
                if (_table.IsLive(node) && excluded?.Contains(node) != true && (space is null || space.Holds(node)))
                {
                    drawn.Add(node);
                }
            }

            if (drawn.Count == count)
            {
                return [.. drawn];
            }
        }

        var nodes = MatchingNodes(predicate, cancellation);
        nodes.RemoveAll(node => excluded?.Contains(node) == true || (space is not null && !space.Holds(node)));
        Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(nodes));
        return nodes.Count > count ? nodes[..count] : nodes;
    }

    /// <summary>The live nodes a compiled filter matches (all live nodes when it is null), ascending.</summary>
    private List<int> MatchingNodes(NodePredicate? predicate, CancellationToken cancellation)
    {
        predicate?.Estimate(new EstimationContext(_table)); // lets an AND list its smallest part and intersect the others
        int bound = _table.NodeBound;
        var nodes = new List<int>();
        if (predicate is not null && predicate.TryListMatches(bound, nodes))
        {
            nodes.RemoveAll(node => !_table.TryGetPoint(node, out _, out _));
            return nodes;
        }

        for (int node = 0; node < bound; node++)
        {
            if ((node & 8191) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }

            if (_table.TryGetPoint(node, out _, out _) && (predicate is null || predicate.Matches(node)))
            {
                nodes.Add(node);
            }
        }

        return nodes;
    }

    private List<ScoredPoint> ToScoredPoints(ReadOnlySpan<Neighbor> neighbors, SearchOptions options, int k, DistanceMetric metric)
    {
        var hits = new List<ScoredPoint>(Math.Min(k, neighbors.Length));
        foreach (var neighbor in neighbors)
        {
            if (ToScoredPoint(neighbor.Id, metric.ToScore(neighbor.Distance), options) is not { } hit)
            {
                continue;
            }

            if (hits.Count == k)
            {
                break;
            }

            hits.Add(hit);
        }

        return hits;
    }

    /// <summary>A hit on a node (with the payload value an order-by ranked it by, if any), or null when its point is gone or left out.</summary>
    private ScoredPoint? ToScoredPoint(int node, float score, SearchOptions options, double? orderValue = null)
    {
        // Only a live node's point: a node freed since may already hold a new point that is not published yet.
        if (!_table.TryGetPoint(node, out var id, out var payload) || options.Excluded?.Contains(id) == true)
        {
            return null;
        }

        var vectors = options.WithVector ? ReadVectors(node) : default;
        return new ScoredPoint(id, score, options.WithPayload ? payload : null, vectors.Unnamed)
        {
            OrderValue = orderValue,
            NamedVectors = vectors.Named,
            SparseVectors = vectors.Sparse,
            Multivectors = vectors.Multi,
        };
    }

    private PointRecord? TryGet(PointId id, bool withVector, bool withPayload) =>
        _table.TryGetNode(id, out int node) && _table.Stored(node) is { } stored
            ? Record(node, stored.Id, stored.Payload, withVector, withPayload)
            : null;

    private PointRecord Record(int node, PointId id, Payload? payload, bool withVector, bool withPayload)
    {
        var vectors = withVector ? ReadVectors(node) : default;
        return new PointRecord(id, vectors.Unnamed, withPayload ? payload : null) { NamedVectors = vectors.Named, SparseVectors = vectors.Sparse, Multivectors = vectors.Multi };
    }
}
