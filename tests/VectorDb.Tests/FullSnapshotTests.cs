namespace VectorDb.Tests;

/// <summary>Full-storage snapshots: every collection and alias at one checkpoint, restored all at once or not at all.</summary>
public sealed class FullSnapshotTests : IDisposable
{
    private readonly TempDirectory _first = new();
    private readonly TempDirectory _second = new();

    public void Dispose()
    {
        _first.Dispose();
        _second.Dispose();
    }

    private static IEnumerable<Point> Points(int count, int dims, int seed) =>
        Enumerable.Range(0, count).Select(i => new Point((ulong)i, [.. Enumerable.Range(0, dims).Select(d => (float)Math.Sin((i * 31) + (d * 7) + seed))], Payload.FromObject(new { i, seed })));

    [Fact]
    public void A_full_snapshot_restores_every_collection_and_alias_into_another_database()
    {
        string file;
        string checksum;
        float[] query = [0.3f, -0.2f, 0.9f, 0.1f];
        IReadOnlyList<ulong> expected;
        using (var database = VectorDatabase.Open(_first.Path))
        {
            var cosine = database.CreateCollection("a", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Cosine });
            cosine.Upsert(Points(300, 4, 1));
            cosine.Delete([7UL]);
            var cold = database.CreateCollection("b", new CollectionOptions
            {
                Dimensions = 3,
                Distance = DistanceMetric.Euclid,
                Memory = MemoryTier.Cold,
                NamedVectors = new Dictionary<string, DenseVectorOptions> { ["small"] = new() { Dimensions = 2, Distance = DistanceMetric.Dot } },
            });
            cold.Upsert(Points(50, 3, 2).Select(p => p with { NamedVectors = new Dictionary<string, float[]> { ["small"] = [p.Id.Number, 1] } }));
            cold.CreatePayloadIndex("i", PayloadSchemaType.Integer);
            database.CreateCollection("empty", new CollectionOptions { Dimensions = 2 });
            database.UpdateAliases([new CreateAlias("live", "a"), new CreateAlias("archive", "b")]);
            expected = [.. cosine.Search(query, 5).Select(hit => hit.Id.Number)];

            var snapshot = database.CreateFullSnapshot();
            Assert.StartsWith("full-snapshot-", snapshot.Name, StringComparison.Ordinal);
            Assert.Equal(snapshot, Assert.Single(database.ListFullSnapshots()));
            Assert.Empty(database.ListSnapshots("a")); // a full snapshot is not a collection's
            file = database.FullSnapshotPath(snapshot.Name);
            checksum = snapshot.Checksum;
        }

        using (var reopened = VectorDatabase.Open(_first.Path))
        {
            Assert.Equal(file, reopened.FullSnapshotPath(Assert.Single(reopened.ListFullSnapshots()).Name)); // kept across opens
        }

        using (var database = VectorDatabase.Open(_second.Path))
        {
            database.CreateCollection("keep", new CollectionOptions { Dimensions = 2 }).Upsert([new Point(1, [1, 0])]);
            database.UpdateAliases([new CreateAlias("other", "keep")]);
            var restored = database.RestoreFullSnapshot(file, checksum);
            Assert.Equal(["a", "b", "empty"], restored.Select(c => c.Name).Order(StringComparer.Ordinal));
        }

