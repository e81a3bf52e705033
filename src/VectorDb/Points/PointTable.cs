using System.Collections.Concurrent;
using VectorDb.Query;

namespace VectorDb.Points;

/// <summary>
/// A collection's points by internal node: the external ↔ internal id map, each node's id and payload, which nodes
/// are live, and the visibility lock that makes a write's batch appear to readers all at once. Nodes are handed out
/// here; every vector space of the collection keeps a point's vector under the point's node.
/// </summary>
/// <remarks>
/// Reads hold visibility shared for their whole read; a write makes all of its batch visible (or invisible) while
/// holding it exclusively, so no read sees half a batch. The slow parts of a write (linking, repairing links) happen
/// outside it, on nodes readers do not return yet. Writers are serialised by the collection.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design",
    "CA1001:Types that own disposable fields should be disposable",
    Justification = "The visibility lock lives as long as the collection, which readers may still hold after it is dropped.")]
internal sealed class PointTable(string collection, Func<string, Func<int, bool>?> vectorHolders) : IPointSource
{
    private readonly ConcurrentDictionary<PointId, int> _nodes = new();
    private readonly ReaderWriterLockSlim _visibility = new(LockRecursionPolicy.NoRecursion);
    private StoredPoint?[] _points = new StoredPoint?[1024]; // by node; replaced (with _live, under visibility), never resized in place
    private bool[] _live = new bool[1024];
    private int _allocated;
    private readonly Queue<int> _free = new();
    private int _liveCount;
    private long _payloadBytes;
    private volatile bool _dropped;
    private volatile bool _closed;

    /// <summary>True once the collection was dropped or closed: reads find it gone.</summary>
    public bool Dropped => _dropped;

    /// <inheritdoc />
    public int NodeBound => Math.Min(Volatile.Read(ref _points).Length, Volatile.Read(ref _allocated));

    /// <inheritdoc />
    public int LiveCount => Volatile.Read(ref _liveCount);

    /// <summary>The live points' payloads' size as their JSON text is kept, in bytes.</summary>
    public long PayloadBytes => Interlocked.Read(ref _payloadBytes);

    /// <summary>The ids of every point, with their nodes, in no order.</summary>
    public IEnumerable<KeyValuePair<PointId, int>> Nodes => _nodes;

    /// <inheritdoc />
    public bool TryGetNode(PointId id, out int node) => _nodes.TryGetValue(id, out node);

    /// <inheritdoc />
    public Func<int, bool>? VectorHolders(string vector) => vectorHolders(vector);

    /// <summary>True when a point with this id exists.</summary>
    public bool Contains(PointId id) => _nodes.ContainsKey(id);

    /// <summary>True when the node holds a published point that was not deleted or replaced since.</summary>
    public bool IsLive(int node)
    {
        var live = Volatile.Read(ref _live);
        return (uint)node < (uint)live.Length && Volatile.Read(ref live[node]);
    }

    /// <inheritdoc />
    public bool TryGetPoint(int node, out PointId id, out Payload? payload)
    {
        if (IsLive(node) && Stored(node) is { } stored)
        {
            (id, payload) = (stored.Id, stored.Payload);
            return true;
        }

        (id, payload) = (default, null);
        return false;
    }

    /// <summary>The id and payload recorded on a node (published or not), or null.</summary>
    public StoredPoint? Stored(int node)
    {
        var points = Volatile.Read(ref _points);
        return (uint)node < (uint)points.Length ? Volatile.Read(ref points[node]) : null;
    }

    /// <summary>Nodes given back (<see cref="Free"/>) and not yet handed out again.</summary>
    public int FreeCount => _free.Count;

    /// <summary>
    /// Hands out <paramref name="count"/> nodes: freed ones that <paramref name="reusable"/> accepts first (oldest
    /// first), then new ones, grown into; only new ones when it is null. A freed node refused is dropped from the list
    /// for good (the node a graph's walks start from, typically). Writers only.
    /// </summary>
    public int[] Allocate(int count, Func<int, bool>? reusable)
    {
        var nodes = new int[count];
        int taken = 0;
        while (reusable is not null && taken < count && _free.TryDequeue(out int node))
        {
            if (reusable(node))
            {
                nodes[taken++] = node;
            }
        }

        int first = _allocated;
        EnsureCapacity(first + count - taken);
        for (int i = taken; i < count; i++)
        {
            nodes[i] = first + i - taken;
        }

        Volatile.Write(ref _allocated, first + count - taken);
        return nodes;
    }

    /// <summary>
    /// Gives back a node whose point was retired (<see cref="Retire"/>) and whose vector spaces were repaired around
    /// it, for a later write to reuse, so that the collection's per-node memory follows its live points rather than how
    /// often they were rewritten (multivector members and tenant graphs, which have nodes of their own, still grow). Writers only.
    /// </summary>
    public void Free(int node)
    {
        if (!_live[node] && _points[node] is null)
        {
            _free.Enqueue(node);
        }
    }

