using System.Diagnostics;
using Microsoft.Extensions.Logging;
using VectorDb.Storage;

namespace VectorDb.Persistence;

/// <summary>
/// The on-disk side of a database: the write-ahead log, the point store, the checkpoints, and the gate that
/// keeps writers out while a checkpoint captures a consistent state.
/// </summary>
/// <remarks>
/// Layout of the data directory: <c>LOCK</c> (held while open), <c>wal/</c> (FasterLog), <c>points/</c>
/// (FasterKV log and its checkpoints), <c>checkpoints/NNNNNNNNNN/</c> (graph snapshots + manifest).
/// Lock order: gate → database lock → collection write lock.
/// </remarks>
internal sealed class DurableStore : IDisposable
{
    /// <summary>Checkpoints kept: the newest, and one before it in case the newest turns out damaged.</summary>
    private const int RetainedCheckpoints = 2;

    /// <summary>
    /// Thread-pool workers the pool creates at once when work waits. FASTER blocks pool threads on its file I/O and
    /// checkpoint steps; on a machine with few cores the pool's default minimum (one per core) was spent, and every
    /// further step waited for the pool to grow (about half a second a thread): a point-store checkpoint then held
    /// writers out for 0.7–1 s instead of 5–50 ms.
    /// </summary>
    private const int MinimumPoolThreads = 16;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2213:Disposable fields should be disposed", Justification = "See Dispose: refused writers may still be leaving it.")]
    private readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);
    private volatile bool _closed;
    private readonly Lock _checkpointLock = new();
    private readonly FileStream _lockFile;
    private readonly Timer _checkpointTimer;
    private Func<IReadOnlyCollection<ICheckpointed>> _collections = () => [];
    private Func<IReadOnlyDictionary<string, uint>> _aliases = () => new Dictionary<string, uint>();
    private long _lastCheckpointAddress;
    private long _livePoints; // as of the last checkpoint
    private long _lastCapturedBytes; // memory the last checkpoint's files were captured in
    private int _checkpointsRequested;
    private long _lastCheckpointTicks = Environment.TickCount64;
    private bool _started;
    private bool _disposed;

    private DurableStore(string root, StorageOptions options, ILogger logger, FileStream lockFile)
    {
        EnsurePoolThreads();
        Root = root;
        Options = options;
        Logger = logger;
        _lockFile = lockFile;
        Layout = StorageLayout.Open(root);
        Checkpoints = new CheckpointDirectory(Path.Combine(root, "checkpoints"));
        // FasterKV may still have to flush up to its whole memory to disk, so that is kept free too.
        Disk = new DiskSpaceGuard(root, options.MinFreeDiskBytes + options.PointStoreMemoryBytes);
        Log = new WriteAheadLog(Path.Combine(root, "wal"), Layout.WalSegmentBits, options.CommitInterval, Disk, logger);
        _checkpointTimer = new Timer(_ => CheckpointIfDue(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public string Root { get; }

    public StorageOptions Options { get; }

    public ILogger Logger { get; }

    /// <summary>The segment sizes the directory's logs were made with.</summary>
    public StorageLayout Layout { get; }

    public WriteAheadLog Log { get; }

    public DiskSpaceGuard Disk { get; }

    public PointStore Points { get; private set; } = null!;

    public CheckpointDirectory Checkpoints { get; }

    /// <summary>
    /// The file a dense vector keeps its rows in when they are not pinned in memory (<see cref="MemoryTier"/>):
    /// <c>vectors/collection-&lt;id&gt;.rows</c> for the unnamed vector, <c>vectors/collection-&lt;id&gt;.&lt;hash of the name&gt;.rows</c> for a named one.
    /// </summary>
    public string RowsFile(uint collectionId, string vector) => Path.Combine(
        Root,
        "vectors",
        vector.Length == 0 ? $"collection-{collectionId}.rows"
            : $"collection-{collectionId}.{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(vector)).AsSpan(0, 8))}.rows");

    /// <summary>Sequence number of the newest checkpoint on disk (0 when there is none).</summary>
    public long CheckpointSequence { get; private set; }

    /// <summary>Opens the directory exclusively; <see cref="AttachPointStore"/> must follow.</summary>
    /// <exception cref="StorageException">Another process has it open, or it cannot be created.</exception>
    public static DurableStore Open(string root, StorageOptions options, ILogger logger)
    {
        FileStream lockFile;
        try
        {
            Directory.CreateDirectory(root);
            lockFile = new FileStream(Path.Combine(root, "LOCK"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new StorageException($"Cannot open the data directory {root}: {e.Message} (is another process using it?)", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StorageException($"Cannot open the data directory {root}: {e.Message}", e);
        }

        try
        {
            return new DurableStore(root, options, logger, lockFile);
        }
        catch (InvalidDataException e)
        {
            lockFile.Dispose();
            throw new StorageException($"Cannot open the data directory {root}: {e.Message}", e);
        }
        catch
        {
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>Bytes of the files a checkpoint captures (graphs and payload links) in its folder: what the next one will about capture.</summary>
    private static long CapturedFilesBytes(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder).Where(file => file.EndsWith(".hnsw", StringComparison.Ordinal) || file.EndsWith(".links", StringComparison.Ordinal)).Sum(file => new FileInfo(file).Length)
            : 0;

    /// <summary>Raises the thread pool's minimum worker threads to <see cref="MinimumPoolThreads"/> (never lowers it).</summary>
    private static void EnsurePoolThreads()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        if (workers < MinimumPoolThreads)
        {
            ThreadPool.SetMinThreads(MinimumPoolThreads, completionPorts);
        }
    }

    /// <summary>Sets the point store recovery settled on, and where the last checkpoint left the log.</summary>
    public void AttachPointStore(PointStore points, long checkpointSequence, long checkpointAddress, long livePoints)
    {
        _livePoints = livePoints;
        Points = points;
        CheckpointSequence = checkpointSequence;
        _lastCheckpointAddress = checkpointAddress;
        _lastCapturedBytes = checkpointSequence == 0 ? 0 : CapturedFilesBytes(Checkpoints.PathOf(checkpointSequence));
    }

    /// <summary>Starts periodic checkpoints of the collections <paramref name="collections"/> returns.</summary>
    public void Start(Func<IReadOnlyCollection<ICheckpointed>> collections, Func<IReadOnlyDictionary<string, uint>> aliases)
    {
        _collections = collections;
        _aliases = aliases;
        _started = true;
        _checkpointTimer.Change(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Held (shared) by every writer from log append to apply; a checkpoint holds it exclusively.</summary>
    /// <exception cref="ObjectDisposedException">The database was closed.</exception>
    public WriteScope EnterWrite()
    {
        _gate.EnterReadLock();
        if (_closed)
        {
            _gate.ExitReadLock();
            throw new ObjectDisposedException(nameof(VectorDatabase), "The database was closed (disposed); open it again to write.");
        }

        return new WriteScope(_gate);
    }

    /// <summary>
    /// Writes a checkpoint: point store, every collection's graph, then the manifest naming the log address
    /// they cover; then truncates the log and deletes checkpoints no longer retained.
    /// </summary>
    public void Checkpoint()
    {
        lock (_checkpointLock)
        {
            CheckpointHoldingLock(changeWhileWritersOut: null, copyWhileWritersOut: null);
        }
    }

    /// <summary>
    /// Takes a checkpoint and, before the next one may start (or a compaction move records), hands
    /// <paramref name="read"/> its manifest, its folder and the point store's address at the cut, so that a consistent
    /// copy of it can be made while writers go on.
    /// </summary>
    /// <param name="copyWhileWritersOut">
    /// Runs while writers are still kept out, after the graphs are written, with the checkpoint's folder: for files a
    /// checkpoint does not hold and writers change in place (rows kept on disk).
    /// </param>
    /// <param name="read">Reads the checkpoint.</param>
    public T WithCheckpoint<T>(Action<string>? copyWhileWritersOut, Func<CheckpointManifest, string, long, T> read)
    {
        lock (_checkpointLock)
        {
            var (manifest, cut) = CheckpointHoldingLock(changeWhileWritersOut: null, copyWhileWritersOut);
            return read(manifest, Checkpoints.PathOf(manifest.Sequence), cut);
        }
    }

    /// <summary>
    /// Takes a checkpoint after <paramref name="change"/> changed the database while writers were kept out: a change
    /// that is not logged (a collection restored from a snapshot replacing another), which the checkpoint makes
    /// durable at once: writers wait until it is on disk, and a crash before it completes recovers the state before the change.
    /// </summary>
    /// <param name="change">The change, made with writers kept out.</param>
    /// <param name="addedBytes">
    /// Most the checkpoint writes for what the change adds (restored collections' graphs): the room it needs on disk is
    /// checked before the change, with the rest of the checkpoint's.
    /// </param>
    public void CheckpointAfter(Action change, long addedBytes)
    {
        lock (_checkpointLock)
        {
            CheckpointHoldingLock(change, copyWhileWritersOut: null, addedBytes);
        }
    }

    private (CheckpointManifest Manifest, long Cut) CheckpointHoldingLock(Action? changeWhileWritersOut, Action<string>? copyWhileWritersOut, long addedBytes = 0)
    {
        var watch = Stopwatch.StartNew();
        CheckpointManifest manifest;
        long cut;

        // A checkpoint that runs out of space midway leaves FASTER's checkpoint incomplete and can stall
        // it, so it only starts when its worst case fits: FasterKV's index and unflushed log, and the graphs.
        var collections = _collections();
        long needed = Points.CheckpointBytesUpperBound + collections.Sum(c => c.CheckpointBytesUpperBound) + addedBytes;
        Disk.EnsureRoomFor(needed);

        // Compacting first (writers go on meanwhile) lets this checkpoint record the moved begin address, so the
        // segments below it are removed as soon as the older retained checkpoint goes.
        long reclaimed = Points.CompactIfDue(collections.Sum(c => c.PointCount));
        if (reclaimed > 0)
        {
            StorageLog.PointStoreCompacted(Logger, reclaimed, watch.ElapsedMilliseconds);
        }

        // Touched now, with writers still going, so that the copy they wait for does not also fault its pages in.
        using var files = new CheckpointFiles(Options.CheckpointCaptureBytes, expectedBytes: _lastCapturedBytes + (_lastCapturedBytes / 8));
        long heldOut = watch.ElapsedMilliseconds; // from the moment new writers wait
        long captured;
        _gate.EnterWriteLock();
        try
        {
            changeWhileWritersOut?.Invoke();
            collections = _collections();
            long sequence = CheckpointSequence + 1;
            long address = Log.TailAddress;
            var token = Points.Checkpoint();
            cut = Points.TailAddress;
            string folder = Checkpoints.CreateFolder(sequence);
            var entries = collections.Select(collection => collection.WriteCheckpoint(folder, files)).ToList();
            copyWhileWritersOut?.Invoke(folder);
            manifest = new CheckpointManifest
            {
                Sequence = sequence,
                LogAddress = address,
                PointStoreToken = token,
                PointStoreBeginAddress = Points.BeginAddress,
                NextCollectionId = NextCollectionId,
                Collections = entries,
                Aliases = _aliases(),
            };
            captured = files.CapturedBytes;

            // A change that is not logged is durable only through this checkpoint: no writer may build on it before then.
            if (changeWhileWritersOut is not null)
            {
                Finish(files, manifest);
            }

            heldOut = watch.ElapsedMilliseconds - heldOut;
        }
        finally
        {
            _gate.ExitWriteLock();
        }

        // The consistent cut is taken: the graphs' files are written from their copies while writers go on, and the
        // manifest that makes the checkpoint count comes last (a crash before it leaves a folder recovery ignores).
        if (changeWhileWritersOut is null)
        {
            Finish(files, manifest);
        }

        _lastCapturedBytes = captured;
        try
        {
            DeleteUnretained(); // the checkpoint is written: failing to clean up after it does not undo it
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            StorageLog.CheckpointFailed(Logger, e);
        }

        _livePoints = manifest.Collections.Sum(c => (long)c.Points);
        if (Volatile.Read(ref _checkpointsRequested) > 0)
        {
            Interlocked.Decrement(ref _checkpointsRequested);
        }

        StorageLog.CheckpointWritten(Logger, manifest.Sequence, watch.ElapsedMilliseconds, manifest.LogAddress, heldOut, captured);
        return (manifest, cut);
    }

    /// <summary>Writes a checkpoint's captured files, then its manifest, which makes it the newest.</summary>
    private void Finish(CheckpointFiles files, CheckpointManifest manifest)
    {
        files.Complete();
        Checkpoints.WriteManifest(manifest);
        CheckpointSequence = manifest.Sequence;
        _lastCheckpointAddress = manifest.LogAddress;
        _lastCheckpointTicks = Environment.TickCount64;
    }

    /// <summary>
    /// Has the next two checkpoints taken at once (within a second) rather than when due: after a collection is
    /// dropped, the second removes the older checkpoint that still holds it, so its bytes are returned promptly.
    /// </summary>
    public void CheckpointTwiceSoon() => Interlocked.Exchange(ref _checkpointsRequested, 2);

    /// <summary>Next collection id to hand out; ids are never reused, so stale records of a dropped collection stay unreachable.</summary>
    public uint NextCollectionId { get; set; } = 1;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _checkpointTimer.Dispose();
        // Never checkpoint a half-recovered state: it would truncate log records that were not replayed.
        if (Options.CheckpointOnDispose && _started)
        {
            try
            {
                Checkpoint();
            }
            catch (Exception e) when (e is IOException or StorageException or UnauthorizedAccessException)
            {
                StorageLog.CheckpointFailed(Logger, e);
            }
        }

        // Writers still under way finish (their records are committed as the log closes); later ones are refused. Under
        // the checkpoint lock (taken before the gate, as a checkpoint does): a timer checkpoint or a snapshot still
        // running would otherwise truncate and release files while they are closed.
        lock (_checkpointLock)
        {
            _gate.EnterWriteLock();
            _closed = true;
            _gate.ExitWriteLock();
        }

        Log.Dispose();
        Points?.Dispose();
        _lockFile.Dispose();
        // The gate is not disposed: a writer refused above may still be leaving it, and disposing a lock in use throws.
    }

    private void CheckpointIfDue()
    {
        // A checkpoint or snapshot under way: this tick passes rather than queue behind it (the next one looks again).
        if (_disposed || !_checkpointLock.TryEnter())
        {
            return;
        }

        try
        {
            long pending = Log.TailAddress - _lastCheckpointAddress;
            bool due = Volatile.Read(ref _checkpointsRequested) > 0
                || pending >= CheckpointLogBytes
                || (pending > 0 && Environment.TickCount64 - _lastCheckpointTicks >= Options.CheckpointInterval.TotalMilliseconds);
            if (due && !_disposed)
            {
                CheckpointHoldingLock(changeWhileWritersOut: null, copyWhileWritersOut: null);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // On the timer's thread an exception would end the process: it is logged, and the log keeps every write
            // until a checkpoint succeeds.
            StorageLog.CheckpointFailed(Logger, e);
        }
        finally
        {
            _checkpointLock.Exit();
        }
    }

    /// <summary>
    /// Log bytes after which a checkpoint is due: about as many as the point store holds, so that the log kept on
    /// disk (back to the older retained checkpoint) stays proportional to the data: at least one log segment, at most
    /// <see cref="StorageOptions.CheckpointLogBytes"/>. A checkpoint costs about the data's size to write, so this
    /// also bounds the writing checkpoints add per byte logged.
    /// </summary>
    private long CheckpointLogBytes => Math.Min(Math.Max(Points.LiveBytesEstimate(_livePoints), 1L << Layout.WalSegmentBits), Options.CheckpointLogBytes);

    /// <summary>Keeps the newest checkpoints, the log they need, and nothing older.</summary>
    private void DeleteUnretained()
    {
        var retained = new List<CheckpointManifest>();
        foreach (long sequence in Checkpoints.Sequences())
        {
            if (retained.Count < RetainedCheckpoints && TryReadManifest(sequence) is { } manifest)
            {
                retained.Add(manifest);
            }
            else
            {
                Checkpoints.Delete(sequence);
            }
        }

        if (retained.Count == 0)
        {
            return;
        }

        Log.TruncateUntil(retained.Min(m => m.LogAddress));
        Points.ReleaseUntil(retained.Min(m => m.PointStoreBeginAddress));
        var tokens = retained.Select(m => m.PointStoreToken).ToHashSet();
        foreach (var token in Points.CheckpointTokens().Where(t => !tokens.Contains(t)))
        {
            Points.Purge(token);
        }
    }

    private CheckpointManifest? TryReadManifest(long sequence)
    {
        try
        {
            return Checkpoints.ReadManifest(sequence);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>Releases the shared gate.</summary>
    public readonly struct WriteScope(ReaderWriterLockSlim gate) : IDisposable
    {
        public void Dispose() => gate?.ExitReadLock();
    }
}
