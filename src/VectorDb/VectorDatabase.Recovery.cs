using System.Diagnostics;
using FASTER.core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VectorDb.Hnsw;
using VectorDb.Log;
using VectorDb.Persistence;
using VectorDb.Storage;

namespace VectorDb;

public sealed partial class VectorDatabase
{
    /// <summary>
    /// Opens (or creates) a database in <paramref name="path"/>. Every acknowledged write survives a crash:
    /// recovery loads the newest valid checkpoint (graph snapshots, not a rebuild), replays the write-ahead log
    /// after it, and checks that every graph agrees with the point store before serving.
    /// </summary>
    /// <remarks>
    /// Raises the process's thread-pool minimum to 16 worker threads (never lowers it): the point store (FASTER) blocks
    /// pool threads on its I/O, and with the default of one per core a checkpoint waited about a second for the pool to grow.
    /// </remarks>
    /// <param name="path">Data directory; created if missing. One process at a time.</param>
    /// <param name="options">Commit and checkpoint settings; <see cref="StorageOptions.Default"/> when null.</param>
    /// <param name="logger">Receives recovery and checkpoint messages.</param>
    /// <exception cref="StorageException">The directory is in use, unreadable, or damaged beyond recovery.</exception>
    public static VectorDatabase Open(string path, StorageOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= StorageOptions.Default;
        options.Validate();
        var durable = DurableStore.Open(System.IO.Path.GetFullPath(path), options, logger ?? NullLogger.Instance);
        var database = new VectorDatabase(durable);
        try
        {
            database.Recover();
            database.RemoveLeftovers();
            durable.Start(() => [.. database._collections.Values], database.AliasTargets);
            foreach (var collection in database._collections.Values)
            {
                collection.ScheduleRotationFit(); // one a crash interrupted before it was logged
            }
            return database;
        }
        catch (Exception e) when (e is not StorageException and not OutOfMemoryException)
        {
            database.Dispose();
            throw new StorageException($"Cannot recover the database in {path}: {e.Message}", e);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Removes what a crash left behind: row files of collections that no longer exist (dropped, or a restore that did
    /// not complete) and snapshot work in progress (staging folders, uploads, partly written files).
    /// </summary>
    private void RemoveLeftovers()
    {
        var ids = _collections.Values.Select(c => c.Id).ToHashSet();
        string vectors = System.IO.Path.Combine(_durable!.Root, "vectors");
        foreach (string file in Directory.Exists(vectors) ? Directory.EnumerateFiles(vectors, "collection-*") : [])
        {
            string name = System.IO.Path.GetFileName(file);
            int end = name.IndexOf('.', StringComparison.Ordinal);
            if (end > "collection-".Length && uint.TryParse(name["collection-".Length..end], System.Globalization.CultureInfo.InvariantCulture, out uint id) && !ids.Contains(id))
            {
                File.Delete(file);
            }
        }

        string snapshots = System.IO.Path.Combine(_durable.Root, "snapshots");
        var folders = Directory.Exists(snapshots)
            ? Directory.EnumerateDirectories(snapshots).Where(d => !System.IO.Path.GetFileName(d).StartsWith('.')).Prepend(snapshots).ToList()
            : [];
        foreach (string folder in folders)
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(folder).Where(e => System.IO.Path.GetFileName(e).StartsWith('.') || e.EndsWith(".tmp", StringComparison.Ordinal)))
            {
                if (Directory.Exists(entry))
                {
                    Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }
        }
    }

    /// <summary>Takes a checkpoint now (they are also taken periodically and on dispose).</summary>
    /// <exception cref="InvalidOperationException">The database is in memory.</exception>
    public void Checkpoint()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        (_durable ?? throw new InvalidOperationException("An in-memory database has no checkpoints.")).Checkpoint();
    }

    /// <summary>Points from which recovery gives the memory of its temporary maps back before the database is used.</summary>
    private const long LargeRecovery = 100_000;

    private void Recover()
    {
        var durable = _durable!;
        var watch = Stopwatch.StartNew();
        var (manifest, needsCheckpoint) = RecoverCheckpoint(durable);
        long replayed = 0;
        bool dropped = false;
        foreach (var (address, bytes) in durable.Log.Read(manifest?.LogAddress ?? 0, (from, to, error) =>
        {
            StorageLog.LogTailDropped(durable.Logger, from, to, error);
            dropped = true;
        }))
        {
            LogRecord record;
            try
            {
                record = LogRecordCodec.Decode(bytes);
            }
            catch (InvalidDataException e)
            {
                StorageLog.LogTailDropped(durable.Logger, address, durable.Log.CommittedUntilAddress, e);
                dropped = true;
                break;
            }

            Replay(record);
            replayed++;
        }

        long recovered = _collections.Values.Sum(c => (long)c.Count());
        StorageLog.Recovered(durable.Logger, _collections.Count, recovered, manifest?.Sequence ?? 0, replayed, watch.ElapsedMilliseconds);
        if (recovered >= LargeRecovery)
        {
            // Recovery's maps of every stored point are garbage now. The heap they grew would stay committed beside the
            // graphs' native memory, which the collector does not see, and a memory-limited container counts both.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }

        // After dropping a damaged log tail, new records would land behind the damage and be dropped with it
        // on the next recovery: a checkpoint moves the log's start past it. A rebuilt graph is saved likewise.
        if (dropped || needsCheckpoint)
        {
            durable.Start(() => [.. _collections.Values], AliasTargets);
            durable.Checkpoint();
        }
    }

    /// <summary>Loads the newest checkpoint that is whole, falling back to older ones, or starts empty.</summary>
    private (CheckpointManifest? Manifest, bool Rebuilt) RecoverCheckpoint(DurableStore durable)
    {
        string pointsDirectory = System.IO.Path.Combine(durable.Root, "points");
        foreach (long sequence in durable.Checkpoints.Sequences())
        {
            PointStore? points = null;
            try
            {
                var manifest = durable.Checkpoints.ReadManifest(sequence);
                points = new PointStore(pointsDirectory, durable.Options.PointStoreMemoryBytes, durable.Layout);
                points.Recover(manifest.PointStoreToken);
                durable.AttachPointStore(points, sequence, manifest.LogAddress, manifest.Collections.Sum(c => (long)c.Points));
                durable.NextCollectionId = manifest.NextCollectionId;
                bool rebuilt = LoadCollections(durable, manifest, durable.Checkpoints.PathOf(sequence));
                RestoreAliases(manifest.Aliases);
                return (manifest, rebuilt);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or FasterException or System.Text.Json.JsonException)
            {
                StorageLog.CheckpointSkipped(durable.Logger, sequence, e.Message);
                foreach (var collection in _collections.Values)
                {
                    collection.Release();
                }

                _collections.Clear();
                points?.Dispose();
            }
        }

        // No usable checkpoint: whatever FasterKV wrote is not trustworthy without one, and the log is rebuilt
        // from. With no checkpoint ever taken the log is whole and the files are just a crash's leftovers; if
        // checkpoints existed but none could be used, keep the files aside for inspection.
        if (Directory.Exists(pointsDirectory))
        {
            if (durable.Checkpoints.Sequences().Count == 0)
            {
                Directory.Delete(pointsDirectory, recursive: true);
            }
            else
            {
                Directory.Move(pointsDirectory, $"{pointsDirectory}.unrecovered-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}");
            }
        }

        durable.AttachPointStore(new PointStore(pointsDirectory, durable.Options.PointStoreMemoryBytes, durable.Layout), 0, 0, 0);
        return (null, false);
    }

    /// <summary>
    /// Restores each collection of a checkpoint: its graph from the snapshot, its ids and payloads from the
    /// point store. A graph whose snapshot is damaged or disagrees with the store is rebuilt from the store.
    /// </summary>
    /// <returns>True when some graph had to be rebuilt.</returns>
    private bool LoadCollections(DurableStore durable, CheckpointManifest manifest, string folder)
    {
        var stored = manifest.Collections.ToDictionary(c => c.Id, c => new Dictionary<PointId, RecoveredPoint>(PointStore.PresizeHint(c.Points)));
        var orphans = new List<(uint CollectionId, PointId Id)>();
        foreach (var point in durable.Points.ReadAll(manifest.Collections.Sum(c => (long)c.Points)))
        {
            if (stored.TryGetValue(point.CollectionId, out var points))
            {
                points[point.Id] = new RecoveredPoint(point.InternalId, point.PayloadJson, point.SparseVectors, point.NamedVectorNames, point.MultivectorNodes, point.Address);
            }
            else
            {
                orphans.Add((point.CollectionId, point.Id));
            }
        }

        var graphs = ReadCheckpointGraphs(durable, manifest, folder, stored);
        try
        {
            // Points of no collection: a drop or a snapshot restore that a crash interrupted. Their ids are below the
            // manifest's next one, so no collection the log creates can take them.
            foreach (var (collectionId, id) in orphans)
            {
                durable.Points.Delete(collectionId, id);
            }

            bool rebuilt = false;
            foreach (var entry in manifest.Collections)
            {
                var (collection, wasRebuilt) = LoadCollection(durable, entry, folder, stored[entry.Id], graphs[entry.Id].Take, rebuildIfDamaged: true);
                rebuilt |= wasRebuilt;
                _collections[entry.Name] = collection;
            }

            return rebuilt;
        }
        finally
        {
            foreach (var loaded in graphs.Values)
            {
                loaded.Dispose(); // the graphs of collections not made (a failure on the way); taken ones are the collections'
            }
        }
    }

    /// <summary>
    /// The graphs each collection of a checkpoint saved, given back the rows their snapshots left out from the point
    /// store in one pass over it. A collection whose graphs cannot be read, or disagree with its points, gets the
    /// error instead (<see cref="LoadCollection"/> rebuilds it).
    /// </summary>
    private static Dictionary<uint, LoadedGraphs> ReadCheckpointGraphs(
        DurableStore durable, CheckpointManifest manifest, string folder, Dictionary<uint, Dictionary<PointId, RecoveredPoint>> stored)
    {
        var loaded = new Dictionary<uint, LoadedGraphs>();
        try
        {
            foreach (var entry in manifest.Collections)
            {
                loaded[entry.Id] = LoadedGraphs.Read(() => ReadGraphs(entry, folder, entry.Config.ToOptions(), durable));
            }

            var waiting = loaded.Where(pair => pair.Value.Waiting).Select(pair => pair.Key).ToList();
            var records = waiting
                .SelectMany(collectionId => stored[collectionId].Values.Select(point => (point.StoreAddress, CollectionId: collectionId)))
                .OrderBy(record => record.StoreAddress)
                .ToArray();
            durable.Points.ReadVectorsAt(
                records.Select(record => record.StoreAddress).ToArray(),
                (i, vectors) => loaded[records[i].CollectionId].Fill(vectors),
                (i, error) => loaded[records[i].CollectionId].Fail(error));
            foreach (uint collectionId in waiting)
            {
                loaded[collectionId].Complete();
            }
        }
        catch
        {
            foreach (var graphs in loaded.Values)
            {
                graphs.Dispose();
            }

            throw;
        }

        return loaded;
    }

    /// <summary>
    /// Makes a collection from the files a checkpoint (or a snapshot) saved in <paramref name="folder"/> and its points as
    /// the store holds them: its graphs from their snapshots (<paramref name="readGraphs"/>, rows given back), checked against the points. A damaged snapshot, or one that
    /// disagrees with the store, is rebuilt from the store when <paramref name="rebuildIfDamaged"/>, else refused.
    /// </summary>
    /// <exception cref="InvalidDataException">A graph is damaged or disagrees with the points, and no rebuild was allowed.</exception>
    private static (Collection Collection, bool Rebuilt) LoadCollection(
        DurableStore durable, CollectionManifest entry, string folder, IReadOnlyDictionary<PointId, RecoveredPoint> points,
        Func<Dictionary<string, HnswIndex>> readGraphs, bool rebuildIfDamaged)
    {
        var options = entry.Config.ToOptions();
        Collection? collection = null;
        bool snapshotLoaded = false; // saved links join nodes of the snapshot, not of a graph rebuilt from the store
        bool rebuilt = false;
        try
        {
            var graphs = readGraphs();
            try
            {
                collection = new Collection(entry.Name, entry.Id, options, durable, graphs);
            }
            catch
            {
                foreach (var graph in graphs.Values)
                {
                    graph.Dispose(); // a collection that was not made cannot release them
                }

                throw;
            }

            collection.Restore(points);
            snapshotLoaded = true;
        }
        catch (Exception e) when (rebuildIfDamaged && e is InvalidDataException or IOException or InvalidRequestException)
        {
            StorageLog.SnapshotRebuilt(durable.Logger, entry.Name, e.Message);
            collection?.Release();
            collection = new Collection(entry.Name, entry.Id, options, durable);
            collection.State.ApplyUpsert([.. points.Select(p => (durable.Points.Read(entry.Id, p.Key) ?? throw new InvalidDataException($"point {p.Key} vanished from the store")) is var value
                ? new Point(p.Key, value.Vector, p.Value.PayloadJson is null ? null : Payload.Parse(p.Value.PayloadJson))
                {
                    NamedVectors = value.NamedVectors?.Where(v => options.NamedVectors?.GetValueOrDefault(v.Key) is { Multivector: null }).ToDictionary(StringComparer.Ordinal),
                    Multivectors = value.Multivectors?.Where(v => options.NamedVectors?.GetValueOrDefault(v.Key) is { Multivector: not null }).ToDictionary(StringComparer.Ordinal),
                    SparseVectors = value.SparseVectors?.Where(v => options.SparseVectors?.ContainsKey(v.Key) == true).ToDictionary(v => v.Key, v => v.Value.ToVector(), StringComparer.Ordinal),
                }
                : null!)]);
            rebuilt = true;
        }
        catch
        {
            collection?.Release();
            throw;
        }

        foreach (var index in entry.PayloadIndexes ?? [])
        {
            using var links = snapshotLoaded ? OpenPayloadLinks(durable, entry.Name, index, folder) : null;
            collection.State.ApplyCreatePayloadIndex(index.Key, index.Schema, index.IsTenant, links, reason => StorageLog.PayloadLinksRelinked(durable.Logger, entry.Name, reason), index.Text);
        }

        if (entry.RotationFile is { } rotationFile)
        {
            var (axes, explained) = RotationFile.Read(System.IO.Path.Combine(folder, rotationFile));
            collection.State.ApplyRotation(axes, explained);
        }

        collection.LastSequence = entry.LastSequence;
        return (collection, rebuilt);
    }

    /// <summary>
    /// The graphs a checkpoint saved for a collection, by vector name (<c>""</c>: the unnamed vector's); those whose
    /// snapshots left their live rows out wait for them (<see cref="LeftOutRows"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">A snapshot is damaged.</exception>
    private static Dictionary<string, HnswIndex> ReadGraphs(CollectionManifest entry, string folder, CollectionOptions options, DurableStore durable)
    {
        // Rows kept on disk stay in their file: the snapshot holds their checksums, and the file is mapped, not read.
        RowFileOptions? RowsOf(string name) =>
            (name.Length == 0 ? options.Memory : options.NamedVectors?.GetValueOrDefault(name)?.Memory ?? MemoryTier.Pinned) is var tier && tier != MemoryTier.Pinned
                ? new RowFileOptions(durable.RowsFile(entry.Id, name), tier)
                : null;

        var files = new Dictionary<string, string>(entry.VectorSnapshotFiles ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (entry.SnapshotFile is { } unnamed)
        {
            files[""] = unnamed;
        }

        var graphs = new Dictionary<string, HnswIndex>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, file) in files)
            {
                using var snapshot = ChecksummedFile.OpenVerified(System.IO.Path.Combine(folder, file));
                graphs[name] = HnswIndex.ReadSnapshot(snapshot, RowsOf(name), rowsGivenBack: true);
            }
        }
        catch
        {
            foreach (var graph in graphs.Values)
            {
                graph.Dispose();
            }

            throw;
        }

        return graphs;
    }

