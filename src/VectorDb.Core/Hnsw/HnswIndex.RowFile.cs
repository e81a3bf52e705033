using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    private RowFile? _rowFile; // set: _vectors points into this file's mapping, not into a NodeArena allocation
    private bool _rowsAwaitFile; // loading a snapshot whose rows are in a file: no row arena until it is attached
    private ulong[] _rowChecksums = []; // XxHash3 of each row, when rows are in a file
    private ulong _emptyRowChecksum; // of a row never written (zeros): ids skipped by Reserve(id, …) keep it
    private MemoryTier _rowTier;

    /// <summary>Where the rows live: <see cref="MemoryTier.Pinned"/> (process memory) unless <see cref="KeepRowsInFile"/> moved them.</summary>
    public MemoryTier RowTier => _rowTier;

    /// <summary>The file holding the rows, or null when they are in process memory.</summary>
    public string? RowsPath => _rowFile?.Path;

    /// <summary>
    /// Copies the row file (the rows of every node so far) and its identity to <paramref name="path"/>, for a snapshot
    /// that must carry them: its graph snapshot holds only their checksums. The caller keeps writers out.
    /// </summary>
    /// <exception cref="InvalidOperationException">The rows are in process memory, not in a file.</exception>
    public void CopyRowFile(string path)
    {
        EnterShared();
        try
        {
            var file = _rowFile ?? throw new InvalidOperationException("The rows are in process memory, not in a file.");
            file.Flush();
            file.CopyTo(path, (long)Math.Min(_count, _capacity) * _rowBytes);
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>Bytes of the file holding the rows (0 when they are in process memory); page cache, not process memory.</summary>
    public long RowDiskBytes => _rowFile?.Length ?? 0;

    /// <summary>
    /// Moves the rows into a memory-mapped file at <paramref name="path"/> (created, or replaced), where the OS pages them
    /// in and out: the graph's links and its codes (<see cref="Quantize"/>) stay in process memory, and with codes a
    /// search reads rows only to rescore its candidates. Every row gets a checksum, checked whenever a row is read to be
    /// served (the rows behind a search's results and their scores, rescoring, exact scans, <see cref="CopyVector"/>)
    /// and, for <see cref="MemoryTier.Cached"/>, when a snapshot is loaded; a walk's intermediate distances are not
    /// checked. Snapshots then hold the checksums and the file's identity instead of the rows. Call once, before
    /// inserts or with them kept out.
    /// </summary>
    /// <exception cref="InvalidRequestException"><paramref name="tier"/> is <see cref="MemoryTier.Pinned"/>, or the rows are in a file already.</exception>
    public void KeepRowsInFile(string path, MemoryTier tier)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (tier == MemoryTier.Pinned || _rowFile is not null)
        {
            throw new InvalidRequestException(tier == MemoryTier.Pinned ? "Pinned rows are kept in process memory, not in a file." : $"The rows are in {_rowFile!.Path} already.");
        }

        _resizeLock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var file = RowFile.Create(path, (long)_capacity * _rowBytes);
            Buffer.MemoryCopy(_vectors, file.Pointer, (long)_capacity * _rowBytes, (long)_capacity * _rowBytes);
            NodeArena.Free(_vectors);
            _vectors = file.Pointer;
            _rowFile = file;
            _rowTier = tier;
            _emptyRowChecksum = XxHash3.HashToUInt64(new byte[_rowBytes]);
            _rowChecksums = new ulong[_capacity];
            for (int id = 0; id < _capacity; id++)
            {
                _rowChecksums[id] = id < _count ? RowChecksum(id) : _emptyRowChecksum;
            }

            RestrideCodes();
        }
        finally
        {
            _resizeLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Maps the row file a snapshot's graph was saved with (the one of that identity, holding its rows) and checks it
    /// against the snapshot's checksums (<paramref name="checksums"/>: the first <paramref name="count"/> are read). Call while loading.
    /// </summary>
    private void AttachRowFile(RowFileOptions options, Guid identity, ulong[] checksums, int count)
    {
        var file = RowFile.Open(options.Path, (long)count * _rowBytes, identity);
        try
        {
            file.Grow((long)_capacity * _rowBytes);
            _vectors = file.Pointer;
            _rowFile = file;
            _rowsAwaitFile = false;
            _rowTier = options.Tier;
            _emptyRowChecksum = XxHash3.HashToUInt64(new byte[_rowBytes]);
            _rowChecksums = checksums;
            Array.Fill(_rowChecksums, _emptyRowChecksum, count, _rowChecksums.Length - count);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        if (options.Tier == MemoryTier.Cached)
        {
            // Read through once: every row checked, and the page cache warmed for the first searches.
            try
            {
                for (int id = 0; id < count; id++)
                {
                    VerifyRow(id);
                }
            }
            catch (DataCorruptionException e)
            {
                throw new InvalidDataException(e.Message, e);
            }
        }
    }

    /// <summary>Grows the row file with the other arenas. Call holding the lock exclusively.</summary>
    private byte* GrowRowFile(int capacity)
    {
        _rowFile!.Grow((long)capacity * _rowBytes);
        int old = _rowChecksums.Length;
        Array.Resize(ref _rowChecksums, capacity);
        Array.Fill(_rowChecksums, _emptyRowChecksum, old, capacity - old);
        return _rowFile.Pointer;
    }

    /// <summary>Checks the rows behind a search's results, when rows are in a file: their scores came from them.</summary>
    private void VerifyServed(ReadOnlySpan<Neighbor> results)
    {
        if (_rowFile is not null)
        {
            foreach (var result in results)
            {
                VerifyRow(result.Id);
            }
        }
    }

    /// <summary>Records a row's checksum after it is written, when rows are in a file. Call holding the lock.</summary>
    private void RecordRowChecksum(int id)
    {
        if (_rowFile is not null)
        {
            _rowChecksums[id] = RowChecksum(id);
        }
    }

    /// <summary>A row about to be served (rescored, scanned, copied out): checked first when it comes from a file.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref byte ServedRow(int id)
    {
        if (_rowFile is not null)
        {
            VerifyRow(id);
        }

        return ref VectorRef(id);
    }

    private void VerifyRow(int id)
    {
        if (RowChecksum(id) != _rowChecksums[id])
        {
            throw new DataCorruptionException($"Row {id} of the vector file {_rowFile!.Path} failed its checksum: the file is damaged.");
        }
    }

    private ulong RowChecksum(int id) => XxHash3.HashToUInt64(new ReadOnlySpan<byte>(VectorPointer(id), (int)_rowBytes));

    /// <summary>
    /// Starts reading the rows of a search's candidates from disk before they are rescored, for <see cref="MemoryTier.Cold"/>
    /// rows. Cached rows are expected in the page cache, where a request per row is a system call for nothing: it halved
    /// the QPS of int8 walks on page-cached rows (fashion-mnist, wordnet).
    /// </summary>
    private void PrefetchRows(ReadOnlySpan<Neighbor> candidates)
    {
        if (_rowFile is not null && _rowTier == MemoryTier.Cold)
        {
            foreach (var candidate in candidates)
            {
                RowFile.Prefetch(VectorPointer(candidate.Id), _rowBytes);
            }
        }
    }
}

/// <summary>Where a graph's rows are when it keeps them in a file (<see cref="HnswIndex.KeepRowsInFile"/>, <see cref="HnswIndex.ReadSnapshot(Stream, RowFileOptions?)"/>).</summary>
/// <param name="Path">The row file.</param>
/// <param name="Tier">How it is used: <see cref="MemoryTier.Cached"/> reads it through (checking it) on load, <see cref="MemoryTier.Cold"/> does not.</param>
public sealed record RowFileOptions(string Path, MemoryTier Tier);
