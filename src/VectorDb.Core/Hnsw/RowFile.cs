using System.IO.MemoryMappedFiles;

namespace VectorDb.Hnsw;

/// <summary>
/// A graph's rows in a memory-mapped file (<see cref="MemoryTier.Cached"/> and <see cref="MemoryTier.Cold"/>): the OS
/// pages them in on use and out under memory pressure, so they cost page cache, not process memory. The file holds
/// row i at i × row bytes; it only grows. Durability is not its job: the log and the point store hold every vector, and
/// a checkpoint flushes the file before its snapshot names the rows' checksums.
/// </summary>
internal sealed unsafe class RowFile : IDisposable
{
    private const int MadviseRandom = 1; // MADV_RANDOM: no read-ahead around a row, which is all a search reads
    private const int MadviseWillNeed = 3; // MADV_WILLNEED: start reading these pages now

    private readonly FileStream _file;
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;

    private RowFile(string path, long bytes, bool create)
    {
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _file = new FileStream(path, create ? FileMode.Create : FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        if (!create && _file.Length < bytes)
        {
            _file.Dispose();
            throw new InvalidDataException($"The vector file {path} holds {_file.Length} bytes, fewer than the {bytes} its graph needs.");
        }

        Map(Math.Max(bytes, Math.Max(_file.Length, 4096)));
    }

    public string Path { get; }

    /// <summary>The mapped rows; moves when the file grows.</summary>
    public byte* Pointer { get; private set; }

    /// <summary>The file's length in bytes.</summary>
    public long Length => _file.Length;

    /// <summary>A new, empty file of <paramref name="bytes"/> (replacing one of that name).</summary>
    public static RowFile Create(string path, long bytes) => new(path, bytes, create: true);

    /// <summary>An existing file, which must hold at least <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">It is shorter.</exception>
    public static RowFile Open(string path, long bytes) => new(path, bytes, create: false);

    /// <summary>Extends the file to <paramref name="bytes"/> (zeros) and maps it again. Call with no reader using <see cref="Pointer"/>.</summary>
    public void Grow(long bytes)
    {
        if (bytes <= _file.Length)
        {
            return;
        }

        Unmap();
        Map(bytes);
    }

    /// <summary>Writes changed pages to disk.</summary>
    public void Flush()
    {
        _view!.Flush();
        _file.Flush(flushToDisk: true);
    }

    /// <summary>Asks the OS to start reading these bytes (a search's rescoring candidates) before they are used.</summary>
    public static void Prefetch(byte* start, nint bytes)
    {
        if (OperatingSystem.IsLinux())
        {
            nint page = (nint)start & ~(nint)4095;
            _ = NodeArena.Advise(page, (nuint)(start + bytes - (byte*)page), MadviseWillNeed);
        }
    }

    public void Dispose()
    {
        Unmap();
        _file.Dispose();
    }

    private void Map(long bytes)
    {
        _map = MemoryMappedFile.CreateFromFile(_file, mapName: null, bytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        _view = _map.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Pointer = pointer + _view.PointerOffset;
        if (OperatingSystem.IsLinux())
        {
            _ = NodeArena.Advise((nint)Pointer, (nuint)bytes, MadviseRandom);
        }
    }

    private void Unmap()
    {
        if (_view is null)
        {
            return;
        }

        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map!.Dispose();
        _view = null;
        _map = null;
        Pointer = null;
    }
}
