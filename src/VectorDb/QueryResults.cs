namespace VectorDb;

/// <summary>The hits of a universal query, best first (MMR: in pick order), and, when asked for, how each stage ran.</summary>
public sealed class QueryResults(IReadOnlyList<ScoredPoint> hits, QueryExplain? explain) : IReadOnlyList<ScoredPoint>
{
    /// <summary>The outermost stage and, nested in it, its prefetches; null unless <see cref="QueryOptions.Explain"/> was set.</summary>
    public QueryExplain? Explain { get; } = explain;

    /// <inheritdoc />
    public int Count => hits.Count;

    /// <inheritdoc />
    public ScoredPoint this[int index] => hits[index];

    /// <inheritdoc />
    public IEnumerator<ScoredPoint> GetEnumerator() => hits.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>How one stage of a universal query ran.</summary>
/// <param name="Stage">What it did: <c>nearest</c>, <c>rrf k=2</c>, <c>recommend best_score over prefetched points (exact)</c>, …</param>
/// <param name="Using">The vector it compared with.</param>
/// <param name="Candidates">Points it scored or received: hits found by its search, prefetched points rescored, or points fused.</param>
public sealed record QueryExplain(string Stage, string Using, int Candidates)
{
    /// <summary>Hits it passed on (after its threshold and limit).</summary>
    public int Returned { get; init; }

    /// <summary>The dense planner's plan and work, for a stage that searched a dense vector's graph.</summary>
    public Query.SearchExplain? Search { get; init; }

    /// <summary>Its prefetches, in order.</summary>
    public IReadOnlyList<QueryExplain> Prefetch { get; init; } = [];
}

/// <summary>The RAM one dense vector's graph holds, by component (see <see cref="Collection.DenseMemory"/>).</summary>
/// <param name="RowBytes">The stored rows in process memory (in the vector's <see cref="VectorDataType"/>); for rows kept on disk, their checksums.</param>
/// <param name="CodeBytes">Quantization codes: what searches walk when the vector is quantized.</param>
/// <param name="GraphBytes">Links and per-node state.</param>
/// <param name="DiskBytes">The file holding the rows when they are on disk (<see cref="MemoryTier"/>); the OS caches what is used of it.</param>
/// <param name="CodesFitted">True when searches walk codes.</param>
public sealed record DenseVectorMemory(long RowBytes, long CodeBytes, long GraphBytes, long DiskBytes, bool CodesFitted)
{
    /// <summary>The prefix copy adaptive searches walk (a prefix tier's, or one made for adaptive queries), in RAM.</summary>
    public long PrefixBytes { get; init; }

    /// <summary>Everything this vector holds in process memory: rows (or their checksums), prefix, codes, graph.</summary>
    public long RamBytes => RowBytes + PrefixBytes + CodeBytes + GraphBytes;
}
