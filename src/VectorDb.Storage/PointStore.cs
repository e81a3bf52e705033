using System.Buffers.Binary;
using Session = FASTER.core.ClientSession<FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByte, byte[], FASTER.core.Empty, FASTER.core.IFunctions<FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByte, byte[], FASTER.core.Empty>>;
using FASTER.core;
using MessagePack;

namespace VectorDb.Storage;

/// <summary>A point as FasterKV holds it: the node it lives on, its vectors as given, its payload.</summary>
/// <remarks>
/// <see cref="PayloadParts"/> is the number of separate records holding the payload's UTF-8 bytes when it is too large
/// for one FasterKV record (<see cref="PointStore.MaxValueBytes"/>); <see cref="PayloadJson"/> is then null in the
/// record itself, and <see cref="PointStore.Read"/> puts it back together. <see cref="NamedVectorNames"/> repeats the
/// keys of <see cref="NamedVectors"/> so that recovery, which loads dense vectors from graph snapshots, can check them
/// without decoding the vectors.
/// </remarks>
[MessagePackObject]
internal sealed record StoredPointValue(
    [property: Key(0)] int InternalId,
    [property: Key(1)] float[]? Vector,
    [property: Key(2)] string? PayloadJson,
    [property: Key(3)] int PayloadParts = 0, // records written before large payloads were split have three fields
    [property: Key(4)] Dictionary<string, float[]>? NamedVectors = null, // and before named vectors, four
    [property: Key(5)] Dictionary<string, SparseData>? SparseVectors = null,
    [property: Key(6)] string[]? NamedVectorNames = null,
    [property: Key(7)] Dictionary<string, float[][]>? Multivectors = null,
    [property: Key(8)] Dictionary<string, int[]>? MultivectorNodes = null)
{
    /// <summary>Bytes the vectors take in a record.</summary>
    [IgnoreMember]
    public long VectorBytes =>
        ((Vector?.Length ?? 0) * (long)sizeof(float))
        + (NamedVectors?.Values.Sum(v => (v.Length * (long)sizeof(float)) + 16) ?? 0)
        + (SparseVectors?.Values.Sum(v => (v.Indices.Length * 8L) + 16) ?? 0)
        + (Multivectors?.Values.Sum(m => m.Sum(v => (v.Length * (long)sizeof(float)) + 8) + (m.Length * 5L)) ?? 0);
}

/// <summary>A sparse vector as stored and logged: term ids ascending and their weights.</summary>
[MessagePackObject]
internal sealed record SparseData(
    [property: Key(0)] uint[] Indices,
    [property: Key(1)] float[] Values);

/// <summary>
/// A stored point without its dense vectors: what recovery needs when the graphs (which hold them) load from their
/// snapshots. Decoding skips the dense vector bytes instead of copying them; sparse vectors, which no snapshot holds,
/// are read.
/// </summary>
[MessagePackObject]
internal sealed record StoredPointSummary(
    [property: Key(0)] int InternalId,
    [property: Key(2)] string? PayloadJson,
    [property: Key(3)] int PayloadParts = 0,
    [property: Key(5)] Dictionary<string, SparseData>? SparseVectors = null,
    [property: Key(6)] string[]? NamedVectorNames = null,
    [property: Key(8)] Dictionary<string, int[]>? MultivectorNodes = null)
{
    /// <summary>Nothing but the node: no payload, sparse, named or multi-vectors.</summary>
    [IgnoreMember]
    public bool IsBare => PayloadJson is null && PayloadParts == 0 && SparseVectors is null && NamedVectorNames is null && MultivectorNodes is null;
}

/// <summary>
/// A stored point's dense vectors and the nodes they are on: what graphs whose snapshots left their rows out are
/// given back at recovery (<see cref="PointStore.ReadVectorsAt"/>).
/// </summary>
[MessagePackObject]
internal sealed record StoredPointVectors(
    [property: Key(0)] int InternalId,
    [property: Key(1)] float[]? Vector,
    [property: Key(4)] Dictionary<string, float[]>? NamedVectors = null,
    [property: Key(7)] Dictionary<string, float[][]>? Multivectors = null,
    [property: Key(8)] Dictionary<string, int[]>? MultivectorNodes = null)
{
    /// <summary>The vectors of a whole stored value.</summary>
    public static StoredPointVectors Of(StoredPointValue value) =>
        new(value.InternalId, value.Vector, value.NamedVectors, value.Multivectors, value.MultivectorNodes);
}

