namespace VectorDb.Query;

/// <summary>How a search was (or is to be) carried out.</summary>
public enum SearchStrategy
{
    /// <summary>Unfiltered HNSW search.</summary>
    Graph,

    /// <summary>Unfiltered brute-force scan (asked for with <c>exact</c>).</summary>
    Exact,

    /// <summary>The filter matches nothing; no search ran.</summary>
    NoMatches,

    /// <summary>Exact top-k over the matching points, listed from payload indexes where possible.</summary>
    ExactScan,

    /// <summary>HNSW traversal over every node, admitting only matches to the result.</summary>
    FilteredGraph,

    /// <summary>HNSW traversal over matching nodes only, looking through non-matching neighbors to theirs (ACORN-1).</summary>
    TwoHopGraph,

    /// <summary>Unfiltered HNSW search for an oversampled k, then the filter on its hits.</summary>
    PostFilter,

    /// <summary>HNSW search of the graph a tenant index keeps for the one value the filter requires.</summary>
    TenantGraph,

    /// <summary>Unfiltered: graph walked on a prefix of each vector, shortlist rescored with the whole vector.</summary>
    Adaptive,

    /// <summary>HNSW search over the links a keyword index keeps among the points holding the one value the filter requires.</summary>
    ValueLinks,

    /// <summary>
    /// Adaptive, under a filter: the matches compared on a prefix of each vector, the best rescored with the whole vector —
    /// approximate where prefix distances do not bound whole ones (cosine, dot, a rotated prefix); where they do, such a
    /// scan is exact and explained as <see cref="ExactScan"/>.
    /// </summary>
    PrefixScan,
}

/// <summary>What the planner estimated, chose and did for one search.</summary>
/// <param name="Strategy">The strategy that produced the result.</param>
/// <param name="Reason">Why it was chosen, in words.</param>
/// <param name="Estimate">Estimated matching points (null without a filter).</param>
/// <param name="Matches">Matching points counted exactly, when the plan listed them.</param>
/// <param name="EstimatedCostMicroseconds">The cost model's price for each strategy it considered.</param>
/// <param name="DistanceComputations">Vector distances computed.</param>
/// <param name="NodesVisited">Graph nodes expanded, or points examined by a scan.</param>
/// <param name="FallbackFrom">The strategy tried first when it returned fewer than k hits and an exact scan completed the answer.</param>
/// <param name="Ef">Beam width used.</param>
public sealed record SearchExplain(
    SearchStrategy Strategy,
    string Reason,
    Cardinality? Estimate,
    int? Matches,
    IReadOnlyDictionary<SearchStrategy, double> EstimatedCostMicroseconds,
    long DistanceComputations,
    long NodesVisited,
    SearchStrategy? FallbackFrom,
    int Ef)
{
    /// <summary>The prefix an adaptive-dimension search compared vectors on before rescoring; null when it compared whole vectors.</summary>
    public int? SearchDimensions { get; init; }

    /// <summary>Candidates of a walk on quantized codes whose distances were computed again from the stored rows.</summary>
    public long Rescored { get; init; }
}
