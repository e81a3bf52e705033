using System.Text.Json;

namespace VectorDb.Storage;

/// <summary>
/// The segment sizes of a data directory's two logs, fixed when the directory is made: FASTER names a segment's file by
/// its number, so a log must be read back with the size it was written with. Logs are truncated a whole segment at a
/// time, so the segment size is also how much a log may hold beyond what recovery needs.
/// </summary>
/// <param name="WalSegmentBits">Log2 of the write-ahead log's segment size.</param>
/// <param name="PointLogSegmentBits">Log2 of the point store's log segment size.</param>
/// <param name="PointIndexBits">
/// Log2 of the bytes of the point store's hash table (64-byte buckets of 7 keys; more keys chain into overflow
/// buckets, which checkpoints save with it, so its size on disk follows the number of points).
/// </param>
internal sealed record StorageLayout(int WalSegmentBits, int PointLogSegmentBits, int PointIndexBits)
{
    private const string FileName = "layout.json";

    /// <summary>
    /// Directories made now: 4 MiB segments (one page), so that a small collection's logs are truncated as it is
    /// rewritten (256 files per GiB of points for a large one), and a 1 MiB hash table: the point store is written on
    /// every upsert but read only when a graph is rebuilt, so longer bucket chains cost little.
    /// </summary>
    public static StorageLayout Current { get; } = new(22, 22, 20);

    /// <summary>Directories made before the layout was recorded: 256 MiB segments, an 8 MiB hash table.</summary>
    public static StorageLayout Legacy { get; } = new(28, 28, 23);

    /// <summary>The layout <paramref name="root"/> was made with; a new directory gets <see cref="Current"/>, recorded durably.</summary>
    /// <exception cref="InvalidDataException">The layout file is unreadable or names sizes this version cannot use.</exception>
    public static StorageLayout Open(string root)
    {
        string path = Path.Combine(root, FileName);
        if (File.Exists(path))
        {
            StorageLayout? layout;
            try
            {
                layout = JsonSerializer.Deserialize<StorageLayout>(File.ReadAllText(path));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path} is damaged: {e.Message}", e);
            }

            return layout is { WalSegmentBits: >= 22 and <= 30, PointLogSegmentBits: >= 22 and <= 30, PointIndexBits: >= 16 and <= 34 }
                ? layout
                : throw new InvalidDataException($"{path} names segment sizes this version cannot use.");
        }

        if (Directory.Exists(Path.Combine(root, "wal")) || Directory.Exists(Path.Combine(root, "points")))
        {
            return Legacy;
        }

        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, Current);
            file.Flush(flushToDisk: true);
        }

        DirectorySync.MoveIntoPlace(temporary, path);
        return Current;
    }
}
