using VectorDb.Hnsw;

namespace VectorDb.Sparse;

/// <summary>A node and its score (a dot product: higher is better).</summary>
public readonly record struct SparseHit(int Node, float Score);

/// <summary>Work a sparse search did, for explain and benchmarks.</summary>
public sealed class SparseSearchStatistics
{
    /// <summary>Postings whose weight entered a score.</summary>
    public long PostingsScored { get; set; }

    /// <summary>Nodes whose score was computed in full.</summary>
    public long NodesScored { get; set; }
}

/// <summary>
/// An inverted index over sparse vectors (one per node): per dimension, the nodes with a weight on it, ascending,
/// and the stored vectors. <see cref="Search{TFilter}"/> answers top-k dot products exactly.
/// </summary>
/// <remarks>
/// Scores are summed in ascending dimension order, so they equal <see cref="SparseVector.Dot"/>'s to the bit; equal
/// scores rank the lower node first. Writes and searches may run from any threads (a reader-writer lock: writes are
/// short, a search holds out writers while it runs).
/// </remarks>
public sealed class SparseIndex : IDisposable
{
    private readonly Dictionary<uint, PostingList> _postings = [];
    private readonly ReaderWriterLockSlim _lock = new();
    private SparseVector?[] _vectors = new SparseVector?[16];
    private long _postingCount;

    /// <summary>Nodes that hold a vector (the N of IDF).</summary>
    public int Count { get; private set; }

    /// <summary>One more than the highest node that ever held a vector.</summary>
    public int NodeBound { get; private set; }

