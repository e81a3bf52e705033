namespace VectorDb.Storage;

/// <summary>
/// Refuses writes while the data directory's disk is nearly full, so that a full disk shows up as a clear
/// error on the write that would not fit — never as a failed log flush or a checkpoint stuck half-written.
/// </summary>
internal sealed class DiskSpaceGuard(string directory, long reserveBytes)
{
    private const long RefreshMilliseconds = 50;

    private readonly DriveInfo _drive = new(directory);
    private long _freeBytes;
    private long _checkedAt = Environment.TickCount64 - (2 * RefreshMilliseconds);

    /// <summary>Bytes kept free: writes stop at this margin, and checkpoints need theirs on top of it.</summary>
    public long ReserveBytes { get; } = reserveBytes;

    /// <summary>Free bytes on the data directory's file system, at most 50 ms old.</summary>
    public long FreeBytes
    {
        get
        {
            long now = Environment.TickCount64;
            if (now - Volatile.Read(ref _checkedAt) >= RefreshMilliseconds)
            {
                Volatile.Write(ref _freeBytes, _drive.AvailableFreeSpace);
                Volatile.Write(ref _checkedAt, now);
            }

            return Volatile.Read(ref _freeBytes);
        }
    }

    /// <exception cref="StorageException">Writing <paramref name="bytes"/> would eat into the reserve.</exception>
    public void EnsureRoomFor(long bytes)
    {
        long free = FreeBytes;
        if (free - bytes < ReserveBytes)
        {
            throw new StorageException(
                $"Not enough disk space in {directory}: {free / (1 << 20)} MiB free, {ReserveBytes / (1 << 20)} MiB must stay free. "
                + "Writes are refused until space is freed; reads keep working and nothing written before is lost.");
        }
    }
}
