using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// Deletes a node: it is never returned again, and its neighbors' links are repaired so that search
    /// quality does not decay as deletions accumulate. The node stays in the graph as a tombstone: links
    /// from nodes it does not link back to may still pass through it, which keeps the graph connected.
    /// </summary>
    /// <returns>False when the node was not live.</returns>
    public bool Delete(int id)
    {
        if (!Retire(id))
        {
            return false;
        }

        Repair(id);
        return true;
    }

    /// <summary>
    /// First half of <see cref="Delete"/>, and cheap: from now on the node is never returned or counted.
    /// A caller retires a batch of nodes at once, then repairs around each with <see cref="Repair"/>.
    /// </summary>
    /// <returns>False when the node was not live.</returns>
    public bool Retire(int id)
    {
        EnterShared(); // the state array is replaced when it grows: flip the flag in the current one
        try
        {
            if (!IsAllocated(id) || Interlocked.CompareExchange(ref _states[id], StateDeleted, StateLive) != StateLive)
            {
                return false;
            }

            Interlocked.Decrement(ref _liveCount);
            return true;
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>
    /// True when <paramref name="id"/> may take a new vector (<see cref="Reserve(int, ReadOnlySpan{float})"/>): it is
    /// empty, or deleted and not the node every walk starts from. The caller has repaired around it.
    /// </summary>
    public bool CanReuse(int id) =>
        !IsAllocated(id) || (_states[id] is StateReserved or StateDeleted && UnpackEntry(Volatile.Read(ref _entry)).Node != id);

    /// <summary>Second half of <see cref="Delete"/>: relinks the neighbors of a retired node.</summary>
    public void Repair(int id)
    {
        EnterShared();
        var context = RentContext();
        try
        {
            if (!IsAllocated(id) || _states[id] != StateDeleted)
            {
                return;
            }

            Dispatch<RepairOperation, bool>(new(this, id, context));
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>
    /// For each neighbor that links to the deleted node, replaces that link: the neighbor's new list is
    /// the heuristic's choice among its other links and the deleted node's links (its "second hop"), as in
    /// hnswlib's repair on update.
    /// </summary>
    private void RepairAround<TDistance>(int deleted, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        int levels = _levels[deleted];
        var snapshot = context.LinkSnapshot;
        for (int layer = 0; layer <= levels; layer++)
        {
            var block = Block(deleted, layer);
            int count = Math.Min(Volatile.Read(ref block[0]), snapshot.Length);
            block.Slice(1, count).CopyTo(snapshot);
            int maxLinks = layer == 0 ? 2 * M : M;
            for (int i = 0; i < count; i++)
            {
                int neighbor = snapshot[i];
                if (_states[neighbor] != StateDeleted)
                {
                    Relink<TDistance>(neighbor, deleted, snapshot.AsSpan(0, count), layer, maxLinks, context);
                    RescueOrphans<TDistance>(context);
                }
            }

            if (layer == 0)
            {
                // In-degree counts links from nodes that are not deleted: once its in-neighbors are relinked,
                // nothing may lead to the tombstone any more, so its out-links no longer make a node reachable.
                for (int i = 0; i < count; i++)
                {
                    int neighbor = snapshot[i];
                    if (Interlocked.Decrement(ref _inDegree[neighbor]) <= 0 && _states[neighbor] != StateDeleted)
                    {
                        context.Orphans.Add(neighbor);
                    }
                }

                RescueOrphans<TDistance>(context);
            }
        }
    }

    private void Relink<TDistance>(int node, int deleted, ReadOnlySpan<int> secondHop, int layer, int maxLinks, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        lock (LockFor(node))
        {
            var block = Block(node, layer);
            int count = block[0];
            if (block.Slice(1, count).IndexOf(deleted) < 0)
            {
                return;
            }

            var visited = context.Visited;
            visited.Clear();
            visited.TryVisit(node);
            visited.TryVisit(deleted);
            ref float origin = ref RowAsQuery(node, context.Origin);
            var candidates = context.PruneCandidates;
            int n = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                var source = pass == 0 ? block.Slice(1, count) : secondHop;
                foreach (int candidate in source)
                {
                    if (n < candidates.Length && _states[candidate] != StateDeleted && visited.TryVisit(candidate))
                    {
                        candidates[n++] = new Neighbor(candidate, TDistance.Compute(ref origin, ref VectorRef(candidate), (nuint)_dimensions));
                    }
                }
            }

            var span = candidates.AsSpan(0, n);
            SortByDistance(span);
            int kept = SelectNeighbors<TDistance>(span, maxLinks, context.PruneSelected, context);
            WriteLinks(block, layer, context.PruneSelected.AsSpan(0, kept), context);
        }
    }
}
