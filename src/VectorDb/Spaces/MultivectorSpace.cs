using VectorDb.Distance;
using VectorDb.Hnsw;
using VectorDb.Points;
using VectorDb.Query;

namespace VectorDb.Spaces;

/// <summary>
/// A multivector (Qdrant's <c>multivector_config: {"comparator": "max_sim"}</c>): each point holds a matrix of vectors,
/// as late-interaction models (ColBERT) produce, and is scored by MaxSim — the sum over the query's vectors of the best
/// similarity to any of the point's. One HNSW graph holds every point's vectors (its own ids, each owned by a point's
/// node). A search walks it once per query vector and scores exactly every point owning a vector a walk met — not
/// only those in the walks' beams: a point near the query in MaxSim is often near no single query vector
/// (docs/benchmarks.md, "Multivectors"). An exact search scores every point.
/// </summary>
/// <remarks>
/// Similarity is the metric's score: the dot product for Dot, of unit vectors for Cosine (other metrics are refused
/// when the vector is created). A point's vectors are inserted unpublished and published, retired and repaired together.
/// </remarks>
internal sealed class MultivectorSpace : IVectorSpace
{
    private readonly PointTable _points;
    private readonly Lock _ownersLock = new();
    private int[] _owners = new int[1024]; // by graph node: the point node owning it; replaced under the lock, never resized in place
    private int[]?[] _members = new int[]?[1024]; // by point node: its graph nodes
    private int _count;

    public MultivectorSpace(string name, CollectionOptions options, PointTable points, HnswIndex? graph = null)
    {
        Name = name;
        Options = options;
        _points = points;
        Graph = graph ?? new HnswIndex(options.Dimensions, options.Distance, options.ToHnswParameters());
        if (Graph.Dimensions != options.Dimensions || Graph.Metric != options.Distance)
        {
            throw new InvalidDataException($"the graph of multivector \"{name}\" has {Graph.Dimensions} dimensions and metric {Graph.Metric}, not {options.Dimensions} and {options.Distance}");
        }
    }

    public string Name { get; }

    /// <summary>The settings of each of the vectors (dimension, metric, graph).</summary>
    public CollectionOptions Options { get; }

    /// <summary>The graph of every point's vectors, which checkpoints save.</summary>
    public HnswIndex Graph { get; }

    public int Count => Volatile.Read(ref _count);

    public long MemoryBytes => Graph.MemoryBytes + (Volatile.Read(ref _owners).Length * (long)sizeof(int)) + (Volatile.Read(ref _members).Length * (long)IntPtr.Size)
        + (Graph.AllocatedCount * (long)sizeof(int)); // the members' arrays hold one id per graph node

    public bool Holds(int node) => Members(node) is [int first, ..] && Graph.IsLive(first);

    /// <summary>The graph nodes holding a point's vectors, or null.</summary>
    public int[]? Members(int node)
    {
        var members = Volatile.Read(ref _members);
        return (uint)node < (uint)members.Length ? Volatile.Read(ref members[node]) : null;
    }

    /// <summary>Stores a point's vectors on new graph nodes and links them, unpublished; parallel calls take distinct point nodes.</summary>
    public void InsertUnpublished(int node, float[][] vectors)
    {
        var members = new int[vectors.Length];
        for (int i = 0; i < vectors.Length; i++)
        {
            lock (_ownersLock)
            {
                members[i] = Graph.Reserve(vectors[i]);
                Own(members[i], node);
            }
        }

        foreach (int member in members)
        {
            Graph.Link(member, publish: false);
        }

        Attach(node, members);
    }

    /// <summary>Recovery: attaches graph nodes a snapshot holds to the point that owns them.</summary>
    /// <exception cref="InvalidDataException">A node is out of the graph, not live or owned twice.</exception>
    public void Restore(int node, int[] members)
    {
        foreach (int member in members)
        {
            if ((uint)member >= (uint)Graph.AllocatedCount || !Graph.IsLive(member) || Owner(member) != -1)
            {
                throw new InvalidDataException($"multivector \"{Name}\" of node {node} refers to graph node {member}, which is not a distinct live node");
            }

            lock (_ownersLock)
            {
                Own(member, node);
            }
        }

        Attach(node, members);
        Interlocked.Increment(ref _count);
    }

    public void Publish(int node)
    {
        foreach (int member in Members(node) ?? [])
        {
            Graph.Publish(member);
        }

        Interlocked.Increment(ref _count);
    }

    public bool Retire(int node)
    {
        bool retired = false;
        foreach (int member in Members(node) ?? [])
        {
            retired |= Graph.Retire(member);
        }

        if (retired)
        {
            Interlocked.Decrement(ref _count);
        }

        return retired;
    }

    public void Repair(int node)
    {
        foreach (int member in Members(node) ?? [])
        {
            Graph.Repair(member);
        }

        lock (_ownersLock)
        {
            Volatile.Write(ref _members[node], null);
        }
    }

    /// <summary>A point's vectors as the graph stores them (unit length for Cosine), or null.</summary>
    public float[][]? ReadVector(int node) =>
        Members(node) is { } members && members.Length > 0 && Graph.IsLive(members[0])
            ? [.. members.Select(member => { var row = new float[Options.Dimensions]; Graph.CopyVector(member, row); return row; })]
            : null;

