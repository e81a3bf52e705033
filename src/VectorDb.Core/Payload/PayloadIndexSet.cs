namespace VectorDb.PayloadIndexing;

/// <summary>
/// A collection's field indexes. Writers (adds and removes of nodes, index creation) are serialised by one
/// lock; the set of indexes is replaced, never changed in place, so readers compile filters without locking.
/// </summary>
internal sealed class PayloadIndexSet
{
    private readonly Lock _writeLock = new();
    private Dictionary<string, PayloadFieldIndex> _byKey = new(StringComparer.Ordinal);

    /// <summary>The index on a key path, if there is one.</summary>
    public PayloadFieldIndex? Find(string key) => Volatile.Read(ref _byKey).GetValueOrDefault(key);

    public bool IsEmpty => Volatile.Read(ref _byKey).Count == 0;

    public IReadOnlyList<PayloadIndexInfo> Describe() =>
        [.. Volatile.Read(ref _byKey).Values.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => new PayloadIndexInfo(i.Key, i.Schema, i.Points))];

    /// <summary>
    /// Creates (or replaces, when the schema differs) the index on <paramref name="key"/>, filled from
    /// <paramref name="points"/>. The caller keeps other writers out while it runs.
    /// </summary>
    /// <returns>False when an index of that schema already existed.</returns>
    public bool Create(string key, PayloadSchemaType schema, IEnumerable<(int Node, Payload? Payload)> points)
    {
        if (Find(key) is { } existing && existing.Schema == schema)
        {
            return false;
        }

        PayloadFieldIndex index = schema switch
        {
            PayloadSchemaType.Keyword or PayloadSchemaType.Uuid => new KeywordFieldIndex(key, schema),
            PayloadSchemaType.Integer or PayloadSchemaType.Float => new NumericFieldIndex(key, schema),
            PayloadSchemaType.Bool => new BoolFieldIndex(key),
            _ => throw new InvalidRequestException($"Unknown payload index schema {schema}."),
        };

        lock (_writeLock)
        {
            foreach (var (node, payload) in points)
            {
                index.Add(node, payload);
            }

            var next = new Dictionary<string, PayloadFieldIndex>(_byKey, StringComparer.Ordinal) { [key] = index };
            Volatile.Write(ref _byKey, next);
        }

        return true;
    }

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
            next.Remove(key);
            Volatile.Write(ref _byKey, next);
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

        lock (_writeLock)
        {
            foreach (var index in _byKey.Values)
            {
                index.Add(node, payload);
            }
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
