using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VectorDb.Hnsw;

/// <summary>Orders a <see cref="NeighborHeap{TOrder}"/>; a struct so comparisons inline.</summary>
internal interface IHeapOrder
{
    /// <summary>True when a node at distance <paramref name="a"/> belongs nearer the top than one at <paramref name="b"/>.</summary>
    static abstract bool Before(float a, float b);
}

/// <summary>Closest on top: the candidate queue of a graph search.</summary>
internal readonly struct ClosestFirst : IHeapOrder
{
    public static bool Before(float a, float b) => a < b;
}

/// <summary>Farthest on top: the bounded result set, whose top is the one to evict.</summary>
internal readonly struct FarthestFirst : IHeapOrder
{
    public static bool Before(float a, float b) => a > b;
}

/// <summary>
/// Binary heap of neighbors, reused across searches (it only grows), so a search allocates nothing. Indexes
/// are below <c>_count ≤ _items.Length</c> by construction, so the sift loops read through refs without bounds checks.
/// </summary>
internal sealed class NeighborHeap<TOrder>
    where TOrder : struct, IHeapOrder
{
    private Neighbor[] _items;
    private int _count;

    public NeighborHeap(int capacity) => _items = new Neighbor[Math.Max(capacity, 16)];

    public int Count => _count;

    public Neighbor Top => _items[0];

    public void Clear() => _count = 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(int id, float distance)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        ref Neighbor items = ref MemoryMarshal.GetArrayDataReference(_items);
        int i = _count++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            ref Neighbor above = ref Unsafe.Add(ref items, parent);
            if (!TOrder.Before(distance, above.Distance))
            {
                break;
            }

            Unsafe.Add(ref items, i) = above;
            i = parent;
        }

        Unsafe.Add(ref items, i) = new Neighbor(id, distance);
    }

    public Neighbor Pop()
    {
        var items = _items;
        var top = items[0];
        var last = items[--_count];
        if (_count > 0)
        {
            SiftDown(last);
        }

        return top;
    }

    /// <summary>Replaces the top with a new element (cheaper than Pop + Push).</summary>
    public void ReplaceTop(int id, float distance) => SiftDown(new Neighbor(id, distance));

    /// <summary>Empties the heap into <paramref name="destination"/> in order, nearest first.</summary>
    public int DrainSorted(Span<Neighbor> destination)
    {
        int count = _count;
        for (int i = count - 1; i >= 0; i--)
        {
            var item = Pop();
            if (i < destination.Length)
            {
                destination[i] = item;
            }
        }

        return Math.Min(count, destination.Length);
    }

    private void SiftDown(Neighbor item)
    {
        ref Neighbor items = ref MemoryMarshal.GetArrayDataReference(_items);
        int n = _count;
        int i = 0;
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            int right = child + 1;
            if (right < n && TOrder.Before(Unsafe.Add(ref items, right).Distance, Unsafe.Add(ref items, child).Distance))
            {
                child = right;
            }

            ref Neighbor below = ref Unsafe.Add(ref items, child);
            if (!TOrder.Before(below.Distance, item.Distance))
            {
                break;
            }

            Unsafe.Add(ref items, i) = below;
            i = child;
        }

        Unsafe.Add(ref items, i) = item;
    }
}
