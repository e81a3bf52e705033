using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

/// <summary>Rows kept in a memory-mapped file: searched as in memory, left out of snapshots, checked by checksum.</summary>
public sealed class RowFileTests : IDisposable
{
    private const int Dimensions = 32;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vectordb-rowfile-tests", Guid.NewGuid().ToString("N"));

    public RowFileTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static float[] Vector(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Dimensions).Select(_ => (float)random.NextDouble())];
    }

    private static HnswIndex Build(string? rowsPath, int count = 2000)
    {
        var index = new HnswIndex(Dimensions, DistanceMetric.Euclid, new HnswParameters { Seed = 3 }, initialCapacity: 64);
        if (rowsPath is not null)
        {
            index.KeepRowsInFile(rowsPath, MemoryTier.Cached);
        }

        index.Quantize(new ScalarQuantizationOptions());
        for (int i = 0; i < count; i++)
        {
            index.Add(Vector(i)); // one thread: the same graph in memory and on disk
        }

        return index;
    }

    private static Neighbor[] Search(HnswIndex index, int seed)
    {
        var found = new Neighbor[10];
        return found[..index.Search(Vector(seed), 10, 32, found, new QuantizationSearch { Oversampling = 2 })];
    }

    [Fact]
    public void Rows_in_a_file_are_searched_as_in_memory_and_stay_out_of_snapshots()
    {
        string path = Path.Combine(_directory, "rows");
        using var inMemory = Build(null);
        byte[] snapshot;
        using (var onDisk = Build(path))
        {
            Assert.Equal(path, onDisk.RowsPath);
            Assert.True(onDisk.RowDiskBytes >= 2000L * Dimensions * sizeof(float));
            Assert.True(onDisk.MemoryBytes < inMemory.MemoryBytes - (2000L * Dimensions * sizeof(float) / 2), $"{onDisk.MemoryBytes} vs {inMemory.MemoryBytes}");
            for (int q = 0; q < 50; q++)
            {
                Assert.Equal(Search(inMemory, -q), Search(onDisk, -q));
            }

            using var stream = new MemoryStream();
            onDisk.WriteSnapshot(stream);
            snapshot = stream.ToArray();
            using var full = new MemoryStream();
            inMemory.WriteSnapshot(full);
            Assert.True(snapshot.Length < full.Length - (2000L * Dimensions * 3), $"snapshot {snapshot.Length} bytes, with rows {full.Length}");
        }

        Assert.Throws<InvalidDataException>(() => HnswIndex.ReadSnapshot(new MemoryStream(snapshot)));
        using var loaded = HnswIndex.ReadSnapshot(new MemoryStream(snapshot), new RowFileOptions(path, MemoryTier.Cached));
        Assert.True(loaded.HasCodes);
        for (int q = 0; q < 50; q++)
        {
            Assert.Equal(Search(inMemory, -q), Search(loaded, -q));
        }

        int added = loaded.Add(Vector(5000)); // the file grows with the graph
        var copy = new float[Dimensions];
        loaded.CopyVector(added, copy);
        Assert.Equal(Vector(5000), copy);
    }

    [Fact]
    public void A_damaged_row_is_detected_by_its_checksum_never_served()
    {
        string path = Path.Combine(_directory, "rows");
        byte[] snapshot;
        using (var onDisk = Build(path, count: 1500))
        {
            using var stream = new MemoryStream();
            onDisk.WriteSnapshot(stream);
            snapshot = stream.ToArray();
        }

        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = (7 * Dimensions * sizeof(float)) + 5; // inside row 7
            int value = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(value ^ 0x10));
        }

        // Cached rows are read through on load: the damage is found there, and the snapshot refused.
        var refused = Assert.Throws<InvalidDataException>(() => HnswIndex.ReadSnapshot(new MemoryStream(snapshot), new RowFileOptions(path, MemoryTier.Cached)));
        Assert.Contains("checksum", refused.Message, StringComparison.Ordinal);

        // Cold rows are not read on load: the damage is found when the row is read to be served.
        using var cold = HnswIndex.ReadSnapshot(new MemoryStream(snapshot), new RowFileOptions(path, MemoryTier.Cold));
        Assert.Throws<DataCorruptionException>(() => cold.CopyVector(7, new float[Dimensions]));
        Assert.Throws<DataCorruptionException>(() => cold.ExactSearch(Vector(7), 5, new Neighbor[5]));
        var found = new Neighbor[5];
        Assert.Throws<DataCorruptionException>(() => cold.Search(Vector(7), 5, 32, found, new QuantizationSearch()));
        var other = new float[Dimensions];
        cold.CopyVector(8, other); // the rest is served
        Assert.Equal(Vector(8), other);
    }

    [Fact]
    public void Code_rows_are_line_aligned_with_rows_in_memory_and_packed_beside_a_row_file()
    {
        // 100 dimensions: 112 code bytes a row, 128 when aligned to cache lines.
        const int dimensions = 100, count = 3000;
        float[] Row(int seed)
        {
            var random = new Random(seed);
            return [.. Enumerable.Range(0, dimensions).Select(_ => (float)random.NextDouble() - 0.5f)];
        }

        using var inMemory = new HnswIndex(dimensions, DistanceMetric.Cosine, new HnswParameters { Seed = 3 }, initialCapacity: 64);
        inMemory.Quantize(new ScalarQuantizationOptions());
        for (int i = 0; i < count; i++)
        {
            inMemory.Add(Row(i));
        }

        Assert.Equal(count * 128L, inMemory.CodeMemoryBytes);
        using var stream = new MemoryStream();
        inMemory.WriteSnapshot(stream);
        byte[] snapshot = stream.ToArray();

        // Loaded as it was, and moved into a row file as it loads (codes laid out again, packed).
        using var again = HnswIndex.ReadSnapshot(new MemoryStream(snapshot));
        using var moved = HnswIndex.ReadSnapshot(new MemoryStream(snapshot), new RowFileOptions(Path.Combine(_directory, "moved"), MemoryTier.Cached));
        Assert.Equal(count * 128L, again.CodeMemoryBytes);
        Assert.Equal(count * 112L, moved.CodeMemoryBytes);

        // The file-backed graph's own snapshot holds the same packed codes and loads packed.
        using var movedStream = new MemoryStream();
        moved.WriteSnapshot(movedStream);
        string copy = Path.Combine(_directory, "copy");
        moved.CopyRowFile(copy);
        using var reloaded = HnswIndex.ReadSnapshot(new MemoryStream(movedStream.ToArray()), new RowFileOptions(copy, MemoryTier.Cached));
        Assert.Equal(count * 112L, reloaded.CodeMemoryBytes);

        var expected = new Neighbor[10];
        var found = new Neighbor[10];
        var codesOnly = new QuantizationSearch { Rescore = false };
        for (int q = 0; q < 50; q++)
        {
            var query = Row(count + q);
            Assert.Equal(10, inMemory.Search(query, 10, 32, expected, codesOnly));
            foreach (var index in new[] { again, moved, reloaded })
            {
                Assert.Equal(10, index.Search(query, 10, 32, found, codesOnly));
                Assert.Equal(expected, found); // the same code distances at either stride
            }
        }

        // Rows written after either layout was made, past a growth of the arenas, are coded where searches read them.
        foreach (var index in new[] { inMemory, moved })
        {
            for (int i = count; i < 2 * count; i++)
            {
                index.Add(Row(i));
            }

            for (int i = 0; i < 2 * count; i += 97)
            {
                Assert.Equal(10, index.Search(Row(i), 10, 32, found, codesOnly));
                Assert.Equal(i, found[0].Id);
            }
        }

        Assert.Equal(2 * count * 128L, inMemory.CodeMemoryBytes);
        Assert.Equal(2 * count * 112L, moved.CodeMemoryBytes);
    }

    [Fact]
    public void Ids_skipped_by_another_table_load_back_and_codes_wait_for_rows_actually_written()
    {
        // A named vector that only every third point holds: its graph reserves rows at the points' ids.
        string path = Path.Combine(_directory, "gaps");
        byte[] snapshot;
        using (var index = new HnswIndex(Dimensions, DistanceMetric.Euclid, new HnswParameters { Seed = 3 }))
        {
            index.KeepRowsInFile(path, MemoryTier.Cached);
            index.Quantize(new ScalarQuantizationOptions());
            for (int i = 0; i < 1500; i++)
            {
                index.Reserve(3 * i, Vector(i));
                index.Link(3 * i);
                Assert.Equal(i + 1 >= HnswIndex.CodeTrainingRows, index.HasCodes); // rows written, not the highest id, decide
            }

            using var stream = new MemoryStream();
            index.WriteSnapshot(stream);
            snapshot = stream.ToArray();
        }

        // The rows in between were never written: their checksums are those of empty rows, so the file checks out.
        using var loaded = HnswIndex.ReadSnapshot(new MemoryStream(snapshot), new RowFileOptions(path, MemoryTier.Cached));
        var found = new Neighbor[1];
        loaded.Search(Vector(700), 1, 32, found);
        Assert.Equal(3 * 700, found[0].Id);
    }

    [Fact]
    public void A_snapshot_does_not_take_rows_from_a_file_made_again_since()
    {
        string path = Path.Combine(_directory, "again");
        byte[] snapshot;
        using (var first = Build(path, count: 100))
        {
            using var stream = new MemoryStream();
            first.WriteSnapshot(stream);
            snapshot = stream.ToArray();
        }

        using (Build(path, count: 100))
        {
            // The same rows, but another file: a rebuild made it, and the snapshot's checksums need not describe it.
        }

        var refused = Assert.Throws<InvalidDataException>(() => HnswIndex.ReadSnapshot(new MemoryStream(snapshot), new RowFileOptions(path, MemoryTier.Cold)));
        Assert.Contains("made again", refused.Message, StringComparison.Ordinal);
    }
}
