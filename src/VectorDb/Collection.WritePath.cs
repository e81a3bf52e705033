using VectorDb.Log;
using VectorDb.Query.PayloadIndexing;
using VectorDb.Spaces;
using VectorDb.Sparse;
using VectorDb.Storage;

namespace VectorDb;

/// <summary>
/// The write path: every change is a log record, made and validated under the write lock, numbered, logged, then
/// carried out by <see cref="Apply"/> — the only code that changes the collection, whether the record comes from a live
/// write, from the log after a crash or, later, from a leader replicating to this node.
/// </summary>
public sealed partial class Collection : ICollectionState
{
    // Batches at least this large are linked in parallel; below it the thread hand-off costs more.
    internal const int ParallelInsertThreshold = 64;

    private readonly Lock _writeLock = new();

    // Asynchronous writers queue here, without a thread each, rather than blocking thread-pool threads on the write
    // lock: only the writer at the head of the queue takes the lock (beside synchronous writers).
    private readonly SemaphoreSlim _asyncWriters = new(1, 1);

    /// <summary>The sequence number of the last log record applied (<see cref="Apply"/>).</summary>
    internal long LastSequence { get; set; }

    /// <summary>The state records change, for recovery, which rebuilds and restores through it too.</summary>
    internal ICollectionState State => this;

    /// <summary>
    /// The one place a collection's state changes: a live write (<see cref="Write(Func{CollectionRecord?})"/>), the replay
    /// of the log, and later a replica applying what its leader shipped. A record already applied — its sequence number
    /// not past <see cref="LastSequence"/> — is skipped; records logged before there were sequence numbers count on.
    /// The caller holds the write lock, or is recovering.
    /// </summary>
    /// <returns>How many points the record changed.</returns>
    internal int Apply(CollectionRecord record)
    {
        if (record.Sequence != 0 && record.Sequence <= LastSequence)
        {
            return 0;
        }

        int changed = record.ApplyTo(State);
        LastSequence = record.Sequence == 0 ? LastSequence + 1 : record.Sequence;
        return changed;
    }

    /// <summary>Applies a validated, deduplicated batch.</summary>
    int ICollectionState.ApplyUpsert(Point[] batch) => ApplyPoints(batch);

    /// <summary>Deletes the points that exist among <paramref name="ids"/>.</summary>
    int ICollectionState.ApplyDelete(IEnumerable<PointId> ids)
    {
        var spaces = _spaces;
        var deleted = new List<PointId>();
        var retired = new List<(IVectorSpace Space, int Node)>();
        var freed = new List<int>();
        using (_table.WriteVisible())
        {
            foreach (var id in ids)
            {
                if (_table.Unmap(id, out int node) && Unpublish(node, spaces, retired))
                {
                    deleted.Add(id);
                    freed.Add(node);
                }
            }
        }

        Repair(retired, freed);
        foreach (var id in deleted)
        {
            _durable?.Points.Delete(Id, id);
        }

        return deleted.Count;
    }

    /// <summary>Changes the payloads of the points that exist among <paramref name="ids"/>.</summary>
    int ICollectionState.ApplyPayloadUpdate(IEnumerable<PointId> ids, PayloadOperation operation, Payload? payload, IReadOnlyList<string>? keys)
    {
        var updated = new List<(PointId Id, int Node, Payload Payload)>();
        using (_table.WriteVisible())
        {
            foreach (var id in ids)
            {
                if (!_table.TryGetNode(id, out int node) || _table.Stored(node) is not { } stored)
                {
                    continue;
                }

                var current = stored.Payload ?? Payload.Empty;
                var next = operation switch
                {
                    PayloadOperation.Set => current.With(payload!),
                    PayloadOperation.SetAt => current.WithAt(keys![0], payload!),
                    PayloadOperation.Overwrite => payload!,
                    PayloadOperation.DeleteKeys => current.Without(keys!),
                    _ => Payload.Empty,
                };
                _payloadIndexes.Update(node, stored.Payload, next);
                _table.Record(node, stored.Id, next);
                updated.Add((id, node, next));
            }
        }

        if (_durable is not null)
        {
            foreach (var (id, node, next) in updated)
            {
                StoreFromRows(id, node, next);
            }
        }

        return updated.Count;
    }

