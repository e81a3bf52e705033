using System.Buffers.Binary;
using System.Runtime.InteropServices;
using VectorDb.Quantization;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    private const ulong SnapshotMagic = 0x31_57_53_4E_48_42_44_56; // "VDBHNSW1" little-endian
    private const int SnapshotVersion = 3; // 3 may leave live nodes' rows out (rows flag 2); 2 added the codes section; 1 is read as a snapshot without codes
    private const int SnapshotVersionWithRows = 2; // what a snapshot that leaves no rows out is written as, so that older readers still read it
    private const int SnapshotHeaderBytes = 96;
    private const int CodeRowsPerChunk = 1 << 12; // code rows copied through a buffer between the snapshot (packed) and memory (CodeStride)

    /// <summary>
    /// Writes the whole graph — vectors, links, levels, node states — so it can be loaded without a rebuild.
    /// Searches may run meanwhile; the caller must keep writers out so the snapshot is consistent.
    /// </summary>
    /// <remarks>
    /// Format (little-endian): a 96-byte header {magic "VDBHNSW1", version, dimensions, metric, M,
    /// efConstruction, seed, node count, live count, entry (level&lt;&lt;32 | node), level counter, data type (0 =
    /// float32, so snapshots written before data types existed read as float32), where the rows are (i32: 0 in the
    /// snapshot, 1 in the file <see cref="KeepRowsInFile"/> keeps them in, 2 left out for live nodes) and the row
    /// file's identity (16 bytes)}, then per-node arrays: levels (u8), states (u8), layer-0 in-degrees (i32), vectors
    /// (dimensions elements of the data type, no padding; with rows in a file, each row's checksum instead as u64, the
    /// file flushed first; with live rows left out, under cosine the scale each row was written with (f32, NaN when not
    /// known), then the rows that are not left out: those of nodes not live, and under cosine of unknown scale),
    /// layer-0 link blocks ((1 + 2M) × i32), then the upper-layer blocks of every node with level &gt; 0
    /// (level × (1 + M) × i32), in node order; since version 2, a byte saying which codes follow (0: none, 1: scalar,
    /// 3: binary; 2, binary codes of a retired kind, is read past and the codes fitted again), their fit (the code book's parameters) and one code row per node
    /// (<see cref="Quantize"/>). The snapshot's own integrity (its checksum) is the storage layer's job; the row
    /// checksums are the row file's.
    /// </remarks>
    public void WriteSnapshot(Stream stream) => WriteSnapshot(stream, leaveOutLiveRows: false);

    /// <summary>
    /// <see cref="WriteSnapshot(Stream)"/>, leaving out the rows of live nodes when <paramref name="leaveOutLiveRows"/>
    /// and the rows are in process memory: for an owner that stores every live node's vector elsewhere and gives them
    /// back after loading (<see cref="RestoreRow"/>), so that vectors are not written twice. Nodes that are not live
    /// keep their rows (walks still pass through deleted nodes); rows kept in a file are never written.
    /// </summary>
    public void WriteSnapshot(Stream stream, bool leaveOutLiveRows)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (RowsPending)
        {
            throw new InvalidOperationException("The graph still waits for the rows its snapshot left out.");
        }

        EnterShared();
        try
        {
            int count = Math.Min(_count, _capacity);
            int rowsFlag = _rowFile is not null ? 1 : leaveOutLiveRows ? 2 : 0;

            // Which rows are left out is decided once, from copies: a state read twice could change in between (the
            // shared lock lets nodes be published or retired) and shift every byte after it.
            byte[] states = rowsFlag == 2 ? _states.AsSpan(0, count).ToArray() : _states;
            float[]? scales = rowsFlag == 2 ? _rowScales?.AsSpan(0, count).ToArray() : null;
            Span<byte> header = stackalloc byte[SnapshotHeaderBytes];
            header.Clear();
            BinaryPrimitives.WriteUInt64LittleEndian(header, SnapshotMagic);
            BinaryPrimitives.WriteInt32LittleEndian(header[8..], rowsFlag == 2 ? SnapshotVersion : SnapshotVersionWithRows);
            BinaryPrimitives.WriteInt32LittleEndian(header[12..], _dimensions);
            BinaryPrimitives.WriteInt32LittleEndian(header[16..], (int)Metric);
            BinaryPrimitives.WriteInt32LittleEndian(header[20..], _m);
            BinaryPrimitives.WriteInt32LittleEndian(header[24..], _efConstruction);
            BinaryPrimitives.WriteUInt64LittleEndian(header[28..], Parameters.Seed);
            BinaryPrimitives.WriteInt32LittleEndian(header[36..], count);
            BinaryPrimitives.WriteInt32LittleEndian(header[40..], _liveCount);
            BinaryPrimitives.WriteInt64LittleEndian(header[44..], Volatile.Read(ref _entry));
            BinaryPrimitives.WriteInt64LittleEndian(header[52..], Interlocked.Read(ref _levelCounter));
            BinaryPrimitives.WriteInt32LittleEndian(header[60..], (int)_dataType);
            BinaryPrimitives.WriteInt32LittleEndian(header[64..], rowsFlag);
            if (_rowFile is not null)
            {
                _rowFile.Identity.TryWriteBytes(header[68..]);
            }

            stream.Write(header);

            stream.Write(_levels.AsSpan(0, count));
            stream.Write(states.AsSpan(0, count));
            stream.Write(MemoryMarshal.AsBytes(_inDegree.AsSpan(0, count)));
            if (_rowFile is not null)
            {
                _rowFile.Flush();
                stream.Write(MemoryMarshal.AsBytes(_rowChecksums.AsSpan(0, count)));
            }
            else
            {
                if (scales is not null)
                {
                    stream.Write(MemoryMarshal.AsBytes(scales.AsSpan()));
                }

                for (int id = 0; id < count; id++)
                {
                    if (rowsFlag == 0 || !RowLeftOut(states[id], scales, id))
                    {
                        stream.Write(new ReadOnlySpan<byte>(VectorPointer(id), _dimensions * _elementBytes));
                    }
                }
            }

            stream.Write(new ReadOnlySpan<byte>(_links0, checked(count * _linkStride0 * sizeof(int))));
            for (int id = 0; id < count; id++)
            {
                if (_levels[id] > 0)
                {
                    stream.Write(MemoryMarshal.AsBytes(_upperLinks[id].AsSpan()));
                }
            }

            WriteCodes(stream, count);
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>Loads a graph written by <see cref="WriteSnapshot(Stream)"/> (a snapshot that holds its rows, or keeps them in a file).</summary>
    /// <param name="stream">The snapshot.</param>
    /// <param name="rows">
    /// The file the rows are in, for a graph that kept them in one (its snapshot holds their checksums only); for a
    /// snapshot holding its rows, they are moved into this file. Null: the rows are in the snapshot and stay in process memory.
    /// </param>
    /// <exception cref="InvalidDataException">The stream is not a snapshot of a supported version, or is inconsistent,
    /// or its rows are in a file not given, too short, or (<see cref="MemoryTier.Cached"/>) failing their checksums.</exception>
    public static HnswIndex ReadSnapshot(Stream stream, RowFileOptions? rows = null) => ReadSnapshot(stream, rows, rowsGivenBack: false);

    /// <summary>
    /// <see cref="ReadSnapshot(Stream, RowFileOptions?)"/>, also reading a snapshot that left live nodes' rows out when
    /// the caller gives them back (<paramref name="rowsGivenBack"/>); such a graph is <see cref="RowsPending"/> until then.
    /// </summary>
    /// <exception cref="InvalidDataException">Also: the snapshot left its rows out and <paramref name="rowsGivenBack"/> is false.</exception>
    public static HnswIndex ReadSnapshot(Stream stream, RowFileOptions? rows, bool rowsGivenBack)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[SnapshotHeaderBytes];
        stream.ReadExactly(header);
        if (BinaryPrimitives.ReadUInt64LittleEndian(header) != SnapshotMagic)
        {
            throw new InvalidDataException("Not an HNSW snapshot (bad magic).");
        }

        int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (version is < 1 or > SnapshotVersion)
        {
            throw new InvalidDataException($"HNSW snapshot version {version} is not supported (expected {SnapshotVersion}).");
        }

        int dimensions = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
        var metric = (DistanceMetric)BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
        var parameters = new HnswParameters
        {
            M = BinaryPrimitives.ReadInt32LittleEndian(header[20..]),
            EfConstruction = BinaryPrimitives.ReadInt32LittleEndian(header[24..]),
            Seed = BinaryPrimitives.ReadUInt64LittleEndian(header[28..]),
            DataType = (VectorDataType)BinaryPrimitives.ReadInt32LittleEndian(header[60..]),
        };
        int count = BinaryPrimitives.ReadInt32LittleEndian(header[36..]);
        if (count < 0)
        {
            throw new InvalidDataException($"HNSW snapshot has a negative node count ({count}).");
        }

        int rowsFlag = BinaryPrimitives.ReadInt32LittleEndian(header[64..]);
        if (rowsFlag is not (0 or 1) && !(rowsFlag == 2 && version >= 3))
        {
            throw new InvalidDataException($"HNSW snapshot has an unknown rows flag {rowsFlag}.");
        }

        if (rowsFlag == 2 && !rowsGivenBack)
        {
            throw new InvalidDataException("The HNSW snapshot left its live nodes' rows out (a checkpoint's, whose point store holds them); it can only be loaded by one that gives them back.");
        }

        bool rowsInFile = rowsFlag == 1;
        if (rowsInFile && rows is null)
        {
            throw new InvalidDataException("The HNSW snapshot's rows are in a file, and none was given.");
        }

        HnswIndex index;
        try
        {
            index = new HnswIndex(dimensions, metric, parameters, Math.Max(count, 16), rowsInFile);
        }
        catch (InvalidRequestException e)
        {
            throw new InvalidDataException($"HNSW snapshot header is invalid: {e.Message}", e);
        }

        try
        {
            index.LoadBody(stream, header, count, rowsInFile ? rows : null, liveRowsLeftOut: rowsFlag == 2);
            if (version >= 2)
            {
                index.ReadCodes(stream, count, rowsBoundForFile: rows is not null);
            }

            if (rowsFlag == 2)
            {
                index.AwaitLiveRows(count, rows); // moved into the file, if one is given, once they are all there
            }
            else if (!rowsInFile && rows is not null)
            {
                index.KeepRowsInFile(rows.Path, rows.Tier);
            }

            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    private void LoadBody(Stream stream, ReadOnlySpan<byte> header, int count, RowFileOptions? rowFile, bool liveRowsLeftOut)
    {
        stream.ReadExactly(_levels.AsSpan(0, count));
        stream.ReadExactly(_states.AsSpan(0, count));
        stream.ReadExactly(MemoryMarshal.AsBytes(_inDegree.AsSpan(0, count)));
        if (!liveRowsLeftOut)
        {
            _rowScales?.AsSpan(0, count).Fill(float.NaN); // rows as a snapshot holds them: the scale they were written with is not known
        }

        if (rowFile is not null)
        {
            var checksums = new ulong[_capacity];
            stream.ReadExactly(MemoryMarshal.AsBytes(checksums.AsSpan(0, count)));
            AttachRowFile(rowFile, new Guid(header.Slice(68, 16)), checksums, count);
        }
        else
        {
            if (_rowScales is not null && liveRowsLeftOut)
            {
                stream.ReadExactly(MemoryMarshal.AsBytes(_rowScales.AsSpan(0, count)));
            }

            for (int id = 0; id < count; id++)
            {
                if (!liveRowsLeftOut || !RowLeftOut(_states[id], _rowScales, id))
                {
                    stream.ReadExactly(new Span<byte>(VectorPointer(id), _dimensions * _elementBytes));
                }
            }
        }

        stream.ReadExactly(new Span<byte>(_links0, checked(count * _linkStride0 * sizeof(int))));
        int live = 0;
        for (int id = 0; id < count; id++)
        {
            int level = _levels[id];
            if (level > MaxLevel)
            {
                throw new InvalidDataException($"Node {id} has level {level}.");
            }

            if (level > 0)
            {
                var upper = new int[level * _linkStrideUpper];
                stream.ReadExactly(MemoryMarshal.AsBytes(upper.AsSpan()));
                _upperLinks[id] = upper;
            }

            // A node caught between Reserve and Link has no trustworthy links, and an unpublished one belongs
            // to a batch that never became visible: never return either.
            if (_states[id] is StateReserved or StateHidden)
            {
                _states[id] = StateDeleted;
            }

            live += _states[id] == StateLive ? 1 : 0;
        }

        ValidateLinks(count);
        _count = count;
        _rowsWritten = count;
        _liveCount = live;
        _entry = BinaryPrimitives.ReadInt64LittleEndian(header[44..]);
        _levelCounter = BinaryPrimitives.ReadInt64LittleEndian(header[52..]);
        if (_entry != -1 && (uint)UnpackEntry(_entry).Node >= (uint)count)
        {
            throw new InvalidDataException("HNSW snapshot entry point is out of range.");
        }
    }

    /// <summary>Every link must name an existing node, or a search would read outside the arena.</summary>
    private void ValidateLinks(int count)
    {
        for (int id = 0; id < count; id++)
        {
            for (int level = 0; level <= _levels[id]; level++)
            {
                var block = Block(id, level);
                int max = level == 0 ? _m0 : _m;
                if ((uint)block[0] > (uint)max)
                {
                    throw new InvalidDataException($"Node {id} has {block[0]} links on layer {level}, more than {max}.");
                }

                foreach (int neighbor in block.Slice(1, block[0]))
                {
                    if ((uint)neighbor >= (uint)count || _levels[neighbor] < level)
                    {
                        throw new InvalidDataException($"Node {id} links to invalid node {neighbor} on layer {level}.");
                    }
                }
            }
        }
    }

    private void WriteCodes(Stream stream, int count)
    {
        if (_codeBook is not { } book)
        {
            stream.WriteByte(0);
            return;
        }

        book.Write(stream);

        // Snapshots hold rows packed (RowBytes), whatever the stride in memory.
        var packed = new byte[CodeRowsPerChunk * book.RowBytes];
        for (int id = 0; id < count; id += CodeRowsPerChunk)
        {
            int rows = Math.Min(CodeRowsPerChunk, count - id);
            for (int r = 0; r < rows; r++)
            {
                new ReadOnlySpan<byte>(_codes + ((nint)(id + r) * _codeStride), book.RowBytes).CopyTo(packed.AsSpan(r * book.RowBytes));
            }

            stream.Write(packed, 0, rows * book.RowBytes);
        }
    }

    /// <summary>
    /// Reads the codes a snapshot holds (packed). <paramref name="rowsBoundForFile"/>: the rows move into a file once loaded,
    /// so the codes are laid out packed now rather than aligned and then copied again.
    /// </summary>
    private void ReadCodes(Stream stream, int count, bool rowsBoundForFile)
    {
        int kind = stream.ReadByte();
        if (kind == 0)
        {
            return;
        }

        if (CodeBook.Read(stream, kind, Metric, _dimensions, count, out var retired) is not { } book)
        {
            // Codes of a retired kind: fitted again by Quantize (a collection calls it as it opens) or the next insert.
            _quantization = retired;
            return;
        }

        int stride = CodeStride(book, rowsBoundForFile);
        var codes = (byte*)NodeArena.Allocate((nuint)_capacity * (nuint)stride);
        NativeMemory.Clear(codes, (nuint)_capacity * (nuint)stride);
        try
        {
            var packed = new byte[CodeRowsPerChunk * book.RowBytes];
            for (int id = 0; id < count; id += CodeRowsPerChunk)
            {
                int rows = Math.Min(CodeRowsPerChunk, count - id);
                stream.ReadExactly(packed, 0, rows * book.RowBytes);
                for (int r = 0; r < rows; r++)
                {
                    packed.AsSpan(r * book.RowBytes, book.RowBytes).CopyTo(new Span<byte>(codes + ((nint)(id + r) * stride), book.RowBytes));
                }
            }
        }
        catch
        {
            NodeArena.Free(codes);
            throw;
        }

        _quantization = book.Options;
        ReplaceCodesHoldingLock(book, codes, stride);
    }
}