    /// <summary>Sets a node's vector, replacing the one it had.</summary>
    public void Set(int node, SparseVector vector)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        _lock.EnterWriteLock();
        try
        {
            RemoveLocked(node);
            if (node >= _vectors.Length)
            {
                Array.Resize(ref _vectors, Math.Max(node + 1, _vectors.Length * 2));
            }

            for (int i = 0; i < vector.Count; i++)
            {
                if (!_postings.TryGetValue(vector.Indices[i], out var list))
                {
                    _postings.Add(vector.Indices[i], list = new PostingList());
                }

                list.Add(node, vector.Values[i]);
            }

            _vectors[node] = vector;
            _postingCount += vector.Count;
            Count++;
            NodeBound = Math.Max(NodeBound, node + 1);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes a node's vector; false when it had none.</summary>
    public bool Remove(int node)
    {
        _lock.EnterWriteLock();
        try
        {
            return RemoveLocked(node);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>A node's vector, or null.</summary>
    public SparseVector? Get(int node)
    {
        _lock.EnterReadLock();
        try
        {
            return (uint)node < (uint)_vectors.Length ? _vectors[node] : null;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>How many nodes have a weight on <paramref name="dimension"/> (its document frequency).</summary>
    public int DocumentFrequency(uint dimension)
    {
        _lock.EnterReadLock();
        try
        {
            return _postings.TryGetValue(dimension, out var list) ? list.Count : 0;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// The query with each weight multiplied by its dimension's inverse document frequency over this index,
    /// ln(1 + (N − df + 0.5) / (df + 0.5)) in single precision, as Qdrant's <c>modifier: idf</c> weighs BM25 queries.
    /// </summary>
    public SparseVector WeighByIdf(SparseVector query)
    {
        _lock.EnterReadLock();
        try
        {
            var values = new float[query.Count];
            float n = Count;
            for (int i = 0; i < values.Length; i++)
            {
                float df = _postings.TryGetValue(query.Indices[i], out var list) ? list.Count : 0;
                values[i] = query.Values[i] * MathF.Log(((n - df + 0.5f) / (df + 0.5f)) + 1f);
            }

            return SparseVector.Create(query.Indices, values);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Bytes held: posting lists (capacity) and the stored vectors.</summary>
    public long MemoryBytes()
    {
        _lock.EnterReadLock();
        try
        {
            long bytes = _vectors.Length * (long)IntPtr.Size;
            foreach (var list in _postings.Values)
            {
                bytes += list.Bytes;
            }

            foreach (var vector in _vectors)
            {
                bytes += vector?.Bytes ?? 0;
            }

            return bytes;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// The <paramref name="k"/> nodes with the highest dot product with <paramref name="query"/> among those the
    /// filter accepts and that have a weight on one of its dimensions (of non-zero weight), best first. Exact: every
    /// posting of every query dimension is read into an accumulator, term at a time.
    /// </summary>
    /// <returns>How many hits <paramref name="results"/> holds (at most k; fewer when fewer nodes share a dimension).</returns>
    public int Search<TFilter>(SparseVector query, int k, Span<SparseHit> results, TFilter filter, SparseSearchStatistics? statistics = null)
        where TFilter : struct, INodeFilter
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(results.Length, k);
        _lock.EnterReadLock();
        try
        {
            var scratch = t_scratch ??= new Scratch();
            int stamp = scratch.Begin(NodeBound);
            var (stamps, scores, touched) = (scratch.Stamps, scratch.Scores, scratch.Touched);
            touched.Clear();
            long postings = 0;
            for (int t = 0; t < query.Count; t++)
            {
                float weight = query.Values[t];
                if (weight == 0 || !_postings.TryGetValue(query.Indices[t], out var list))
                {
                    continue;
                }

                var nodes = list.Nodes;
                var weights = list.Weights;
                for (int i = 0; i < nodes.Length; i++)
                {
                    int node = nodes[i];
                    if (stamps[node] != stamp)
                    {
                        stamps[node] = stamp;
                        scores[node] = 0;
                        touched.Add(node);
                    }

                    scores[node] += weight * weights[i];
                }

                postings += nodes.Length;
            }

            var heap = new TopHits(results[..k]);
            foreach (int node in touched)
            {
                if (filter.Accept(node))
                {
                    heap.Offer(node, scores[node]);
                }
            }

            if (statistics is not null)
            {
                statistics.PostingsScored += postings;
                statistics.NodesScored += touched.Count;
            }

            return heap.SortBestFirst();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>How many postings a search for <paramref name="query"/> reads (its non-zero terms' lists), and the postings per stored vector.</summary>
    public (long Postings, double PerVector) Work(SparseVector query)
    {
        _lock.EnterReadLock();
        try
        {
            long postings = 0;
            for (int t = 0; t < query.Count; t++)
            {
                if (query.Values[t] != 0 && _postings.TryGetValue(query.Indices[t], out var list))
                {
                    postings += list.Count;
                }
            }

            return (postings, Count == 0 ? 0 : _postingCount / (double)Count);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// <see cref="Search{TFilter}"/> over the given nodes only (ascending, e.g. a selective filter's matches), each scored
    /// from its stored vector: the same hits, scores and ties as the postings would give for them, at a cost that follows
    /// the number of nodes rather than the query terms' postings.
    /// </summary>
    public int SearchAmong<TFilter>(SparseVector query, int k, ReadOnlySpan<int> nodes, Span<SparseHit> results, TFilter filter)
        where TFilter : struct, INodeFilter
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(results.Length, k);
        _lock.EnterReadLock();
        try
        {
            var heap = new TopHits(results[..k]);
            foreach (int node in nodes)
            {
                if ((uint)node < (uint)_vectors.Length && _vectors[node] is { } vector && SharesTerm(query, vector) && filter.Accept(node))
                {
                    heap.Offer(node, query.Dot(vector));
                }
            }

            return heap.SortBestFirst();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

    /// <summary>Whether the vector weighs a dimension the query weighs (non-zero): what puts a node among a search's candidates.</summary>
    private static bool SharesTerm(SparseVector query, SparseVector vector)
    {
        int i = 0, j = 0;
        while (i < query.Count && j < vector.Count)
        {
            if (query.Indices[i] == vector.Indices[j])
            {
                if (query.Values[i] != 0)
                {
                    return true;
                }

                i++;
                j++;
            }
            else if (query.Indices[i] < vector.Indices[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return false;
    }

    private bool RemoveLocked(int node)
    {
        if ((uint)node >= (uint)_vectors.Length || _vectors[node] is not { } old)
        {
            return false;
        }

        foreach (uint dimension in old.Indices)
        {
            var list = _postings[dimension];
            list.Remove(node);
            if (list.Count == 0)
            {
                _postings.Remove(dimension);
            }
        }

        _vectors[node] = null;
        _postingCount -= old.Count;
        Count--;
        return true;
    }

    /// <summary>A search's accumulator over node numbers, per thread: reused, never cleared (stamped per search).</summary>
    private sealed class Scratch
    {
        public int[] Stamps = [];
        public float[] Scores = [];
        public readonly List<int> Touched = [];
        private int _stamp;

        /// <summary>A new stamp for one search; stamps from earlier searches never equal it.</summary>
        public int Begin(int nodeBound)
        {
            if (Stamps.Length < nodeBound)
            {
                Stamps = new int[Math.Max(nodeBound, Stamps.Length * 2)];
                Scores = new float[Stamps.Length];
                _stamp = 0;
            }

            if (_stamp == int.MaxValue)
            {
                Array.Clear(Stamps);
                _stamp = 0;
            }

            return ++_stamp;
        }
    }

    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>The best hits so far in a heap whose top is the worst of them (lowest score; the higher node on ties).</summary>
    private ref struct TopHits(Span<SparseHit> storage)
    {
        private readonly Span<SparseHit> _heap = storage;
        private int _count;

        public readonly bool Full => _count == _heap.Length;

        public readonly SparseHit Worst => _heap[0];

        /// <summary>Keeps the hit if it beats the worst held (or the heap has room); true when kept.</summary>
        public bool Offer(int node, float score)
        {
            var hit = new SparseHit(node, score);
            if (_count < _heap.Length)
            {
                int at = _count++;
                while (at > 0)
                {
                    int parent = (at - 1) / 2;
                    if (!Worse(hit, _heap[parent]))
                    {
                        break;
                    }

                    _heap[at] = _heap[parent];
                    at = parent;
                }

                _heap[at] = hit;
                return true;
            }

            if (!Worse(_heap[0], hit))
            {
                return false;
            }

            int i = 0;
            while (true)
            {
                int child = (2 * i) + 1;
                if (child >= _count)
                {
                    break;
                }

                if (child + 1 < _count && Worse(_heap[child + 1], _heap[child]))
                {
                    child++;
                }

                if (!Worse(_heap[child], hit))
                {
                    break;
                }

                _heap[i] = _heap[child];
                i = child;
            }

            _heap[i] = hit;
            return true;
        }

        /// <summary>Orders the held hits best first and returns their number.</summary>
        public readonly int SortBestFirst()
        {
            var held = _heap[.._count];
            held.Sort(static (a, b) => Worse(a, b) ? 1 : Worse(b, a) ? -1 : 0);
            return _count;
        }

        private static bool Worse(SparseHit a, SparseHit b) => a.Score < b.Score || (a.Score == b.Score && a.Node > b.Node);
    }
}
