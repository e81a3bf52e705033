namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// Counts live nodes that no walk from the entry point can reach on layer 0 (after descending the
    /// upper layers, every search ends up there). A healthy graph has none: such a node could only be
    /// found by exact search. O(nodes · M); for tests and diagnostics.
    /// </summary>
    public int CountUnreachable()
    {
        EnterShared();
        try
        {
            int count = Math.Min(_count, _capacity);
            long entry = Volatile.Read(ref _entry);
            if (entry == -1)
            {
                return 0;
            }

            var reached = new bool[count];
            var stack = new Stack<int>();
            int start = UnpackEntry(entry).Node;
            reached[start] = true;
            stack.Push(start);
            while (stack.TryPop(out int node))
            {
                var block = BaseLinks(node);
                for (int i = 1; i <= block[0]; i++)
                {
                    int neighbor = block[i];
                    if (neighbor < count && !reached[neighbor])
                    {
                        reached[neighbor] = true;
                        stack.Push(neighbor);
                    }
                }
            }

            int unreachable = 0;
            for (int id = 0; id < count; id++)
            {
                if (!reached[id] && _states[id] == StateLive)
                {
                    unreachable++;
                }
            }

            return unreachable;
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }
}
