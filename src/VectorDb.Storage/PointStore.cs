using System.Buffers.Binary;
using Session = FASTER.core.ClientSession<FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByte, byte[], FASTER.core.Empty, FASTER.core.IFunctions<FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByte, byte[], FASTER.core.Empty>>;
using FASTER.core;
using MessagePack;

namespace VectorDb.Storage;

/// <summary>A point as FasterKV holds it: the graph node it lives in, its vector as given, its payload.</summary>
[MessagePackObject]
internal sealed record StoredPointValue(
    [property: Key(0)] int InternalId,
    [property: Key(1)] float[] Vector,
    [property: Key(2)] string? PayloadJson);

/// <summary>
/// A stored point without its vector: what recovery needs when the graph (which holds the vectors) loads from
/// its snapshot. Decoding skips the vector bytes instead of copying them.
/// </summary>
[MessagePackObject]
internal sealed record StoredPointSummary(
    [property: Key(0)] int InternalId,
    [property: Key(2)] string? PayloadJson);

/// <summary>
/// One record met while scanning the store's log, oldest first; later records supersede earlier ones.
/// <see cref="Value"/> is null for a delete marker.
/// </summary>
internal readonly record struct ScannedPoint(uint CollectionId, PointId Id, StoredPointSummary? Value);

/// <summary>
/// Every point of every collection in one FasterKV, keyed by (collection id, point id). It is durable only at
/// checkpoints (FasterKV has no per-operation log; the write-ahead log covers what lies after the last one).
/// Not thread-safe per call site: each caller rents a session from the pool, so calls may run in parallel.
/// </summary>
internal sealed unsafe class PointStore : IDisposable
{
    private const int KeyBytes = 4 + 1 + 16; // collection id, id kind, id bytes
    private const long IndexBytes = 1L << 23; // 128k hash buckets; more keys chain into overflow buckets

    private readonly IDevice _device;
    private readonly DeviceLogCommitCheckpointManager _checkpoints;
    private readonly FasterKV<SpanByte, SpanByte> _store;
    private readonly SpanByteFunctions_ByteArrayOutput<Empty> _functions = new();
    private readonly Stack<Session> _sessions = new();
    private readonly Lock _sessionsLock = new();

    private readonly long _memoryBytes;

    public PointStore(string directory, long memoryBytes)
    {
        _memoryBytes = memoryBytes;
        Directory.CreateDirectory(directory);
        _device = Devices.CreateLogDevice(Path.Combine(directory, "hlog"), recoverDevice: true);
        _checkpoints = new DeviceLogCommitCheckpointManager(
            new LocalStorageNamedDeviceFactory(),
            new DefaultCheckpointNamingScheme(Path.Combine(directory, "checkpoints")),
            removeOutdated: false);
        _store = new FasterKV<SpanByte, SpanByte>(new FasterKVSettings<SpanByte, SpanByte>
        {
            IndexSize = IndexBytes,
            LogDevice = _device,
            PageSize = 1L << 22,
            SegmentSize = 1L << 28,
            MemorySize = memoryBytes,
            CheckpointManager = _checkpoints,
            RemoveOutdatedCheckpoints = false,
        });
    }

    /// <summary>Live and superseded records, as FASTER counts them.</summary>
    public long RecordCount => _store.EntryCount;

    /// <summary>Most a checkpoint can write: the hash index and the part of the log not yet on disk.</summary>
    public long CheckpointBytesUpperBound => IndexBytes + Math.Min(_memoryBytes, _store.Log.TailAddress - _store.Log.HeadAddress);

    /// <summary>Bytes of the store's log between its begin and tail.</summary>
    public long LogBytes => _store.Log.TailAddress - _store.Log.BeginAddress;

