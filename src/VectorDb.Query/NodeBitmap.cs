using System.Numerics;

namespace VectorDb.Query;

/// <summary>
/// A set of graph nodes as bits, for listing a filter's candidates from its indexes: postings are marked in
/// any order and come out ascending and without repeats, so no sort and no de-duplication; AND of conditions
/// is a word-wise intersection instead of a check per candidate. A summary bit per 64-bit word records the
/// words ever set, so listing, intersecting and clearing cost the touched words plus NodeBound / 4096, not
/// NodeBound / 64. Bitmaps are pooled per thread (<see cref="Rent"/>), as every query needs one.
/// </summary>
internal sealed class NodeBitmap
{
    [ThreadStatic]
    private static Stack<NodeBitmap>? t_pool;

    private ulong[] _words = [];
    private ulong[] _summary = []; // bit w: _words[w] may be non-zero

    /// <summary>True when no node was added since the bitmap was rented.</summary>
    public bool IsEmpty { get; private set; } = true;

    /// <summary>An empty bitmap for nodes below <paramref name="nodeBound"/> (larger nodes grow it); give it back with <see cref="Return"/>.</summary>
    public static NodeBitmap Rent(int nodeBound)
    {
        var pool = t_pool ??= new Stack<NodeBitmap>();
        var bitmap = pool.Count > 0 ? pool.Pop() : new NodeBitmap();
        bitmap.EnsureWords((nodeBound + 63) >> 6);
        return bitmap;
    }

    /// <summary>Clears the bitmap and keeps it for the thread's next <see cref="Rent"/>.</summary>
    public static void Return(NodeBitmap bitmap)
    {
        bitmap.Clear();
        (t_pool ??= new Stack<NodeBitmap>()).Push(bitmap);
    }

    public void Add(int node)
    {
        int word = node >> 6;
        if ((uint)word >= (uint)_words.Length)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(node);
            EnsureWords(Math.Max(word + 1, _words.Length * 2));
        }

        _words[word] |= 1UL << node;
        _summary[word >> 6] |= 1UL << word;
        IsEmpty = false;
    }

    /// <summary>Keeps only the nodes <paramref name="other"/> holds too.</summary>
    public void IntersectWith(NodeBitmap other)
    {
        for (int s = 0; s < _summary.Length; s++)
        {
            for (ulong bits = _summary[s]; bits != 0; bits &= bits - 1)
            {
                int word = (s << 6) + BitOperations.TrailingZeroCount(bits);
                _words[word] &= word < other._words.Length ? other._words[word] : 0;
            }
        }
    }

    /// <summary>Adds every node <paramref name="other"/> holds.</summary>
    public void UnionWith(NodeBitmap other)
    {
        EnsureWords(other._words.Length);
        for (int s = 0; s < other._summary.Length; s++)
        {
            _summary[s] |= other._summary[s];
            for (ulong bits = other._summary[s]; bits != 0; bits &= bits - 1)
            {
                int word = (s << 6) + BitOperations.TrailingZeroCount(bits);
                _words[word] |= other._words[word];
            }
        }

        IsEmpty &= other.IsEmpty;
    }

    /// <summary>Appends the nodes in ascending order.</summary>
    public void AppendTo(List<int> nodes)
    {
        for (int s = 0; s < _summary.Length; s++)
        {
            for (ulong bits = _summary[s]; bits != 0; bits &= bits - 1)
            {
                int word = (s << 6) + BitOperations.TrailingZeroCount(bits);
                for (ulong members = _words[word]; members != 0; members &= members - 1)
                {
                    nodes.Add((word << 6) + BitOperations.TrailingZeroCount(members));
                }
            }
        }
    }

    private void Clear()
    {
        for (int s = 0; s < _summary.Length; s++)
        {
            for (ulong bits = _summary[s]; bits != 0; bits &= bits - 1)
            {
                _words[(s << 6) + BitOperations.TrailingZeroCount(bits)] = 0;
            }

            _summary[s] = 0;
        }

        IsEmpty = true;
    }

    private void EnsureWords(int words)
    {
        if (words > _words.Length)
        {
            Array.Resize(ref _words, words);
            Array.Resize(ref _summary, (words + 63) >> 6);
        }
    }
}
