using System.Text.Json;
using VectorDb.Query.Reach;

namespace VectorDb.Query.PayloadIndexing;

/// <summary>
/// Exact string values (schemas keyword and uuid): each distinct value gets a dense id; postings map ids to
/// node sets; the column holds each node's value ids. What makes filters on its values reach their points in the graph
/// (links among a value's points, or a graph per value: <see cref="IValueReach"/>) is built over these, when the
/// collection keeps it.
/// </summary>
internal sealed class KeywordFieldIndex : PayloadFieldIndex, IIndexedValues
{
    /// <summary>An index that keeps no reach, or builds one over itself (<paramref name="reach"/> null: none).</summary>
    public KeywordFieldIndex(string key, PayloadSchemaType schema, Func<IIndexedValues, IValueReach?>? reach = null)
        : base(key, schema) => Reach = reach?.Invoke(this);

    /// <summary>What this index builds so filters on its values reach their points; null when it builds none.</summary>
    public IValueReach? Reach { get; }

    private readonly Dictionary<string, int> _valueIds = new(StringComparer.Ordinal);
    private readonly List<HashSet<int>> _postings = [];
    private readonly Lock _postingsLock = new();
    // Per-node value ids, flat for the common single value: -1 = none, -2 = several (in _multi).
    private int[] _single = [];
    private int[]?[] _multi = [];
    private int _points;
    private int _multiValuedPoints; // while 0, summed postings count each point once
    private long _postingsTotal; // entries in all postings, under _postingsLock
    // Points whose key also holds numbers, booleans or objects, under _postingsLock: this index keeps only strings, so
    // while any point holds another kind, "none of these strings" cannot be answered from it (that value is none of them).
    private readonly HashSet<int> _otherKindHolders = [];

    public override int Points => Volatile.Read(ref _points);

    public override void Remove(int node)
    {
        Reach?.Remove(node); // before the node's values are forgotten: a tenant's graph finds it by them
        bool indexed = node < _single.Length && _single[node] != -1;
        int[] ids = indexed ? ValueIds(node) : [];
        if (indexed)
        {
            Volatile.Write(ref _single[node], -1);
        }

        lock (_postingsLock)
        {
            _otherKindHolders.Remove(node);
            foreach (int id in ids)
            {
                _postingsTotal -= _postings[id].Remove(node) ? 1 : 0;
            }
        }

        if (!indexed)
        {
            return;
        }

        if (ids.Length > 1)
        {
            Interlocked.Decrement(ref _multiValuedPoints);
        }

        Interlocked.Decrement(ref _points);
    }

    public int ValueCount
    {
        get
        {
            lock (_postingsLock)
            {
                return _postings.Count;
            }
        }
    }

    public int? IdOf(string value)
    {
        lock (_postingsLock)
        {
            return _valueIds.TryGetValue(value, out int id) ? id : null;
        }
    }

    public string ValueOf(int id)
    {
        lock (_postingsLock)
        {
            return _valueIds.First(entry => entry.Value == id).Key;
        }
    }

    public int PointsOf(int value)
    {
        lock (_postingsLock)
        {
            return _postings[value].Count;
        }
    }

    public int[] HoldersOf(int value)
    {
        lock (_postingsLock)
        {
            return [.. _postings[value]];
        }
    }

    public int[]? ValuesOf(int node)
    {
        var single = Volatile.Read(ref _single);
        return (uint)node >= (uint)single.Length || single[node] == -1 ? null : ValueIds(node);
    }

    public bool HoldsNoneOf(int node, int[] values)
    {
        var single = Volatile.Read(ref _single);
        if ((uint)node >= (uint)single.Length || single[node] == -1)
        {
            return true;
        }

        if (single[node] >= 0)
        {
            return Array.IndexOf(values, single[node]) < 0;
        }

        var multi = Volatile.Read(ref _multi);
        return (uint)node >= (uint)multi.Length || multi[node] is not { } held || !held.AsSpan().ContainsAny(values);
    }

    public IValueMembers Holding(int value) => new MatchIds(this, value);

    protected override void Dispose(bool disposing)
    {
        Reach?.Dispose();
        base.Dispose(disposing);
    }

    private int[] ValueIds(int node) => _single[node] >= 0 ? [_single[node]] : _multi[node]!;

