using VectorDb.Sparse;

namespace VectorDb;

/// <summary>
/// One stage of a universal query (Qdrant's <c>points/query</c>): an optional <see cref="Query"/> run over the points
/// its <see cref="Prefetch"/> stages found, or over the whole collection when it has none. Stages nest: a hybrid search
/// is a fusion over a dense stage and a sparse one.
/// </summary>
public sealed record PointQuery
{
    /// <summary>Stages run first; this stage's query then ranks (or fuses) only the points they returned. Null or empty: none.</summary>
    public IReadOnlyList<PointQuery>? Prefetch { get; init; }

    /// <summary>
    /// How this stage ranks points. Null: points in id order (a stage with prefetches needs a query to combine them).
    /// </summary>
    public QueryExpression? Query { get; init; }

    /// <summary>The vector the query compares with: <c>""</c> (the default) for the unnamed one.</summary>
    public string Using { get; init; } = "";

    /// <summary>
    /// Only points this filter matches are returned. A stage's filter also applies to every stage it prefetches from, as
    /// Qdrant does, so a prefetch never spends its limit on points the outer stage would drop.
    /// </summary>
    public Query.Filter? Filter { get; init; }

    /// <summary>How many points this stage returns at most (1..10,000).</summary>
    public int Limit { get; init; } = 10;

    /// <summary>
    /// Points scoring worse than this are dropped: a floor for similarities and fused scores, a ceiling for Euclid and
    /// Manhattan distances.
    /// </summary>
    public float? ScoreThreshold { get; init; }

    /// <summary>Beam width of a graph search this stage runs over the collection (no prefetch); null: the vector's default.</summary>
    public int? Ef { get; init; }

    /// <summary>Score every point instead of walking the graph (a stage without prefetch; a stage with one scores its candidates exactly anyway).</summary>
    public bool Exact { get; init; }

    /// <summary>Adaptive-dimension search for a nearest query over the collection; see <see cref="SearchOptions.Adaptive"/>.</summary>
    public AdaptiveSearch? Adaptive { get; init; }

    /// <summary>How a search of a quantized dense vector uses its codes (see <see cref="SearchOptions.Quantization"/>); null: the default.</summary>
    public QuantizationSearch? Quantization { get; init; }

    /// <summary>
    /// A relevance cut-off calibrated per query (ours): a nearest stage keeps only hits closer to the query than all but
    /// <see cref="RelevanceCutoff.Fraction"/> of the collection. Null: none.
    /// </summary>
    public RelevanceCutoff? Cutoff { get; init; }
}

/// <summary>
/// Keeps the hits that are among the <see cref="Fraction"/> of the collection most similar to the query. Raw scores are
/// not comparable across queries (a cosine of 0.8 is close for one query and far for another); a fraction of the
/// collection is. The threshold is the query's similarity to the point at that quantile of a uniform sample of the
/// vector's points (<see cref="Collection.CutoffSampleSize"/> of them, drawn on first use and drawn again when the
/// collection has doubled or halved since).
/// </summary>
/// <param name="Fraction">Share of the collection a kept hit must be among, in (0, 1].</param>
public sealed record RelevanceCutoff(double Fraction);

/// <summary>What a query returns besides the ranking: the outermost stage's page and what each hit carries.</summary>
public sealed record QueryOptions
{
    /// <summary>Defaults: no offset, no payloads, no vectors, no explain.</summary>
    public static QueryOptions Default { get; } = new();

    /// <summary>Hits of the outermost stage skipped before the page starts.</summary>
    public int Offset { get; init; }

    /// <summary>Include payloads in the hits.</summary>
    public bool WithPayload { get; init; }

    /// <summary>Include stored vectors (all of the point's) in the hits.</summary>
    public bool WithVector { get; init; }

    /// <summary>Report each stage's plan and how its results were combined in <see cref="QueryResults.Explain"/>.</summary>
    public bool Explain { get; init; }
}

/// <summary>A vector a query compares with: given in the request, or a stored point's.</summary>
public abstract record VectorInput
{
    /// <summary>A dense vector (or one vector compared with a multivector's).</summary>
    public static VectorInput Of(float[] vector) => new DenseInput(vector);

    /// <summary>A sparse vector.</summary>
    public static VectorInput Of(SparseVector vector) => new SparseInput(vector);

    /// <summary>Several vectors of one multivector.</summary>
    public static VectorInput Of(float[][] vectors) => new MultivectorInput(vectors);

    /// <summary>The stored vector of a point (by the stage's <see cref="PointQuery.Using"/>); the point itself is left out of the hits.</summary>
    public static VectorInput Of(PointId id) => new PointInput(id);
}

/// <summary>A dense query vector.</summary>
public sealed record DenseInput(float[] Vector) : VectorInput;

