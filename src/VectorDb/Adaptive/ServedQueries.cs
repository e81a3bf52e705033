namespace VectorDb.Adaptive;

/// <summary>
/// A uniform sample of the query vectors that target-recall searches brought (reservoir sampling): what calibration
/// measures on once it holds enough, since a collection's own points are easier queries than real ones by an amount
/// no fixed margin fits (docs/adaptive.md). Kept in memory only; a restarted collection samples again.
/// </summary>
/// <remarks>
/// Safe for concurrent searches: a slot is replaced whole. After the first <c>capacity</c> queries a query is copied
/// with probability capacity ÷ queries seen, so the cost on the search path fades as the sample settles.
/// </remarks>
internal sealed class ServedQueries(int capacity)
{
    private readonly float[]?[] _slots = new float[capacity][];
    private long _seen;

    /// <summary>How many queries were offered, at most the capacity (a slot being filled may not hold its query yet).</summary>
    public int Count => (int)Math.Min(Interlocked.Read(ref _seen), _slots.Length);

    /// <summary>Offers a query to the sample.</summary>
    public void Offer(ReadOnlySpan<float> query)
    {
        long seen = Interlocked.Increment(ref _seen);
        long slot = seen <= _slots.Length ? seen - 1 : Random.Shared.NextInt64(seen);
        if (slot < _slots.Length)
        {
            Volatile.Write(ref _slots[slot], query.ToArray());
        }
    }

    /// <summary>The sampled queries (a slot being filled by a concurrent search may be missing).</summary>
    public List<float[]> Snapshot()
    {
        var queries = new List<float[]>(_slots.Length);
        for (int i = 0; i < _slots.Length; i++)
        {
            if (Volatile.Read(ref _slots[i]) is { } query)
            {
                queries.Add(query);
            }
        }

        return queries;
    }
}
