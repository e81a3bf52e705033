namespace VectorDb;

/// <summary>
/// Where a dense vector's stored rows live (Qdrant 1.19's <c>memory</c>; its older <c>on_disk: true</c> is
/// <see cref="Cached"/>). The graph's links and a quantized vector's codes stay in RAM whatever the tier: with codes,
/// searches read the rows only to rescore their best candidates.
/// </summary>
public enum MemoryTier
{
    /// <summary>In process memory, never evicted. The default.</summary>
    Pinned,

    /// <summary>In a memory-mapped file: read through once at open (which checks every row's checksum and warms the page cache), then paged in and out by the OS.</summary>
    Cached,

    /// <summary>In a memory-mapped file, not read at open: each row comes from disk on first use, and is checked then.</summary>
    Cold,
}