/// <summary>
/// A point as the store holds it now, without its dense vectors; <paramref name="Address"/> is its record's, from which
/// <see cref="PointStore.ReadVectorsAt"/> reads the vectors.
/// </summary>
internal readonly record struct PersistedPoint(
    uint CollectionId, PointId Id, int InternalId, string? PayloadJson, Dictionary<string, SparseData>? SparseVectors, string[]? NamedVectorNames, Dictionary<string, int[]>? MultivectorNodes,
    long Address);

/// <summary>
/// Every point of every collection in one FasterKV, keyed by (collection id, point id). It is durable only at
/// checkpoints (FasterKV has no per-operation log; the write-ahead log covers what lies after the last one).
/// Calls may run in parallel (each rents a session from the pool), but not two for the same point.
/// </summary>
/// <remarks>
/// A FasterKV record must fit in one page (4 MiB), and a payload may not: the server takes request bodies of up to
/// 32 MiB. A payload whose record would exceed <see cref="MaxValueBytes"/> is stored as parts under keys of their own
/// (the point's key and the part's number) and the point's record counts them. Checkpoints are taken with writers
/// kept out, so a recovered store never holds a point's record without the parts it counts.
/// </remarks>
internal sealed unsafe class PointStore : IDisposable
{
    /// <summary>The largest record stored whole; a larger payload is split into parts of at most this size.</summary>
    public const int MaxValueBytes = 1 << 20;

    private const long ScanCompactionBytes = 256L << 20;
    private const int KeyBytes = 4 + 1 + 16; // collection id, id kind, id bytes
    private const int RecordOverheadBytes = 64; // a stored point's MessagePack headers and internal id, generously
    private const int PartKeyBytes = KeyBytes + sizeof(int); // and the part's number

    private readonly HeldTruncationDevice _device;
    private readonly DeviceLogCommitCheckpointManager _checkpoints;
    private readonly FasterKV<SpanByte, SpanByte> _store;
    private readonly SpanByteFunctions_ByteArrayOutput<Empty> _functions = new();
    private readonly Stack<Session> _sessions = new();
    private readonly Lock _sessionsLock = new();

    private readonly long _memoryBytes;
    private readonly long _segmentBytes;
    private readonly long _indexBytes;

    // Point records and tombstones in the log from its begin address (payload parts are not counted): with the number of
    // live points, how much of the log is garbage that a compaction would reclaim.
    private long _records;

    // Points whose payload is stored in parts, with their number: a rewrite or delete removes parts no longer used.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(uint CollectionId, PointId Id), int> _partCounts = new();

    /// <param name="directory">Where the log's segments and the checkpoints go.</param>
    /// <param name="memoryBytes">Memory for the log's newest records.</param>
    /// <param name="layout">The segment and hash table sizes, fixed for a directory.</param>
    public PointStore(string directory, long memoryBytes, StorageLayout layout)
    {
        _memoryBytes = memoryBytes;
        _indexBytes = 1L << layout.PointIndexBits;
        int segmentBits = layout.PointLogSegmentBits;
        _segmentBytes = 1L << segmentBits;
        Directory.CreateDirectory(directory);
        _device = new HeldTruncationDevice(Devices.CreateLogDevice(Path.Combine(directory, "hlog"), recoverDevice: true));
        _checkpoints = new DeviceLogCommitCheckpointManager(
            new LocalStorageNamedDeviceFactory(),
            new DefaultCheckpointNamingScheme(Path.Combine(directory, "checkpoints")),
            removeOutdated: false);
        _store = new FasterKV<SpanByte, SpanByte>(new FasterKVSettings<SpanByte, SpanByte>
        {
            IndexSize = _indexBytes,
            LogDevice = _device,
            PageSize = 1L << 22,
            SegmentSize = _segmentBytes,
            MemorySize = memoryBytes,
            CheckpointManager = _checkpoints,
            RemoveOutdatedCheckpoints = false,
        });
    }

    /// <summary>Live and superseded records, as FASTER counts them.</summary>
    public long RecordCount => _store.EntryCount;