/// <summary>A sparse query vector.</summary>
public sealed record SparseInput(SparseVector Vector) : VectorInput;

/// <summary>A multivector query (MaxSim).</summary>
public sealed record MultivectorInput(float[][] Vectors) : VectorInput;

/// <summary>The stored vector of a point of the collection queried.</summary>
public sealed record PointInput(PointId Id) : VectorInput;

/// <summary>How a stage ranks points; one of the records deriving from it.</summary>
public abstract record QueryExpression;

/// <summary>Closest to a vector first; with <see cref="Mmr"/>, re-ranked for diversity.</summary>
public sealed record NearestQuery(VectorInput Vector) : QueryExpression
{
    /// <summary>Maximal marginal relevance re-ranking of the nearest candidates; null: none.</summary>
    public MmrOptions? Mmr { get; init; }

    /// <summary>Coverage selection among the nearest candidates (ours; not with <see cref="Mmr"/>); null: none.</summary>
    public CoverageOptions? Coverage { get; init; }
}

/// <summary>
/// Picks the hits that best cover the query's neighbourhood rather than the nearest ones: among the
/// <see cref="CandidatesLimit"/> nearest candidates, greedily the set whose members leave every candidate a close
/// representative (facility location: maximise the sum over candidates of their best similarity to a pick).
/// </summary>
/// <param name="CandidatesLimit">Nearest points to cover and choose from (at least the limit); null: the limit.</param>
public sealed record CoverageOptions(int? CandidatesLimit = null);

/// <summary>Maximal marginal relevance: trades similarity to the query for dissimilarity to the hits already chosen.</summary>
/// <param name="Diversity">0 (pure relevance) … 1 (pure diversity); Qdrant's default 0.5.</param>
/// <param name="CandidatesLimit">Nearest points re-ranked (at least the stage's limit); null: the limit.</param>
public sealed record MmrOptions(float Diversity = 0.5f, int? CandidatesLimit = null);

/// <summary>Combines the hits of a stage's prefetches.</summary>
/// <param name="Method">Reciprocal rank fusion or distribution-based score fusion.</param>
/// <param name="K">RRF's rank constant; null: Qdrant's default.</param>
/// <param name="Weights">RRF's weight per prefetch, in order; null: all 1.</param>
public sealed record FusionQuery(FusionMethod Method, int? K = null, IReadOnlyList<float>? Weights = null) : QueryExpression;

/// <summary>Fusion methods.</summary>
public enum FusionMethod
{
    /// <summary>Reciprocal rank fusion: a hit's score is the weighted sum of 1 / (k + rank) over the prefetches that found it.</summary>
    Rrf,

    /// <summary>Distribution-based score fusion: each prefetch's scores normalised by their mean ± 3 standard deviations, then summed.</summary>
    Dbsf,
}

/// <summary>Points in the order of a numeric payload field; a hit's score is its value.</summary>
public sealed record OrderByQuery(ScrollOrder Order) : QueryExpression;

/// <summary>Points in random order.</summary>
public sealed record SampleQuery : QueryExpression;

/// <summary>Points like the positive examples and unlike the negative ones.</summary>
public sealed record RecommendQuery(IReadOnlyList<VectorInput> Positive, IReadOnlyList<VectorInput> Negative, RecommendStrategy Strategy = RecommendStrategy.AverageVector) : QueryExpression;

/// <summary>How a recommendation uses its examples.</summary>
public enum RecommendStrategy
{
    /// <summary>One nearest search for avg(positive) + avg(positive) − avg(negative).</summary>
    AverageVector,

    /// <summary>Each point scored by its best positive example, or pushed below all such points when a negative one is closer.</summary>
    BestScore,

    /// <summary>Each point scored by its summed similarity to the positive examples minus that to the negative ones.</summary>
    SumScores,
}

/// <summary>A positive and a negative example splitting the space in two.</summary>
public sealed record ContextPair(VectorInput Positive, VectorInput Negative);

/// <summary>Points nearest the target among those on the positive side of most context pairs.</summary>
public sealed record DiscoverQuery(VectorInput Target, IReadOnlyList<ContextPair> Context) : QueryExpression;

/// <summary>Points on the positive side of the context pairs, the deeper the better; no target.</summary>
public sealed record ContextQuery(IReadOnlyList<ContextPair> Pairs) : QueryExpression;

/// <summary>
/// Qdrant's relevance feedback with the naive strategy: the target's similarity plus, for each feedback example, its
/// similarity weighed by how relevant the example was judged.
/// </summary>
public sealed record RelevanceFeedbackQuery(VectorInput Target, IReadOnlyList<FeedbackItem> Feedback, float A, float B, float C) : QueryExpression;

/// <summary>An example and the relevance score a judge gave it.</summary>
public sealed record FeedbackItem(VectorInput Example, float Score);
