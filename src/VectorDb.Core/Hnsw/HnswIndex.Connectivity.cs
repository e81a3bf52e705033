using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// Rewrites a link block (caller holds the node's lock). On layer 0 it keeps each node's in-degree (links
    /// from nodes that are not deleted; a delete takes its out-links off the count) and
    /// records nodes that just lost their last in-link: heuristic pruning does that to about 0.15% of nodes on
    /// data with near-duplicates (Fashion-MNIST), and such a node can no longer be found by any search.
    /// </summary>
    private void WriteLinks(Span<int> block, int layer, ReadOnlySpan<int> links, SearchContext context)
    {
        if (layer == 0)
        {
            var old = block.Slice(1, block[0]);
            foreach (int id in links)
            {
                if (old.IndexOf(id) < 0)
                {
                    Interlocked.Increment(ref _inDegree[id]);
                }
            }

            foreach (int id in old)
            {
                if (links.IndexOf(id) < 0 && Interlocked.Decrement(ref _inDegree[id]) <= 0 && _states[id] != StateDeleted)
                {
                    context.Orphans.Add(id);
                }
            }
        }

        links.CopyTo(block[1..]);
        Volatile.Write(ref block[0], links.Length);
    }

    /// <summary>Appends one link to a block that has room (caller holds the node's lock).</summary>
    private void AppendLink(Span<int> block, int layer, int id)
    {
        int count = block[0];
        block[count + 1] = id;
        Volatile.Write(ref block[0], count + 1);
        if (layer == 0)
        {
            Interlocked.Increment(ref _inDegree[id]);
        }
    }

    /// <summary>
    /// Gives every orphan recorded by <see cref="WriteLinks"/> an in-link again, from its nearest live
    /// out-neighbor: into a free slot if one of them has room, else in place of the nearest one's farthest
    /// link whose target keeps another in-link, so no new orphan is made. Call without holding node locks.
    /// </summary>
    private void RescueOrphans<TDistance>(SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        var orphans = context.Orphans;
        while (orphans.Count > 0)
        {
            int orphan = orphans[^1];
            orphans.RemoveAt(orphans.Count - 1);
            if (Volatile.Read(ref _inDegree[orphan]) <= 0 && _states[orphan] != StateDeleted)
            {
                Rescue<TDistance>(orphan, context);
            }
        }
    }

    private void Rescue<TDistance>(int orphan, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        ref float origin = ref RowAsQuery(orphan, context.Origin);
        var candidates = context.RescueCandidates;
        int n = 0;
        lock (LockFor(orphan))
        {
            var own = BaseLinks(orphan);
            for (int i = 1; i <= own[0]; i++)
            {
                int neighbor = own[i];
                if (neighbor != orphan && _states[neighbor] != StateDeleted)
                {
                    candidates[n++] = new Neighbor(neighbor, TDistance.Compute(ref origin, ref VectorRef(neighbor), (nuint)_dimensions));
                }
            }
        }

        if (n == 0)
        {
            return;
        }

        var span = candidates.AsSpan(0, n);
        SortByDistance(span);
        foreach (var candidate in span)
        {
            lock (LockFor(candidate.Id))
            {
                var block = BaseLinks(candidate.Id);
                if (block[0] < _m0 && block.Slice(1, block[0]).IndexOf(orphan) < 0)
                {
                    AppendLink(block, 0, orphan);
                    return;
                }
            }
        }

        int host = span[0].Id;
        lock (LockFor(host))
        {
            var block = BaseLinks(host);
            if (block.Slice(1, block[0]).IndexOf(orphan) >= 0)
            {
                return;
            }

            ref float hostVector = ref RowAsQuery(host, context.Origin); // the orphan's decoded vector is no longer needed
            int victimSlot = -1;
            float victimDistance = float.MinValue;
            for (int i = 1; i <= block[0]; i++)
            {
                int linked = block[i];
                if (Volatile.Read(ref _inDegree[linked]) > 1)
                {
                    float distance = TDistance.Compute(ref hostVector, ref VectorRef(linked), (nuint)_dimensions);
                    if (distance > victimDistance)
                    {
                        victimDistance = distance;
                        victimSlot = i;
                    }
                }
            }

            if (victimSlot > 0)
            {
                Interlocked.Decrement(ref _inDegree[block[victimSlot]]);
                Interlocked.Increment(ref _inDegree[orphan]);
                Volatile.Write(ref block[victimSlot], orphan);
            }
        }
    }
}