    /// <summary>Most a checkpoint can write: the hash index and the part of the log not yet on disk.</summary>
    public long CheckpointBytesUpperBound => _indexBytes + (_store.OverflowBucketCount * 64) + Math.Min(_memoryBytes, _store.Log.TailAddress - _store.Log.HeadAddress);

    /// <summary>Bytes of the store's log between its begin and tail.</summary>
    public long LogBytes => _store.Log.TailAddress - _store.Log.BeginAddress;

    /// <summary>About how many bytes of the log hold live records, given how many points the store holds.</summary>
    public long LiveBytesEstimate(long livePoints) => (long)(LogBytes * Math.Min(1.0, livePoints / (double)Math.Max(1, Interlocked.Read(ref _records))));

    /// <summary>Where the log begins: records below it are garbage, kept on disk only while a retained checkpoint needs them.</summary>
    public long BeginAddress => _store.Log.BeginAddress;

    /// <summary>
    /// Compacts the log when at least half its records are superseded or deleted and a segment would be freed:
    /// the log is made read-only up to its tail, its live records are copied to the tail and the begin address moves past
    /// them.
    /// Nothing is removed from disk here (<see cref="ReleaseUntil"/> does that once no retained checkpoint needs it).
    /// Writers may run meanwhile; the caller keeps checkpoints out.
    /// </summary>
    /// <param name="livePoints">Points the store holds now.</param>
    /// <returns>Bytes the begin address moved, 0 when compaction was not due.</returns>
    public long CompactIfDue(long livePoints)
    {
        long records = Interlocked.Read(ref _records);
        long until = _store.Log.TailAddress;
        long begin = _store.Log.BeginAddress;
        if (records < 2 * Math.Max(livePoints, 1) || until / _segmentBytes == begin / _segmentBytes)
        {
            return 0;
        }

        // Only read-only records can be compacted; the newest part of the log (most of its memory) is updated in place
        // until it is made read-only, which otherwise only a checkpoint does.
        _store.Log.ShiftReadOnlyAddress(until, wait: true);
        var session = Rent();
        try
        {
            // A scan compaction copies the range's live records into a temporary in-memory store first (fast, but as much
            // memory as they take); a lookup compaction looks each record up instead (slow, reading from disk, but in
            // constant memory): scans for ranges up to ScanCompactionBytes.
            session.Compact(until, until - begin <= ScanCompactionBytes ? CompactionType.Scan : CompactionType.Lookup);
        }
        finally
        {
            Return(session);
        }

        Interlocked.Exchange(ref _records, livePoints);
        return _store.Log.BeginAddress - begin;
    }

    /// <summary>Removes from disk the log segments wholly below <paramref name="address"/> (at most the begin address).</summary>
    public void ReleaseUntil(long address) => _device.Release(Math.Min(address, _store.Log.BeginAddress));

    /// <summary>Inserts or replaces a point.</summary>
    public void Upsert(uint collectionId, PointId id, StoredPointValue value)
    {
        int parts = 0;
        long vectorBytes = value.VectorBytes;
        if (value.PayloadJson is { } payload && System.Text.Encoding.UTF8.GetMaxByteCount(payload.Length) + vectorBytes + RecordOverheadBytes > MaxValueBytes
            && System.Text.Encoding.UTF8.GetBytes(payload) is var payloadBytes && payloadBytes.Length + vectorBytes + RecordOverheadBytes > MaxValueBytes)
        {
            parts = (payloadBytes.Length + MaxValueBytes - 1) / MaxValueBytes;
            for (int part = 0; part < parts; part++)
            {
                Write(collectionId, id, part, payloadBytes.AsSpan(part * MaxValueBytes, Math.Min(MaxValueBytes, payloadBytes.Length - (part * MaxValueBytes))));
            }

            value = value with { PayloadJson = null, PayloadParts = parts };
        }

        Write(collectionId, id, part: -1, Serialization.Serialize(value));
        DeleteParts(collectionId, id, from: parts);
        if (parts > 0)
        {
            _partCounts[(collectionId, id)] = parts;
        }
    }

    /// <summary>Removes a point; absent points are ignored.</summary>
    public void Delete(uint collectionId, PointId id)
    {
        Span<byte> key = stackalloc byte[PartKeyBytes];
        DeleteKey(WriteKey(key, collectionId, id, part: -1));
        DeleteParts(collectionId, id, from: 0);
    }

