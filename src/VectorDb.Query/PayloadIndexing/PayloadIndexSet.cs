using System.Text.Json;
using VectorDb.Hnsw;
using VectorDb.Query.Reach;

namespace VectorDb.Query.PayloadIndexing;

/// <summary>
/// A collection's field indexes. Writers (adds and removes of nodes, index creation) are serialised by one
/// lock; the set of indexes is replaced, never changed in place, so readers compile filters without locking.
/// Tenant indexes read the vectors of <paramref name="graph"/>, the collection's graph, for their value graphs; other
/// keyword indexes link their values' points on link layers of it, unless <paramref name="valueLinks"/> is false. Without
/// a graph (a collection with no unnamed vector) indexes keep values and postings only.
/// </summary>
internal sealed class PayloadIndexSet(HnswIndex? graph, bool valueLinks = true) : IDisposable
{
    private readonly Lock _writeLock = new();
    private Dictionary<string, PayloadFieldIndex> _byKey = new(StringComparer.Ordinal);

    /// <summary>The index on a key path, if there is one.</summary>
    public PayloadFieldIndex? Find(string key) => Volatile.Read(ref _byKey).GetValueOrDefault(key);

    public bool IsEmpty => Volatile.Read(ref _byKey).Count == 0;

    public IReadOnlyList<PayloadIndexInfo> Describe() =>
        [.. Volatile.Read(ref _byKey).Values.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => new PayloadIndexInfo(i.Key, i.Schema, i.Points, IsTenant(i), (i as TextFieldIndex)?.Options))];

    /// <summary>
    /// Creates (or replaces, when the schema, tenancy or a text index's analysis, <paramref name="text"/>, differs) the index on <paramref name="key"/>, filled from
    /// <paramref name="points"/>; value links or a tenant index's value graphs are then built in the background
    /// (<see cref="Linking"/>), but for the values whose links <paramref name="links"/> holds (what <see cref="WriteLinks"/>
    /// saved for this key over the same graph; <paramref name="linksUnusable"/> is told why when they cannot be restored,
    /// and they are made again). The caller keeps other writers out while it runs.
    /// </summary>
    /// <returns>False when an index of that schema and tenancy already existed.</returns>
    /// <remarks>Tenancy applies to keyword and uuid indexes (the collection validates requests).</remarks>
    public bool Create(
        string key, PayloadSchemaType schema, IEnumerable<(int Node, Payload? Payload)> points, bool isTenant = false, Stream? links = null, Action<string>? linksUnusable = null,
        TextIndexOptions? text = null)
    {
        if (Find(key) is { } existing && existing.Schema == schema && IsTenant(existing) == isTenant
            && (schema != PayloadSchemaType.Text || ((TextFieldIndex)existing).Options.SameAs(text ?? new TextIndexOptions())))
        {
            return false;
        }

        PayloadFieldIndex index = schema switch
        {
            PayloadSchemaType.Keyword or PayloadSchemaType.Uuid => new KeywordFieldIndex(key, schema, values =>
                graph is null ? null : isTenant ? new TenantGraphs(values, graph) : valueLinks ? new LinkedValues(values, graph) : null),
            PayloadSchemaType.Integer or PayloadSchemaType.Float or PayloadSchemaType.Datetime => new NumericFieldIndex(key, schema),
            PayloadSchemaType.Bool => new BoolFieldIndex(key),
            PayloadSchemaType.Geo => new GeoFieldIndex(key),
            PayloadSchemaType.Text => new TextFieldIndex(key, text ?? new TextIndexOptions()),
            _ => throw new InvalidRequestException($"Unknown payload index schema {schema}."),
        };
        var reach = ReachOf(index);

        lock (_writeLock)
        {
            foreach (var (node, payload) in points)
            {
                index.Add(node, payload);
            }
        }

        if (links is not null && reach is not null)
        {
            try
            {
                reach.Restore(links);
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                linksUnusable?.Invoke(e.Message); // and they are made again below
            }
        }

        reach?.BuildAll();

        lock (_writeLock)
        {
            var replaced = _byKey.GetValueOrDefault(key);
            var next = new Dictionary<string, PayloadFieldIndex>(_byKey, StringComparer.Ordinal) { [key] = index };
            Volatile.Write(ref _byKey, next);
            replaced?.Dispose();
        }

        return true;
    }

    /// <summary>Keys of the indexes whose reach has something built to save (<see cref="IValueReach.HasStateToSave"/>); writers must be kept out.</summary>
    public IReadOnlyList<string> KeysWithLinksToSave() =>
        [.. Volatile.Read(ref _byKey).Values.Where(index => ReachOf(index) is { HasStateToSave: true }).Select(index => index.Key).Order(StringComparer.Ordinal)];

    /// <summary>Writes what the reach of the index on <paramref name="key"/> built, for <see cref="Create"/> to restore; writers must be kept out.</summary>
    public void WriteLinks(string key, Stream stream) =>
        (ReachOf(Find(key)) ?? throw new ArgumentException($"No index with reach on `{key}`.", nameof(key))).Write(stream);

    /// <summary>
    /// True when some index is a tenant index: its value graphs hold copies of their points' vectors, which a node taking
    /// a new point would not update (a graph built from a list of nodes taken before the old point left may still add it).
    /// </summary>
    public bool HasTenantIndex => Volatile.Read(ref _byKey).Values.Any(IsTenant);

    /// <summary>True while some index links values' points, or builds their graphs, in the background.</summary>
    public bool Linking => Volatile.Read(ref _byKey).Values.Any(index => ReachOf(index) is { Building: true });

    /// <summary>Waits until every index has built what it started building in the background (<see cref="IValueReach.BuildAll"/>).</summary>
    public void WaitForLinks()
    {
        foreach (var index in Volatile.Read(ref _byKey).Values)
        {
            ReachOf(index)?.WaitUntilBuilt();
        }
    }

    private static IValueReach? ReachOf(PayloadFieldIndex? index) => (index as KeywordFieldIndex)?.Reach;

    private static bool IsTenant(PayloadFieldIndex index) => ReachOf(index) is TenantGraphs;

    /// <returns>False when there was no index on the key.</returns>
    public bool Drop(string key)
    {
        lock (_writeLock)
        {
            if (!_byKey.ContainsKey(key))
            {
                return false;
            }

            var next = new Dictionary<string, PayloadFieldIndex>(_byKey, StringComparer.Ordinal);
            next.Remove(key, out var dropped);
            Volatile.Write(ref _byKey, next);
            dropped!.Dispose();
            return true;
        }
    }

    /// <summary>Indexes a node's payload in every index. Safe to call from parallel inserts.</summary>
    public void Add(int node, Payload? payload)
    {
        if (IsEmpty || payload is null)
        {
            return;
        }

        Dictionary<string, PayloadFieldIndex> indexes;
        lock (_writeLock)
        {
            indexes = _byKey;
            foreach (var index in indexes.Values)
            {
                index.Add(node, payload);
            }
        }

        // Graph inserts are slow: parallel inserts do them side by side, outside the lock.
        foreach (var index in indexes.Values)
        {
            ReachOf(index)?.Add(node);
        }
    }

    /// <summary>
    /// Re-indexes a node whose payload changed from <paramref name="before"/> to <paramref name="after"/>, in the
    /// indexes whose key's values changed only: setting one key must not re-insert every point into the value
    /// graphs or links of a keyword index on another (an HNSW delete and insert each).
    /// </summary>
    public void Update(int node, Payload? before, Payload? after)
    {
        if (IsEmpty)
        {
            return;
        }

        List<PayloadFieldIndex>? relinked = null;
        lock (_writeLock)
        {
            foreach (var index in _byKey.Values)
            {
                if (SameValues(before, after, index.Key))
                {
                    continue;
                }

                index.Remove(node);
                index.Add(node, after);
                (relinked ??= []).Add(index);
            }
        }

        foreach (var index in relinked ?? [])
        {
            ReachOf(index)?.Add(node);
        }
    }

    private static readonly IEqualityComparer<JsonElement> JsonContent = EqualityComparer<JsonElement>.Create(JsonElement.DeepEquals);

    private static bool SameValues(Payload? before, Payload? after, string key) =>
        PayloadPath.Values(before, key).SequenceEqual(PayloadPath.Values(after, key), JsonContent);

    public void Dispose()
    {
        foreach (var index in Volatile.Read(ref _byKey).Values)
        {
            index.Dispose();
        }
    }

    /// <summary>Removes a node from every index.</summary>
    public void Remove(int node)
    {
        if (IsEmpty)
        {
            return;
        }

        lock (_writeLock)
        {
            foreach (var index in _byKey.Values)
            {
                index.Remove(node);
            }
        }
    }
}

