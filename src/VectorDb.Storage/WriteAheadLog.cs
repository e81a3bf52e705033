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
/// <para>
/// FasterLog checks its own per-entry checksums only on entries it reads from disk below its head address; the
/// entries of the last page, which its recovery loads into memory, come back unchecked. A damaged record there was
/// decoded and applied — or, damaged inside a payload, made the database refuse to open. So each entry also
/// carries a checksum of ours: <see cref="ChecksummedEntry"/>, the record's XxHash3, then the record.
/// </para>
/// <para>
/// A FasterLog entry must fit in one page (4 MiB), but a record may not: an upsert of 10,000 points of 784
/// dimensions is 31 MB. A record larger than <see cref="MaxEntryBytes"/> is appended as consecutive fragment entries
/// (<see cref="FragmentMarker"/>, index, count, bytes), and <see cref="Read"/> yields it only once all of them are
/// there: replay never sees part of a record, whether a crash cut the sequence short or an append failed midway.
/// </para>
/// </remarks>
internal sealed class WriteAheadLog : IDisposable
{
    // A first byte MessagePack never writes ("never used" in its format), so entries written before they carried
    // a checksum of ours — which start with the record's own MessagePack header — are told apart and still read.
    private const byte ChecksummedEntry = 0xC1;
    private const int EntryHeaderBytes = 1 + sizeof(ulong);

    // Inside a checksummed entry, a record starts with its MessagePack array header; a fragment starts with this
    // byte, which MessagePack never writes, then its index and the fragment count.
    private const byte FragmentMarker = 0xC1;
    private const int FragmentHeaderBytes = 1 + sizeof(int) + sizeof(int);

    /// <summary>
    /// The largest entry appended whole; larger records are split. A quarter of a page, so a fragment never waits for
    /// more than one page to be flushed before it fits.
    /// </summary>
    public const int MaxEntryBytes = 1 << 20;

    private readonly IDevice _device;
    private readonly FasterLog _log;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _commitLoop;
    private volatile Exception? _commitFailure;

    private readonly DiskSpaceGuard _disk;

