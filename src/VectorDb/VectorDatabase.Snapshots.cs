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
        string folder = SnapshotFolder(target.Name);
        Directory.CreateDirectory(folder);
        // Named as Qdrant names them; a long collection name is cut so that the name fits a file system's 255 bytes.
        string name = $"{target.Name[..Math.Min(target.Name.Length, 200)]}-{target.Id}-{DateTime.UtcNow:yyyy-MM-dd-HH-mm-ss-fff}{SnapshotFile.Extension}";
        string staging = System.IO.Path.Combine(folder, $".{name}.staging");
        Directory.CreateDirectory(staging);
        try
        {
            // Rows kept on disk change in place (a freed node takes a new point's row): they are copied at the cut.
            var rowEntries = target.VectorsWithRowFiles().Select((vector, i) => (vector, i)).ToDictionary(v => v.vector, v => $"vector-{v.i}.rows", StringComparer.Ordinal);
            durable.WithCheckpoint(
                rowEntries.Count == 0 ? null : _ =>
                {
                    foreach (var (vector, rowEntry) in rowEntries)
                    {
                        target.CopyRowFile(vector, System.IO.Path.Combine(staging, rowEntry));
                    }
                },
                (manifest, checkpoint, cut) =>
                {
                    var entry = manifest.Collections.FirstOrDefault(c => c.Id == target.Id) ?? throw new CollectionNotFoundException(collection);
                    string points = System.IO.Path.Combine(staging, SnapshotFile.PointsEntry);
                    using (var writer = new BinaryWriter(new FileStream(points, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20)))
                    {
                        durable.Points.ReadCollection(target.Id, cut, (id, value) =>
                        {
                            byte[] key = Serialization.Serialize(id);
                            writer.Write(key.Length);
                            writer.Write(key);
                            writer.Write(value.Length);
                            writer.Write(value);
                        });
                    }

                    var entries = new List<(string Entry, string File)> { (SnapshotFile.PointsEntry, points) };
                    entries.AddRange(FilesOf(entry).Select(file => (file, System.IO.Path.Combine(checkpoint, file))));
                    foreach (string rowEntry in rowEntries.Values)
                    {
                        entries.Add((rowEntry, System.IO.Path.Combine(staging, rowEntry)));
                        entries.Add((rowEntry + ".id", System.IO.Path.Combine(staging, rowEntry + ".id")));
                    }

                    var snapshot = new SnapshotManifest
                    {
                        Format = SnapshotManifest.CurrentFormat,
                        Kind = "collection",
                        Created = DateTime.UtcNow,
                        Collection = entry,
                        RowFiles = rowEntries.Count == 0 ? null : rowEntries,
                    };
                    string path = System.IO.Path.Combine(folder, name);
                    string checksum = SnapshotFile.Write(path, snapshot, entries);
                    return new SnapshotInfo(name, snapshot.Created, new FileInfo(path).Length, checksum);
                });
            return ListSnapshots(target.Name).Single(s => s.Name == name);
        }
        finally
        {
            Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The snapshots of a collection (which need not exist any more), oldest first.</summary>
    public IReadOnlyList<SnapshotInfo> ListSnapshots(string collection)
    {
        string folder = SnapshotFolder(CollectionNameOf(collection));
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

    /// <summary>The file of one snapshot, to read (download) it.</summary>
    /// <exception cref="NotFoundException">No such snapshot.</exception>
    public string SnapshotPath(string collection, string snapshot)
    {
        string path = System.IO.Path.Combine(SnapshotFolder(CollectionNameOf(collection)), CheckSnapshotName(snapshot));
        return File.Exists(path) ? path : throw new NotFoundException($"Snapshot {snapshot} of collection {collection} not found.");
    }

    /// <summary>Deletes a snapshot file; false when there was none.</summary>
    public bool DeleteSnapshot(string collection, string snapshot)
    {
        string path = System.IO.Path.Combine(SnapshotFolder(CollectionNameOf(collection)), CheckSnapshotName(snapshot));
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
        if (TryGetCollection(collection, out var named) && named.Name != collection)
        {
            throw new InvalidRequestException($"`{collection}` is an alias of collection `{named.Name}`: restore under a collection's name.");
        }

        if (!File.Exists(file))
        {
            throw new NotFoundException($"Snapshot file {file} not found.");
        }

        if (checksum is not null && SnapshotFile.Checksum(file) is var actual && !string.Equals(actual, checksum.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidRequestException($"The snapshot's SHA-256 is {actual}, not {checksum} as given: it was not restored.");
        }

        string staging = System.IO.Path.Combine(durable.Root, "snapshots", $".restore-{Guid.NewGuid():N}");
        uint id = 0;
        var stored = new List<PointId>();
        Collection? restored = null;
        bool swapped = false;
        try
        {
            var manifest = Unpack(file, staging);
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                id = TakeCollectionId();
            }

            var entry = manifest.Collection with { Id = id, Name = collection };
            foreach (var (vector, rowEntry) in manifest.RowFiles ?? new Dictionary<string, string>())
            {
                string rows = durable.RowsFile(id, vector);
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(rows)!);
                File.Move(System.IO.Path.Combine(staging, rowEntry), rows); // a plain name the archive holds (SnapshotFile.Extract)
                File.Move(System.IO.Path.Combine(staging, rowEntry + ".id"), rows + ".id");
            }

            try
            {
                string pointsFile = System.IO.Path.Combine(staging, SnapshotFile.PointsEntry);
                var points = ReadSnapshotPoints(pointsFile, durable, id, stored);
                (restored, _) = LoadCollection(durable, entry, staging, points, () => ReadSnapshotGraphs(entry, staging, pointsFile, durable), rebuildIfDamaged: false);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or InvalidRequestException)
            {
                throw new InvalidRequestException($"Cannot restore the snapshot: {e.Message}");
            }

            Collection? replaced = null;
            try
            {
                durable.CheckpointAfter(() =>
                {
                    lock (_lock)
                    {
                        if (_collections.TryRemove(collection, out replaced))
                        {
                            RetargetAliases(replaced.Id, id);
                        }

                        _collections[collection] = restored;
                        swapped = true;
                    }
                });
            }
            catch when (swapped)
            {
                Unswap(collection, restored, replaced); // the checkpoint that holds the swap was not written
                swapped = false;
                throw;
            }

            stored.Clear();
            try
            {
                durable.Checkpoint(); // so that the checkpoint recovery falls back to holds the restored collection too
            }
            catch (Exception e) when (e is IOException or StorageException)
            {
                durable.CheckpointTwiceSoon(); // the restore is durable; the fallback follows as soon as a checkpoint succeeds
            }

            replaced?.Drop();
            return restored;
        }
        finally
        {
            if (!swapped)
            {
                AbandonRestore(durable, id, restored, stored);
            }

            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Unpacks and checks a snapshot file into <paramref name="staging"/>.</summary>
    private static SnapshotManifest Unpack(string file, string staging)
    {
        try
        {
            using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            return SnapshotFile.Extract(input, staging);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidRequestException($"Cannot restore the snapshot: {e.Message}");
        }
    }

    /// <summary>Puts back the collection a restore replaced, when the checkpoint that was to make the restore durable failed.</summary>
    private void Unswap(string collection, Collection restored, Collection? replaced)
    {
        lock (_lock)
        {
            _collections.TryRemove(collection, out _);
            if (replaced is not null)
            {
                _collections[collection] = replaced;
                RetargetAliases(restored.Id, replaced.Id);
            }
        }
    }

    /// <summary>What a restore that did not complete leaves: its collection, its points in the store, its row files.</summary>
    private static void AbandonRestore(DurableStore durable, uint id, Collection? restored, List<PointId> stored)
    {
        restored?.Release();
        foreach (var point in stored)
        {
            durable.Points.Delete(id, point);
        }

        string vectors = System.IO.Path.Combine(durable.Root, "vectors");
        if (id != 0 && Directory.Exists(vectors))
        {
            foreach (var rows in Directory.EnumerateFiles(vectors, $"collection-{id}.*"))
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
