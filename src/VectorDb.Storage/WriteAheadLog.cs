using System.Buffers.Binary;
using System.IO.Hashing;
using FASTER.core;
using Microsoft.Extensions.Logging;

namespace VectorDb.Storage;

/// <summary>
/// The write-ahead log: a FasterLog with a checksum per entry. Every mutation is appended before it is
/// applied; a background loop commits at least every <see cref="StorageOptions.CommitInterval"/>, and
/// <see cref="WaitForCommit"/> lets a <c>wait=true</c> writer return only once its entry is on disk.
/// </summary>
/// <remarks>
/// FasterLog checks its own per-entry checksums only on entries it reads from disk below its head address; the
/// entries of the last page, which its recovery loads into memory, come back unchecked. A damaged record there was
/// decoded and applied — or, damaged inside a payload, made the database refuse to open. So each entry also
/// carries a checksum of ours: <see cref="ChecksummedEntry"/>, the record's XxHash3, then the record.
/// </remarks>
internal sealed class WriteAheadLog : IDisposable
{
    // A first byte MessagePack never writes ("never used" in its format), so entries written before they carried
    // a checksum of ours — which start with the record's own MessagePack header — are told apart and still read.
    private const byte ChecksummedEntry = 0xC1;
    private const int EntryHeaderBytes = 1 + sizeof(ulong);

    private readonly IDevice _device;
    private readonly FasterLog _log;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _commitLoop;
    private volatile Exception? _commitFailure;

    private readonly DiskSpaceGuard _disk;

    public WriteAheadLog(string directory, TimeSpan commitInterval, DiskSpaceGuard disk, ILogger logger)
    {
        _logger = logger;
        _disk = disk;
        Directory.CreateDirectory(directory);
        _device = Devices.CreateLogDevice(Path.Combine(directory, "wal.log"), recoverDevice: true);
        try
        {
            _log = new FasterLog(new FasterLogSettings
            {
                LogDevice = _device,
                LogCommitDir = Path.Combine(directory, "commits"),
                LogChecksum = LogChecksumType.PerEntry,
                PageSizeBits = 22,
                MemorySizeBits = 26,
                SegmentSizeBits = 28,
            });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _device.Dispose();
            throw new StorageException($"Cannot open the write-ahead log in {directory}: {e.Message}", e);
        }

        _commitLoop = Task.Run(() => CommitLoopAsync(commitInterval));
    }

    /// <summary>Address after the last appended entry.</summary>
    public long TailAddress => _log.TailAddress;

    /// <summary>Address up to which entries are durable.</summary>
    public long CommittedUntilAddress => _log.CommittedUntilAddress;

    /// <summary>First address still in the log.</summary>
    public long BeginAddress => _log.BeginAddress;

    /// <summary>Appends a record; returns the address just past it, which is what <see cref="WaitForCommit"/> takes.</summary>
    /// <exception cref="StorageException">The log cannot be written, or the disk is nearly full; nothing was appended.</exception>
    public long Append(LogRecord record)
    {
        ThrowIfCommitFailed();
        var body = Serialization.Serialize(record);
        var bytes = new byte[EntryHeaderBytes + body.Length];
        bytes[0] = ChecksummedEntry;
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(1), XxHash3.HashToUInt64(body));
        body.CopyTo(bytes, EntryHeaderBytes);
        _disk.EnsureRoomFor(bytes.Length);
        try
        {
            _log.Enqueue(bytes);
            return _log.TailAddress;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new StorageException($"Cannot append to the write-ahead log: {e.Message}", e);
        }
    }

    /// <summary>Commits now and blocks until every entry before <paramref name="untilAddress"/> is durable.</summary>
    /// <exception cref="StorageException">The commit failed (disk full, I/O error).</exception>
    public void WaitForCommit(long untilAddress)
    {
        ThrowIfCommitFailed();
        try
        {
            if (_log.CommittedUntilAddress < untilAddress)
            {
                // FasterLog.WaitForCommit spins with Thread.Yield, which on two cores starves the I/O completion
                // it waits for; the async wait blocks on the commit task instead.
                _log.Commit(spinWait: false);
                _log.WaitForCommitAsync(untilAddress).AsTask().GetAwaiter().GetResult();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _commitFailure ??= e;
            throw new StorageException($"The write-ahead log could not be committed: {e.Message}", e);
        }

        ThrowIfCommitFailed();
    }

    /// <summary>
    /// Reads committed records from <paramref name="fromAddress"/> on. Stops at the first entry that fails its
    /// checksum or cannot be decoded, and reports through <paramref name="dropped"/> the range it skipped.
    /// </summary>
    public IEnumerable<(long Address, LogRecord Record)> Read(long fromAddress, Action<long, long, Exception> dropped)
    {
        long start = Math.Max(fromAddress, _log.BeginAddress);
        long end = _log.CommittedUntilAddress;
        if (start >= end)
        {
            yield break;
        }

        using var iterator = _log.Scan(start, end, scanUncommitted: false);
        while (true)
        {
            LogRecord record;
            long address;
            try
            {
                if (!iterator.GetNext(out byte[] entry, out int length, out address, out _))
                {
                    yield break;
                }

                record = Decode(entry.AsMemory(0, length));
            }
            catch (Exception e) when (e is FasterException or InvalidDataException or IOException)
            {
                dropped(iterator.NextAddress, end, e);
                yield break;
            }

            yield return (address, record);
        }
    }

    /// <summary>The record in an entry, after checking its checksum (entries written before they had one are taken as they are).</summary>
    /// <exception cref="InvalidDataException">The entry fails its checksum or cannot be decoded.</exception>
    private static LogRecord Decode(ReadOnlyMemory<byte> entry)
    {
        var bytes = entry.Span;
        if (bytes.IsEmpty || bytes[0] != ChecksummedEntry)
        {
            return Serialization.Deserialize<LogRecord>(entry);
        }

        if (bytes.Length < EntryHeaderBytes || XxHash3.HashToUInt64(bytes[EntryHeaderBytes..]) != BinaryPrimitives.ReadUInt64LittleEndian(bytes[1..]))
        {
            throw new InvalidDataException("A write-ahead log entry fails its checksum.");
        }

        return Serialization.Deserialize<LogRecord>(entry[EntryHeaderBytes..]);
    }

    /// <summary>Drops entries before <paramref name="address"/>: a checkpoint covers them.</summary>
    public void TruncateUntil(long address)
    {
        _log.TruncateUntil(address);
        CommitNow();
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _commitLoop.GetAwaiter().GetResult();

            if (_commitFailure is null)
            {
                CommitNow();
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            StorageLog.FinalCommitFailed(_logger, e);
        }

        _log.Dispose();
        _device.Dispose();
        _stop.Dispose();
    }

    /// <summary>
    /// Commits and waits, with a bound: after a failed commit FASTER's own spin-waiting commit never returns.
    /// </summary>
    private void CommitNow()
    {
        ThrowIfCommitFailed();
        if (!_log.CommitAsync().AsTask().Wait(TimeSpan.FromSeconds(30)))
        {
            throw new StorageException("The write-ahead log did not commit within 30 s.");
        }
    }

    private async Task CommitLoopAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (_log.CommittedUntilAddress < _log.TailAddress)
                {
                    await _log.CommitAsync(_stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _commitFailure = e;
            StorageLog.CommitFailed(_logger, e);
        }
    }

    private void ThrowIfCommitFailed()
    {
        if (_commitFailure is { } failure)
        {
            throw new StorageException(
                $"The write-ahead log failed to commit ({failure.Message}); the database is read-only until it is reopened.",
                failure);
        }
    }
}
