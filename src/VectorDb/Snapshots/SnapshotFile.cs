using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;
using VectorDb.Persistence;
using VectorDb.Storage;

namespace VectorDb.Snapshots;

/// <summary>What a snapshot says about itself, in its first entry.</summary>
internal sealed record SnapshotManifest
{
    /// <summary>The format this version writes; a reader refuses a newer one by name rather than guessing.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The kind of a collection's snapshot.</summary>
    public const string CollectionKind = "collection";

    /// <summary>The kind of a full-storage snapshot: every collection's snapshot, and the aliases.</summary>
    public const string StorageKind = "storage";

    public required int Format { get; init; }

    /// <summary><see cref="CollectionKind"/> or <see cref="StorageKind"/>.</summary>
    public required string Kind { get; init; }

    public required DateTime Created { get; init; }

    /// <summary>A collection snapshot's collection as its checkpoint described it: settings, graph files, payload indexes and their links.</summary>
    public CollectionManifest? Collection { get; init; }

    /// <summary>The rows of dense vectors kept on disk (memory <c>cached</c>/<c>cold</c>): vector name → entry.</summary>
    public IReadOnlyDictionary<string, string>? RowFiles { get; init; }

    /// <summary>A full-storage snapshot's collections: name → the entry holding the collection's own snapshot.</summary>
    public IReadOnlyDictionary<string, string>? Collections { get; init; }

    /// <summary>A full-storage snapshot's aliases: alias → the name of the collection it names.</summary>
    public IReadOnlyDictionary<string, string>? Aliases { get; init; }
}

/// <summary>
/// A collection snapshot: a tar of {<c>vectordb-snapshot.json</c> (the manifest), <c>points.bin</c> (every point as the
/// store held it at the checkpoint), the checkpoint's graph, rotation and link files, the row files of vectors kept on
/// disk, and last <c>checksums.json</c> (the SHA-256 of every other entry)}. Its name is
/// <c>{collection}-{id}-{time}.snapshot</c>; a <c>.checksum</c> file beside it holds the whole file's SHA-256, as Qdrant's do.
/// A full-storage snapshot is the same tar holding, instead of one collection's files, every collection's snapshot as
/// an entry of its own (all taken at one checkpoint) and naming the aliases in its manifest.
/// </summary>
internal static class SnapshotFile
{
    public const string ManifestEntry = "vectordb-snapshot.json";
    public const string PointsEntry = "points.bin";
    public const string ChecksumsEntry = "checksums.json";
    public const string Extension = ".snapshot";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes a snapshot to <paramref name="path"/> (through a temporary file) and returns its SHA-256 (hex).</summary>
    /// <param name="path">Where it goes.</param>
    /// <param name="manifest">Its manifest.</param>
    /// <param name="entries">Entry name → file to copy into it.</param>
    public static string Write(string path, SnapshotManifest manifest, IReadOnlyList<(string Entry, string File)> entries)
    {
        string temporary = path + ".tmp";
        byte[] digest;
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            using var sha = SHA256.Create();
            using (var hashed = new CryptoStream(file, sha, CryptoStreamMode.Write, leaveOpen: true))
            {
                using (var tar = new TarWriter(hashed, TarEntryFormat.Pax, leaveOpen: true))
                {
                    var sums = new Dictionary<string, string>(StringComparer.Ordinal);
                    byte[] manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, Json);
                    sums[ManifestEntry] = Convert.ToHexStringLower(SHA256.HashData(manifestBytes));
                    WriteEntry(tar, ManifestEntry, new MemoryStream(manifestBytes));
                    foreach (var (entry, source) in entries)
                    {
                        using var content = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
                        sums[entry] = Convert.ToHexStringLower(SHA256.HashData(content));
                        content.Position = 0;
                        WriteEntry(tar, entry, content);
                    }

                    WriteEntry(tar, ChecksumsEntry, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(sums, Json)));
                }