    /// <summary>
    /// Builds a payload index from the current points, restoring the value links <paramref name="links"/> holds (saved by
    /// a checkpoint with this graph); the caller holds the write lock (or is recovering).
    /// </summary>
    void ICollectionState.ApplyCreatePayloadIndex(string key, PayloadSchemaType schema, bool isTenant, Stream? links, Action<string>? linksUnusable, TextIndexOptions? text)
    {
        var existing = Enumerable.Range(0, _table.NodeBound)
            .Select(node => (Node: node, Stored: _table.Stored(node)))
            .Where(entry => entry.Stored is not null && _table.IsLive(entry.Node))
            .Select(entry => (entry.Node, entry.Stored!.Payload));
        _payloadIndexes.Create(key, schema, existing, isTenant, links, linksUnusable, text);
    }

    void ICollectionState.ApplyDeletePayloadIndex(string key) => _payloadIndexes.Drop(key);

    /// <summary>Makes adaptive searches walk these axes; drops calibrations measured without them.</summary>
    /// <exception cref="InvalidDataException">The axes do not fit the collection (a damaged record or checkpoint).</exception>
    void ICollectionState.ApplyRotation(float[] axes, double explainedVariance) =>
        (_unnamed ?? throw new InvalidDataException("A rotation was logged for a collection without an unnamed vector.")).Adaptive.ApplyRotation(axes, explainedVariance);

    /// <summary>Starts the automatic PCA fit in the background once the collection has reached its size.</summary>
    internal void ScheduleRotationFit() => _unnamed?.Adaptive.ScheduleFit(() => FitRotation());

    /// <summary>The unnamed vector's adaptive side (null without one): what tests and diagnostics look into.</summary>
    internal Adaptive.AdaptivePlanner? UnnamedAdaptive => _unnamed?.Adaptive;

    /// <summary>Waits until the keyword indexes have linked their values' points (they do it in the background after
    /// being created over existing points, as when the database opens).</summary>
    internal void WaitForPayloadLinks() => _payloadIndexes.WaitForLinks();

    Point[] ICollectionState.PrepareBatch(IEnumerable<Point> points) => PrepareBatch(points);

    /// <summary>Validates and deduplicates a batch for <see cref="ICollectionState.ApplyUpsert"/>.</summary>
    private Point[] PrepareBatch(IEnumerable<Point> points)
    {
        var batch = Deduplicate(points);
        var spaces = _spaces;
        foreach (var point in batch)
        {
            ValidatePoint(point, spaces, partial: false);
        }

        return batch;
    }

    /// <summary>
    /// The write path: under the write lock, makes the record (null: nothing to write), numbers it, logs it and applies
    /// it with <see cref="Apply"/>; then, when <paramref name="wait"/>, waits until the log commit covering it is durable.
    /// </summary>
    /// <exception cref="StorageException">The record could not be logged; nothing was applied.</exception>
    private (bool Written, int Changed) Write(bool wait, Func<CollectionRecord?> makeRecord)
    {
        var (commit, written, changed) = Write(makeRecord);
        if (wait)
        {
            commit.Wait();
        }

        return (written, changed);
    }

    private (WriteCommit Commit, bool Written, int Changed) Write(Func<CollectionRecord?> makeRecord)
    {
        _table.ThrowIfDropped(); // says "closed" (or "dropped") before the database's gate would refuse it less helpfully
        using (_durable?.EnterWrite() ?? default)
        {
            lock (_writeLock)
            {
                _table.ThrowIfDropped();
                if (makeRecord() is not { } record)
                {
                    return (WriteCommit.Done, false, 0);
                }

                record = record with { Sequence = LastSequence + 1 };
                long address = _durable?.Log.Append(LogRecordCodec.Encode(record)) ?? 0;
                int changed;
                try
                {
                    changed = Apply(record);
                }
                catch
                {
                    // The record is logged: its number is taken. Handing it out again would let replay apply the failed
                    // record and then skip the next one, which was acknowledged, as already applied.
                    LastSequence = Math.Max(LastSequence, record.Sequence);
                    throw;
                }

                return (new WriteCommit(_durable?.Log, address), true, changed);
            }
        }
    }