    /// <summary>Reads one point (from memory or disk), or null when it is absent.</summary>
    public StoredPointValue? Read(uint collectionId, PointId id)
    {
        if (ReadBytes(collectionId, id, part: -1) is not { } bytes)
        {
            return null;
        }

        var value = Serialization.Deserialize<StoredPointValue>(bytes);
        return value.PayloadParts > 0 ? value with { PayloadJson = ReadPayload(collectionId, id, value.PayloadParts), PayloadParts = 0 } : value;
    }

    /// <summary>
    /// Every point the store holds, from one pass over its log (5–10× faster than FASTER's distinct-record iterator),
    /// later records superseding earlier ones; payloads stored in parts are read back whole.
    /// </summary>
    /// <param name="expectedPoints">How many points the store is expected to hold (a checkpoint's count), to size the
    /// scan's map once instead of growing it through copies of millions of entries.</param>
    public IEnumerable<PersistedPoint> ReadAll(long expectedPoints = 0)
    {
        var latest = new Dictionary<(uint CollectionId, PointId Id), (StoredPointSummary? Summary, int InternalId, long Address)>(PresizeHint(expectedPoints));
        byte[] buffer = new byte[4096]; // each value is copied here to be read: a copy per record was gigabytes of garbage for millions of points
        using (var iterator = _store.Log.Scan(_store.Log.BeginAddress, _store.Log.TailAddress))
        {
            while (iterator.GetNext(out var info))
            {
                var key = iterator.GetKey().AsReadOnlySpan();
                if (key.Length == PartKeyBytes)
                {
                    continue; // read by key below, once it is known which parts the point's latest record counts
                }

                _records++;

                var point = ReadKey(key);
                if (info.Tombstone)
                {
                    latest.Remove(point);
                }
                else
                {
                    var value = iterator.GetValue().AsReadOnlySpan();
                    if (value.Length > buffer.Length)
                    {
                        buffer = new byte[Math.Max(value.Length, 2 * buffer.Length)];
                    }

                    value.CopyTo(buffer);
                    // A point that is only its vectors keeps no summary here: a collection of millions of plain vectors
                    // would hold an object per point while the graphs load beside this map.
                    var summary = Serialization.Deserialize<StoredPointSummary>(buffer.AsMemory(0, value.Length));
                    latest[point] = (summary.IsBare ? null : summary, summary.InternalId, iterator.CurrentAddress);
                }
            }
        }

        foreach (var ((collectionId, id), (summary, internalId, address)) in latest)
        {
            string? payload = summary?.PayloadJson;
            if (summary is { PayloadParts: > 0 })
            {
                _partCounts[(collectionId, id)] = summary.PayloadParts;
                payload = ReadPayload(collectionId, id, summary.PayloadParts);
            }

            yield return new PersistedPoint(collectionId, id, internalId, payload, summary?.SparseVectors, summary?.NamedVectorNames, summary?.MultivectorNodes, address);
        }
    }

    /// <summary>
    /// The capacity to give a map of <paramref name="expectedPoints"/> points known from a checkpoint: no more than 2^22
    /// (a few hundred MB of entries), so that a wrong count cannot ask for gigabytes up front; a larger map grows as usual.
    /// </summary>
    internal static int PresizeHint(long expectedPoints) => (int)Math.Clamp(expectedPoints, 0, 1 << 22);

    /// <summary>
    /// Hands over the dense vectors of the records at <paramref name="addresses"/> (ascending, each a point's record as
    /// <see cref="ReadAll"/> found it, with nothing written since), with each address's index, in one pass over that
    /// part of the log. A record that cannot be read (not a point's, not decodable, not there) goes to
    /// <paramref name="unreadable"/> instead, and the pass goes on.
    /// </summary>
    public void ReadVectorsAt(ReadOnlySpan<long> addresses, Action<int, StoredPointVectors> vectors, Action<int, InvalidDataException> unreadable)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(unreadable);
        if (addresses.IsEmpty)
        {
            return;
        }

