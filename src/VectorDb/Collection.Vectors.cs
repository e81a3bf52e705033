using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using VectorDb.Distance;
using VectorDb.Hnsw;
using VectorDb.Log;
using VectorDb.Query.PayloadIndexing;
using VectorDb.Spaces;
using VectorDb.Sparse;
using VectorDb.Storage;

namespace VectorDb;

/// <summary>
/// A collection's vectors: the spaces of its vector names, how a point's vectors are checked, read, replaced and
/// removed, sparse search, and adding and removing named vectors of an existing collection.
/// </summary>
public sealed partial class Collection
{
    /// <summary>The most bytes of vectors (4 per dense component, 8 per sparse entry) one point may hold.</summary>
    public const int MaxPointVectorBytes = 3 << 20;

    private static readonly HashSet<string> NoNames = [];

    private VectorSpaces _spaces;

    /// <summary>
    /// Replaces the vectors given for points that exist (the unnamed one when <see cref="Point.Vector"/> is set, named and
    /// sparse ones by name), keeping their other vectors and payloads; ids that do not exist are ignored. The batch is
    /// validated as a whole first; within it, updates of one point apply in order.
    /// </summary>
    /// <param name="points">Ids and the vectors to replace; payloads must be null.</param>
    /// <param name="wait">As for <see cref="Upsert(IEnumerable{Point}, bool)"/>.</param>
    /// <param name="updateFilter">Only points matching it are updated (Qdrant's <c>update_filter</c>), checked under the write lock.</param>
    /// <returns>How many points were updated.</returns>
    /// <exception cref="InvalidRequestException">An unknown vector name, a malformed vector, or a point giving no vector.</exception>
    /// <exception cref="StorageException">The write could not be logged; it was not applied.</exception>
    public int UpdateVectors(IEnumerable<Point> points, bool wait = true, Query.Filter? updateFilter = null) =>
        Write(wait, UpdateVectorsWrite(points, updateFilter)).Changed;

    private Func<CollectionRecord?> UpdateVectorsWrite(IEnumerable<Point> points, Query.Filter? updateFilter)
    {
        ArgumentNullException.ThrowIfNull(points);
        var updates = points.ToArray();
        var spaces = _spaces;
        for (int i = 0; i < updates.Length; i++)
        {
            var point = updates[i] ?? throw new InvalidRequestException($"Point at position {i} is null.");
            if (point.Vector is null && point.NamedVectors is not { Count: > 0 } && point.SparseVectors is not { Count: > 0 } && point.Multivectors is not { Count: > 0 })
            {
                throw new InvalidRequestException($"Point {point.Id} gives no vector to update.");
            }

            if (point.Payload is not null)
            {
                throw new InvalidRequestException($"Point {point.Id} gives a payload: updating vectors keeps payloads (set them with the payload operations).");
            }

            ValidatePoint(point, spaces, partial: true);
        }

        return () =>
        {
            RevalidateIfVectorsChanged(updates, spaces, partial: true);
            var filter = updateFilter is null ? null : FilterCompiler.Compile(updateFilter, _payloadIndexes, _table);
            var admitted = updates.Where(p => _table.TryGetNode(p.Id, out int node) && (filter is null || filter.Matches(node))).ToArray();
            foreach (var merged in Merged(admitted))
            {
                CheckVectorBytes(merged); // what the point will hold once its other vectors are kept
            }

            return admitted.Length > 0 ? new UpdateVectorsRecord(Id, [.. admitted.Select(PointData.From)]) : null;
        };
    }

    /// <summary>Removes the vectors named from the points that exist among <paramref name="ids"/>, keeping their other vectors and payloads.</summary>
    /// <returns>How many points were updated.</returns>
    /// <exception cref="InvalidRequestException">An unknown vector name, or the unnamed vector (which every point of a collection that has it keeps).</exception>
    public int DeleteVectors(IEnumerable<PointId> ids, IEnumerable<string> names, bool wait = true) => Write(wait, DeleteVectorsWrite(ids, names)).Changed;

