using System.Globalization;
using System.Text.Json;

using VectorDb.Log;
using VectorDb.Storage;

namespace VectorDb.Persistence;

/// <summary>What one checkpoint covers. Written last, so a checkpoint without a valid manifest never happened.</summary>
internal sealed record CheckpointManifest
{
    /// <summary>Format 2 adds each collection's last log sequence number; format 1 manifests read with 0.</summary>
    public const int CurrentFormat = 2;

    public int Format { get; init; } = CurrentFormat;

    public required long Sequence { get; init; }

    /// <summary>Every log record before this address is reflected in the checkpoint; replay starts here.</summary>
    public required long LogAddress { get; init; }

    public required Guid PointStoreToken { get; init; }

    /// <summary>
    /// Where the point store's log began at the checkpoint: its segments below the oldest retained checkpoint's begin
    /// are removed. 0 in checkpoints written before compaction (nothing below it is removed then).
    /// </summary>
    public long PointStoreBeginAddress { get; init; }

    public required uint NextCollectionId { get; init; }

    public required IReadOnlyList<CollectionManifest> Collections { get; init; }

    /// <summary>Aliases by name, each the id of the collection it names; null in checkpoints written before aliases.</summary>
    public IReadOnlyDictionary<string, uint>? Aliases { get; init; }
}

/// <summary>
/// One collection in a checkpoint: its settings, its graph snapshot and the definitions of its payload
/// indexes (whose contents are rebuilt from the stored payloads on load), the file holding its fitted PCA
/// rotation if it has one, the sequence number of the last log record the checkpoint covers, and the graph snapshots of
/// its named dense vectors by name. Checkpoints written before payload indexes, rotations, sequence numbers or named
/// vectors existed have none. <c>SnapshotFile</c> is null for a collection without an unnamed vector.
/// </summary>
internal sealed record CollectionManifest(
    uint Id,
    string Name,
    CollectionConfig Config,
    string? SnapshotFile,
    int Points,
    IReadOnlyList<PayloadIndexDefinition>? PayloadIndexes = null,
    string? RotationFile = null,
    long LastSequence = 0,
    IReadOnlyDictionary<string, string>? VectorSnapshotFiles = null);

/// <summary>
/// A payload index as persisted: the key path, the schema, whether it keeps a graph per value, and the file holding the
/// links among its values' points (or its value graphs) when it had some to save; they belong to the collection's graph
/// snapshot beside them. Checkpoints written before links were saved have none.
/// </summary>
internal sealed record PayloadIndexDefinition(string Key, PayloadSchemaType Schema, bool IsTenant = false, string? LinksFile = null, TextIndexOptions? Text = null);

/// <summary>
/// The <c>checkpoints/</c> directory: one numbered folder per checkpoint holding the graph snapshots and,
/// written last, the manifest.
/// </summary>
internal sealed class CheckpointDirectory(string root)
{
    private const string ManifestFile = "manifest.json";
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    public string Root { get; } = root;

    /// <summary>Sequences of the checkpoints on disk, newest first, complete or not.</summary>
    public IReadOnlyList<long> Sequences()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(Root)
            .Select(Path.GetFileName)
            .Select(name => long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long sequence) ? sequence : -1)
            .Where(sequence => sequence >= 0)
            .OrderDescending()];
    }

    public string PathOf(long sequence) => Path.Combine(Root, sequence.ToString("D10", CultureInfo.InvariantCulture));

    public string CreateFolder(long sequence)
    {
        string folder = PathOf(sequence);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
        DirectorySync.Flush(Root);
        return folder;
    }

    public void WriteManifest(CheckpointManifest manifest) =>
        ChecksummedFile.Write(
            Path.Combine(PathOf(manifest.Sequence), ManifestFile),
            stream => JsonSerializer.Serialize(stream, manifest, JsonOptions));

    /// <exception cref="InvalidDataException">Missing, damaged or of an unknown format.</exception>
    public CheckpointManifest ReadManifest(long sequence)
    {
        string path = Path.Combine(PathOf(sequence), ManifestFile);
        if (!File.Exists(path))
        {
            throw new InvalidDataException("it has no manifest (the checkpoint did not complete)");
        }

        using var content = ChecksummedFile.OpenVerified(path);
        var manifest = JsonSerializer.Deserialize<CheckpointManifest>(content, JsonOptions)
            ?? throw new InvalidDataException("its manifest is empty");
        if (manifest.Format is < 1 or > CheckpointManifest.CurrentFormat || manifest.Sequence != sequence)
        {
            throw new InvalidDataException($"its manifest has format {manifest.Format} and sequence {manifest.Sequence}");
        }

        return manifest;
    }

    public void Delete(long sequence)
    {
        string folder = PathOf(sequence);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
