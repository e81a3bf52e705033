using System.Buffers;
using System.Collections.Concurrent;
using VectorDb.Hnsw;

namespace VectorDb;

/// <summary>
/// A named set of points with one vector dimension and metric, indexed by an HNSW graph. Thread-safe:
/// writes are serialised per collection (a batch is inserted with all cores), searches run concurrently
/// with them.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "A collection belongs to its VectorDatabase, which releases it on DeleteCollection and Dispose.")]
public sealed class Collection
{
    // Batches at least this large are linked in parallel; below it the thread hand-off costs more.
    private const int ParallelInsertThreshold = 64;

    private readonly HnswIndex _index;
    private readonly ConcurrentDictionary<PointId, int> _internalIds = new();
    private readonly Lock _writeLock = new();
    private StoredPoint?[] _points = new StoredPoint?[1024]; // by internal id; replaced, never resized in place
    private volatile bool _dropped;

    internal Collection(string name, CollectionOptions options)
    {
        Name = name;
        Options = options;
        _index = new HnswIndex(options.Dimensions, options.Distance, options.ToHnswParameters());
    }

    /// <summary>The collection's name.</summary>
    public string Name { get; }

    /// <summary>The options it was created with.</summary>
    public CollectionOptions Options { get; }

    /// <summary>Bytes held by the vector index (vectors, links, per-node metadata).</summary>
    public long IndexMemoryBytes => _index.MemoryBytes;

    /// <summary>Number of points.</summary>
    public int Count()
    {
        ThrowIfDropped();
        return _index.Count;
    }

    /// <summary>
    /// Inserts points, replacing any with the same id. The batch is validated as a whole first: if any point
    /// is invalid, nothing is changed. Within a batch the last point with a given id wins.
    /// </summary>
    /// <exception cref="DimensionMismatchException">A vector has the wrong length.</exception>
    /// <exception cref="InvalidRequestException">A vector has NaN/infinite components, or zero norm under cosine.</exception>
    public void Upsert(IEnumerable<Point> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var batch = Deduplicate(points);
        foreach (var point in batch)
        {
            ValidateVector(point.Vector, $"for point {point.Id}");
        }

        lock (_writeLock)
        {
            ThrowIfDropped();
            EnsurePointCapacity(_index.AllocatedCount + batch.Length);
            foreach (var point in batch)
            {
                if (_internalIds.TryGetValue(point.Id, out int previous))
                {
                    _index.Delete(previous);
                }
            }

            if (batch.Length >= ParallelInsertThreshold && Environment.ProcessorCount > 1)
            {
                Parallel.ForEach(batch, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, Insert);
            }
            else
            {
                foreach (var point in batch)
                {
                    Insert(point);
                }
            }
        }
    }

    /// <summary>Inserts or replaces one point. See <see cref="Upsert(IEnumerable{Point})"/>.</summary>
    public void Upsert(Point point) => Upsert([point]);

    /// <summary>Deletes points by id; unknown ids are ignored.</summary>
    /// <returns>How many points were deleted.</returns>
    public int Delete(IEnumerable<PointId> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int deleted = 0;
        lock (_writeLock)
        {
            ThrowIfDropped();
            foreach (var id in ids)
            {
                if (_internalIds.TryRemove(id, out int internalId))
                {
                    _index.Delete(internalId);
                    Volatile.Write(ref _points[internalId], null);
                    deleted++;
                }
            }
        }

        return deleted;
    }

    /// <summary>Returns the points that exist among <paramref name="ids"/>, in the order asked for.</summary>
    public IReadOnlyList<PointRecord> Get(IEnumerable<PointId> ids, bool withVector = true, bool withPayload = true)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ThrowIfDropped();
        var found = new List<PointRecord>();
        foreach (var id in ids)
        {
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
        return TryGet(id, withVector, withPayload);
    }

    /// <summary>The k points closest to <paramref name="query"/>, best first.</summary>
    /// <param name="query">Query vector of the collection's dimension.</param>
    /// <param name="k">How many hits to return at most (1..10,000).</param>
    /// <param name="options">Beam width, exact search, what to include in hits.</param>
    /// <exception cref="DimensionMismatchException">The query has the wrong length.</exception>
    /// <exception cref="InvalidRequestException">Bad k or ef, non-finite components, zero cosine query.</exception>
    public IReadOnlyList<ScoredPoint> Search(ReadOnlySpan<float> query, int k, SearchOptions? options = null)
    {
        options ??= SearchOptions.Default;
        ThrowIfDropped();
        ValidateVector(query, "of the query");
        if (k is < 1 or > 10_000)
        {
            throw new InvalidRequestException($"limit must be between 1 and 10000, got {k}.");
        }

        int ef = options.Ef ?? Options.EfConstruction;
        if (ef is < 1 or > 100_000)
        {
            throw new InvalidRequestException($"hnsw_ef must be between 1 and 100000, got {ef}.");
        }

        var buffer = ArrayPool<Neighbor>.Shared.Rent(k);
        try
        {
            int found = options.Exact
                ? _index.ExactSearch(query, k, buffer)
                : _index.Search(query, k, ef, buffer);
            return ToScoredPoints(buffer.AsSpan(0, found), options);
        }
        finally
        {
            ArrayPool<Neighbor>.Shared.Return(buffer);
        }
    }

    internal void Drop()
    {
        lock (_writeLock)
        {
            _dropped = true;
            _index.Dispose();
        }
    }

    private List<ScoredPoint> ToScoredPoints(ReadOnlySpan<Neighbor> neighbors, SearchOptions options)
    {
        var points = Volatile.Read(ref _points);
        var hits = new List<ScoredPoint>(neighbors.Length);
        foreach (var neighbor in neighbors)
        {
            // A point deleted after the graph returned it has no record any more: leave it out.
            if (Volatile.Read(ref points[neighbor.Id]) is not { } stored)
            {
                continue;
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

    private void Insert(Point point)
    {
        int internalId = _index.Reserve(point.Vector);
        Volatile.Write(ref _points[internalId], new StoredPoint(point.Id, point.Payload));
        _index.Link(internalId);
        _internalIds[point.Id] = internalId;
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

        for (int i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                throw new InvalidRequestException($"Vector {what} has a non-finite component ({vector[i]}) at index {i}.");
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
}