    private Func<CollectionRecord?> DeleteVectorsWrite(IEnumerable<PointId> ids, IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var vectors = names.Distinct(StringComparer.Ordinal).ToArray();
        if (vectors.Length == 0)
        {
            throw new InvalidRequestException("Name at least one vector to delete.");
        }

        foreach (string name in vectors)
        {
            if (name.Length == 0)
            {
                throw new InvalidRequestException("The unnamed vector cannot be deleted from points: every point of a collection that has one keeps it.");
            }

            _ = _spaces.Find(name) ?? throw UnknownVector(name);
        }

        return ExistingWrite(ids, existing => new DeleteVectorsRecord(Id, existing, vectors));
    }

    /// <summary>Adds a named dense vector to the collection; existing points do not have it until it is set (<see cref="UpdateVectors"/>).</summary>
    /// <exception cref="InvalidRequestException">The name is taken or invalid, or a setting is out of range.</exception>
    public void CreateVector(string name, DenseVectorOptions options, bool wait = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        VectorNames.Validate(name);
        options.Validate(name);
        if (options.Multivector is not null && Options.Quantization is not null)
        {
            throw new InvalidRequestException($"This collection's quantization_config is the default of every dense vector, and multivector `{name}` cannot be quantized.");
        }

        if (options.Quantization is null && options.Multivector is null)
        {
            CollectionOptions.ValidateQuantization(Options.Quantization, options.Distance); // the collection's, which it takes
        }

        if (options.Memory != MemoryTier.Pinned && _durable is null)
        {
            throw new InvalidRequestException("Vectors kept on disk (memory `cached` or `cold`) need a database opened on a directory, not an in-memory one.");
        }

        Write(wait, () => _spaces.Find(name) is null ? new CreateVectorRecord(Id, name, DenseVectorConfig.From(options), null) : throw VectorExists(name));
    }

    /// <summary>Adds a sparse vector to the collection; existing points do not have it until it is set (<see cref="UpdateVectors"/>).</summary>
    /// <exception cref="InvalidRequestException">The name is taken or invalid.</exception>
    public void CreateVector(string name, SparseVectorOptions options, bool wait = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        VectorNames.Validate(name);
        Write(wait, () => _spaces.Find(name) is null ? new CreateVectorRecord(Id, name, null, SparseVectorConfig.From(options)) : throw VectorExists(name));
    }

    /// <summary>Removes a named (dense or sparse) vector from the collection, with every point's vector of that name.</summary>
    /// <returns>False when the collection had no vector of that name.</returns>
    /// <exception cref="InvalidRequestException">The name is <c>""</c>: the unnamed vector cannot be removed.</exception>
    public bool DeleteVector(string name, bool wait = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            throw new InvalidRequestException("The unnamed vector cannot be removed from a collection.");
        }