    public override IndexedPredicate? TryCompile(Condition condition)
    {
        switch (condition)
        {
            case MatchValueCondition { Value.ValueKind: JsonValueKind.String } match:
                return new MatchIds(this, [match.Value.GetString()!]);
            case MatchAnyCondition any when any.Values.All(v => v.ValueKind == JsonValueKind.String):
                return new MatchIds(this, [.. any.Values.Select(v => v.GetString()!)]);
            case MatchPrefixCondition prefix:
                return new MatchIds(this, ValuesStartingWith(prefix.Prefix));
            case MatchExceptCondition except when !HoldsOtherKinds:
                // Only strings are held, so only the listed strings can be excluded: the other values are the matches.
                return new MatchIds(this, [.. except.Values.Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)], excluding: true);
            default:
                return null;
        }
    }

    /// <summary>The indexed values that start with <paramref name="prefix"/> (ordinal): a scan of the distinct values.</summary>
    private List<string> ValuesStartingWith(string prefix)
    {
        lock (_postingsLock)
        {
            return [.. _valueIds.Keys.Where(value => value.StartsWith(prefix, StringComparison.Ordinal))];
        }
    }

    private bool HoldsOtherKinds
    {
        get
        {
            lock (_postingsLock)
            {
                return _otherKindHolders.Count > 0;
            }
        }
    }

    protected override void AddValues(int node, IEnumerable<JsonElement> values)
    {
        var strings = new List<string>();
        bool otherKinds = false;
        foreach (var value in values)
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                strings.Add(value.GetString()!);
            }
            else
            {
                otherKinds |= value.ValueKind != JsonValueKind.Null;
            }
        }

        if (otherKinds)
        {
            lock (_postingsLock)
            {
                _otherKindHolders.Add(node);
            }
        }

        strings = [.. strings.Distinct(StringComparer.Ordinal)];
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

                _postingsTotal += _postings[ids[i]].Add(node) ? 1 : 0;
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
            Interlocked.Increment(ref _multiValuedPoints);
        }

        Volatile.Write(ref _single[node], ids.Length > 1 ? -2 : ids[0]);
        Interlocked.Increment(ref _points);
    }

    /// <summary>
    /// Some value of the node is one of a set of strings (<c>match.value</c>, <c>match.any</c>), or, excluding them,
    /// some value is none of them (<c>match.except</c>, when the index holds only strings).
    /// </summary>
    private sealed class MatchIds : IndexedPredicate, IValueMembers
    {
        private readonly KeywordFieldIndex _index;
        private readonly int[] _ids; // ids of the listed values that exist; the others are held by no point
        private readonly bool _excluding;

        public MatchIds(KeywordFieldIndex index, int valueId) => (_index, _ids) = (index, [valueId]);

        public MatchIds(KeywordFieldIndex index, IReadOnlyList<string> values, bool excluding = false)
        {
            (_index, _excluding) = (index, excluding);
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
                    int listed = _ids.Sum(id => _index._postings[id].Count);
                    return _excluding ? (int)(_index._postingsTotal - listed) : listed;
                }
            }
        }

        // A point holding several values is in several postings.
        public override bool CountIsExact => (!_excluding && _ids.Length <= 1) || Volatile.Read(ref _index._multiValuedPoints) == 0;

        public override FilterReach Reach => _index.Reach?.For(_ids, _excluding) ?? FilterReach.None;

        int IValueMembers.Count => Count;

        bool IValueMembers.Holds(int node) => Matches(node);

        public override ColumnFilter? AsColumnFilter()
        {
            // Excluding, the column's answer is negated; a node holding no value or several still asks Matches.
            var listed = ColumnFilter.Keyword(Volatile.Read(ref _index._single), _ids, this);
            return _excluding ? listed?.Negate(this) : listed;
        }

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
                return IsListed(value) != _excluding;
            }

            return value == -2 && Volatile.Read(ref _index._multi)[node] is { } values && values.Any(v => IsListed(v) != _excluding);
        }

        private bool IsListed(int value) => _ids.Length == 1 ? value == _ids[0] : Array.IndexOf(_ids, value) >= 0;

        public override void Mark(NodeBitmap candidates)
        {
            lock (_index._postingsLock)
            {
                var marked = _excluding ? Enumerable.Range(0, _index._postings.Count).Where(id => !IsListed(id)) : _ids;
                foreach (int id in marked)
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
