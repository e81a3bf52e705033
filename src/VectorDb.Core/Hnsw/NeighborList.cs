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
        return items[..NearestSelection.Select(items, size, NearestSelection.Best)];
    }

    /// <summary>The entries from <paramref name="start"/> on: after <see cref="SelectNearest"/>, those it did not select, in no order.</summary>
    public Span<Neighbor> After(int start) => _items.AsSpan(Math.Min(start, _count), _count - Math.Min(start, _count));
}