    /// <summary>Recovery: nodes below <paramref name="bound"/> are taken (by a restored vector space or point).</summary>
    public void AllocatedUpTo(int bound)
    {
        EnsureCapacity(bound);
        Volatile.Write(ref _allocated, Math.Max(_allocated, bound));
    }

    /// <summary>Recovery, once every point is restored: the nodes below the bound that hold none are free.</summary>
    public void FreeUnused()
    {
        _free.Clear();
        for (int node = 0; node < _allocated; node++)
        {
            Free(node);
        }
    }

    /// <summary>
    /// Records a point on a node: one readers do not see yet (it is not published), or a live one whose payload changes
    /// (the caller then holds visibility exclusively). The payload is kept as a packed copy allocated right before the
    /// record, so that reading a hit's payload after a search touches the memory its record already brought in.
    /// </summary>
    public void Record(int node, PointId id, Payload? payload)
    {
        var point = new StoredPoint(id, payload?.Packed());
        var old = Volatile.Read(ref _points[node]);
        Volatile.Write(ref _points[node], point);
        if (_live[node])
        {
            Interlocked.Add(ref _payloadBytes, PayloadSize(point) - PayloadSize(old));
        }
    }

    /// <summary>Makes a recorded node's point visible; the caller holds visibility exclusively (or is recovering).</summary>
    public void Publish(int node)
    {
        if (!_live[node])
        {
            Volatile.Write(ref _live[node], true);
            _liveCount++;
            Interlocked.Add(ref _payloadBytes, PayloadSize(_points[node]));
        }
    }

    /// <summary>Takes a node's point out of reads and forgets it; false when it was not live. The caller holds visibility exclusively.</summary>
    public bool Retire(int node)
    {
        var old = Volatile.Read(ref _points[node]);
        Volatile.Write(ref _points[node], null);
        if (!_live[node])
        {
            return false;
        }

        Interlocked.Add(ref _payloadBytes, -PayloadSize(old));
        Volatile.Write(ref _live[node], false);
        _liveCount--;
        return true;
    }

    private static long PayloadSize(StoredPoint? point) => point?.Payload?.Bytes ?? 0;

    /// <summary>Points an id at a node; the caller holds visibility exclusively.</summary>
    public void Map(PointId id, int node) => _nodes[id] = node;

    /// <summary>Forgets an id, returning the node it was on; the caller holds visibility exclusively.</summary>
    public bool Unmap(PointId id, out int node) => _nodes.TryRemove(id, out node);

    /// <summary>Grows the node arrays, so parallel inserts never resize them; replaced while reads are kept out.</summary>
    private void EnsureCapacity(int required)
    {
        if (required <= _points.Length)
        {
            return;
        }

        int size = Math.Max(required, _points.Length * 2);
        var points = new StoredPoint?[size];
        var live = new bool[size];
        using (WriteVisible())
        {
            Array.Copy(_points, points, _points.Length);
            Array.Copy(_live, live, _live.Length);
            Volatile.Write(ref _points, points);
            Volatile.Write(ref _live, live);
        }
    }

    /// <summary>Holds visibility shared for a read; a collection dropped meanwhile is not found.</summary>
    /// <exception cref="CollectionNotFoundException">The collection was dropped.</exception>
    public VisibilityScope ReadVisible()
    {
        _visibility.EnterReadLock();
        if (_dropped)
        {
            _visibility.ExitReadLock();
            throw Gone();
        }

        return new VisibilityScope(_visibility, exclusive: false);
    }

    /// <summary>Holds visibility exclusively, to make a write's changes visible at once.</summary>
    public VisibilityScope WriteVisible()
    {
        _visibility.EnterWriteLock();
        return new VisibilityScope(_visibility, exclusive: true);
    }

    /// <summary>
    /// Waits for running reads, then makes later ones find the collection gone: dropped, or, when
    /// <paramref name="closed"/>, closed with its database.
    /// </summary>
    public void MarkDropped(bool closed = false)
    {
        using (WriteVisible())
        {
            _closed = closed;
            _dropped = true;
        }
    }

    /// <exception cref="CollectionNotFoundException">The collection was dropped.</exception>
    /// <exception cref="ObjectDisposedException">Its database was closed.</exception>
    public void ThrowIfDropped()
    {
        if (_dropped)
        {
            throw Gone();
        }
    }

    private Exception Gone() => _closed
        ? new ObjectDisposedException(collection, $"Collection {collection} belongs to a database that was closed (disposed); open the database again and get the collection from it.")
        : new CollectionNotFoundException(collection);

    /// <summary>Releases the visibility lock it was taken with.</summary>
    public readonly struct VisibilityScope(ReaderWriterLockSlim gate, bool exclusive) : IDisposable
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
}

/// <summary>What the point table holds for a node: the point's id and payload.</summary>
internal sealed record StoredPoint(PointId Id, Payload? Payload);
