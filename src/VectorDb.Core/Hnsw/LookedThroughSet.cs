using System.Runtime.CompilerServices;

namespace VectorDb.Hnsw;

/// <summary>
/// The rejected nodes a two-hop walk has looked through in full, each with how many of its neighbors the filter
/// accepted. A rejected node lies next to several of the matches a walk expands, so the walk meets it again and again
/// (half the link blocks a walk of "any class but the query's" read were repeats); by then every accepted neighbor
/// of it is visited, so the walk charges their number to the expansion's budget instead of reading the block again,
/// and takes the same steps. Tagged by epoch like <see cref="VisitedSet"/>: 8 bits of epoch, 8 of the count (a count
/// above 255, possible only at M = 128, is charged as 255).
/// </summary>
internal sealed class LookedThroughSet
{
    private ushort[] _entries = [];
    private int _epoch;

    /// <summary>Forgets every node, making room for ids below <paramref name="nodes"/>.</summary>
    public void Reset(int nodes)
    {
        if (_entries.Length < nodes)
        {
            _entries = new ushort[Math.Max(nodes, _entries.Length * 2)];
            _epoch = 0;
        }

        if (++_epoch > byte.MaxValue)
        {
            Array.Clear(_entries);
            _epoch = 1;
        }
    }

    /// <summary>True, with the number of accepted neighbors, when the node was looked through in full since the reset.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // checked for every rejected neighbor of every two-hop expansion
    public bool TryGet(int id, out int accepted)
    {
        int entry = (uint)id < (uint)_entries.Length ? _entries[id] : 0;
        accepted = entry & byte.MaxValue;
        return entry >> 8 == _epoch;
    }

    /// <summary>Records that the node's neighbors were looked through in full, <paramref name="accepted"/> of them accepted.</summary>
    public void Add(int id, int accepted)
    {
        if ((uint)id < (uint)_entries.Length)
        {
            _entries[id] = (ushort)((_epoch << 8) | Math.Min(accepted, byte.MaxValue));
        }
    }
}