        using (var database = VectorDatabase.Open(_second.Path))
        {
            var cosine = database.GetCollection("live");
            Assert.Equal("a", cosine.Name);
            Assert.Equal(299, cosine.Count());
            Assert.Null(cosine.Get(7UL));
            Assert.Equal(expected, cosine.Search(query, 5).Select(hit => hit.Id.Number));
            var cold = database.GetCollection("archive");
            Assert.Equal(MemoryTier.Cold, cold.Options.Memory);
            Assert.Equal(Points(50, 3, 2).ElementAt(20).Vector, cold.Get(20UL)!.Vector);
            Assert.Equal(49UL, cold.Search([49, 1], 1, new SearchOptions { Using = "small" })[0].Id.Number);
            Assert.Equal(3, cold.Count(new Query.Filter(Must: [Query.Conditions.Range("i", gte: 10, lte: 12)])));
            Assert.Equal(0, database.GetCollection("empty").Count());
            Assert.Equal(1, database.GetCollection("other").Count()); // what the snapshot does not name is kept
        }
    }

    [Fact]
    public void A_full_snapshot_whose_names_exist_is_refused_unless_replacing_and_a_bad_file_changes_nothing()
    {
        using var database = VectorDatabase.Open(_first.Path);
        var collection = database.CreateCollection("a", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Euclid });
        collection.Upsert(Points(10, 4, 1));
        database.UpdateAliases([new CreateAlias("live", "a")]);
        var snapshot = database.CreateFullSnapshot();
        string file = database.FullSnapshotPath(snapshot.Name);
        collection.Upsert(Points(20, 4, 3));
        database.CreateCollection("c", new CollectionOptions { Dimensions = 2 });

        var error = Assert.Throws<InvalidRequestException>(() => database.RestoreFullSnapshot(file));
        Assert.Contains("Collection `a` exists", error.Message, StringComparison.Ordinal);
        Assert.Equal(20, database.GetCollection("live").Count());

        string damaged = Path.Combine(_second.Path, "damaged.snapshot");
        byte[] bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0x5a;
        File.WriteAllBytes(damaged, bytes);
        Assert.Throws<InvalidRequestException>(() => database.RestoreFullSnapshot(damaged, replaceExisting: true));
        error = Assert.Throws<InvalidRequestException>(() => database.RestoreFullSnapshot(file, checksum: new string('0', 64), replaceExisting: true));
        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
        Assert.Equal(20, database.GetCollection("live").Count());

        string collectionSnapshot = database.SnapshotPath("a", database.CreateSnapshot("a").Name);
        error = Assert.Throws<InvalidRequestException>(() => database.RestoreFullSnapshot(collectionSnapshot, replaceExisting: true));
        Assert.Contains("not a full-storage one", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<InvalidRequestException>(() => database.RestoreSnapshot("a", file));
        Assert.Contains("full-storage snapshot", error.Message, StringComparison.Ordinal);
        Assert.Equal(20, database.GetCollection("a").Count());
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_first.Path, "snapshots"), ".restore-*")); // nothing left unpacked

        var restored = Assert.Single(database.RestoreFullSnapshot(file, snapshot.Checksum, replaceExisting: true));
        Assert.Same(restored, database.GetCollection("live"));
        Assert.Equal(10, restored.Count());
        Assert.Equal(0, database.GetCollection("c").Count());
        Assert.Throws<CollectionNotFoundException>(() => collection.Count()); // the replaced one is gone

        Assert.True(database.DeleteFullSnapshot(snapshot.Name));
        Assert.False(database.DeleteFullSnapshot(snapshot.Name));
        Assert.Empty(database.ListFullSnapshots());
        Assert.Throws<NotFoundException>(() => database.FullSnapshotPath(snapshot.Name));
    }

    [Fact]
    public void A_full_snapshot_with_one_collection_that_does_not_load_restores_nothing()
    {
        using var database = VectorDatabase.Open(_first.Path);
        database.CreateCollection("a", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Euclid, Memory = MemoryTier.Cold }).Upsert(Points(30, 4, 1));
        database.CreateCollection("b", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Euclid }).Upsert(Points(40, 4, 2));
        database.UpdateAliases([new CreateAlias("first", "a")]);
        string file = database.FullSnapshotPath(database.CreateFullSnapshot().Name);

        // The second collection's points are cut short inside its own snapshot, every checksum made to match: the first
        // collection loads, then the second fails.
        string damaged = Path.Combine(_second.Path, "damaged.snapshot");
        File.WriteAllBytes(damaged, SnapshotArchive.RewriteEntries(File.ReadAllBytes(file), (name, content) => name == "collection-2.snapshot"
            ? SnapshotArchive.RewriteEntries(content, (inner, points) => inner == "points.bin" ? points[..(points.Length / 2)] : points)
            : content));
        database.GetCollection("a").Upsert(Points(10, 4, 7));
        database.UpdateAliases([new CreateAlias("first", "b")]);
        var rows = Directory.EnumerateFiles(Path.Combine(_first.Path, "vectors")).Order(StringComparer.Ordinal).ToList();

        var error = Assert.Throws<InvalidRequestException>(() => database.RestoreFullSnapshot(damaged, replaceExisting: true));
        Assert.Contains("`b`", error.Message, StringComparison.Ordinal);
        Assert.Equal(30, database.GetCollection("a").Count());
        Assert.Equal(Points(10, 4, 7).First().Vector, database.GetCollection("a").Get(0UL)!.Vector);
        Assert.Equal("b", database.GetCollection("first").Name);
        Assert.Equal(rows, Directory.EnumerateFiles(Path.Combine(_first.Path, "vectors")).Order(StringComparer.Ordinal)); // the loaded one's row files removed
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(_first.Path, "snapshots"), ".restore-*"));
    }
}
