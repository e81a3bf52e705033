using VectorDb.Storage;

namespace VectorDb.Server;

/// <summary>Server settings, bound from the <c>VectorDb</c> configuration section, <c>--data-dir</c> and <c>--api-key</c>.</summary>
public sealed class ServerOptions
{
    /// <summary>Data directory; <c>:memory:</c> for a database that is not persisted.</summary>
    public string DataDir { get; set; } = "data/storage";

    /// <summary>
    /// Where the gRPC API listens (<c>--grpc-urls</c>): addresses separated by <c>;</c>, or <c>none</c>. The REST API's
    /// are ASP.NET Core's <c>--urls</c>.
    /// </summary>
    public string GrpcUrls { get; set; } = ServerEndpoints.DefaultGrpcUrl;

    /// <summary>When set, every endpoint but health and <c>GET /</c> requires this key.</summary>
    public string? ApiKey { get; set; }

    /// <summary>When set, this key may read (retrieve, search, query, scroll, count, inspect) but not write (403).</summary>
    public string? ReadOnlyApiKey { get; set; }

    /// <summary>Largest request body accepted, in bytes (413 beyond).</summary>
    public long MaxRequestBodyBytes { get; set; } = 32L << 20;

    /// <summary>Most points in one upsert (400 beyond).</summary>
    public int MaxBatchPoints { get; set; } = 10_000;

    /// <summary>Largest <c>limit + offset</c> of a search, query or scroll (400 beyond).</summary>
    public int MaxLimit { get; set; } = 10_000;

    /// <summary>Largest <c>hnsw_ef</c> (400 beyond).</summary>
    public int MaxEf { get; set; } = 10_000;

    /// <summary>Largest vector size of a new collection (400 beyond); at most 65,536.</summary>
    public int MaxDimensions { get; set; } = CollectionOptions.MaxDimensions;

    /// <summary>Longest a search, query or count may run, in seconds (408 beyond); <c>?timeout=</c> may shorten it.</summary>
    public double QueryTimeoutSeconds { get; set; } = 60;

    /// <summary>Seconds between checkpoints, which bound how much log a restart replays.</summary>
    public double CheckpointIntervalSeconds { get; set; } = StorageOptions.Default.CheckpointInterval.TotalSeconds;

    /// <summary>Log bytes after which a checkpoint is taken before the interval is up.</summary>
    public long CheckpointLogBytes { get; set; } = StorageOptions.Default.CheckpointLogBytes;

    /// <summary>
    /// MiB of point records the point store (FasterKV) keeps in memory before serving older ones from disk: with
    /// the graphs' links and codes, what a memory-limited server must budget for (<c>--point-store-memory-mb</c>).
    /// </summary>
    public int PointStoreMemoryMb { get; set; } = (int)(StorageOptions.Default.PointStoreMemoryBytes >> 20);

    /// <summary>
    /// MiB a checkpoint may copy the graphs' snapshots into while writers wait, so that they wait for a memory copy and
    /// not the disk; 0 writes them to disk with writers kept out (<c>--checkpoint-capture-mb</c>).
    /// </summary>
    public int CheckpointCaptureMb { get; set; } = (int)(StorageOptions.Default.CheckpointCaptureBytes >> 20);

    /// <summary>
    /// A full-storage snapshot to restore when the server starts, before it takes traffic (<c>--storage-snapshot</c>,
    /// as Qdrant's): its collections and aliases join the data directory's.
    /// </summary>
    public string? StorageSnapshot { get; set; }

    /// <summary>
    /// Whether <see cref="StorageSnapshot"/> replaces collections and aliases of the same names (<c>--force-snapshot</c>);
    /// otherwise such a name stops the server before anything changes.
    /// </summary>
    public bool ForceSnapshot { get; set; }

    /// <summary>The storage settings these options describe.</summary>
    internal StorageOptions ToStorageOptions() => new()
    {
        CheckpointInterval = TimeSpan.FromSeconds(CheckpointIntervalSeconds),
        CheckpointLogBytes = CheckpointLogBytes,
        PointStoreMemoryBytes = (long)PointStoreMemoryMb << 20,
        CheckpointCaptureBytes = (long)CheckpointCaptureMb << 20,
    };

    /// <summary>Throws <see cref="InvalidRequestException"/> when <paramref name="value"/> of <paramref name="what"/> exceeds <paramref name="max"/>.</summary>
    internal static void Check(string what, long value, long max, string setting)
    {
        if (value > max)
        {
            throw new InvalidRequestException($"{what} is {value}, more than this server's limit of {max} (setting VectorDb:{setting}).");
        }
    }
}