        byte[] buffer = new byte[4096];
        int next = 0;
        using (var iterator = _store.Log.Scan(addresses[0], addresses[^1] + 1))
        {
            while (next < addresses.Length && iterator.GetNext(out _))
            {
                for (; next < addresses.Length && addresses[next] < iterator.CurrentAddress; next++)
                {
                    unreadable(next, new InvalidDataException($"The point store holds no record at {addresses[next]}."));
                }

                if (next == addresses.Length || iterator.CurrentAddress != addresses[next])
                {
                    continue;
                }

                var key = iterator.GetKey().AsReadOnlySpan();
                var value = iterator.GetValue().AsReadOnlySpan();
                if (value.Length > buffer.Length)
                {
                    buffer = new byte[Math.Max(value.Length, 2 * buffer.Length)];
                }

                value.CopyTo(buffer);
                StoredPointVectors? read = null;
                try
                {
                    read = key.Length == PartKeyBytes
                        ? throw new InvalidDataException($"The point store's record at {addresses[next]} is part of a payload, not a point.")
                        : Serialization.Deserialize<StoredPointVectors>(buffer.AsMemory(0, value.Length));
                }
                catch (InvalidDataException e)
                {
                    unreadable(next, e);
                }

                if (read is not null)
                {
                    vectors(next, read);
                }

                next++;
            }
        }