    /// <summary>Inserts or replaces a point.</summary>
    public void Upsert(uint collectionId, PointId id, StoredPointValue value)
    {
        Span<byte> key = stackalloc byte[KeyBytes];
        WriteKey(key, collectionId, id);
        var bytes = Serialization.Serialize(value);
        var session = Rent();
        try
        {
            fixed (byte* keyPointer = key, valuePointer = bytes)
            {
                var keyBytes = SpanByte.FromPointer(keyPointer, KeyBytes);
                var valueBytes = SpanByte.FromPointer(valuePointer, bytes.Length);
                session.Upsert(ref keyBytes, ref valueBytes);
            }
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>Removes a point; absent points are ignored.</summary>
    public void Delete(uint collectionId, PointId id)
    {
        Span<byte> key = stackalloc byte[KeyBytes];
        WriteKey(key, collectionId, id);
        var session = Rent();
        try
        {
            fixed (byte* keyPointer = key)
            {
                var keyBytes = SpanByte.FromPointer(keyPointer, KeyBytes);
                session.Delete(ref keyBytes);
            }
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>Reads one point (from memory or disk), or null when it is absent.</summary>
    public StoredPointValue? Read(uint collectionId, PointId id)
    {
        Span<byte> key = stackalloc byte[KeyBytes];
        WriteKey(key, collectionId, id);
        var session = Rent();
        try
        {
            byte[]? output = null;
            Status status;
            fixed (byte* keyPointer = key)
            {
                var keyBytes = SpanByte.FromPointer(keyPointer, KeyBytes);
                status = session.Read(ref keyBytes, ref output!);
            }

            if (status.IsPending)
            {
                session.CompletePendingWithOutputs(out var outputs, wait: true);
                using (outputs)
                {
                    while (outputs.Next())
                    {
                        status = outputs.Current.Status;
                        output = outputs.Current.Output;
                    }
                }
            }

            return status.Found && output is not null ? Serialization.Deserialize<StoredPointValue>(output) : null;
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>
    /// Every record in the log in the order written, delete markers included. Applying them in order with
    /// last-writer-wins gives the store's state; this is 5–10× faster than FASTER's distinct-record iterator.
    /// </summary>
    public IEnumerable<ScannedPoint> Scan()
    {
        using var iterator = _store.Log.Scan(_store.Log.BeginAddress, _store.Log.TailAddress);
        while (iterator.GetNext(out var info))
        {
            var (collectionId, id) = ReadKey(iterator.GetKey().AsReadOnlySpan());
            var value = info.Tombstone
                ? null
                : Serialization.Deserialize<StoredPointSummary>(iterator.GetValue().AsReadOnlySpan().ToArray());
            yield return new ScannedPoint(collectionId, id, value);
        }
    }

    /// <summary>Takes a full (index + log) fold-over checkpoint and returns its token. Callers keep writers out.</summary>
    /// <exception cref="StorageException">FASTER could not complete it.</exception>
    public Guid Checkpoint()
    {
        var (success, token) = _store.TakeFullCheckpointAsync(CheckpointType.FoldOver).AsTask().GetAwaiter().GetResult();
        if (!success)
        {
            throw new StorageException("The point store could not take a checkpoint.");
        }

        return token;
    }

    /// <summary>Restores the state of checkpoint <paramref name="token"/>; the store must be fresh.</summary>
    public void Recover(Guid token) => _store.Recover(token, token);

    /// <summary>Deletes a checkpoint no manifest refers to any more.</summary>
    public void Purge(Guid token) => _checkpoints.Purge(token);

    /// <summary>Tokens of every checkpoint on disk.</summary>
    public IReadOnlyCollection<Guid> CheckpointTokens() => [.. _checkpoints.GetLogCheckpointTokens()];

    public void Dispose()
    {
        lock (_sessionsLock)
        {
            while (_sessions.TryPop(out var session))
            {
                session.Dispose();
            }
        }

        _store.Dispose();
        _checkpoints.Dispose();
        _device.Dispose();
    }

    private static void WriteKey(Span<byte> key, uint collectionId, PointId id)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(key, collectionId);
        key[4] = id.IsUuid ? (byte)1 : (byte)0;
        key[5..].Clear();
        if (id.IsUuid)
        {
            id.Uuid.TryWriteBytes(key[5..]);
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(key[5..], id.Number);
        }
    }

    private static (uint CollectionId, PointId Id) ReadKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes)
        {
            throw new InvalidDataException($"Point store key has {key.Length} bytes, expected {KeyBytes}.");
        }

        uint collectionId = BinaryPrimitives.ReadUInt32LittleEndian(key);
        var id = key[4] == 1
            ? new PointId(new Guid(key.Slice(5, 16)))
            : new PointId(BinaryPrimitives.ReadUInt64LittleEndian(key[5..]));
        return (collectionId, id);
    }

    private Session Rent()
    {
        lock (_sessionsLock)
        {
            if (_sessions.TryPop(out var session))
            {
                return session;
            }
        }

        return _store.NewSession<SpanByte, byte[], Empty>(_functions);
    }

    private void Return(Session session)
    {
        lock (_sessionsLock)
        {
            _sessions.Push(session);
        }
    }
}
