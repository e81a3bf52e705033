using VectorDb.Persistence;
using VectorDb.Hnsw;
using VectorDb.Snapshots;
using VectorDb.Storage;

namespace VectorDb;

/// <summary>A snapshot of a collection: a file that restores it, graphs included, into this or another database.</summary>
/// <param name="Name">The file's name, unique per collection.</param>
/// <param name="CreationTime">When it was taken (UTC).</param>
/// <param name="Size">Its bytes.</param>
/// <param name="Checksum">Its SHA-256, in hex.</param>
public sealed record SnapshotInfo(string Name, DateTime CreationTime, long Size, string Checksum);

public sealed partial class VectorDatabase
{
    /// <summary>
    /// Takes a snapshot of a collection: a consistent cut at a checkpoint, so writers wait only while the checkpoint
    /// runs (for a vector whose rows are kept on disk, also while its row file is copied); the points and files are read
    /// after they go on. Kept under <c>snapshots/&lt;collection&gt;/</c> in the data directory.
    /// </summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    /// <exception cref="InvalidRequestException">The database is in memory.</exception>
    public SnapshotInfo CreateSnapshot(string collection)
    {
        var durable = DurableForSnapshots();
        var target = GetCollection(collection);
        // Named as Qdrant names them; a long collection name is cut so that the name fits a file system's 255 bytes.
        string name = $"{target.Name[..Math.Min(target.Name.Length, 200)]}-{target.Id}-{SnapshotTime()}{SnapshotFile.Extension}";
        return TakeSnapshot(durable, SnapshotFolder(target.Name), name, () => [target], (cut, path) =>
        {
            var entry = cut.Manifest.Collections.FirstOrDefault(c => c.Id == target.Id) ?? throw new CollectionNotFoundException(collection);
            return WriteCollectionSnapshot(durable, cut, entry, path);
        });
    }

