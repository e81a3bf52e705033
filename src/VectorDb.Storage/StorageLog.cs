using Microsoft.Extensions.Logging;

namespace VectorDb.Storage;

/// <summary>Every message the storage layer logs, as source-generated delegates.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(1, LogLevel.Error, "The write-ahead log cannot commit; writes are refused until the database is reopened")]
    public static partial void CommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(2, LogLevel.Error, "The final commit of the write-ahead log failed")]
    public static partial void FinalCommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(3, LogLevel.Warning, "Write-ahead log is damaged from address {From} to {To}; the records there were dropped and the database recovered to the last valid record before them")]
    public static partial void LogTailDropped(ILogger logger, long from, long to, Exception exception);

    [LoggerMessage(4, LogLevel.Warning, "Checkpoint {Sequence} is unusable and was skipped: {Reason}")]
    public static partial void CheckpointSkipped(ILogger logger, long sequence, string reason);

    [LoggerMessage(5, LogLevel.Warning, "Graph snapshot of collection {Collection} is unusable ({Reason}); rebuilding its graph from the point store")]
    public static partial void SnapshotRebuilt(ILogger logger, string collection, string reason);

    [LoggerMessage(6, LogLevel.Information, "Recovered {Collections} collections with {Points} points from checkpoint {Sequence} and {Records} log records in {Milliseconds} ms")]
    public static partial void Recovered(ILogger logger, int collections, long points, long sequence, long records, long milliseconds);

    [LoggerMessage(7, LogLevel.Information, "Checkpoint {Sequence} written in {Milliseconds} ms, writers held out {HeldOutMilliseconds} ms, {CapturedBytes} bytes copied for it (log address {Address})")]
    public static partial void CheckpointWritten(ILogger logger, long sequence, long milliseconds, long address, long heldOutMilliseconds, long capturedBytes);

    [LoggerMessage(8, LogLevel.Error, "Checkpoint failed; the write-ahead log keeps every write until one succeeds")]
    public static partial void CheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "Payload links of collection {Collection} are unusable ({Reason}); they are made again in the background")]
    public static partial void PayloadLinksRelinked(ILogger logger, string collection, string reason);

    [LoggerMessage(10, LogLevel.Warning, "Write-ahead log holds {Fragments} fragments of a record that was never completed (before address {Address}); the record was not acknowledged and is skipped")]
    public static partial void FragmentsDiscarded(ILogger logger, int fragments, long address);

    [LoggerMessage(11, LogLevel.Information, "Point store compacted: its log now begins {Bytes} bytes later ({Milliseconds} ms)")]
    public static partial void PointStoreCompacted(ILogger logger, long bytes, long milliseconds);
}
