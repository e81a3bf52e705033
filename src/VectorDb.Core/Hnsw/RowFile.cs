using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace VectorDb.Hnsw;

/// <summary>
/// A graph's rows in a memory-mapped file (<see cref="MemoryTier.Cached"/> and <see cref="MemoryTier.Cold"/>): the OS
/// pages them in on use and out under memory pressure, so they cost page cache, not process memory. The file holds
/// row i at i × row bytes; it only grows, and its blocks are allocated as it grows, so a full disk is an error then,
/// not a fault when a page is first written. Durability is not its job: the log and the point store hold every vector,
/// and a checkpoint flushes the file before its snapshot names the rows' checksums and the file's <see cref="Identity"/>,
/// which a file made again (a rebuild) does not share.
/// </summary>
internal sealed unsafe partial class RowFile : IDisposable
{
    private const int MadviseRandom = 1; // MADV_RANDOM: no read-ahead around a row, which is all a search reads
    private const int MadviseWillNeed = 3; // MADV_WILLNEED: start reading these pages now

    private readonly FileStream _file;
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;

    private RowFile(string path, FileStream file, Guid identity)
    {
        Path = path;
        _file = file;
        Identity = identity;
    }

    public string Path { get; }

    /// <summary>Made when the file is created, kept beside it (<c>.id</c>): a snapshot's rows are this file's only if the identities match.</summary>
    public Guid Identity { get; }

    /// <summary>The mapped rows; moves when the file grows.</summary>
    public byte* Pointer { get; private set; }

    /// <summary>The file's length in bytes.</summary>
    public long Length => _file.Length;

    /// <summary>A new, empty file of <paramref name="bytes"/> (replacing one of that name), with a new identity.</summary>
    /// <exception cref="IOException">It cannot be created, or the disk has no room for it.</exception>
    public static RowFile Create(string path, long bytes)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var identity = Guid.NewGuid();
        var file = OpenFile(path, FileMode.Create);
        var rows = new RowFile(path, file, identity);
        try
        {
            rows.Map(Math.Max(bytes, 4096));
            File.WriteAllBytes(IdentityPath(path), identity.ToByteArray());
            return rows;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    /// <summary>An existing file, which must hold at least <paramref name="bytes"/> and be the one <paramref name="identity"/> names.</summary>
    /// <exception cref="InvalidDataException">It is shorter, or another file (made again since), or has no identity.</exception>
    /// <exception cref="IOException">It cannot be opened.</exception>
    public static RowFile Open(string path, long bytes, Guid identity)
    {
        Guid found;
        try
        {
            found = new Guid(File.ReadAllBytes(IdentityPath(path)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidDataException($"The vector file {path} has no readable identity ({e.Message}).", e);
        }

        if (found != identity)
        {
            throw new InvalidDataException($"The vector file {path} was made again since the snapshot was taken.");
        }

        var file = OpenFile(path, FileMode.Open);
        long length = file.Length;
        if (length < bytes)
        {
            file.Dispose();
            throw new InvalidDataException($"The vector file {path} holds {length} bytes, fewer than the {bytes} its graph needs.");
        }

        var rows = new RowFile(path, file, identity);
        try
        {
            rows.Map(Math.Max(length, 4096));
            return rows;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes a copy of the file (its first <paramref name="bytes"/>) and of its identity to <paramref name="path"/>, from
    /// the mapping: the file itself is open exclusively. The caller keeps writers out.
    /// </summary>
    public void CopyTo(string path, long bytes)
    {
        using (var copy = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            for (long offset = 0; offset < bytes; offset += int.MaxValue)
            {
                copy.Write(new ReadOnlySpan<byte>(Pointer + offset, (int)Math.Min(int.MaxValue, bytes - offset)));
            }

            copy.Flush(flushToDisk: true);
        }

        File.WriteAllBytes(IdentityPath(path), Identity.ToByteArray());
    }

    /// <summary>Deletes a row file and its identity.</summary>
    public static void Delete(string path)
    {
        File.Delete(path);
        File.Delete(IdentityPath(path));
    }

    /// <summary>
    /// Extends the file to <paramref name="bytes"/> (zeros) and maps it again. The new mapping is made before the old one
    /// goes, so a failure (no disk space, no address space) leaves <see cref="Pointer"/> valid. Call with no reader using it.
    /// </summary>
    /// <exception cref="IOException">The disk has no room.</exception>
    public void Grow(long bytes)
    {
        if (bytes <= _file.Length)
        {
            return;
        }

        var (map, view) = (_map, _view);
        Map(bytes);
        Release(map, view);
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
        Release(_map, _view);
        _map = null;
        _view = null;
        Pointer = null;
        _file.Dispose();
    }

    private static string IdentityPath(string path) => path + ".id";

    private static FileStream OpenFile(string path, FileMode mode)
    {
        try
        {
            return new FileStream(path, mode, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"The vector file {path} cannot be opened: {e.Message}", e);
        }
    }

    /// <summary>Sets the length to <paramref name="bytes"/> with blocks allocated (Linux), then maps it all.</summary>
    private void Map(long bytes)
    {
        if (OperatingSystem.IsLinux() && bytes > _file.Length && PosixFallocate(_file.SafeFileHandle.DangerousGetHandle().ToInt32(), 0, bytes) is int error and not 0)
        {
            throw new IOException($"The vector file {Path} cannot grow to {bytes} bytes (error {error}: is the disk full?).");
        }

        var map = MemoryMappedFile.CreateFromFile(_file, mapName: null, bytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        MemoryMappedViewAccessor view;
        try
        {
            view = map.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.ReadWrite);
        }
        catch
        {
            map.Dispose();
            throw;
        }

        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        pointer += view.PointerOffset;
        if (OperatingSystem.IsLinux())
        {
            _ = NodeArena.Advise((nint)pointer, (nuint)bytes, MadviseRandom);
        }

        _map = map;
        _view = view;
        Pointer = pointer;
    }

    private static void Release(MemoryMappedFile? map, MemoryMappedViewAccessor? view)
    {
        if (view is not null)
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
        }

        map?.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    private static partial int PosixFallocate(int fd, long offset, long length);
}
