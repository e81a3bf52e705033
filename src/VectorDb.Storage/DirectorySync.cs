using System.Runtime.InteropServices;

namespace VectorDb.Storage;

/// <summary>
/// Makes a directory's entries durable: a file renamed or created into place survives a power loss only once its
/// directory is flushed too (fsync on the file flushes its content, not the name pointing at it).
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY, which opens a directory too (O_DIRECTORY's value differs between architectures)

    /// <summary>Flushes <paramref name="directory"/>'s entries to disk (a no-op where the OS does not need it).</summary>
    /// <exception cref="IOException">The directory could not be opened or flushed.</exception>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // Windows has no directory fsync (NTFS journals renames); other systems are not supported for storage
        }

        int descriptor = Open(directory, ReadOnly);
        if (descriptor < 0)
        {
            throw new IOException($"Cannot open {directory} to flush it: errno {Marshal.GetLastPInvokeError()}.");
        }

        try
        {
            if (Fsync(descriptor) != 0)
            {
                throw new IOException($"Cannot flush {directory}: errno {Marshal.GetLastPInvokeError()}.");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    /// <summary>Renames <paramref name="source"/> over <paramref name="destination"/> and flushes the directory it lands in.</summary>
    public static void MoveIntoPlace(string source, string destination)
    {
        File.Move(source, destination, overwrite: true);
        Flush(Path.GetDirectoryName(Path.GetFullPath(destination))!);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int descriptor);
}