    // Keeps the fragments of one record contiguous: collections append concurrently.
    private readonly Lock _appendLock = new();

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
    /// <exception cref="StorageException">The log cannot be written, or the disk is nearly full; the record was not appended
    /// (fragments of it that were are never read back as a record).</exception>
    public long Append(LogRecord record)
    {
        ThrowIfCommitFailed();
        var body = Serialization.Serialize(record);
        if (EntryHeaderBytes + body.Length <= MaxEntryBytes)
        {
            var entry = new byte[EntryHeaderBytes + body.Length];
            body.CopyTo(entry, EntryHeaderBytes);
            return AppendEntries([Checksummed(entry)], entry.Length);
        }

        const int fragmentBytes = MaxEntryBytes - EntryHeaderBytes - FragmentHeaderBytes;
        int count = (body.Length + fragmentBytes - 1) / fragmentBytes;
        var entries = new byte[count][];
        for (int index = 0; index < count; index++)
        {
            var part = body.AsSpan(index * fragmentBytes, Math.Min(fragmentBytes, body.Length - (index * fragmentBytes)));
            var entry = new byte[EntryHeaderBytes + FragmentHeaderBytes + part.Length];
            entry[EntryHeaderBytes] = FragmentMarker;
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(EntryHeaderBytes + 1), index);
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(EntryHeaderBytes + 1 + sizeof(int)), count);
            part.CopyTo(entry.AsSpan(EntryHeaderBytes + FragmentHeaderBytes));
            entries[index] = Checksummed(entry);
        }

        return AppendEntries(entries, body.Length + (count * (EntryHeaderBytes + FragmentHeaderBytes)));
    }

    /// <summary>Fills in an entry's header: our marker and the checksum of what follows it.</summary>
    private static byte[] Checksummed(byte[] entry)
    {
        entry[0] = ChecksummedEntry;
        BinaryPrimitives.WriteUInt64LittleEndian(entry.AsSpan(1), XxHash3.HashToUInt64(entry.AsSpan(EntryHeaderBytes)));
        return entry;
    }

    private long AppendEntries(byte[][] entries, long totalBytes)
    {
        _disk.EnsureRoomFor(totalBytes);
        lock (_appendLock)
        {
            try
            {
                foreach (var entry in entries)
                {
                    _log.Enqueue(entry);
                }

                return _log.TailAddress;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new StorageException($"Cannot append to the write-ahead log: {e.Message}", e);
            }
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
    /// checksum or cannot be decoded, and reports through <paramref name="dropped"/> the range it skipped. A record
    /// whose fragments are not all there (a crash during its append, or a failed append) is skipped and logged.
    /// </summary>
    /// <returns>Each record with the address of its last entry.</returns>
    public IEnumerable<(long Address, LogRecord Record)> Read(long fromAddress, Action<long, long, Exception> dropped)
    {
        long start = Math.Max(fromAddress, _log.BeginAddress);
        long end = _log.CommittedUntilAddress;
        if (start >= end)
        {
            yield break;
        }

        using var iterator = _log.Scan(start, end, scanUncommitted: false);
        var fragments = new FragmentedRecord();
        while (true)
        {
            LogRecord? record;
            long address;
            try
            {
                if (!iterator.GetNext(out byte[] entry, out int length, out address, out _))
                {
                    break;
                }

                record = Decode(entry.AsMemory(0, length), fragments, address);
            }
            catch (Exception e) when (e is FasterException or InvalidDataException or IOException)
            {
                dropped(iterator.NextAddress, end, e);
                yield break;
            }

            if (record is not null)
            {
                yield return (address, record);
            }
        }

        fragments.DiscardIncomplete(_logger, end);
    }

    /// <summary>
    /// The record in an entry, after checking its checksum (entries written before they had one are taken as they
    /// are); null for a fragment that does not complete its record.
    /// </summary>
    /// <exception cref="InvalidDataException">The entry fails its checksum or cannot be decoded.</exception>
    private LogRecord? Decode(ReadOnlyMemory<byte> entry, FragmentedRecord fragments, long address)
    {
        var bytes = entry.Span;
        if (bytes.IsEmpty || bytes[0] != ChecksummedEntry)
        {
            fragments.DiscardIncomplete(_logger, address);
            return Serialization.Deserialize<LogRecord>(entry);
        }

        if (bytes.Length < EntryHeaderBytes || XxHash3.HashToUInt64(bytes[EntryHeaderBytes..]) != BinaryPrimitives.ReadUInt64LittleEndian(bytes[1..]))
        {
            throw new InvalidDataException("A write-ahead log entry fails its checksum.");
        }

        var content = entry[EntryHeaderBytes..];
        if (content.Span is not [FragmentMarker, ..])
        {
            fragments.DiscardIncomplete(_logger, address);
            return Serialization.Deserialize<LogRecord>(content);
        }

        if (content.Length < FragmentHeaderBytes)
        {
            throw new InvalidDataException("A write-ahead log fragment is shorter than its header.");
        }

        int index = BinaryPrimitives.ReadInt32LittleEndian(content.Span[1..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(content.Span[(1 + sizeof(int))..]);
        return fragments.Add(index, count, content[FragmentHeaderBytes..], _logger, address) is { } whole
            ? Serialization.Deserialize<LogRecord>(whole)
            : null;
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

    /// <summary>The fragments of the record being read, until its last one arrives.</summary>
    private sealed class FragmentedRecord
    {
        private readonly List<ReadOnlyMemory<byte>> _parts = [];
        private int _count;

        /// <summary>Adds the next fragment; returns the whole record's bytes once it is complete.</summary>
        public byte[]? Add(int index, int count, ReadOnlyMemory<byte> part, ILogger logger, long address)
        {
            if (index == 0 || index != _parts.Count || count != _count)
            {
                DiscardIncomplete(logger, address);
                if (index != 0 || count < 2)
                {
                    StorageLog.FragmentsDiscarded(logger, 1, address);
                    return null;
                }

                _count = count;
            }

            _parts.Add(part.ToArray());
            if (_parts.Count < _count)
            {
                return null;
            }

            var whole = new byte[_parts.Sum(p => p.Length)];
            int offset = 0;
            foreach (var fragment in _parts)
            {
                fragment.Span.CopyTo(whole.AsSpan(offset));
                offset += fragment.Length;
            }

            _parts.Clear();
            _count = 0;
            return whole;
        }

        /// <summary>Drops the fragments of a record that did not complete before <paramref name="address"/>.</summary>
        public void DiscardIncomplete(ILogger logger, long address)
        {
            if (_parts.Count > 0)
            {
                StorageLog.FragmentsDiscarded(logger, _parts.Count, address);
                _parts.Clear();
                _count = 0;
            }
        }
    }
}
