using System.Runtime.CompilerServices;

namespace VectorDb.Hnsw;

/// <summary>
/// Append-only list of neighbors, reused across searches (it only grows), from which the nearest few are selected
/// once at the end. Cheaper than keeping a bounded heap up to date on every append when most appends would enter it,
/// as while an adaptive walk closes in on the query.
/// </summary>
internal sealed class NeighborList
{
    private Neighbor[] _items = new Neighbor[256];
    private int _count;

    public int Count => _count;

    public void Clear() => _count = 0;

    /// <summary>Empties the list and, when it has grown beyond <paramref name="entries"/>, gives its memory back.</summary>
    public void TrimTo(int entries)
    {
        _count = 0;
        if (_items.Length > entries)
        {
            _items = new Neighbor[256];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int id, float distance)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[_count++] = new Neighbor(id, distance);
    }

    /// <summary>
    /// Reorders the list so that its <paramref name="size"/> nearest come first, nearest first, and returns them
    /// (all of the list when it holds fewer). Ties at the cut go either way.
    /// </summary>
    public Span<Neighbor> SelectNearest(int size)
    {
        var items = _items.AsSpan(0, _count);
        if (size < items.Length)
        {
            PartitionNearest(items, size);
            items = items[..size];
        }

        SortByDistance(items);
        return items;
    }

    /// <summary>The entries from <paramref name="start"/> on: after <see cref="SelectNearest"/>, those it did not select, in no order.</summary>
    public Span<Neighbor> After(int start) => _items.AsSpan(Math.Min(start, _count), _count - Math.Min(start, _count));

    /// <summary>Quickselect (Hoare partitions, median-of-three pivots): afterwards the first <paramref name="size"/> are the nearest, unordered.</summary>
    private static void PartitionNearest(Span<Neighbor> items, int size)
    {
        int low = 0;
        int high = items.Length - 1;
        int cut = size - 1; // the index whose element must end up in its sorted place, or beyond a partition that holds it
        while (low < high)
        {
            float pivot = MedianOfThree(items[low].Distance, items[(low + high) >>> 1].Distance, items[high].Distance);
            int i = low;
            int j = high;
            while (i <= j)
            {
                while (items[i].Distance < pivot)
                {
                    i++;
                }

                while (items[j].Distance > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (items[i], items[j]) = (items[j], items[i]);
                    i++;
                    j--;
                }
            }

            // Now [low, j] ≤ pivot ≤ [i, high], and anything strictly between j and i equals the pivot.
            if (cut <= j)
            {
                high = j;
            }
            else if (cut >= i)
            {
                low = i;
            }
            else
            {
                return;
            }
        }
    }

    /// <summary>Insertion sort for the usual few dozen entries, where it beats a general sort.</summary>
    private static void SortByDistance(Span<Neighbor> items)
    {
        if (items.Length > 64)
        {
            items.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
            return;
        }

        for (int i = 1; i < items.Length; i++)
        {
            var item = items[i];
            int j = i - 1;
            while (j >= 0 && items[j].Distance > item.Distance)
            {
                items[j + 1] = items[j];
                j--;
            }

            items[j + 1] = item;
        }
    }

    private static float MedianOfThree(float a, float b, float c) =>
        a < b ? (b < c ? b : Math.Max(a, c)) : (a < c ? a : Math.Max(b, c));
}
