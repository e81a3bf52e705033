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
    // Per-node value ids, flat for the common single value: -1 = none, -2 = several (in _multi).
    private int[] _single = [];
    private int[]?[] _multi = [];
    private int _points;

    public override int Points => Volatile.Read(ref _points);

    public override void Remove(int node)
    {
        if (node >= _single.Length || _single[node] == -1)
        {
            return;
        }

        int[] ids = _single[node] >= 0 ? [_single[node]] : _multi[node]!;
        Volatile.Write(ref _single[node], -1);
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

        if (node >= _single.Length)
        {
            var grown = Grow(_single, node);
            grown.AsSpan(_single.Length).Fill(-1);
            Volatile.Write(ref _single, grown);
        }

        if (ids.Length > 1)
        {
            Volatile.Write(ref _multi, Grow(_multi, Math.Max(node, _single.Length - 1)));
            Volatile.Write(ref _multi[node], ids);
        }

        Volatile.Write(ref _single[node], ids.Length > 1 ? -2 : ids[0]);
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
            var single = Volatile.Read(ref _index._single);
            if ((uint)node >= (uint)single.Length)
            {
                return false;
            }

            int value = single[node];
            if (value >= 0)
            {
                return _ids.Length == 1 ? value == _ids[0] : Array.IndexOf(_ids, value) >= 0;
            }

            return value == -2 && Volatile.Read(ref _index._multi)[node] is { } values && values.Any(v => Array.IndexOf(_ids, v) >= 0);
        }

        public override void Mark(NodeBitmap candidates)
        {
            lock (_index._postingsLock)
            {
                foreach (int id in _ids)
                {
                    foreach (int node in _index._postings[id])
                    {
                        candidates.Add(node);
                    }
                }
            }
        }
    }
}
