using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace VectorDb.Storage;

/// <summary>
/// Memory the files of one checkpoint may be captured in (<see cref="CapturedFile"/>) between the moment their content
/// is taken, with writers kept out, and the moment it is written to disk, with writers back: chunks of native memory,
/// some of them touched ahead (<see cref="Prepare"/>) so that the copy made while writers wait does not also pay the
/// first touch of fresh pages (on this project's VMs ~3 ms a megabyte, more than the copy itself).
/// </summary>
internal sealed unsafe class CaptureBudget(long bytes) : IDisposable
{
    /// <summary>Bytes of the largest chunk, the one prepared ahead.</summary>
    public const int ChunkBytes = 4 << 20;

    private readonly Stack<nint> _ready = new();

    /// <summary>No memory: content goes straight to disk.</summary>
    public static CaptureBudget None => new(0);

    /// <summary>Bytes not yet handed out (chunks prepared ahead count as free).</summary>
    public long Remaining { get; private set; } = bytes;

    /// <summary>
    /// Allocates and touches chunks of <see cref="ChunkBytes"/> for about <paramref name="expectedBytes"/> ahead (within
    /// the budget), before writers are kept out; stops early, without failing, when memory is short.
    /// </summary>
    public void Prepare(long expectedBytes)
    {
        long chunks = Math.Min(expectedBytes, Remaining) / ChunkBytes;
        while (_ready.Count < chunks)
        {
            void* chunk;
            try
            {
                chunk = NativeMemory.Alloc(ChunkBytes);
            }
            catch (OutOfMemoryException)
            {
                return; // the copy will touch fresh memory instead
            }

            NativeMemory.Clear(chunk, ChunkBytes);
            _ready.Push((nint)chunk);
        }
    }

    /// <summary>A chunk of <paramref name="size"/> bytes (at most <see cref="ChunkBytes"/>; prepared, or allocated now), or 0 when the budget is spent.</summary>
    public nint TryRent(int size)
    {
        if (Remaining < size)
        {
            return 0;
        }

        Remaining -= size;
        return size == ChunkBytes && _ready.TryPop(out nint chunk) ? chunk : (nint)NativeMemory.Alloc((nuint)size);
    }

    /// <summary>Frees a chunk <see cref="TryRent"/> handed out.</summary>
    public void Return(nint chunk, int size)
    {
        NativeMemory.Free((void*)chunk);
        Remaining += size;
    }

    /// <summary>Frees the chunks prepared and never rented.</summary>
    public void Dispose()
    {
        while (_ready.TryPop(out nint chunk))
        {
            NativeMemory.Free((void*)chunk);
        }
    }
}

/// <summary>
/// A checksummed file (<see cref="ChecksummedFile"/>) whose content is taken now and made durable later: what is
/// written goes into native memory while the budget lasts, beyond it into the file's temporary copy directly;
/// <see cref="Complete"/> writes the rest, the trailer, fsyncs and renames into place. A checkpoint captures its graphs
/// with writers kept out (a memory copy) and completes them once writers are back, so they wait for the copy, not the disk.
/// </summary>
internal sealed unsafe class CapturedFile : Stream
{
    private const int FirstChunkBytes = 64 << 10; // chunks grow ×4 up to CaptureBudget.ChunkBytes: a small file takes little of the budget

    private readonly string _path;
    private readonly CaptureBudget _budget;
    private readonly List<(nint Pointer, int Size)> _chunks = [];
    private int _lastChunkUsed; // bytes used in the last chunk
    private long _length;
    private bool _disposed;
    private FileStream? _file;
    private Crc64? _hash;
    private bool _completed;

    private CapturedFile(string path, CaptureBudget budget) => (_path, _budget) = (path, budget);

    /// <summary>Takes the content <paramref name="writeContent"/> writes for <paramref name="path"/>; <see cref="Complete"/> makes it durable.</summary>
    public static CapturedFile Capture(string path, Action<Stream> writeContent, CaptureBudget budget)
    {
        var file = new CapturedFile(path, budget);
        try
        {
            writeContent(file);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Bytes of content held in memory (0 once spilled to the file).</summary>
    public long CapturedBytes => _chunks.Count == 0 ? 0 : _chunks.Sum(chunk => (long)chunk.Size) - _chunks[^1].Size + _lastChunkUsed;

    /// <summary>Writes what memory holds, the trailer {length, CRC-64, magic}, fsyncs, renames into place and fsyncs the directory.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed || _disposed, this);
        Spill();
        Span<byte> trailer = stackalloc byte[ChecksummedFile.TrailerBytes];
        BinaryPrimitives.WriteInt64LittleEndian(trailer, _length);
        BinaryPrimitives.WriteUInt64LittleEndian(trailer[8..], _hash!.GetCurrentHashAsUInt64());
        BinaryPrimitives.WriteUInt64LittleEndian(trailer[16..], ChecksummedFile.TrailerMagic);
        _file!.Write(trailer);
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        _file = null;
        DirectorySync.MoveIntoPlace(Temporary, _path);
        _completed = true;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_completed || _disposed, this);
        _length += buffer.Length;
        while (_file is null && !buffer.IsEmpty)
        {
            if (_chunks.Count == 0 || _lastChunkUsed == _chunks[^1].Size)
            {
                int size = _chunks.Count == 0 ? FirstChunkBytes : Math.Min(_chunks[^1].Size * 4, CaptureBudget.ChunkBytes);
                nint chunk = _budget.TryRent(size);
                if (chunk == 0)
                {
                    Spill(); // the budget is spent: the file from here on
                    break;
                }

                _chunks.Add((chunk, size));
                _lastChunkUsed = 0;
            }

            var (pointer, chunkSize) = _chunks[^1];
            int copied = Math.Min(buffer.Length, chunkSize - _lastChunkUsed);
            buffer[..copied].CopyTo(new Span<byte>((byte*)pointer + _lastChunkUsed, copied));
            _lastChunkUsed += copied;
            buffer = buffer[copied..];
        }

        if (!buffer.IsEmpty)
        {
            _hash!.Append(buffer);
            _file!.Write(buffer);
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        FreeChunks();
        if (_file is not null)
        {
            try
            {
                _file.Dispose(); // flushes what it buffered: may fail on a full disk, and the file goes anyway
            }
            catch (IOException)
            {
            }
            finally
            {
                _file = null;
                File.Delete(Temporary); // never completed
            }
        }

        base.Dispose(disposing);
    }

    private string Temporary => _path + ".tmp";

    /// <summary>Opens the temporary file and moves what memory holds into it.</summary>
    private void Spill()
    {
        if (_file is not null)
        {
            return;
        }

        _file = new FileStream(Temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        _hash = new Crc64();
        for (int i = 0; i < _chunks.Count; i++)
        {
            var chunk = new ReadOnlySpan<byte>((byte*)_chunks[i].Pointer, i == _chunks.Count - 1 ? _lastChunkUsed : _chunks[i].Size);
            _hash.Append(chunk);
            _file.Write(chunk);
        }

        FreeChunks();
    }

    private void FreeChunks()
    {
        foreach (var (pointer, size) in _chunks)
        {
            _budget.Return(pointer, size);
        }

        _chunks.Clear();
        _lastChunkUsed = 0;
    }
}
