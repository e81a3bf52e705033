using System.Text.Json;
using VectorDb.Query;

namespace VectorDb.PayloadIndexing;

/// <summary>
/// Exact string values (schemas keyword and uuid): each distinct value gets a dense id; postings map ids to
/// node sets; the column holds each node's value ids.
/// </summary>
internal sealed class KeywordFieldIndex(string key, PayloadSchemaType schema) : PayloadFieldIndex(key, schema)
{
    private readonly Dictionary<string, int> _valueIds = new(StringComparer.Ordinal);
    private readonly List<HashSet<int>> _postings = [];
    private readonly Lock _postingsLock = new();
    private int[]?[] _column = [];
    private int _points;

    public override int Points => Volatile.Read(ref _points);

    public override void Remove(int node)
    {
        var column = _column;
        if (node >= column.Length || column[node] is not { } ids)
        {
            return;
        }

        Volatile.Write(ref column[node], null);
        lock (_postingsLock)
        {
            foreach (int id in ids)
            {
                _postings[id].Remove(node);
            }
        }

        Interlocked.Decrement(ref _points);
    }

    public override IndexedPredicate? TryCompile(Condition condition)
    {
        switch (condition)
        {
            case MatchValueCondition { Value.ValueKind: JsonValueKind.String } match:
                return new MatchIds(this, [match.Value.GetString()!]);
            case MatchAnyCondition any when any.Values.All(v => v.ValueKind == JsonValueKind.String):
                return new MatchIds(this, [.. any.Values.Select(v => v.GetString()!)]);
            default:
                // match-except also holds for non-string values, which this index does not see.
                return null;
        }
    }

    protected override void AddValues(int node, IEnumerable<JsonElement> values)
    {
        var strings = values.Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).Distinct(StringComparer.Ordinal).ToList();
        if (strings.Count == 0)
        {
            return;
        }

        var ids = new int[strings.Count];
        lock (_postingsLock)
        {
            for (int i = 0; i < strings.Count; i++)
            {
                if (!_valueIds.TryGetValue(strings[i], out ids[i]))
                {
                    ids[i] = _postings.Count;
                    _valueIds[strings[i]] = ids[i];
                    _postings.Add([]);
                }

                _postings[ids[i]].Add(node);
            }
        }

        _column = Grow(_column, node);
        Volatile.Write(ref _column[node], ids);
        Interlocked.Increment(ref _points);
    }

    /// <summary>Some value of the node is one of a set of strings.</summary>
    private sealed class MatchIds : IndexedPredicate
    {
        private readonly KeywordFieldIndex _index;
        private readonly int[] _ids; // ids of the wanted values that exist; others match nothing

        public MatchIds(KeywordFieldIndex index, IReadOnlyList<string> values)
        {
            _index = index;
            lock (index._postingsLock)
            {
                _ids = [.. values.Select(v => index._valueIds.GetValueOrDefault(v, -1)).Where(id => id >= 0).Distinct()];
            }
        }

        public override int Count
        {
            get
            {
                lock (_index._postingsLock)
                {
                    return _ids.Sum(id => _index._postings[id].Count);
                }
            }
        }

        public override bool CountIsExact => _ids.Length <= 1;

        public override bool Matches(int node)
        {
            var column = Volatile.Read(ref _index._column);
            if ((uint)node >= (uint)column.Length || Volatile.Read(ref column[node]) is not { } values)
            {
                return false;
            }

            foreach (int value in values)
            {
                if (Array.IndexOf(_ids, value) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        public override void Collect(List<int> nodes)
        {
            lock (_index._postingsLock)
            {
                foreach (int id in _ids)
                {
                    nodes.AddRange(_index._postings[id]);
                }
            }
        }
    }
}
