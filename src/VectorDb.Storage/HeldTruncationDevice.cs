using FASTER.core;

namespace VectorDb.Storage;

/// <summary>
/// A FASTER device whose segments are removed only when <see cref="Release"/> says so. FASTER truncates its log to the
/// begin address when a checkpoint completes; after a compaction that address is past records the previous checkpoint
/// still points to, and that checkpoint is the one recovery falls back to when the newest is damaged. The owner
/// releases segments up to the oldest begin address a retained checkpoint needs.
/// </summary>
internal sealed class HeldTruncationDevice(IDevice inner) : IDevice
{
    public uint SectorSize => inner.SectorSize;

    public string FileName => inner.FileName;

    public long Capacity => inner.Capacity;

    public long SegmentSize => inner.SegmentSize;

    public int StartSegment => inner.StartSegment;

    public int EndSegment => inner.EndSegment;

    public int ThrottleLimit
    {
        get => inner.ThrottleLimit;
        set => inner.ThrottleLimit = value;
    }

    /// <summary>Removes the segments wholly below <paramref name="address"/>.</summary>
    public void Release(long address) => inner.TruncateUntilAddress(address);

    public void Initialize(long segmentSize, LightEpoch? epoch = null, bool omitSegmentIdFromFilename = false) =>
        inner.Initialize(segmentSize, epoch, omitSegmentIdFromFilename);

    public bool Throttle() => inner.Throttle();

    public void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context) =>
        inner.WriteAsync(sourceAddress, segmentId, destinationAddress, numBytesToWrite, callback, context);

    public void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context) =>
        inner.ReadAsync(segmentId, sourceAddress, destinationAddress, readLength, callback, context);

    public void WriteAsync(IntPtr alignedSourceAddress, ulong alignedDestinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context) =>
        inner.WriteAsync(alignedSourceAddress, alignedDestinationAddress, numBytesToWrite, callback, context);

    public void ReadAsync(ulong alignedSourceAddress, IntPtr alignedDestinationAddress, uint alignedReadLength, DeviceIOCompletionCallback callback, object context) =>
        inner.ReadAsync(alignedSourceAddress, alignedDestinationAddress, alignedReadLength, callback, context);

    // FASTER's own truncations and segment removals are held back: they complete at once and remove nothing.
    public void TruncateUntilSegmentAsync(int toSegment, AsyncCallback callback, IAsyncResult result) => callback?.Invoke(result);

    public void TruncateUntilSegment(int toSegment)
    {
    }

    public void TruncateUntilAddressAsync(long toAddress, AsyncCallback callback, IAsyncResult result) => callback?.Invoke(result);

    public void TruncateUntilAddress(long toAddress)
    {
    }

    public void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result) => callback?.Invoke(result);

    public void RemoveSegment(int segment)
    {
    }

    public long GetFileSize(int segment) => inner.GetFileSize(segment);

    public bool TryComplete() => inner.TryComplete();

    public void Reset() => inner.Reset();

    public void Dispose() => inner.Dispose();
}
