using System.Text.Json;

namespace VectorDb.Query.PayloadIndexing;

/// <summary>
/// An index over the values of one payload key: per-node values (a column, read without locks, for checking
/// one node during a graph search) and postings (value → nodes, for counting and listing matches).
/// Writers are serialised by the owner (<see cref="PayloadIndexSet"/>); readers may run concurrently with them.
/// </summary>
internal abstract class PayloadFieldIndex(string key, PayloadSchemaType schema) : IDisposable
{
    /// <summary>The payload key path.</summary>
    public string Key { get; } = key;

    public PayloadSchemaType Schema { get; } = schema;

    /// <summary>Nodes with at least one indexed value.</summary>
    public abstract int Points { get; }

    /// <summary>Indexes the node's values at <see cref="Key"/>; the node must not be indexed already.</summary>
    public void Add(int node, Payload? payload)
    {
        if (payload is not null)
        {
            AddValues(node, PayloadPath.Values(payload, Key));
        }
    }

    /// <summary>Forgets the node's values.</summary>
    public abstract void Remove(int node);

    /// <summary>Frees what the index holds beyond managed memory (what a keyword index's reach built).</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>
    /// A predicate answering <paramref name="condition"/> from this index exactly as
    /// <see cref="Condition.Matches"/> would from the payload, or null when the index cannot.
    /// </summary>
    public abstract IndexedPredicate? TryCompile(Condition condition);

    protected abstract void AddValues(int node, IEnumerable<JsonElement> values);

    /// <summary>Grows a per-node column to hold <paramref name="node"/>; readers keep whichever array they read.</summary>
    protected static T[] Grow<T>(T[] column, int node)
    {
        if (node < column.Length)
        {
            return column;
        }

        var grown = new T[Math.Max(node + 1, Math.Max(1024, column.Length * 2))];
        Array.Copy(column, grown, column.Length);
        return grown;
    }
}

/// <summary>A condition answered by a field index: checks one node, counts and lists all matches.</summary>
internal abstract class IndexedPredicate : NodePredicate
{
    /// <summary>Matching nodes; exact unless a node has several values, then an upper bound.</summary>
    public abstract int Count { get; }

    /// <summary>True when <see cref="Count"/> is exact.</summary>
    public abstract bool CountIsExact { get; }

    /// <summary>Adds every matching node to <paramref name="candidates"/>.</summary>
    public abstract void Mark(NodeBitmap candidates);

    public override Cardinality Estimate(EstimationContext context) =>
        CountIsExact ? Cardinality.Exactly(Count) : new Cardinality(Math.Min(1, Count), Count, Count);

    public override bool CanList => true;

    /// <summary>A field index marks the nodes holding a value the condition accepts: exactly its matches.</summary>
    public override bool MarksExactly => true;

    public override bool TryMarkCandidates(NodeBitmap candidates)
    {
        Mark(candidates);
        return true;
    }
}
