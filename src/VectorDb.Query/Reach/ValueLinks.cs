using VectorDb.Hnsw;

namespace VectorDb.Query.Reach;

/// <summary>
/// The links among the points holding one value of a keyword index, on the index's link layer of the collection's
/// graph (<see cref="HnswIndex.AddLinkLayer"/>). A walk of the whole graph filtered on the value reaches its points
/// only through other points, and misses those lying among other values' points; these links join them directly.
/// </summary>
internal sealed class ValueLinks(HnswIndex graph, int layer, int[] anchors, IValueMembers members)
{
    private volatile bool _ready;

    public HnswIndex Graph => graph;

    /// <summary>The link layer's handle.</summary>
    public int Layer => layer;

    /// <summary>Points of the value linked first: where linking and searches may start.</summary>
    public int[] Anchors => anchors;

    /// <summary>The points holding the value.</summary>
    public IValueMembers Members => members;

    /// <summary>The points holding the value, as the graph's walks and links admit nodes.</summary>
    public MembersFilter Filter => new(members);

    /// <summary>True once every point that held the value when linking began is linked; searches wait for that.</summary>
    public bool Ready => _ready;

    public void MarkReady() => _ready = true;

    /// <summary>Admits the points holding the value.</summary>
    public readonly struct MembersFilter(IValueMembers members) : INodeFilter
    {
        public bool Accept(int id) => members.Holds(id);
    }
}
