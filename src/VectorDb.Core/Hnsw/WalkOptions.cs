namespace VectorDb.Hnsw;

/// <summary>
/// How a filtered layer-0 walk goes beyond the plain beam search: two hops through the nodes its filter rejects,
/// footholds and an entry given by the caller, and extra link layers (<see cref="HnswIndex.AddLinkLayer"/>) to follow.
/// The default is the plain walk.
/// </summary>
public readonly ref struct WalkOptions
{
    /// <summary>The plain walk: one hop, no seeds, entered by descending the upper layers, no extra link layers.</summary>
    public WalkOptions()
    {
    }

    /// <summary>
    /// False: rejected nodes are traversed like any other (distance computed, expanded), only kept out of the result —
    /// best when most nodes match. True (ACORN-1): distances are computed for accepted nodes only, and a rejected
    /// neighbor is looked through to its own neighbors, so the walk stays connected over the accepted subgraph without
    /// paying for the rejected majority — best for selective filters.
    /// </summary>
    public bool TwoHop { get; init; }

    /// <summary>
    /// Nodes the filter accepts that join the beam next to the graph's entry point: footholds among the matches for a
    /// query whose own neighborhood holds none.
    /// </summary>
    public ReadOnlySpan<int> Seeds { get; init; }

    /// <summary>
    /// The share of nodes the filter accepts, when known (0 otherwise). A two-hop expansion looks at up to
    /// M₀·(2 − share) matches: where most nodes match, its own neighbors and a few second hops already give it enough.
    /// </summary>
    public double AcceptedShare { get; init; }

    /// <summary>Where to enter layer 0, found by an earlier descent for the same query; null to descend the upper layers.</summary>
    public Neighbor? Entry { get; init; }

    /// <summary>
    /// An extra link layer whose links lead from an accepted node to nodes the filter accepts too (e.g. links among the
    /// nodes sharing a property the filter asks for): a two-hop expansion of a match also takes them. Null for none.
    /// </summary>
    public int? FollowLayer { get; init; }

    /// <summary>
    /// An extra link layer whose links lead from a rejected node to nodes the filter is likely to accept (e.g. links to
    /// the nearest nodes not sharing the property the filter rejects it for): a two-hop walk looks through a rejected node
    /// along them instead of along its graph links, or along its graph links when it has none here. Null for none.
    /// </summary>
    public int? LookThroughLayer { get; init; }

    /// <summary>
    /// How the walk uses the index's codes when it keeps them (<see cref="HnswIndex.Quantize"/>); the default walks the
    /// codes and rescores k candidates with the stored rows.
    /// </summary>
    public QuantizationSearch Quantization { get; init; }
}