    /// <summary>Re-applies one logged mutation through the same code the original write used.</summary>
    private void Replay(LogRecord record)
    {
        switch (record)
        {
            case DatabaseRecord change:
                change.ApplyTo(this);
                break;
            case CollectionRecord change when FindById(change.CollectionId) is { } collection:
                collection.Apply(change);
                break;
            default:
                break; // a record for a collection dropped later in the log
        }
    }

    /// <summary>The links (or value graphs) a checkpoint saved for a payload index, verified; null (logged) when unreadable.</summary>
    private static Stream? OpenPayloadLinks(DurableStore durable, string collection, PayloadIndexDefinition index, string folder)
    {
        if (index.LinksFile is not { } file)
        {
            return null;
        }

        try
        {
            return ChecksummedFile.OpenVerified(System.IO.Path.Combine(folder, file));
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            StorageLog.PayloadLinksRelinked(durable.Logger, collection, e.Message);
            return null;
        }
    }

    /// <summary>A collection's graphs as read from a checkpoint, or why they could not be.</summary>
    private sealed class LoadedGraphs : IDisposable
    {
        private Dictionary<string, HnswIndex>? _graphs;
        private Exception? _error;

        /// <summary>Whether the graphs were read and wait for rows.</summary>
        public bool Waiting => _graphs is { } graphs && LeftOutRows.Pending(graphs);

