using VectorDb.Hnsw;

namespace VectorDb.Query.Planning;

/// <summary>
/// One way to answer a search, as the planner chose and priced it: its strategy, the reason it was chosen and its
/// estimated cost, and how to run it. A plan that may miss matches (a graph walk) has a short answer completed by an
/// exact scan (<see cref="PlanRunner"/>). The reason is put in words only when read: most searches do not ask for
/// explain, and formatted for every plan priced the reasons took 1.6 % of a filtered adaptive search's time.
/// </summary>
internal abstract class SearchPlan(SearchStrategy strategy, Func<string> reason, double? costMicroseconds = null)
{
    private string? _reason;

    /// <summary>What explain calls the plan.</summary>
    public SearchStrategy Strategy => strategy;

    /// <summary>Why it was chosen, in words.</summary>
    public string Reason => _reason ??= reason();

    /// <summary>The reason not yet in words, for a plan that takes this one's over (a completing scan, a walk entering elsewhere).</summary>
    public Func<string> LazyReason => () => Reason;

    /// <summary>The cost model's price for it, in microseconds; null when it was not priced (no filter, or forced).</summary>
    public double? CostMicroseconds => costMicroseconds;

    /// <summary>Matching points counted exactly while running, when the plan listed them.</summary>
    public int? Matches { get; protected set; }

    /// <summary>True when fewer than k hits may mean matches were missed (a walk), rather than that there are no more.</summary>
    public virtual bool MayMissMatches => true;

    /// <summary>The prefix the plan compares vectors on, for an adaptive-dimension search; null when it compares whole vectors.</summary>
    public virtual int? SearchDimensions => null;

    /// <summary>
    /// The same plan comparing a prefix of each vector first and rescoring a shortlist with the whole vector; one that
    /// searches another graph than <paramref name="graph"/> (a tenant's) runs as it is, explained so.
    /// </summary>
    public virtual SearchPlan OnPrefix(PrefixSearch prefix, HnswIndex graph, int k) => new WholeVectorPlan(this);

    /// <summary>Runs the plan: fills <paramref name="results"/>, nearest first, and adds the work done to <paramref name="statistics"/>.</summary>
    /// <returns>How many neighbors were written.</returns>
    public abstract int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics);
}

/// <summary>What every plan runs with: the graph, the query, k and the beam, the filter (null: none).</summary>
internal readonly ref struct PlanInput
{
    public PlanInput(HnswIndex graph, ReadOnlySpan<float> query, int k, int ef, NodePredicate? filter, CancellationToken cancellation)
    {
        Graph = graph;
        Query = query;
        K = k;
        Ef = ef;
        Filter = filter;
        Cancellation = cancellation;
    }

    public HnswIndex Graph { get; }

    public ReadOnlySpan<float> Query { get; }

    public int K { get; }

    public int Ef { get; }

    public NodePredicate? Filter { get; }

    public CancellationToken Cancellation { get; }

    /// <summary>How walks use the graph's codes, when it keeps them.</summary>
    public QuantizationSearch Quantization { get; init; }

    /// <summary>The filter, which a filtered plan is only built for.</summary>
    public NodePredicate Predicate => Filter ?? throw new InvalidOperationException("A filtered plan ran without a filter.");
}
