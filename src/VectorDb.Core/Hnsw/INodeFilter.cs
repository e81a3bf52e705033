namespace VectorDb.Hnsw;

/// <summary>
/// Decides which nodes a search may return. Rejected nodes are still traversed, so a filter never
/// disconnects the graph. Implemented by structs so the check inlines into the search loop.
/// </summary>
public interface INodeFilter
{
    /// <summary>
    /// True when the node may be part of the result. Called for any node a search meets, also deleted ones and
    /// ones still being inserted (the search drops those itself, after asking the filter).
    /// </summary>
    bool Accept(int id);
}

/// <summary>The filter that accepts every node.</summary>
public readonly struct AcceptAll : INodeFilter
{
    /// <inheritdoc />
    public bool Accept(int id) => true;
}
