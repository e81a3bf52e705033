using System.Text.Json;
using VectorDb.Hnsw;
using VectorDb.Query;

namespace VectorDb.PayloadIndexing;

/// <summary>
/// Exact string values (schemas keyword and uuid): each distinct value gets a dense id; postings map ids to
/// node sets; the column holds each node's value ids. A tenant index (<paramref name="tenantsOf"/> set) also keeps
/// a graph per value held by at least <see cref="MinTenantPoints"/> points (<see cref="ValueGraph"/>).
/// </summary>
internal sealed class KeywordFieldIndex(string key, PayloadSchemaType schema, HnswIndex? tenantsOf = null) : PayloadFieldIndex(key, schema)
{
    /// <summary>Values held by fewer points get no graph: an exact scan of them is about as fast as a walk.</summary>
    public const int MinTenantPoints = 1000;

    private readonly Lock _tenantLock = new();
    private ValueGraph?[] _graphs = []; // by value id, copied on write
    private readonly Dictionary<string, int> _valueIds = new(StringComparer.Ordinal);
    private readonly List<HashSet<int>> _postings = [];
    private readonly Lock _postingsLock = new();
    // Per-node value ids, flat for the common single value: -1 = none, -2 = several (in _multi).
    private int[] _single = [];
    private int[]?[] _multi = [];
    private int _points;

    public override int Points => Volatile.Read(ref _points);

    public override bool IsTenant => tenantsOf is not null;

    public override void Remove(int node)
    {
        if (node >= _single.Length || _single[node] == -1)
        {
            return;
        }

        int[] ids = ValueIds(node);
        Volatile.Write(ref _single[node], -1);
        lock (_postingsLock)
        {
            foreach (int id in ids)
            {
                _postings[id].Remove(node);
            }
        }

        var graphs = Volatile.Read(ref _graphs);
        foreach (int id in ids)
        {
            if (id < graphs.Length)
            {
                graphs[id]?.Remove(node);
            }
        }

        Interlocked.Decrement(ref _points);
    }

    /// <summary>Adds an indexed node to the graphs of its values, creating a value's graph once it has enough points.</summary>
    public override void LinkTenant(int node)
    {
        if (tenantsOf is null || node >= _single.Length || _single[node] == -1)
        {
            return;
        }

        float[]? vector = null;
        foreach (int id in ValueIds(node))
        {
            if (GraphFor(id) is { } graph)
            {
                if (vector is null)
                {
                    vector = new float[tenantsOf.Dimensions];
                    tenantsOf.CopyVector(node, vector);
                }

                graph.Add(node, vector);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var graph in Volatile.Read(ref _graphs))
        {
            graph?.Dispose();
        }

        base.Dispose(disposing);
    }

    private int[] ValueIds(int node) => _single[node] >= 0 ? [_single[node]] : _multi[node]!;

    /// <summary>The value's graph; created (and filled with the value's points so far) when it reaches enough points.</summary>
    private ValueGraph? GraphFor(int id)
    {
        var graphs = Volatile.Read(ref _graphs);
        if (id < graphs.Length && graphs[id] is { } existing)
        {
            return existing;
        }

        lock (_postingsLock)
        {
            if (_postings[id].Count < MinTenantPoints)
            {
                return null;
            }
        }

        ValueGraph created;
        lock (_tenantLock)
        {
            graphs = _graphs;
            if (id < graphs.Length && graphs[id] is { } raced)
            {
                return raced;
            }

            created = new ValueGraph(tenantsOf!);
            var next = new ValueGraph?[Math.Max(graphs.Length, id + 1)];
            graphs.CopyTo(next, 0);
            next[id] = created;
            Volatile.Write(ref _graphs, next);
        }

        // Published first, then filled from the postings: a node indexed meanwhile is either in this list or adds
        // itself to the published graph (the graph ignores the repeat when it is both). Searches wait for Ready.
        int[] holders;
        lock (_postingsLock)
        {
            holders = [.. _postings[id]];
        }

        var vector = new float[tenantsOf!.Dimensions];
        foreach (int holder in holders)
        {
            tenantsOf.CopyVector(holder, vector);
            created.Add(holder, vector);
        }

        created.MarkReady();
        return created;
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

        public override ValueGraph? Tenant =>
            _ids.Length == 1 && Volatile.Read(ref _index._graphs) is var graphs && _ids[0] < graphs.Length && graphs[_ids[0]] is { Ready: true } graph
                ? graph
                : null;

        public override ColumnFilter? AsColumnFilter() => ColumnFilter.Keyword(Volatile.Read(ref _index._single), _ids, this);

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