                hashed.FlushFinalBlock();
            }

            digest = sha.Hash!;
            file.Flush(flushToDisk: true);
        }

        DirectorySync.MoveIntoPlace(temporary, path);
        string checksum = Convert.ToHexStringLower(digest);
        File.WriteAllText(path + ".checksum", checksum);
        return checksum;
    }

    /// <summary>The SHA-256 (hex) of a whole file.</summary>
    public static string Checksum(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    /// <summary>
    /// Unpacks a snapshot into <paramref name="folder"/>, checking as it goes that it is one of ours, of a format this
    /// version reads, and that every entry matches its checksum; nothing outside the folder is touched.
    /// </summary>
    /// <param name="input">The snapshot.</param>
    /// <param name="folder">Where its entries go.</param>
    /// <param name="kind">The kind of snapshot expected: <see cref="SnapshotManifest.CollectionKind"/> or <see cref="SnapshotManifest.StorageKind"/>.</param>
    /// <exception cref="InvalidDataException">It is not a VectorDb snapshot (a Qdrant one is named as such), is of the other kind, is damaged or incomplete.</exception>
    public static SnapshotManifest Extract(Stream input, string folder, string kind)
    {
        Directory.CreateDirectory(folder);
        SnapshotManifest? manifest = null;
        Dictionary<string, string>? expected = null;
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var tar = new TarReader(input, leaveOpen: true);
            while (NextEntry(tar) is { } entry)
            {
                if (manifest is null && entry.Name != ManifestEntry)
                {
                    throw new InvalidDataException(IsQdrantEntry(entry.Name)
                        ? "This is a Qdrant snapshot, which VectorDb cannot restore: recreate the collection and upload its points instead."
                        : $"Not a VectorDb snapshot: its first entry is `{entry.Name}`, not `{ManifestEntry}`.");
                }

                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    throw new InvalidDataException($"The snapshot's entry `{entry.Name}` is not a file.");
                }

                var content = entry.DataStream ?? Stream.Null; // an empty entry has none

                if (entry.Name == ChecksumsEntry)
                {
                    expected = JsonSerializer.Deserialize<Dictionary<string, string>>(content) ?? [];
                    break;
                }

                if (!IsPlainName(entry.Name))
                {
                    throw new InvalidDataException($"The snapshot's entry `{entry.Name}` is not a plain file name.");
                }

                string path = Path.Combine(folder, entry.Name);
                using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                using (var sha = SHA256.Create())
                using (var hashed = new CryptoStream(file, sha, CryptoStreamMode.Write))
                {
                    content.CopyTo(hashed);
                    hashed.FlushFinalBlock();
                    found[entry.Name] = Convert.ToHexStringLower(sha.Hash!);
                }

                if (entry.Name == ManifestEntry)
                {
                    manifest = ReadManifest(path, kind);
                }
            }
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException or JsonException)
        {
            throw new InvalidDataException($"The snapshot is damaged or not a snapshot: {e.Message}", e);
        }

        if (manifest is null)
        {
            throw new InvalidDataException("Not a VectorDb snapshot: it is empty or not a tar archive.");
        }

        if (expected is null)
        {
            throw new InvalidDataException($"The snapshot is incomplete: it ends before `{ChecksumsEntry}`.");
        }

        foreach (var (entry, checksum) in expected)
        {
            if (!found.TryGetValue(entry, out var actual))
            {
                throw new InvalidDataException($"The snapshot is incomplete: its entry `{entry}` is missing.");
            }

            if (actual != checksum)
            {
                throw new InvalidDataException($"The snapshot is damaged: its entry `{entry}` does not match its checksum.");
            }
        }

        if (found.Keys.FirstOrDefault(entry => !expected.ContainsKey(entry)) is { } extra)
        {
            throw new InvalidDataException($"The snapshot's entry `{extra}` has no checksum.");
        }

        if (FilesNamed(manifest).FirstOrDefault(file => !found.ContainsKey(file)) is { } missing)
        {
            throw new InvalidDataException($"The snapshot names a file `{missing}` it does not hold.");
        }

        return manifest;
    }

    /// <summary>
    /// Every entry a manifest refers to: a collection's points, checkpoint files and row files, or a full-storage
    /// snapshot's collection snapshots.
    /// </summary>
    private static IEnumerable<string> FilesNamed(SnapshotManifest manifest) => manifest.Collection is { } collection
        ? new[] { PointsEntry, collection.SnapshotFile, collection.RotationFile }
            .Concat(collection.VectorSnapshotFiles?.Values ?? [])
            .Concat(collection.PayloadIndexes?.Select(index => index.LinksFile) ?? [])
            .Concat(manifest.RowFiles?.Values.SelectMany(rows => new[] { rows, rows + ".id" }) ?? [])
            .OfType<string>()
        : manifest.Collections?.Values ?? [];

    /// <summary>A file name and nothing else: no folders, no way out of the folder it is unpacked into.</summary>
    private static bool IsPlainName(string name) =>
        name.Length is > 0 and <= 200 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static TarEntry? NextEntry(TarReader tar)
    {
        try
        {
            return tar.GetNextEntry();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Not a VectorDb snapshot, or a damaged one: it is not a whole tar archive ({e.Message})", e);
        }
    }

    private static SnapshotManifest ReadManifest(string path, string kind)
    {
        var manifest = JsonSerializer.Deserialize<SnapshotManifest>(File.ReadAllText(path))
            ?? throw new InvalidDataException("The snapshot's manifest is empty.");
        if (manifest.Format > SnapshotManifest.CurrentFormat || manifest.Format < 1)
        {
            throw new InvalidDataException($"The snapshot has format {manifest.Format}; this version reads format {SnapshotManifest.CurrentFormat} and older.");
        }

        return (manifest.Kind, kind) switch
        {
            (SnapshotManifest.CollectionKind, SnapshotManifest.CollectionKind) when manifest.Collection is not null => manifest,
            (SnapshotManifest.StorageKind, SnapshotManifest.StorageKind) when manifest is { Collections: { } collections, Collection: null, RowFiles: null }
                && collections.Values.All(IsPlainName) && collections.Values.Distinct(StringComparer.Ordinal).Count() == collections.Count => manifest,
            (SnapshotManifest.StorageKind, SnapshotManifest.CollectionKind) => throw new InvalidDataException(
                "This is a full-storage snapshot (every collection): restore it as one (the server's --storage-snapshot, `vectordb snapshot restore --full`), not as a collection."),
            (SnapshotManifest.CollectionKind, SnapshotManifest.StorageKind) => throw new InvalidDataException(
                "This is a collection's snapshot, not a full-storage one: restore it into a collection (PUT /collections/{name}/snapshots/recover)."),
            _ => throw new InvalidDataException($"The snapshot's manifest is of kind `{manifest.Kind}` or incomplete; this version reads `collection` and `storage` snapshots."),
        };
    }

    /// <summary>Entries of Qdrant's collection snapshots: a config, shards, a WAL.</summary>
    private static bool IsQdrantEntry(string name) =>
        name is "config.json" or "shard_config.json" || name.StartsWith("0/", StringComparison.Ordinal) || name.StartsWith("shards", StringComparison.Ordinal)
        || name.EndsWith(".tar", StringComparison.Ordinal);

    private static void WriteEntry(TarWriter tar, string name, Stream content)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = content };
        tar.WriteEntry(entry);
    }
}