    /// <summary>
    /// The asynchronous write path: the write is applied on the calling thread as <see cref="Write(bool, Func{CollectionRecord?})"/>
    /// does, then, when <paramref name="wait"/>, the log commit is awaited without holding a thread.
    /// </summary>
    /// <remarks><paramref name="cancellation"/> is observed until the write is applied; once it is, the write stands and
    /// the call completes when it is durable, so a cancelled caller is never left unsure whether its write happened.</remarks>
    private async ValueTask<(bool Written, int Changed)> WriteAsync(bool wait, Func<CollectionRecord?> makeRecord, CancellationToken cancellation)
    {
        await _asyncWriters.WaitAsync(cancellation).ConfigureAwait(false);
        WriteCommit commit;
        bool written;
        int changed;
        try
        {
            cancellation.ThrowIfCancellationRequested();
            (commit, written, changed) = Write(makeRecord);
        }
        finally
        {
            _asyncWriters.Release();
        }

        if (wait)
        {
            await commit.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return (written, changed);
    }

    private Func<CollectionRecord?> PayloadWrite(IEnumerable<PointId> ids, PayloadOperation operation, Payload? payload, IReadOnlyList<string>? keys) =>
        ExistingWrite(ids, existing => new UpdatePayloadRecord(Id, existing, operation, payload?.ToJson(), keys));

    /// <summary>A write of a record about those of <paramref name="ids"/> that exist (nothing, when none does).</summary>
    private Func<CollectionRecord?> ExistingWrite(IEnumerable<PointId> ids, Func<PointId[], CollectionRecord> record)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var requested = ids.ToHashSet();
        return () => requested.Where(_table.Contains).ToArray() is { Length: > 0 } existing ? record(existing) : null;
    }

    /// <summary>The points of a batch that an upsert's mode and update filter let it write; the caller holds the write lock.</summary>
    private Point[] Admitted(Point[] batch, UpsertOptions options)
    {
        if (options.Mode == UpsertMode.Upsert && options.UpdateFilter is null)
        {
            return batch;
        }

        var filter = options.UpdateFilter is { } updateFilter ? FilterCompiler.Compile(updateFilter, _payloadIndexes, _table) : null;
        return [.. batch.Where(point => _table.TryGetNode(point.Id, out int node)
            ? options.Mode != UpsertMode.InsertOnly && (filter is null || filter.Matches(node))
            : options.Mode != UpsertMode.UpdateOnly)];
    }

    /// <summary>
    /// Writes whole points (validated, one per id): each on a new node, its vectors inserted unpublished into their
    /// spaces, then the whole batch replaces the old points at once; the indexes are repaired around the old nodes after.
    /// </summary>
    private int ApplyPoints(Point[] batch)
    {
        var spaces = _spaces;
        // Payload indexes linked in the background work from lists of nodes taken earlier: no reuse while they run, nor
        // ever with a tenant index, whose value graphs keep copies of vectors.
        int[] nodes = _table.Allocate(
            batch.Length,
            _payloadIndexes.Linking || _payloadIndexes.HasTenantIndex ? null : node => spaces.Dense.Values.All(space => space.Graph.CanReuse(node)));
        if (batch.Length >= ParallelInsertThreshold && Environment.ProcessorCount > 1)
        {
            Parallel.For(0, batch.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i => InsertUnpublished(batch[i], nodes[i], spaces));
        }
        else
        {
            for (int i = 0; i < batch.Length; i++)
            {
                InsertUnpublished(batch[i], nodes[i], spaces);
            }
        }

        var retired = new List<(IVectorSpace Space, int Node)>();
        var freed = new List<int>();
        using (_table.WriteVisible())
        {
            for (int i = 0; i < batch.Length; i++)
            {
                if (_table.TryGetNode(batch[i].Id, out int previous) && Unpublish(previous, spaces, retired))
                {
                    freed.Add(previous);
                }

                Publish(batch[i], nodes[i], spaces);
                _table.Map(batch[i].Id, nodes[i]);
            }
        }

        Repair(retired, freed);
        if (_durable is not null)
        {
            for (int i = 0; i < batch.Length; i++)
            {
                var point = batch[i];
                _durable.Points.Upsert(Id, point.Id, StoredValue(nodes[i], PointVectors.Of(point), point.Payload, spaces));
            }
        }

        return batch.Length;
    }