        return Write(wait, () => _spaces.Find(name) is null ? null : new DeleteVectorRecord(Id, name)).Written;
    }

    /// <summary>
    /// The k points whose sparse vector <see cref="SearchOptions.Using"/> names has the highest dot product with
    /// <paramref name="query"/> (each query weight times its term's inverse document frequency when the vector has
    /// <see cref="SparseVectorOptions.Idf"/>), best first; points sharing no term with the query are not returned.
    /// Exact. Ties rank the point inserted first (the lower node) first.
    /// </summary>
    /// <exception cref="InvalidRequestException">No sparse vector of that name, a bad k, or an option sparse search does not take (adaptive, strategy, explain).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired before the search.</exception>
    public SearchResults SearchSparse(SparseVector query, int k, SearchOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        options ??= SearchOptions.Default;
        CheckSearchWithoutPlans(options, k, "Sparse", cancellation);
        int searched = k + (options.Excluded?.Count ?? 0);
        var buffer = ArrayPool<SparseHit>.Shared.Rent(searched);
        using var read = _table.ReadVisible();
        try
        {
            var space = SparseSpace(options.Using);
            var filter = options.Filter is { } given ? FilterCompiler.Compile(given, _payloadIndexes, _table) : null;
            int found = space.Search(query, searched, filter, buffer.AsSpan(0, searched), null);
            var hits = new List<ScoredPoint>(Math.Min(k, found));
            for (int i = 0; i < found && hits.Count < k; i++)
            {
                if (ToScoredPoint(buffer[i].Node, buffer[i].Score, options) is { } hit)
                {
                    hits.Add(hit);
                }
            }

            return new SearchResults(hits, null);
        }
        finally
        {
            ArrayPool<SparseHit>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The k points whose multivector <see cref="SearchOptions.Using"/> names has the highest MaxSim with
    /// <paramref name="query"/> (the sum over its vectors of the best similarity to one of the point's), best first.
    /// The graph of the multivector's vectors is walked once per query vector with a beam of <see cref="SearchOptions.Ef"/>,
    /// and every point owning a vector a walk met is scored exactly; <see cref="SearchOptions.Exact"/> scores every point.
    /// </summary>
    /// <exception cref="InvalidRequestException">No multivector of that name, an empty or malformed query, a bad k or ef, or an option multivector search does not take (adaptive, strategy, explain).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired during the search.</exception>
    public SearchResults SearchMultivector(float[][] query, int k, SearchOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        options ??= SearchOptions.Default;
        CheckSearchWithoutPlans(options, k, "Multivector", cancellation);
        int searched = k + (options.Excluded?.Count ?? 0);
        var buffer = ArrayPool<Neighbor>.Shared.Rent(searched);
        using var read = _table.ReadVisible();
        try
        {
            var space = _spaces.Multi.GetValueOrDefault(options.Using ?? "") ?? throw (_spaces.Find(options.Using ?? "") is not null
                ? new InvalidRequestException($"Vector `{options.Using}` is not a multivector: search it with {(_spaces.Sparse.ContainsKey(options.Using ?? "") ? "a sparse query" : "one list of numbers")}.")
                : UnknownVector(options.Using ?? ""));
            if (query.Length == 0)
            {
                throw new InvalidRequestException("A multivector query needs at least one vector.");
            }

            foreach (var vector in query)
            {
                ValidateVector(space.Options, vector ?? throw new InvalidRequestException("A multivector query holds a null vector."), "of the query");
            }

            int ef = options.Ef ?? space.Options.EfConstruction;
            if (ef is < 1 or > 100_000)
            {
                throw new InvalidRequestException($"hnsw_ef must be between 1 and 100000, got {ef}.");
            }

            var filter = options.Filter is { } given ? FilterCompiler.Compile(given, _payloadIndexes, _table) : null;
            int found = space.Search(query, searched, ef, options.Exact, filter, buffer.AsSpan(0, searched), cancellation);
            return new SearchResults(ToScoredPoints(buffer.AsSpan(0, found), options, k, DistanceMetric.Dot), null);
        }
        finally
        {
            ArrayPool<Neighbor>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Checks what sparse and multivector searches share: the collection exists, k is in range, and no option of the
    /// dense planner (adaptive search, a forced strategy, explain) was asked for.
    /// </summary>
    private void CheckSearchWithoutPlans(SearchOptions options, int k, string kind, CancellationToken cancellation)
    {
        _table.ThrowIfDropped();
        cancellation.ThrowIfCancellationRequested();
        CheckPageSize(k);
        if (options.Adaptive is not null || options.Strategy is not null || options.Explain)
        {
            string option = options.Adaptive is not null ? "adaptive search" : options.Strategy is not null ? "strategy" : "explain";
            throw new InvalidRequestException($"{kind} search takes no {option}: those are options of dense vectors' query planner.");
        }
    }

    int ICollectionState.ApplyUpdateVectors(Point[] updates) => Merged(updates) is { Count: > 0 } merged ? ApplyPoints([.. merged]) : 0;

    /// <summary>The existing points among <paramref name="updates"/> with their vectors replaced, the others kept; updates of one point apply in order.</summary>
    private List<Point> Merged(IEnumerable<Point> updates)
    {
        var merged = new Dictionary<PointId, Point>();
        foreach (var update in updates)
        {
            var current = merged.GetValueOrDefault(update.Id) ?? CurrentPoint(update.Id);
            if (current is null)
            {
                continue;
            }

            merged[update.Id] = current with
            {
                Vector = update.Vector ?? current.Vector,
                NamedVectors = Merge(current.NamedVectors, update.NamedVectors, NoNames),
                SparseVectors = Merge(current.SparseVectors, update.SparseVectors, NoNames),
                Multivectors = Merge(current.Multivectors, update.Multivectors, NoNames),
            };
        }

        return [.. merged.Values];
    }

    int ICollectionState.ApplyDeleteVectors(IEnumerable<PointId> ids, IReadOnlyList<string> names)
    {
        var removed = names.ToHashSet(StringComparer.Ordinal);
        var changed = new List<Point>();
        foreach (var id in ids.Distinct())
        {
            if (CurrentPoint(id) is { } current)
            {
                changed.Add(current with
                {
                    NamedVectors = Merge(current.NamedVectors, null, removed),
                    SparseVectors = Merge(current.SparseVectors, null, removed),
                    Multivectors = Merge(current.Multivectors, null, removed),
                });
            }
        }

        return changed.Count == 0 ? 0 : ApplyPoints([.. changed]);
    }

    void ICollectionState.ApplyCreateVector(string name, DenseVectorOptions? dense, SparseVectorOptions? sparse)
    {
        if (_spaces.Find(name) is not null)
        {
            return; // a checkpoint taken after the record already holds it
        }

        IVectorSpace space = dense is { Multivector: not null } ? new MultivectorSpace(name, dense.ToSpaceOptions(), _table)
            : dense is not null ? new DenseVectorSpace(Name, name, dense.ToSpaceOptions(Options.Quantization), _table, rowsFile: RowsFile(name))
            : new SparseVectorSpace(name, sparse ?? throw new InvalidDataException($"The record adding vector `{name}` has no settings."), _table);
        using (_table.WriteVisible())
        {
            _spaces = _spaces.With(space);
            Options = dense is not null
                ? Options with { NamedVectors = new Dictionary<string, DenseVectorOptions>(Options.NamedVectors ?? new Dictionary<string, DenseVectorOptions>(), StringComparer.Ordinal) { [name] = dense } }
                : Options with { SparseVectors = new Dictionary<string, SparseVectorOptions>(Options.SparseVectors ?? new Dictionary<string, SparseVectorOptions>(), StringComparer.Ordinal) { [name] = sparse! } };
        }
    }

    void ICollectionState.ApplyDeleteVector(string name)
    {
        if (name.Length == 0 || _spaces.Find(name) is not { } space)
        {
            return;
        }

        using (_table.WriteVisible())
        {
            _spaces = _spaces.Without(name);
            Options = Options with
            {
                StrictMode = Options.StrictMode?.WithoutVector(name),
                NamedVectors = Options.NamedVectors?.Where(v => v.Key != name).ToDictionary(StringComparer.Ordinal),
                SparseVectors = Options.SparseVectors?.Where(v => v.Key != name).ToDictionary(StringComparer.Ordinal),
            };
        }

        if (_durable is not null)
        {
            // The stored points forget the vector too, or a vector of the same name added later would find it again.
            foreach (var (id, node) in _table.Nodes)
            {
                if (space.Holds(node) && _table.Stored(node) is { } stored)
                {
                    StoreFromRows(id, node, stored.Payload);
                }
            }
        }

        space.Dispose(); // no reader holds it: reads hold visibility, under which it was taken away
        DeleteRowsFile(space);
    }

    /// <summary>
    /// Checks a batch again, under the write lock, when a vector was added or removed since it was validated against
    /// <paramref name="validated"/>: a record naming a vector that no longer exists must never reach the log.
    /// </summary>
    private void RevalidateIfVectorsChanged(IEnumerable<Point> batch, VectorSpaces validated, bool partial)
    {
        if (!ReferenceEquals(validated, _spaces))
        {
            foreach (var point in batch)
            {
                ValidatePoint(point, _spaces, partial);
            }
        }
    }

    /// <summary>A point as it is now (vectors as the spaces store them), or null when it does not exist; the caller holds the write lock.</summary>
    private Point? CurrentPoint(PointId id)
    {
        if (!_table.TryGetNode(id, out int node) || _table.Stored(node) is not { } stored)
        {
            return null;
        }

        var vectors = ReadVectors(node);
        return new Point(id, vectors.Unnamed, stored.Payload) { NamedVectors = vectors.Named, SparseVectors = vectors.Sparse, Multivectors = vectors.Multi };
    }

    /// <summary>A point's vectors as the spaces hold them.</summary>
    private PointVectors ReadVectors(int node)
    {
        var spaces = _spaces;
        Dictionary<string, float[]>? named = null;
        float[]? unnamed = null;
        foreach (var (name, space) in spaces.Dense)
        {
            if (space.Holds(node))
            {
                var vector = space.ReadVector(node);
                if (name.Length == 0)
                {
                    unnamed = vector;
                }
                else
                {
                    (named ??= new(StringComparer.Ordinal))[name] = vector;
                }
            }
        }

        Dictionary<string, SparseVector>? sparse = null;
        foreach (var (name, space) in spaces.Sparse)
        {
            if (space.ReadVector(node) is { } vector)
            {
                (sparse ??= new(StringComparer.Ordinal))[name] = vector;
            }
        }

        Dictionary<string, float[][]>? multi = null;
        foreach (var (name, space) in spaces.Multi)
        {
            if (space.ReadVector(node) is { } vectors)
            {
                (multi ??= new(StringComparer.Ordinal))[name] = vectors;
            }
        }

        return new PointVectors(unnamed, named, sparse, multi);
    }

    /// <summary>
    /// Stores a point with its vectors read back from the rows (its payload changed, a vector was dropped): from then
    /// on the store holds each row as it serves it, which a checkpoint that leaves rows out restores them from. The
    /// rows are told so only once the store holds the new value.
    /// </summary>
    private void StoreFromRows(PointId id, int node, Payload? payload)
    {
        _durable!.Points.Upsert(Id, id, StoredValue(node, ReadVectors(node), payload, _spaces));
        foreach (var space in _spaces.Dense.Values)
        {
            space.Graph.RowStoredAsServed(node);
        }

        foreach (var space in _spaces.Multi.Values)
        {
            foreach (int member in space.Members(node) ?? [])
            {
                space.Graph.RowStoredAsServed(member);
            }
        }
    }

    /// <summary>What the point store keeps of a point: its node, vectors (and the graph nodes of its multivectors) and payload.</summary>
    private static StoredPointValue StoredValue(int node, PointVectors vectors, Payload? payload, VectorSpaces spaces) => new(
        node,
        vectors.Unnamed,
        payload?.ToJson(),
        NamedVectors: vectors.Named?.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal),
        SparseVectors: vectors.Sparse?.ToDictionary(v => v.Key, v => v.Value.ToData(), StringComparer.Ordinal),
        NamedVectorNames: vectors.Named is { Count: > 0 } named ? [.. named.Keys] : null,
        Multivectors: vectors.Multi?.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal),
        MultivectorNodes: vectors.Multi?.ToDictionary(v => v.Key, v => spaces.Multi[v.Key].Members(node) ?? [], StringComparer.Ordinal));

    /// <summary>
    /// Checks a point's vectors against the collection's: known names of the right kind, the right lengths, finite
    /// components. A point must give the unnamed vector when the collection has one, unless <paramref name="partial"/>
    /// (a vector update).
    /// </summary>
    private void ValidatePoint(Point point, VectorSpaces spaces, bool partial)
    {
        CheckVectorBytes(point);
        if (point.Vector is { } vector)
        {
            var unnamed = _unnamed ?? throw new InvalidRequestException($"Point {point.Id} gives an unnamed vector, but the collection has none: give its vectors by name.");
            ValidateVector(unnamed.Options, vector, $"for point {point.Id}");
        }
        else if (_unnamed is not null && !partial)
        {
            throw new InvalidRequestException($"Point {point.Id} has no vector: every point of this collection has its unnamed vector.");
        }

        foreach (var (name, named) in point.NamedVectors ?? new Dictionary<string, float[]>())
        {
            if (name.Length == 0 || !spaces.Dense.TryGetValue(name, out var space))
            {
                throw name.Length == 0
                    ? new InvalidRequestException($"Point {point.Id} names its unnamed vector \"\": give it as the point's vector.")
                    : spaces.Sparse.ContainsKey(name)
                        ? new InvalidRequestException($"Vector `{name}` of point {point.Id} is sparse: give it as indices and values.")
                        : spaces.Multi.ContainsKey(name)
                            ? new InvalidRequestException($"Vector `{name}` of point {point.Id} is a multivector: give it as a list of vectors.")
                            : UnknownVector(name);
            }

            ValidateVector(space.Options, named ?? throw new InvalidRequestException($"Vector `{name}` of point {point.Id} is null."), $"`{name}` for point {point.Id}");
        }

        foreach (var (name, sparse) in point.SparseVectors ?? new Dictionary<string, SparseVector>())
        {
            if (!spaces.Sparse.ContainsKey(name))
            {
                throw spaces.Dense.ContainsKey(name)
                    ? new InvalidRequestException($"Vector `{name}` of point {point.Id} is dense: give it as a list of numbers.")
                    : UnknownVector(name);
            }

            _ = sparse ?? throw new InvalidRequestException($"Sparse vector `{name}` of point {point.Id} is null.");
        }

        foreach (var (name, multi) in point.Multivectors ?? new Dictionary<string, float[][]>())
        {
            if (!spaces.Multi.TryGetValue(name, out var space))
            {
                throw spaces.Find(name) is not null
                    ? new InvalidRequestException($"Vector `{name}` of point {point.Id} is not a multivector: give it as {(spaces.Sparse.ContainsKey(name) ? "indices and values" : "one list of numbers")}.")
                    : UnknownVector(name);
            }

            if (multi is not { Length: > 0 })
            {
                throw new InvalidRequestException($"Multivector `{name}` of point {point.Id} is empty: it needs at least one vector.");
            }

            for (int i = 0; i < multi.Length; i++)
            {
                ValidateVector(space.Options, multi[i] ?? throw new InvalidRequestException($"Multivector `{name}` of point {point.Id} holds a null vector at {i}."), $"`{name}`[{i}] for point {point.Id}");
            }
        }
    }

    /// <exception cref="InvalidRequestException">The point's vectors take more than <see cref="MaxPointVectorBytes"/>.</exception>
    private static void CheckVectorBytes(Point point)
    {
        long bytes = ((point.Vector?.Length ?? 0) * (long)sizeof(float))
            + (point.NamedVectors?.Values.Sum(v => (v?.Length ?? 0) * (long)sizeof(float)) ?? 0)
            + (point.SparseVectors?.Values.Sum(v => v?.Bytes ?? 0) ?? 0)
            + (point.Multivectors?.Values.Sum(m => m?.Sum(v => (v?.Length ?? 0) * (long)sizeof(float)) ?? 0) ?? 0);
        if (bytes > MaxPointVectorBytes)
        {
            throw new InvalidRequestException($"Point {point.Id} holds {bytes:N0} bytes of vectors; a point holds at most {MaxPointVectorBytes:N0} (its stored record must fit one page of the point store).");
        }
    }

    private static void ValidateVector(CollectionOptions vectorOptions, ReadOnlySpan<float> vector, string what)
    {
        if (vector.Length != vectorOptions.Dimensions)
        {
            throw new DimensionMismatchException(vectorOptions.Dimensions, vector.Length, what);
        }

        // Checked here, before the write is logged: a vector the graph then refused would fail every replay. The largest
        // magnitude is NaN when any component is, infinite when any is: one vectorised pass (a scalar check of every
        // component costs 1.5 % of a filtered search at 784 dimensions), the component named only when there is one.
        float limit = vectorOptions.Distance == DistanceMetric.Cosine ? float.MaxValue : vectorOptions.DataType.MaxMagnitude();
        if (vector.Length > 0 && !(MathF.Abs(TensorPrimitives.MaxMagnitude(vector)) <= limit))
        {
            ThrowOutOfRange(vectorOptions, vector, what, limit);
        }

        if (vectorOptions.Distance == DistanceMetric.Cosine && VectorMath.Norm(vector) == 0f)
        {
            throw new InvalidRequestException($"Vector {what} is all zeros, which has no direction under cosine distance.");
        }
    }

    /// <summary>Names the first component that is not finite or beyond <paramref name="limit"/> in magnitude.</summary>
    [DoesNotReturn]
    private static void ThrowOutOfRange(CollectionOptions vectorOptions, ReadOnlySpan<float> vector, string what, float limit)
    {
        for (int i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                throw new InvalidRequestException($"Vector {what} has a non-finite component ({vector[i]}) at index {i}.");
            }

            if (MathF.Abs(vector[i]) > limit)
            {
                throw new InvalidRequestException($"Vector {what} has a component ({vector[i]}) at index {i} beyond what {vectorOptions.DataType.ToApiName()} stores (±{limit}).");
            }
        }

        throw new UnreachableException($"The largest magnitude of vector {what} is out of range, but no component is.");
    }

    /// <summary>The dense vector space of a name (<c>""</c>: the unnamed vector).</summary>
    /// <exception cref="InvalidRequestException">No dense vector of that name.</exception>
    private DenseVectorSpace DenseSpace(string name) =>
        _spaces.Dense.GetValueOrDefault(name ?? "")
        ?? throw (_spaces.Sparse.ContainsKey(name ?? "") ? new InvalidRequestException($"Vector `{name}` is sparse: search it with a sparse query (indices and values).")
            : _spaces.Multi.ContainsKey(name ?? "") ? new InvalidRequestException($"Vector `{name}` is a multivector: search it with a list of vectors.")
            : UnknownVector(name ?? ""));

    /// <exception cref="InvalidRequestException">No sparse vector of that name.</exception>
    private SparseVectorSpace SparseSpace(string name) =>
        _spaces.Sparse.GetValueOrDefault(name ?? "")
        ?? throw (_spaces.Dense.ContainsKey(name ?? "") ? new InvalidRequestException($"Vector `{name}` is dense: search it with a list of numbers.") : UnknownVector(name ?? ""));

    private InvalidRequestException UnknownVector(string name) => name.Length == 0
        ? new InvalidRequestException($"Collection {Name} has no unnamed vector: name one of its vectors ({string.Join(", ", _spaces.Dense.Keys.Concat(_spaces.Sparse.Keys).Concat(_spaces.Multi.Keys).Select(n => $"`{n}`"))}).")
        : new InvalidRequestException($"Not existing vector name error: {name}");

    private static InvalidRequestException VectorExists(string name) => new($"Vector `{name}` already exists.");

    /// <summary>Vectors by name after an update: the current ones, replaced or added from <paramref name="given"/>, less <paramref name="removed"/>; null when none remain.</summary>
    private static Dictionary<string, T>? Merge<T>(IReadOnlyDictionary<string, T>? current, IReadOnlyDictionary<string, T>? given, HashSet<string> removed)
    {
        var merged = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (name, vector) in current ?? new Dictionary<string, T>())
        {
            if (!removed.Contains(name))
            {
                merged[name] = vector;
            }
        }

        foreach (var (name, vector) in given ?? new Dictionary<string, T>())
        {
            merged[name] = vector;
        }

        return merged.Count == 0 ? null : merged;
    }
}
