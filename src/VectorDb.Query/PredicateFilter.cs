using VectorDb.Hnsw;

namespace VectorDb.Query;

/// <summary>Admits the nodes a compiled filter matches.</summary>
internal readonly struct PredicateFilter(NodePredicate predicate) : INodeFilter
{
    public bool Accept(int id) => predicate.Matches(id);
}
