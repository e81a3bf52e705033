using VectorDb.Hnsw;
using VectorDb.Query;

namespace VectorDb.PayloadIndexing;

/// <summary>
/// The links among the points holding one value of a keyword index, on the index's link layer of the collection's
/// graph (<see cref="HnswIndex.AddLinkLayer"/>). A walk of the whole graph filtered on the value reaches its points
/// only through other points, and misses those lying among other values' points; these links join them directly.
/// </summary>
internal sealed class ValueLinks(HnswIndex graph, int layer, int[] anchors, NodePredicate members)
{
    private volatile bool _ready;

    public HnswIndex Graph => graph;

    /// <summary>The link layer's handle.</summary>
    public int Layer => layer;

    /// <summary>Points of the value linked first: where linking and searches may start.</summary>
    public int[] Anchors => anchors;

    /// <summary>The points holding the value.</summary>
    public NodePredicate Members => members;

    public PredicateFilter MembersFilter => new(members);

    /// <summary>True once every point that held the value when linking began is linked; searches wait for that.</summary>
    public bool Ready => _ready;

    public void MarkReady() => _ready = true;
}