    /// <summary>
    /// Takes a checkpoint and writes a snapshot file from it into <paramref name="folder"/>: the rows kept on disk of
    /// <paramref name="collections"/> (asked while writers are out) are copied while writers still wait, the rest is
    /// read from the checkpoint after they go on. Returns the snapshot as listed.
    /// </summary>
    private static SnapshotInfo TakeSnapshot(
        DurableStore durable, string folder, string name, Func<IEnumerable<Collection>> collections, Func<SnapshotCut, string, string> write)
    {
        Directory.CreateDirectory(folder);
        string staging = System.IO.Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.staging");
        Directory.CreateDirectory(staging);
        try
        {
            // Rows kept on disk change in place (a freed node takes a new point's row): they are copied at the cut.
            var rows = new Dictionary<uint, IReadOnlyDictionary<string, string>>();
            return durable.WithCheckpoint(
                _ =>
                {
                    foreach (var collection in collections())
                    {
                        string rowFolder = System.IO.Path.Combine(staging, collection.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        var entries = collection.VectorsWithRowFiles().Select((vector, i) => (vector, i)).ToDictionary(v => v.vector, v => $"vector-{v.i}.rows", StringComparer.Ordinal);
                        Directory.CreateDirectory(rowFolder);
                        foreach (var (vector, entry) in entries)
                        {
                            collection.CopyRowFile(vector, System.IO.Path.Combine(rowFolder, entry));
                        }

                        rows[collection.Id] = entries;
                    }
                },
                (manifest, checkpoint, cut) =>
                {
                    string path = System.IO.Path.Combine(folder, name);
                    if (File.Exists(path))
                    {
                        throw new InvalidRequestException($"A snapshot named {name} exists already (two taken in the same millisecond): take it again.");
                    }

                    string checksum = write(new SnapshotCut(manifest, checkpoint, cut, staging, rows), path);
                    var file = new FileInfo(path);
                    return new SnapshotInfo(name, file.CreationTimeUtc, file.Length, checksum);
                });
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Writes the snapshot of one collection of a checkpoint to <paramref name="path"/>; returns its SHA-256.</summary>
    private static string WriteCollectionSnapshot(DurableStore durable, SnapshotCut cut, CollectionManifest entry, string path)
    {
        string folder = System.IO.Path.Combine(cut.Staging, entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        string points = System.IO.Path.Combine(folder, SnapshotFile.PointsEntry);
        using (var writer = new BinaryWriter(new FileStream(points, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20)))
        {
            durable.Points.ReadCollection(entry.Id, cut.PointStoreAddress, (id, value) =>
            {
                byte[] key = Serialization.Serialize(id);
                writer.Write(key.Length);
                writer.Write(key);
                writer.Write(value.Length);
                writer.Write(value);
            });
        }

        var rowEntries = cut.RowFiles.GetValueOrDefault(entry.Id) ?? new Dictionary<string, string>();
        var entries = new List<(string Entry, string File)> { (SnapshotFile.PointsEntry, points) };
        entries.AddRange(FilesOf(entry).Select(file => (file, System.IO.Path.Combine(cut.Checkpoint, file))));
        foreach (string rowEntry in rowEntries.Values)
        {
            entries.Add((rowEntry, System.IO.Path.Combine(folder, rowEntry)));
            entries.Add((rowEntry + ".id", System.IO.Path.Combine(folder, rowEntry + ".id")));
        }

        var snapshot = new SnapshotManifest
        {
            Format = SnapshotManifest.CurrentFormat,
            Kind = SnapshotManifest.CollectionKind,
            Created = DateTime.UtcNow,
            Collection = entry,
            RowFiles = rowEntries.Count == 0 ? null : rowEntries,
        };
        return SnapshotFile.Write(path, snapshot, entries);
    }

    /// <summary>
    /// The checkpoint a snapshot is read from: its manifest and folder, the point store's address at the cut, and the
    /// row files copied at it (collection id → vector name → entry name, in <see cref="Staging"/>/&lt;id&gt;/).
    /// </summary>
    private sealed record SnapshotCut(
        CheckpointManifest Manifest, string Checkpoint, long PointStoreAddress, string Staging, IReadOnlyDictionary<uint, IReadOnlyDictionary<string, string>> RowFiles);

    /// <summary>A snapshot's time as Qdrant writes it into names, to the millisecond.</summary>
    private static string SnapshotTime() => DateTime.UtcNow.ToString("yyyy-MM-dd-HH-mm-ss-fff", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The snapshots of a collection (which need not exist any more), oldest first.</summary>
    public IReadOnlyList<SnapshotInfo> ListSnapshots(string collection) => ListSnapshotFiles(SnapshotFolder(CollectionNameOf(collection)));

    /// <summary>The file of one snapshot, to read (download) it.</summary>
    /// <exception cref="NotFoundException">No such snapshot.</exception>
    public string SnapshotPath(string collection, string snapshot) =>
        SnapshotFileIn(SnapshotFolder(CollectionNameOf(collection)), snapshot) is var path && File.Exists(path)
            ? path
            : throw new NotFoundException($"Snapshot {snapshot} of collection {collection} not found.");

    /// <summary>Deletes a snapshot file; false when there was none.</summary>
    public bool DeleteSnapshot(string collection, string snapshot) => DeleteSnapshotFile(SnapshotFileIn(SnapshotFolder(CollectionNameOf(collection)), snapshot));

    /// <summary>The snapshot files of a folder, oldest first.</summary>
    private static IReadOnlyList<SnapshotInfo> ListSnapshotFiles(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return [.. Directory.EnumerateFiles(folder, "*" + SnapshotFile.Extension)
            .Select(path => new FileInfo(path))
            .Select(file => new SnapshotInfo(
                file.Name,
                file.CreationTimeUtc,
                file.Length,
                File.Exists(file.FullName + ".checksum") ? File.ReadAllText(file.FullName + ".checksum").Trim() : SnapshotFile.Checksum(file.FullName)))
            .OrderBy(snapshot => snapshot.CreationTime)
            .ThenBy(snapshot => snapshot.Name, StringComparer.Ordinal)];
    }

    /// <summary>Where a snapshot of that name is in <paramref name="folder"/>; a name that is not a snapshot's is not found.</summary>
    private static string SnapshotFileIn(string folder, string snapshot) => System.IO.Path.Combine(folder, CheckSnapshotName(snapshot));

    private static bool DeleteSnapshotFile(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        File.Delete(path + ".checksum");
        return true;
    }

    /// <summary>
    /// Restores a collection from a snapshot file (this database's or another's) under <paramref name="collection"/>,
    /// replacing a collection of that name. Everything is checked first — that it is a VectorDb snapshot of a format
    /// this version reads, that its entries match their checksums (and the whole file <paramref name="checksum"/>, when
    /// given), that its graphs agree with its points — and nothing is replaced when a check fails. Graphs load from the
    /// snapshot, not rebuilt. Two checkpoints make the restored collection durable before this returns, so that even the
    /// one recovery falls back to holds it (the restore itself is not logged).
    /// </summary>
    /// <exception cref="InvalidRequestException">The file is not a usable snapshot, or its checksum differs, or the name is an alias's.</exception>
    public Collection RestoreSnapshot(string collection, string file, string? checksum = null)
    {
        ValidateCollectionName(collection);
        var durable = DurableForSnapshots();
        void NotAnAlias()
        {
            if (_aliases.TryGetValue(collection, out uint id) && FindById(id) is { } named)
            {
                throw new InvalidRequestException($"`{collection}` is an alias of collection `{named.Name}`: restore under a collection's name.");
            }
        }

        NotAnAlias();
        CheckSnapshotFile(file, checksum);
        string staging = RestoreStaging(durable);
        try
        {
            var manifest = Unpack(file, staging, SnapshotManifest.CollectionKind);
            return Restore(durable, [(collection, manifest, staging)], aliases: null, NotAnAlias)[0];
        }
        finally
        {
            DeleteStaging(staging);
        }
    }

    /// <summary>Removes a restore's staging folder, which a restore that failed early never made.</summary>
    private static void DeleteStaging(string staging)
    {
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>Refuses a snapshot file that does not exist or whose SHA-256 is not <paramref name="checksum"/> (when given).</summary>
    private static void CheckSnapshotFile(string file, string? checksum)
    {
        if (!File.Exists(file))
        {
            throw new NotFoundException($"Snapshot file {file} not found.");
        }

        if (checksum is not null && SnapshotFile.Checksum(file) is var actual && !string.Equals(actual, checksum.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidRequestException($"The snapshot's SHA-256 is {actual}, not {checksum} as given: it was not restored.");
        }
    }

    /// <summary>A new folder, inside the data directory, to unpack a snapshot into.</summary>
    private static string RestoreStaging(DurableStore durable) => System.IO.Path.Combine(durable.Root, "snapshots", $".restore-{Guid.NewGuid():N}");

    /// <summary>
    /// Loads unpacked collection snapshots as new collections, then swaps them all in at once (replacing collections
    /// of their names, and setting <paramref name="aliases"/> — alias → collection name — when given) under a checkpoint
    /// that makes the change durable before writers return. Nothing is swapped when one fails to load, or when
    /// <paramref name="checkBeforeSwap"/> (run with writers out, just before) throws.
    /// </summary>
    private List<Collection> Restore(
        DurableStore durable,
        IReadOnlyList<(string Name, SnapshotManifest Manifest, string Folder)> unpacked,
        IReadOnlyDictionary<string, string>? aliases,
        Action? checkBeforeSwap = null)
    {
        var prepared = new List<PreparedRestore>();
        bool swapped = false;
        try
        {
            foreach (var (name, manifest, folder) in unpacked)
            {
                var restore = new PreparedRestore(name);
                prepared.Add(restore);
                Prepare(durable, restore, manifest, folder);
            }

            Dictionary<string, uint>? before = null;
            try
            {
                durable.CheckpointAfter(() =>
                {
                    lock (_lock)
                    {
                        checkBeforeSwap?.Invoke();
                        before = _aliases;
                        swapped = true; // from here on a failure puts back what was there
                        foreach (var restore in prepared)
                        {
                            if (_collections.TryRemove(restore.Name, out restore.Replaced))
                            {
                                RetargetAliases(restore.Replaced.Id, restore.Id);
                            }

                            _collections[restore.Name] = restore.Restored!;
                        }

                        if (aliases is not null)
                        {
                            var updated = new Dictionary<string, uint>(_aliases, StringComparer.Ordinal);
                            foreach (var (alias, collection) in aliases)
                            {
                                updated[alias] = prepared.Single(restore => restore.Name == collection).Id;
                            }

                            _aliases = updated;
                        }
                    }
                }, prepared.Sum(restore => ((ICheckpointed)restore.Restored!).CheckpointBytesUpperBound));
            }
            catch when (swapped)
            {
                Unswap(prepared, before!, aliases); // the checkpoint that holds the swap was not written
                swapped = false;
                throw;
            }

            foreach (var restore in prepared)
            {
                restore.Stored.Clear();
            }

            try
            {
                durable.Checkpoint(); // so that the checkpoint recovery falls back to holds the restored collections too
            }
            catch (Exception e) when (e is IOException or StorageException)
            {
                durable.CheckpointTwiceSoon(); // the restore is durable; the fallback follows as soon as a checkpoint succeeds
            }

            foreach (var restore in prepared)
            {
                restore.Replaced?.Drop();
            }

            return [.. prepared.Select(restore => restore.Restored!)];
        }
        finally
        {
            if (!swapped)
            {
                foreach (var restore in prepared)
                {
                    AbandonRestore(durable, restore);
                }
            }
        }
    }

    /// <summary>A collection being restored: its name, the id it gets, what it loaded, and what it will replace.</summary>
    private sealed class PreparedRestore(string name)
    {
        public string Name { get; } = name;

        public uint Id { get; set; }

        public Collection? Restored { get; set; }

        public Collection? Replaced;

        /// <summary>Points written to the store under <see cref="Id"/>, removed again if the restore does not complete.</summary>
        public List<PointId> Stored { get; } = [];
    }

    /// <summary>Loads one unpacked collection snapshot as a new collection, not yet visible: its rows, points and graphs.</summary>
    private void Prepare(DurableStore durable, PreparedRestore restore, SnapshotManifest manifest, string staging)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            restore.Id = TakeCollectionId();
        }

        var entry = manifest.Collection! with { Id = restore.Id, Name = restore.Name };
        foreach (var (vector, rowEntry) in manifest.RowFiles ?? new Dictionary<string, string>())
        {
            string rows = durable.RowsFile(restore.Id, vector);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(rows)!);
            File.Move(System.IO.Path.Combine(staging, rowEntry), rows); // a plain name the archive holds (SnapshotFile.Extract)
            File.Move(System.IO.Path.Combine(staging, rowEntry + ".id"), rows + ".id");
        }

        try
        {
            string pointsFile = System.IO.Path.Combine(staging, SnapshotFile.PointsEntry);
            var points = ReadSnapshotPoints(pointsFile, durable, restore.Id, restore.Stored);
            (restore.Restored, _) = LoadCollection(durable, entry, staging, points, () => ReadSnapshotGraphs(entry, staging, pointsFile, durable), rebuildIfDamaged: false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or InvalidRequestException)
        {
            throw new InvalidRequestException($"Cannot restore the snapshot of collection `{restore.Name}`: {e.Message}");
        }
    }

    /// <summary>Unpacks and checks a snapshot file of the given kind into <paramref name="staging"/>.</summary>
    private static SnapshotManifest Unpack(string file, string staging, string kind)
    {
        try
        {
            using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            return SnapshotFile.Extract(input, staging, kind);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidRequestException($"Cannot restore the snapshot: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidRequestException($"Cannot read the snapshot {file}: {e.Message}");
        }
    }

    /// <summary>
    /// Puts back what a restore replaced, when the checkpoint that was to make the restore durable failed: its
    /// collections, and the aliases it set or moved (as they were before it, <paramref name="before"/>); alias changes
    /// other writers made since are kept.
    /// </summary>
    private void Unswap(IReadOnlyList<PreparedRestore> prepared, Dictionary<string, uint> before, IReadOnlyDictionary<string, string>? set)
    {
        lock (_lock)
        {
            var aliases = new Dictionary<string, uint>(_aliases, StringComparer.Ordinal);
            foreach (string alias in set?.Keys ?? [])
            {
                if (before.TryGetValue(alias, out uint id))
                {
                    aliases[alias] = id;
                }
                else
                {
                    aliases.Remove(alias);
                }
            }

            foreach (var restore in prepared)
            {
                _collections.TryRemove(restore.Name, out _);
                foreach (string alias in aliases.Where(a => a.Value == restore.Id).Select(a => a.Key).ToList())
                {
                    if (restore.Replaced is not null)
                    {
                        aliases[alias] = restore.Replaced.Id;
                    }
                    else
                    {
                        aliases.Remove(alias);
                    }
                }

                if (restore.Replaced is not null)
                {
                    _collections[restore.Name] = restore.Replaced;
                }
            }

            _aliases = aliases;
        }
    }

    /// <summary>What a restore that did not complete leaves: its collection, its points in the store, its row files.</summary>
    private static void AbandonRestore(DurableStore durable, PreparedRestore restore)
    {
        restore.Restored?.Release();
        foreach (var point in restore.Stored)
        {
            durable.Points.Delete(restore.Id, point);
        }

        string vectors = System.IO.Path.Combine(durable.Root, "vectors");
        if (restore.Id != 0 && Directory.Exists(vectors))
        {
            foreach (var rows in Directory.EnumerateFiles(vectors, $"collection-{restore.Id}.*"))
            {
                File.Delete(rows);
            }
        }
    }

    /// <summary>Reads a snapshot's points into the point store under the new collection's id, noting each in <paramref name="stored"/>.</summary>
    private static Dictionary<PointId, RecoveredPoint> ReadSnapshotPoints(string file, DurableStore durable, uint id, List<PointId> stored)
    {
        var points = new Dictionary<PointId, RecoveredPoint>();
        ForEachSnapshotPoint(file, (point, value) =>
        {
            if (!points.TryAdd(point, new RecoveredPoint(value.InternalId, value.PayloadJson, value.SparseVectors, value.NamedVectorNames ?? value.NamedVectors?.Keys.ToArray(), value.MultivectorNodes)))
            {
                throw new InvalidDataException($"Point {point} is in the snapshot twice.");
            }

            durable.Points.Upsert(id, point, value);
            stored.Add(point);
        });
        return points;
    }

    /// <summary>A snapshot's graphs, given back the rows their files left out from the snapshot's points.</summary>
    private static Dictionary<string, HnswIndex> ReadSnapshotGraphs(CollectionManifest entry, string staging, string pointsFile, DurableStore durable)
    {
        var graphs = ReadGraphs(entry, staging, entry.Config.ToOptions(), durable);
        try
        {
            if (LeftOutRows.Pending(graphs))
            {
                ForEachSnapshotPoint(pointsFile, (_, value) => LeftOutRows.Fill(graphs, StoredPointVectors.Of(value)));
                LeftOutRows.Complete(graphs);
            }

            return graphs;
        }
        catch
        {
            foreach (var graph in graphs.Values)
            {
                graph.Dispose();
            }

            throw;
        }
    }

    /// <summary>Every point of a snapshot's points file, in order.</summary>
    /// <exception cref="InvalidDataException">The file ends early or holds a malformed record.</exception>
    private static void ForEachSnapshotPoint(string file, Action<PointId, StoredPointValue> visit)
    {
        using var reader = new BinaryReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20));
        try
        {
            while (reader.BaseStream.Position < reader.BaseStream.Length)
            {
                var point = Serialization.Deserialize<PointId>(ReadFrame(reader));
                visit(point, Serialization.Deserialize<StoredPointValue>(ReadFrame(reader)));
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"Its points end early: {e.Message}", e);
        }
    }

    private static byte[] ReadFrame(BinaryReader reader)
    {
        int length = reader.ReadInt32();
        return length is >= 0 and <= PointStore.MaxValueBytes * 64
            ? reader.ReadBytes(length)
            : throw new InvalidDataException($"A point record in the snapshot claims {length} bytes.");
    }

    private DurableStore DurableForSnapshots()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _durable ?? throw new InvalidRequestException("Snapshots need a database on disk; this one is in memory.");
    }

    /// <summary>Where a collection's snapshots are kept.</summary>
    private string SnapshotFolder(string collection) => System.IO.Path.Combine(DurableForSnapshots().Root, "snapshots", collection);

    /// <summary>A collection's name, or an alias's collection: snapshots outlive their collection, so a name need not exist.</summary>
    private string CollectionNameOf(string collection)
    {
        if (TryGetCollection(collection, out var found))
        {
            return found.Name;
        }

        ValidateCollectionName(collection);
        return collection;
    }

    private static string CheckSnapshotName(string snapshot) =>
        !string.IsNullOrEmpty(snapshot) && snapshot[0] != '.' && snapshot.EndsWith(SnapshotFile.Extension, StringComparison.Ordinal)
        && snapshot.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
            ? snapshot
            : throw new NotFoundException($"Snapshot {snapshot} not found: a snapshot's name ends with {SnapshotFile.Extension}.");

    /// <summary>The files a checkpoint holds for a collection: graphs, rotation, payload links.</summary>
    private static IEnumerable<string> FilesOf(CollectionManifest entry) =>
        new[] { entry.SnapshotFile, entry.RotationFile }
            .Concat(entry.VectorSnapshotFiles?.Values ?? [])
            .Concat(entry.PayloadIndexes?.Select(index => index.LinksFile) ?? [])
            .OfType<string>();
}