    /// <summary>
    /// The k live points with the highest MaxSim to <paramref name="query"/> that <paramref name="filter"/> accepts, best
    /// first. Exact (every point scored) when <paramref name="exact"/>; otherwise one walk of width <paramref name="ef"/>
    /// per query vector, and every point owning a vector a walk scored is scored exactly.
    /// </summary>
    public int Search(float[][] query, int k, int ef, bool exact, NodePredicate? filter, Span<Neighbor> results, CancellationToken cancellation)
    {
        int found = Score(exact ? AllPoints(filter) : Touched(query, Math.Max(ef, k), filter), query, k, results, cancellation);

        // Walks that met fewer than k accepted points (a selective filter) are completed by scoring every match.
        return found < k && !exact ? Score(AllPoints(filter), query, k, results, cancellation) : found;
    }

    /// <summary>Each node's MaxSim with the query; NaN for a node without a multivector here.</summary>
    public void Similarities(float[][] query, ReadOnlySpan<int> nodes, Span<float> scores)
    {
        float[] prepared = Flatten(query);
        var similarities = new float[query.Length];
        for (int i = 0; i < nodes.Length; i++)
        {
            if (!_points.IsLive(nodes[i]) || Members(nodes[i]) is not { } members)
            {
                scores[i] = float.NaN;
                continue;
            }

            scores[i] = MaxSim(prepared, members, similarities);
        }
    }

    public void Dispose() => Graph.Dispose();

    /// <summary>Scores the candidates exactly and writes the best k to <paramref name="results"/>, best first; returns their count.</summary>
    private int Score(IEnumerable<int> candidates, float[][] query, int k, Span<Neighbor> results, CancellationToken cancellation)
    {
        float[] prepared = Flatten(query);
        var best = new PriorityQueue<int, (float Score, int Node)>(k + 1, Comparer<(float Score, int Node)>.Create((a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Node.CompareTo(a.Node)));
        var similarities = new float[query.Length];
        int scored = 0;
        foreach (int node in candidates)
        {
            if ((++scored & 1023) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }

            if (Members(node) is not { } members)
            {
                continue;
            }

            float score = MaxSim(prepared, members, similarities);
            best.Enqueue(node, (score, node));
            if (best.Count > k)
            {
                best.Dequeue();
            }
        }

        int found = best.Count;
        for (int i = found - 1; i >= 0; i--)
        {
            best.TryDequeue(out int node, out var priority);
            results[i] = new Neighbor(node, -priority.Score); // distances: lower is better
        }

        return found;
    }

    /// <summary>The sum over the query's vectors (<paramref name="prepared"/>, one per slot of <paramref name="similarities"/>) of the best dot product with one of the members' rows.</summary>
    private float MaxSim(float[] prepared, int[] members, float[] similarities)
    {
        Array.Fill(similarities, float.NegativeInfinity);
        Graph.RaiseToMaxDot(prepared, similarities.Length, members, similarities);
        float score = 0;
        foreach (float similarity in similarities)
        {
            score += similarity;
        }

        return score;
    }

    /// <summary>The query's vectors end to end, each of unit length for Cosine, as rows are compared with them.</summary>
    private float[] Flatten(float[][] query)
    {
        int dimensions = Options.Dimensions;
        var flat = new float[query.Length * dimensions];
        for (int q = 0; q < query.Length; q++)
        {
            var target = flat.AsSpan(q * dimensions, dimensions);
            query[q].CopyTo(target);
            if (Options.Distance == DistanceMetric.Cosine)
            {
                float norm = VectorMath.Norm(target);
                System.Numerics.Tensors.TensorPrimitives.Divide(target, norm, target);
            }
        }

        return flat;
    }

    /// <summary>The owners of every vector the walks (one per query vector, of width <paramref name="ef"/>) scored, each once.</summary>
    private HashSet<int> Touched(float[][] query, int ef, NodePredicate? filter)
    {
        var owners = new HashSet<int>();
        var seen = new List<Neighbor>();
        var accept = new OwnerFilter(this, filter);
        foreach (var vector in query)
        {
            seen.Clear();
            Graph.Explore(vector, ef, accept, seen);
            foreach (var neighbor in seen)
            {
                owners.Add(Owner(neighbor.Id));
            }
        }

        return owners;
    }

    private IEnumerable<int> AllPoints(NodePredicate? filter)
    {
        var members = Volatile.Read(ref _members);
        for (int node = 0; node < members.Length; node++)
        {
            if (members[node] is not null && _points.IsLive(node) && (filter is null || filter.Matches(node)))
            {
                yield return node;
            }
        }
    }

    private int Owner(int member)
    {
        var owners = Volatile.Read(ref _owners);
        return (uint)member < (uint)owners.Length ? Volatile.Read(ref owners[member]) - 1 : -1;
    }

    /// <summary>Records a graph node's owner (stored plus one, so 0 means none); the caller holds the owners' lock.</summary>
    private void Own(int member, int node)
    {
        if (member >= _owners.Length)
        {
            var grown = new int[Math.Max(member + 1, _owners.Length * 2)];
            Array.Copy(_owners, grown, _owners.Length);
            Volatile.Write(ref _owners, grown);
        }

        Volatile.Write(ref _owners[member], node + 1);
    }

    private void Attach(int node, int[] members)
    {
        lock (_ownersLock)
        {
            if (node >= _members.Length)
            {
                var grown = new int[]?[Math.Max(node + 1, _members.Length * 2)];
                Array.Copy(_members, grown, _members.Length);
                Volatile.Write(ref _members, grown);
            }

            Volatile.Write(ref _members[node], members);
        }
    }

    /// <summary>Accepts the graph nodes whose owner is a live point the filter (if any) matches.</summary>
    private readonly struct OwnerFilter(MultivectorSpace space, NodePredicate? filter) : INodeFilter
    {
        public bool Accept(int id) => space.Owner(id) is int owner && owner >= 0 && space._points.IsLive(owner) && (filter is null || filter.Matches(owner));
    }
}