        public static LoadedGraphs Read(Func<Dictionary<string, HnswIndex>> read)
        {
            var loaded = new LoadedGraphs();
            loaded.Try(() => loaded._graphs = read());
            return loaded;
        }

        /// <summary>Keeps <paramref name="error"/> in place of the graphs (the first one met).</summary>
        public void Fail(Exception error)
        {
            Dispose();
            _error ??= error;
        }

        /// <summary>Gives the graphs a point's vectors; a disagreement is kept as the error.</summary>
        public void Fill(StoredPointVectors point)
        {
            if (_graphs is { } graphs)
            {
                Try(() => LeftOutRows.Fill(graphs, point));
            }
        }

        /// <summary>Checks that the graphs got all their rows; a missing one is kept as the error.</summary>
        public void Complete()
        {
            if (_graphs is { } graphs)
            {
                Try(() => LeftOutRows.Complete(graphs));
            }
        }

        /// <summary>The graphs, handed over (the caller disposes them), or the error that took their place.</summary>
        public Dictionary<string, HnswIndex> Take()
        {
            if (_graphs is not { } graphs)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_error ?? new InvalidOperationException("The graphs were taken already."));
                throw new UnreachableException();
            }

            _graphs = null;
            return graphs;
        }

        public void Dispose()
        {
            foreach (var graph in _graphs?.Values ?? Enumerable.Empty<HnswIndex>())
            {
                graph.Dispose();
            }

            _graphs = null;
        }

        private void Try(Action action)
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is InvalidDataException or IOException)
            {
                Fail(e);
            }
        }
    }
}
