using System.Runtime.CompilerServices;

namespace VectorDb.Hnsw;

/// <summary>
/// Sees every node a layer search computes a distance for, whether or not it stays in the beam. A struct, so a
/// walk that ignores them (<see cref="IgnoreWalk"/>) compiles to exactly the plain loop.
/// </summary>
internal interface IWalkObserver
{
    void Observe<TFilter>(TFilter filter, int node, float distance)
        where TFilter : struct, INodeFilter;

    /// <summary>A node the walk's filter has accepted already (a two-hop walk scores only those, and footholds).</summary>
    void ObserveAccepted(int node, float distance);
}

/// <summary>The observer of walks that need none (plain searches): nothing.</summary>
internal readonly struct IgnoreWalk : IWalkObserver
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Observe<TFilter>(TFilter filter, int node, float distance)
        where TFilter : struct, INodeFilter
    {
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ObserveAccepted(int node, float distance)
    {
    }
}

/// <summary>
/// Lists every accepted node the walk computed a distance for: an adaptive search takes its shortlist from them,
/// which can be longer than the beam, since a narrow beam over cheap prefix distances sees many more nodes than it keeps;
/// an insert (on the graph or a link layer) whose beam near copies crowd chooses its neighbours among them.
/// </summary>
internal readonly struct SeenWalk(NeighborList seen) : IWalkObserver
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Observe<TFilter>(TFilter filter, int node, float distance)
        where TFilter : struct, INodeFilter
    {
        if (filter.Accept(node))
        {
            seen.Add(node, distance);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ObserveAccepted(int node, float distance) => seen.Add(node, distance);
}
