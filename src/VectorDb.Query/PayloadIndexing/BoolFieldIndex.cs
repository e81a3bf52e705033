using System.Text.Json;

namespace VectorDb.Query.PayloadIndexing;

/// <summary>true / false values: two postings, and a column of flags per node (bit 0 true, bit 1 false).</summary>
internal sealed class BoolFieldIndex(string key) : PayloadFieldIndex(key, PayloadSchemaType.Bool)
{
    private readonly HashSet<int>[] _postings = [[], []];
    private readonly Lock _postingsLock = new();
    private byte[] _column = [];
    private int _points;

    public override int Points => Volatile.Read(ref _points);

    public override void Remove(int node)
    {
        var column = _column;
        if (node >= column.Length || column[node] == 0)
        {
            return;
        }

        Volatile.Write(ref column[node], 0);
        lock (_postingsLock)
        {
            _postings[0].Remove(node);
            _postings[1].Remove(node);
        }

        Interlocked.Decrement(ref _points);
    }

    public override IndexedPredicate? TryCompile(Condition condition) => condition switch
    {
        MatchValueCondition { Value.ValueKind: JsonValueKind.True } => new MatchFlag(this, 0),
        MatchValueCondition { Value.ValueKind: JsonValueKind.False } => new MatchFlag(this, 1),
        _ => null,
    };

    protected override void AddValues(int node, IEnumerable<JsonElement> values)
    {
        byte flags = 0;
        foreach (var value in values)
        {
            flags |= value.ValueKind switch { JsonValueKind.True => 1, JsonValueKind.False => 2, _ => 0 };
        }

        if (flags == 0)
        {
            return;
        }

        lock (_postingsLock)
        {
            for (int bit = 0; bit < 2; bit++)
            {
                if ((flags & (1 << bit)) != 0)
                {
                    _postings[bit].Add(node);
                }
            }
        }

        _column = Grow(_column, node);
        Volatile.Write(ref _column[node], flags);
        Interlocked.Increment(ref _points);
    }

    private sealed class MatchFlag(BoolFieldIndex index, int bit) : IndexedPredicate
    {
        public override int Count
        {
            get
            {
                lock (index._postingsLock)
                {
                    return index._postings[bit].Count;
                }
            }
        }

        public override bool CountIsExact => true;

        public override bool Matches(int node)
        {
            var column = Volatile.Read(ref index._column);
            return (uint)node < (uint)column.Length && (Volatile.Read(ref column[node]) & (1 << bit)) != 0;
        }

        public override void Mark(NodeBitmap candidates)
        {
            lock (index._postingsLock)
            {
                foreach (int node in index._postings[bit])
                {
                    candidates.Add(node);
                }
            }
        }
    }
}