        for (; next < addresses.Length; next++)
        {
            unreadable(next, new InvalidDataException($"The point store holds no record at {addresses[next]}."));
        }
    }

    /// <summary>Address after the last record: a checkpoint's cut, when read while writers are kept out.</summary>
    public long TailAddress => _store.Log.TailAddress;

    /// <summary>
    /// Hands <paramref name="point"/> every point of a collection as the store held it at <paramref name="cut"/> (a
    /// checkpoint's tail): the latest record below the cut of each key, as a serialized <see cref="StoredPointValue"/>
    /// whose payload is whole. Writers may run meanwhile (their records land above the cut); the caller keeps
    /// compaction out, which would move records from below it.
    /// </summary>
    /// <remarks>
    /// Two passes over the log: the first finds each key's latest address, the second hands over only those records,
    /// without holding them (a collection is read in the memory of its keys), but for the points whose payload is in
    /// parts, which are joined to their parts at the end.
    /// </remarks>
    /// <returns>The number of points handed over.</returns>
    public int ReadCollection(uint collectionId, long cut, Action<PointId, ReadOnlySpan<byte>> point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var latest = new Dictionary<(PointId Id, int Part), (long Address, bool Deleted)>();
        using (var iterator = _store.Log.Scan(_store.Log.BeginAddress, cut))
        {
            while (iterator.GetNext(out var info) && iterator.CurrentAddress < cut)
            {
                var key = iterator.GetKey().AsReadOnlySpan();
                if (BinaryPrimitives.ReadUInt32LittleEndian(key) == collectionId)
                {
                    latest[ReadAnyKey(key)] = (iterator.CurrentAddress, info.Tombstone);
                }
            }
        }

        var parts = new Dictionary<(PointId Id, int Part), byte[]>();
        var split = new List<(PointId Id, StoredPointValue Value)>(); // points whose payload is in parts
        int count = 0;
        using (var iterator = _store.Log.Scan(_store.Log.BeginAddress, cut))
        {
            while (iterator.GetNext(out _) && iterator.CurrentAddress < cut)
            {
                var key = iterator.GetKey().AsReadOnlySpan();
                if (BinaryPrimitives.ReadUInt32LittleEndian(key) != collectionId
                    || latest.GetValueOrDefault(ReadAnyKey(key)) is not { Deleted: false } newest || newest.Address != iterator.CurrentAddress)
                {
                    continue;
                }

                var (id, part) = ReadAnyKey(key);
                var value = iterator.GetValue().AsReadOnlySpan();
                if (part >= 0)
                {
                    parts[(id, part)] = value.ToArray();
                    continue;
                }

                if (Serialization.Deserialize<StoredPointSummary>(value.ToArray()).PayloadParts == 0)
                {
                    point(id, value);
                }
                else
                {
                    split.Add((id, Serialization.Deserialize<StoredPointValue>(value.ToArray())));
                }

                count++;
            }
        }

        // A point's parts may lie before or after its record (an in-place update, a compaction's copies): joined last.
        foreach (var (id, value) in split)
        {
            using var payload = new MemoryStream();
            for (int i = 0; i < value.PayloadParts; i++)
            {
                payload.Write(parts.GetValueOrDefault((id, i)) ?? throw new InvalidDataException($"Part {i} of the payload of point {id} is missing from the store."));
            }

            point(id, Serialization.Serialize(value with
            {
                PayloadJson = System.Text.Encoding.UTF8.GetString(payload.GetBuffer().AsSpan(0, (int)payload.Length)),
                PayloadParts = 0,
            }));
        }

        return count;
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

    /// <summary>The key of a point's record (<paramref name="part"/> −1) or of one part of its payload.</summary>
    private static Span<byte> WriteKey(Span<byte> key, uint collectionId, PointId id, int part)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(key, collectionId);
        key[4] = id.IsUuid ? (byte)1 : (byte)0;
        key[5..KeyBytes].Clear();
        if (id.IsUuid)
        {
            id.Uuid.TryWriteBytes(key[5..]);
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(key[5..], id.Number);
        }

        if (part < 0)
        {
            return key[..KeyBytes];
        }

        BinaryPrimitives.WriteInt32LittleEndian(key[KeyBytes..], part);
        return key[..PartKeyBytes];
    }

    /// <summary>The point and part (−1: the point's own record) a key names.</summary>
    private static (PointId Id, int Part) ReadAnyKey(ReadOnlySpan<byte> key) =>
        key.Length == PartKeyBytes
            ? (ReadKey(key[..KeyBytes]).Id, BinaryPrimitives.ReadInt32LittleEndian(key[KeyBytes..]))
            : (ReadKey(key).Id, -1);

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

    private string ReadPayload(uint collectionId, PointId id, int parts)
    {
        using var bytes = new MemoryStream();
        for (int part = 0; part < parts; part++)
        {
            bytes.Write(ReadBytes(collectionId, id, part) ?? throw new InvalidDataException($"Part {part} of {parts} of the payload of point {id} is missing from the store."));
        }

        return System.Text.Encoding.UTF8.GetString(bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
    }

    /// <summary>Deletes the parts of a point's payload from <paramref name="from"/> on, as many as it had.</summary>
    private void DeleteParts(uint collectionId, PointId id, int from)
    {
        if (_partCounts.IsEmpty || !_partCounts.TryGetValue((collectionId, id), out int had))
        {
            return;
        }

        Span<byte> key = stackalloc byte[PartKeyBytes];
        for (int part = from; part < had; part++)
        {
            DeleteKey(WriteKey(key, collectionId, id, part));
        }

        if (from == 0)
        {
            _partCounts.TryRemove((collectionId, id), out _);
        }
    }

    private void Write(uint collectionId, PointId id, int part, ReadOnlySpan<byte> value)
    {
        Span<byte> key = stackalloc byte[PartKeyBytes];
        key = WriteKey(key, collectionId, id, part);
        var session = Rent();
        try
        {
            fixed (byte* keyPointer = key, valuePointer = value)
            {
                var keyBytes = SpanByte.FromPointer(keyPointer, key.Length);
                var valueBytes = SpanByte.FromPointer(valuePointer, value.Length);
                session.Upsert(ref keyBytes, ref valueBytes);
            }

            if (part < 0)
            {
                Interlocked.Increment(ref _records);
            }
        }
        finally
        {
            Return(session);
        }
    }

    private void DeleteKey(ReadOnlySpan<byte> key)
    {
        var session = Rent();
        try
        {
            fixed (byte* keyPointer = key)
            {
                var keyBytes = SpanByte.FromPointer(keyPointer, key.Length);
                session.Delete(ref keyBytes);
            }

            if (key.Length == KeyBytes)
            {
                Interlocked.Increment(ref _records);
            }
        }
        finally
        {
            Return(session);
        }
    }

    private byte[]? ReadBytes(uint collectionId, PointId id, int part)
    {
        Span<byte> key = stackalloc byte[PartKeyBytes];
        key = WriteKey(key, collectionId, id, part);
        var session = Rent();
        try
        {
            byte[]? output = null;
            Status status;
            fixed (byte* keyPointer = key)
            {
                var keyBytes = SpanByte.FromPointer(keyPointer, key.Length);
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

            return status.Found ? output : null;
        }
        finally
        {
            Return(session);
        }
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
