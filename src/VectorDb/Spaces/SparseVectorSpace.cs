using System.Runtime.InteropServices;
using VectorDb.Hnsw;
using VectorDb.Points;
using VectorDb.Query;
using VectorDb.Sparse;

namespace VectorDb.Spaces;

/// <summary>
/// A sparse vector: an inverted index over the points that have one, searched exactly by dot product, with query
/// terms weighed by inverse document frequency when the vector's <see cref="SparseVectorOptions.Idf"/> says so.
/// </summary>
/// <remarks>
/// A vector enters the index's postings when inserted; readers never see it before it is published, because every
/// search accepts only nodes the point table holds live. Retiring is therefore only the point table's flip; the
/// postings are removed afterwards (<see cref="Repair"/>), outside the visibility lock.
/// </remarks>
internal sealed class SparseVectorSpace(string name, SparseVectorOptions options, PointTable points) : IVectorSpace
{
    private readonly SparseIndex _index = new();

    public string Name { get; } = name;

    public SparseVectorOptions Options { get; } = options;

    public int Count => _index.Count;

    public long MemoryBytes => _index.MemoryBytes();

    public bool Holds(int node) => points.IsLive(node) && _index.Get(node) is not null;

    /// <summary>Adds a point's vector on its new node (not returned by searches until the point table publishes the node).</summary>
    public void InsertUnpublished(int node, SparseVector vector) => _index.Set(node, vector);

    public void Publish(int node)
    {
    }

    public bool Retire(int node) => _index.Get(node) is not null;

    public void Repair(int node) => _index.Remove(node);

    /// <summary>A node's vector, or null when it has none.</summary>
    public SparseVector? ReadVector(int node) => _index.Get(node);

    /// <summary>
    /// The k live nodes with the highest dot product with <paramref name="query"/> (weighed by IDF when the vector says
    /// so) that <paramref name="filter"/> accepts, best first; nodes sharing no term with the query are not returned.
    /// Exact either way it runs: through the query terms' postings, checking the filter on every node they reach, or —
    /// when the filter lists fewer matches than would take reading those postings — by scoring each match from its
    /// stored vector.
    /// </summary>
    public int Search(SparseVector query, int k, NodePredicate? filter, Span<SparseHit> results, SparseSearchStatistics? statistics)
    {
        var weighed = Options.Idf ? _index.WeighByIdf(query) : query;
        var accept = new LivePointFilter(points, filter);
        if (filter is { CanList: true } && ListSelectiveMatches(weighed, filter) is { } matches)
        {
            return _index.SearchAmong(weighed, k, CollectionsMarshal.AsSpan(matches), results, accept);
        }

        return _index.Search(weighed, k, results, accept, statistics);
    }

    /// <summary>The filter's matches when scoring them one by one costs less than reading the query terms' postings; else null.</summary>
    private List<int>? ListSelectiveMatches(SparseVector query, NodePredicate filter)
    {
        var (postings, perVector) = _index.Work(query);
        var estimate = filter.Estimate(new EstimationContext(points));
        if (estimate.Max * (query.Count + perVector) >= postings)
        {
            return null;
        }

        var matches = new List<int>(estimate.Max);
        return filter.TryListMatches(points.NodeBound, matches) ? matches : null;
    }

    /// <summary>Each node's score against the query (weighed by IDF when the vector says so); NaN for a node without a vector here.</summary>
    public void Similarities(SparseVector query, ReadOnlySpan<int> nodes, Span<float> scores)
    {
        var weighed = Options.Idf ? _index.WeighByIdf(query) : query;
        for (int i = 0; i < nodes.Length; i++)
        {
            scores[i] = points.IsLive(nodes[i]) && _index.Get(nodes[i]) is { } vector ? weighed.Dot(vector) : float.NaN;
        }
    }

    public void Dispose() => _index.Dispose();

    /// <summary>Accepts the live points a filter (if any) matches.</summary>
    private readonly struct LivePointFilter(PointTable points, NodePredicate? filter) : INodeFilter
    {
        public bool Accept(int id) => points.IsLive(id) && (filter is null || filter.Matches(id));
    }
}
