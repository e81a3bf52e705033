using VectorDb.Storage;

namespace VectorDb;

/// <summary>
/// A write that has been applied — searches and reads see it — and, in a database on disk, appended to the write-ahead
/// log. It is durable once the log commit covering it is on disk: <see cref="Wait"/> and <see cref="WaitAsync"/> return
/// then (the log commits on its own within <see cref="StorageOptions.CommitInterval"/> when nobody waits).
/// </summary>
public readonly struct WriteCommit
{
    private readonly WriteAheadLog? _log;
    private readonly long _address;

    internal WriteCommit(WriteAheadLog? log, long address) => (_log, _address) = (log, address);

    /// <summary>A write with nothing to wait for: in memory, or one that changed nothing.</summary>
    public static WriteCommit Done => default;

    /// <summary>True when the write is durable (or never will need to be: in memory, or nothing written).</summary>
    public bool IsDurable => _log is null || _log.CommittedUntilAddress >= _address;

    /// <summary>Blocks until the write is durable.</summary>
    /// <exception cref="StorageException">The log could not be committed.</exception>
    public void Wait() => _log?.WaitForCommit(_address);

    /// <summary>Completes when the write is durable, without blocking a thread.</summary>
    /// <param name="cancellation">Stops waiting (the write stays applied and is committed anyway).</param>
    /// <exception cref="StorageException">The log could not be committed.</exception>
    public ValueTask WaitAsync(CancellationToken cancellation = default) =>
        _log is null ? ValueTask.CompletedTask : _log.WaitForCommitAsync(_address, cancellation);
}
