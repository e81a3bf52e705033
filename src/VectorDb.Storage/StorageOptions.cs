namespace VectorDb.Storage;

/// <summary>Durability and checkpoint settings of a database on disk.</summary>
public sealed record StorageOptions
{
    /// <summary>Defaults: commit every 100 ms, checkpoint every 5 minutes or 64 MiB of log.</summary>
    public static StorageOptions Default { get; } = new();

    /// <summary>
    /// Longest time a write acknowledged with <c>wait=false</c> stays in memory only before the write-ahead
    /// log commits it to disk (Qdrant's default is similar).
    /// </summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A checkpoint is taken at least this often while there are writes.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A checkpoint is also taken once the log holds this many bytes since the last one, which bounds the
    /// log replay at start-up; a smaller database checkpoints sooner, once the log holds about as many bytes as its
    /// points (one log segment at least), so that the log kept on disk stays proportional to its data.
    /// </summary>
    public long CheckpointLogBytes { get; init; } = 64L << 20;

    /// <summary>Memory FasterKV may use for point records before older records are served from disk.</summary>
    public long PointStoreMemoryBytes { get; init; } = 16L << 20;

    /// <summary>
    /// Disk space kept free on top of <see cref="PointStoreMemoryBytes"/> (which FasterKV may still have to
    /// flush): writes are refused with <see cref="StorageException"/> once less would remain, and a checkpoint
    /// is skipped unless its own size fits on top of it.
    /// </summary>
    public long MinFreeDiskBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Memory a checkpoint may copy the graphs' snapshots into while writers are kept out, so that they wait for a
    /// memory copy rather than the disk; what does not fit is written to disk with writers kept out. 0: always the disk.
    /// </summary>
    public long CheckpointCaptureBytes { get; init; } = 512L << 20;

    /// <summary>Take a checkpoint when the database is disposed, so the next open replays nothing.</summary>
    public bool CheckpointOnDispose { get; init; } = true;

    internal void Validate()
    {
        if (CommitInterval <= TimeSpan.Zero || CommitInterval > TimeSpan.FromSeconds(10))
        {
            throw new InvalidRequestException($"CommitInterval must be between 0 and 10 s, got {CommitInterval}.");
        }

        if (CheckpointInterval <= TimeSpan.Zero)
        {
            throw new InvalidRequestException($"CheckpointInterval must be positive, got {CheckpointInterval}.");
        }

        if (CheckpointLogBytes < 1 << 20)
        {
            throw new InvalidRequestException($"CheckpointLogBytes must be at least 1 MiB, got {CheckpointLogBytes}.");
        }

        if (CheckpointCaptureBytes < 0)
        {
            throw new InvalidRequestException($"CheckpointCaptureBytes must not be negative, got {CheckpointCaptureBytes}.");
        }

        if (MinFreeDiskBytes < 0)
        {
            throw new InvalidRequestException($"MinFreeDiskBytes must not be negative, got {MinFreeDiskBytes}.");
        }

        if (PointStoreMemoryBytes < 16L << 20 || !long.IsPow2(PointStoreMemoryBytes))
        {
            throw new InvalidRequestException($"PointStoreMemoryBytes must be a power of two of at least 16 MiB, got {PointStoreMemoryBytes}.");
        }
    }
}
