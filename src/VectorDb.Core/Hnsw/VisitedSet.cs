using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VectorDb.Hnsw;

/// <summary>
/// Which nodes a search has seen, as an epoch tag per node: starting a search bumps the epoch instead
/// of clearing the array, which is wiped only when the 16-bit epoch wraps (once every 65,535 searches).
/// </summary>
internal sealed class VisitedSet
{
    private ushort[] _tags = [];
    private ushort _epoch;

    public int Capacity => _tags.Length;

    public void EnsureCapacity(int nodes)
    {
        if (_tags.Length < nodes)
        {
            _tags = new ushort[Math.Max(nodes, _tags.Length * 2)];
            _epoch = 0;
        }
    }

    /// <summary>Forgets every visit.</summary>
    public void Clear()
    {
        if (++_epoch == 0)
        {
            Array.Clear(_tags);
            _epoch = 1;
        }
    }

    /// <summary>Marks the node; false when it was already marked in this epoch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryVisit(int id)
    {
        ref ushort tag = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tags), (nint)(uint)id);
        if (tag == _epoch)
        {
            return false;
        }

        tag = _epoch;
        return true;
    }
}