    /// <summary>
    /// Relinks the vector spaces around the nodes a write retired, then gives the nodes back for later writes: a node
    /// is reused only once nothing would still find its old point there.
    /// </summary>
    private void Repair(List<(IVectorSpace Space, int Node)> retired, List<int> freed)
    {
        foreach (var (space, node) in retired)
        {
            space.Repair(node);
        }

        foreach (int node in freed)
        {
            _table.Free(node);
        }
    }

    /// <summary>Stores a point's vectors on a new node that no read sees until it is published, and records it there.</summary>
    private void InsertUnpublished(Point point, int node, VectorSpaces spaces)
    {
        if (point.Vector is { } vector)
        {
            _unnamed!.InsertUnpublished(node, vector);
        }

        foreach (var (name, named) in point.NamedVectors ?? new Dictionary<string, float[]>())
        {
            spaces.Dense[name].InsertUnpublished(node, named);
        }

        foreach (var (name, sparse) in point.SparseVectors ?? new Dictionary<string, SparseVector>())
        {
            spaces.Sparse[name].InsertUnpublished(node, sparse);
        }

        foreach (var (name, multi) in point.Multivectors ?? new Dictionary<string, float[][]>())
        {
            spaces.Multi[name].InsertUnpublished(node, multi);
        }

        _table.Record(node, point.Id, point.Payload);
        _payloadIndexes.Add(node, point.Payload); // after the graph's links: a keyword index's value links start from them
    }

    /// <summary>Makes a point's new node visible in its vectors' spaces and the point table; the caller holds visibility exclusively.</summary>
    private void Publish(Point point, int node, VectorSpaces spaces)
    {
        if (point.Vector is not null)
        {
            _unnamed!.Publish(node);
        }

        foreach (string name in point.NamedVectors?.Keys ?? [])
        {
            spaces.Dense[name].Publish(node);
        }

        foreach (string name in point.Multivectors?.Keys ?? [])
        {
            spaces.Multi[name].Publish(node);
        }

        _table.Publish(node);
    }

    /// <summary>
    /// Takes a node out of searches, payload indexes and lookups, noting the spaces to repair around it; false when it
    /// was not live. The caller holds visibility exclusively.
    /// </summary>
    private bool Unpublish(int node, VectorSpaces spaces, List<(IVectorSpace Space, int Node)> retired)
    {
        _payloadIndexes.Remove(node);
        foreach (var space in spaces.All)
        {
            if (space.Retire(node))
            {
                retired.Add((space, node));
            }
        }

        return _table.Retire(node);
    }

    private static Point[] Deduplicate(IEnumerable<Point> points)
    {
        var list = points as IReadOnlyList<Point> ?? points.ToList();
        var lastIndex = new Dictionary<PointId, int>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            var point = list[i] ?? throw new InvalidRequestException($"Point at position {i} is null.");
            lastIndex[point.Id] = i;
        }

        if (lastIndex.Count == list.Count)
        {
            return list as Point[] ?? [.. list];
        }

        return [.. lastIndex.Values.Order().Select(i => list[i])];
    }
}
