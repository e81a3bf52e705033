using VectorDb.Snapshots;

namespace VectorDb;

public sealed partial class VectorDatabase
{
    /// <summary>
    /// Takes a full-storage snapshot: every collection and every alias, all at one checkpoint (writers wait only while
    /// it runs), in one file that holds each collection's own snapshot. Kept in <c>snapshots/</c> in the data
    /// directory, beside the collections' folders; while it is written, the collections' snapshots take as much room again beside it.
    /// </summary>
    /// <exception cref="InvalidRequestException">The database is in memory.</exception>
    public SnapshotInfo CreateFullSnapshot()
    {
        var durable = DurableForSnapshots();
        string name = $"full-snapshot-{SnapshotTime()}{SnapshotFile.Extension}";
        return TakeSnapshot(durable, FullSnapshotFolder(), name, () => _collections.Values, (cut, path) =>
        {
            var collections = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<(string Entry, string File)>();
            foreach (var entry in cut.Manifest.Collections)
            {
                string inner = $"collection-{entry.Id}{SnapshotFile.Extension}";
                string file = System.IO.Path.Combine(cut.Staging, inner);
                WriteCollectionSnapshot(durable, cut, entry, file);
                Directory.Delete(System.IO.Path.Combine(cut.Staging, entry.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), recursive: true); // packed: its room is needed for the next
                collections[entry.Name] = inner;
                entries.Add((inner, file));
            }

            var names = cut.Manifest.Collections.ToDictionary(c => c.Id, c => c.Name);
            var snapshot = new SnapshotManifest
            {
                Format = SnapshotManifest.CurrentFormat,
                Kind = SnapshotManifest.StorageKind,
                Created = DateTime.UtcNow,
                Collections = collections,
                Aliases = (cut.Manifest.Aliases ?? new Dictionary<string, uint>())
                    .Where(alias => names.ContainsKey(alias.Value))
                    .ToDictionary(alias => alias.Key, alias => names[alias.Value], StringComparer.Ordinal),
            };
            return SnapshotFile.Write(path, snapshot, entries);
        });
    }

    /// <summary>The full-storage snapshots, oldest first.</summary>
    public IReadOnlyList<SnapshotInfo> ListFullSnapshots() => ListSnapshotFiles(FullSnapshotFolder());

    /// <summary>The file of one full-storage snapshot, to read (download) it.</summary>
    /// <exception cref="NotFoundException">No such snapshot.</exception>
    public string FullSnapshotPath(string snapshot) =>
        SnapshotFileIn(FullSnapshotFolder(), snapshot) is var path && File.Exists(path)
            ? path
            : throw new NotFoundException($"Full-storage snapshot {snapshot} not found.");

    /// <summary>Deletes a full-storage snapshot; false when there was none.</summary>
    public bool DeleteFullSnapshot(string snapshot) => DeleteSnapshotFile(SnapshotFileIn(FullSnapshotFolder(), snapshot));

    /// <summary>
    /// Restores every collection and alias of a full-storage snapshot (this database's or another's). The file and every
    /// collection in it are checked and loaded first (graphs from the snapshot, not rebuilt); then all are swapped in at
    /// once, under a checkpoint that makes them durable before this returns, or none is. Collections and aliases the
    /// snapshot does not name are kept.
    /// </summary>
    /// <param name="file">The snapshot file.</param>
    /// <param name="checksum">The SHA-256 (hex) the file must have, when given.</param>
    /// <param name="replaceExisting">
    /// Whether collections and aliases of the snapshot's names that exist here are replaced; when false, such a name is
    /// refused before anything changes (Qdrant's <c>--force-snapshot</c>).
    /// </param>
    /// <returns>The restored collections.</returns>
    /// <exception cref="InvalidRequestException">
    /// The file is not a usable full-storage snapshot, its checksum differs, or a name it holds exists and may not be replaced.
    /// </exception>
    public IReadOnlyList<Collection> RestoreFullSnapshot(string file, string? checksum = null, bool replaceExisting = false)
    {
        var durable = DurableForSnapshots();
        CheckSnapshotFile(file, checksum);
        string staging = RestoreStaging(durable);
        try
        {
            var manifest = Unpack(file, staging, SnapshotManifest.StorageKind);
            var collections = manifest.Collections!;
            var aliases = manifest.Aliases ?? new Dictionary<string, string>();
            CheckNames(collections.Keys, aliases, replaceExisting);
            var unpacked = new List<(string Name, SnapshotManifest Manifest, string Folder)>();
            foreach (var (name, entry) in collections)
            {
                // Entries are plain names that never start with '.', so these folders cannot meet one.
                string folder = System.IO.Path.Combine(staging, $".{unpacked.Count}");
                try
                {
                    unpacked.Add((name, Unpack(System.IO.Path.Combine(staging, entry), folder, SnapshotManifest.CollectionKind), folder));
                }
                catch (InvalidRequestException e)
                {
                    throw new InvalidRequestException($"Collection `{name}` in the full-storage snapshot: {e.Message}");
                }

                File.Delete(System.IO.Path.Combine(staging, entry)); // unpacked: its room is needed for the next one
            }

            return Restore(durable, unpacked, aliases, () => CheckNames(collections.Keys, aliases, replaceExisting));
        }
        finally
        {
            DeleteStaging(staging);
        }
    }

    /// <summary>
    /// Refuses a full-storage snapshot whose names cannot be restored here: invalid names, aliases of collections it
    /// does not hold or named as one of them, a collection's name that is an alias here, and — unless
    /// <paramref name="replaceExisting"/> — any name that exists here.
    /// </summary>
    private void CheckNames(IEnumerable<string> collections, IReadOnlyDictionary<string, string> aliases, bool replaceExisting)
    {
        var restored = collections.ToHashSet(StringComparer.Ordinal);
        foreach (string name in restored)
        {
            ValidateCollectionName(name);
            if (_aliases.ContainsKey(name))
            {
                throw new InvalidRequestException($"The snapshot's collection `{name}` is the name of an alias here: delete the alias first.");
            }

            if (!replaceExisting && _collections.ContainsKey(name))
            {
                throw new InvalidRequestException($"Collection `{name}` exists: delete it first, or replace existing collections (--force-snapshot).");
            }
        }

        foreach (var (alias, collection) in aliases)
        {
            ValidateCollectionName(alias);
            if (!restored.Contains(collection) || restored.Contains(alias))
            {
                throw new InvalidRequestException($"The snapshot is damaged: its alias `{alias}` names `{collection}`, which is not one of its collections.");
            }

            if (_collections.ContainsKey(alias))
            {
                throw new InvalidRequestException($"The snapshot's alias `{alias}` is the name of a collection here: delete that collection first.");
            }

            if (!replaceExisting && _aliases.ContainsKey(alias))
            {
                throw new InvalidRequestException($"Alias `{alias}` exists: delete it first, or replace existing collections and aliases (--force-snapshot).");
            }
        }
    }

    /// <summary>
    /// Where full-storage snapshots are kept: the snapshots folder itself, as in Qdrant, beside the collections' folders
    /// (a name starting with '.' would be taken for what an interrupted snapshot left, and removed at the next open).
    /// </summary>
    private string FullSnapshotFolder() => System.IO.Path.Combine(DurableForSnapshots().Root, "snapshots");
}
