using VectorDb.CrashHost;
using VectorDb.Persistence;
using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>Memory and disk follow the live points, not how often they were rewritten or deleted.</summary>
public sealed class BoundedStorageTests : IDisposable
{
    private const int Points = 400;
    private const int Batch = 100;
    private const int WidePoints = 2_000;
    private const int WideDimensions = 256;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Rewritten_points_take_the_nodes_of_the_points_they_replace()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid });
        Rewrite(collection, round: 0);
        Rewrite(collection, round: 1);
        int nodes = collection.AllocatedNodes;
        long memory = collection.IndexMemoryBytes;
        for (int round = 2; round < 12; round++)
        {
            Rewrite(collection, round);
        }

        // One batch more than the points: a batch is linked before the points it replaces are retired.
        Assert.Equal(nodes, collection.AllocatedNodes);
        Assert.InRange(nodes, Points, Points + Batch + 1); // and the entry point, which is never reused
        Assert.Equal(memory, collection.IndexMemoryBytes);
        AssertHolds(collection, round: 11);
    }

    [Fact]
    public void Deleted_points_give_their_nodes_to_new_points()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid });
        Rewrite(collection, round: 0);
        int nodes = collection.AllocatedNodes;
        for (int round = 1; round < 6; round++)
        {
            collection.Delete([.. Enumerable.Range(0, Points / 2).Select(i => (ulong)i)]);
            collection.Upsert(Enumerable.Range(0, Points / 2).Select(i => PointFor(i, round)));
        }

        Assert.InRange(collection.AllocatedNodes, nodes, nodes + 1); // the entry point, once deleted, is never reused
        Assert.Equal(Points, collection.Count());
        foreach (int i in new[] { 0, 17, Points / 2 - 1 })
        {
            Assert.Equal(PointFor(i, 5).Vector, collection.Get((ulong)i)!.Vector);
        }
    }

    [Fact]
    public void Reused_nodes_survive_a_checkpoint_and_the_log_and_are_reused_after_reopening()
    {
        int nodes;
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid });
            collection.CreatePayloadIndex("tag", PayloadSchemaType.Keyword);
            Rewrite(collection, round: 0);
            Rewrite(collection, round: 1);
            database.Checkpoint();
            Rewrite(collection, round: 2); // replayed from the log on top of the checkpoint
            nodes = collection.AllocatedNodes;
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("c");
            AssertHolds(collection, round: 2);
            for (int round = 3; round < 8; round++)
            {
                Rewrite(collection, round);
            }

            Assert.InRange(collection.AllocatedNodes, Points, nodes + Batch);
            AssertHolds(collection, round: 7);
            var tagged = Query.FilterJson.Parse("""{"must": [{"key": "tag", "match": {"value": "t3"}}]}""");
            Assert.Equal(Enumerable.Range(0, Points).Count(i => i % 7 == 3), collection.Count(tagged)); // the keyword index dropped the nodes' old points
        }
    }

    [Fact]
    public void Checkpoints_leave_vectors_to_the_point_store_and_recovery_gives_every_graph_the_same_rows_back()
    {
        var options = new CollectionOptions
        {
            Dimensions = WideDimensions,
            Distance = DistanceMetric.Cosine,
            NamedVectors = new Dictionary<string, DenseVectorOptions>
            {
                ["half"] = new() { Dimensions = 16, Distance = DistanceMetric.Euclid, DataType = VectorDataType.Float16 },
                ["multi"] = new() { Dimensions = 8, Distance = DistanceMetric.Dot, Multivector = MultivectorComparator.MaxSim },
            },
        };
        var random = new Random(4);
        float[] Vector(int dimensions) => [.. Enumerable.Range(0, dimensions).Select(_ => (float)random.NextDouble() - 0.3f)];
        var points = Enumerable.Range(0, WidePoints).Select(i => new Point((ulong)i, Vector(WideDimensions))
        {
            NamedVectors = i % 3 == 0 ? null : new Dictionary<string, float[]> { ["half"] = Vector(16) },
            Multivectors = i % 4 == 0 ? null : new Dictionary<string, float[][]> { ["multi"] = [Vector(8), Vector(8)] },
        }).ToList();
        float[] query = Vector(WideDimensions);

        IReadOnlyList<PointRecord> before;
        IReadOnlyList<ulong>[] hitsBefore;
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var collection = database.CreateCollection("c", options);
            collection.Upsert(points);
            collection.Delete([.. Enumerable.Range(0, WidePoints / 10).Select(i => (ulong)(i * 10))]); // deleted nodes keep their rows
            database.Checkpoint();
            before = collection.Get(Enumerable.Range(0, WidePoints).Select(i => (PointId)(ulong)i));
            hitsBefore = Hits(collection, query);
        }

        // The unnamed graph's file holds links and the deleted nodes' rows, not the live vectors (1.8 MB).
        string checkpoint = Directory.EnumerateDirectories(Path.Combine(_directory.Path, "checkpoints")).Max()!;
        long graphBytes = new FileInfo(Path.Combine(checkpoint, "collection-1.hnsw")).Length;
        Assert.InRange(graphBytes, 1, WidePoints * 9 / 10 * WideDimensions * sizeof(float) / 3);

        var logger = new ListLogger();
        using (var database = VectorDatabase.Open(_directory.Path, logger: logger))
        {
            Assert.DoesNotContain(logger.Messages, message => message.Contains("rebuilding", StringComparison.Ordinal));
            var collection = database.GetCollection("c");
            var after = collection.Get(Enumerable.Range(0, WidePoints).Select(i => (PointId)(ulong)i));
            Assert.Equal(before.Count, after.Count);
            for (int i = 0; i < before.Count; i++)
            {
                Assert.Equal(before[i].Vector, after[i].Vector); // to the bit: cosine rows keep the scale they were written with
                Assert.Equal(before[i].NamedVectors?["half"], after[i].NamedVectors?.GetValueOrDefault("half"));
                Assert.Equal(before[i].Multivectors?["multi"], after[i].Multivectors?.GetValueOrDefault("multi"));
            }

            Assert.Equal(hitsBefore, Hits(collection, query));
        }

        static IReadOnlyList<ulong>[] Hits(Collection collection, float[] query) =>
        [
            [.. collection.Search(query, 10).Select(hit => hit.Id.Number)],
            [.. collection.Search(query.AsSpan(0, 16), 10, new SearchOptions { Using = "half" }).Select(hit => hit.Id.Number)],
            [.. collection.SearchMultivector([query[..8], query[8..16]], 10, new SearchOptions { Using = "multi" }).Select(hit => hit.Id.Number)],
        ];
    }

    [Fact]
    public void Compaction_reclaims_the_point_store_log_and_recovery_keeps_every_point()
    {
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = WideDimensions, Distance = DistanceMetric.Euclid });
            long begin = database.Store!.Points.BeginAddress;
            RewriteWide(database, collection, rounds: 12);
            Assert.True(database.Store.Points.BeginAddress > begin, "the point store's log was compacted");
            database.Checkpoint();
            database.Checkpoint(); // the segments below the older retained checkpoint's begin are removed now
            collection.Upsert(Enumerable.Range(0, WidePoints / 2).Select(i => WidePointFor(i, 12))); // only in the log
        }

        long logBytes = Directory.EnumerateFiles(Path.Combine(_directory.Path, "points"), "hlog*").Sum(f => new FileInfo(f).Length);
        long oneVersion = WidePoints * ((WideDimensions * sizeof(float)) + 64L);
        Assert.True(logBytes < 5 * oneVersion, $"the point store's log holds {logBytes} bytes for {oneVersion} of live points");

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("c");
            Assert.Equal(WidePoints, collection.Count());
            foreach (int i in new[] { 0, WidePoints / 2 - 1, WidePoints / 2, WidePoints - 1 })
            {
                Assert.Equal(WidePointFor(i, i < WidePoints / 2 ? 12 : 11).Vector, collection.Get((ulong)i)!.Vector);
            }
        }
    }

    [Fact]
    public void A_damaged_newest_checkpoint_after_a_compaction_falls_back_to_the_previous_one()
    {
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = WideDimensions, Distance = DistanceMetric.Euclid });
            RewriteWide(database, collection, rounds: 3);
            long begin = database.Store!.Points.BeginAddress;
            RewriteWide(database, collection, rounds: 1); // the fallback: its records lie below the begin the compactions move
            RewriteWide(database, collection, rounds: 8);
            Assert.True(database.Store.Points.BeginAddress > begin, "the point store's log was compacted after the fallback checkpoint");
            collection.Delete([0UL]);
        }

        var checkpoints = new CheckpointDirectory(Path.Combine(_directory.Path, "checkpoints"));
        File.WriteAllText(Path.Combine(checkpoints.PathOf(checkpoints.Sequences()[0]), "manifest.json"), "{ torn");
        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("c");
            Assert.Equal(WidePoints - 1, collection.Count());
            Assert.Null(collection.Get(0UL));
            Assert.Equal(WidePointFor(1, 7).Vector, collection.Get(1UL)!.Vector);
            Assert.Equal(WidePointFor(WidePoints - 1, 7).Vector, collection.Get((ulong)(WidePoints - 1))!.Vector);
        }
    }

    [Fact]
    public void A_new_directory_records_its_log_segment_sizes()
    {
        using (VectorDatabase.Open(_directory.Path))
        {
        }

        Assert.Equal(StorageLayout.Current, StorageLayout.Open(_directory.Path));
        File.WriteAllText(Path.Combine(_directory.Path, "layout.json"), """{"WalSegmentBits": 40, "PointLogSegmentBits": 22, "PointIndexBits": 20}""");
        var error = Assert.Throws<StorageException>(() => VectorDatabase.Open(_directory.Path));
        Assert.Contains("layout.json", error.Message, StringComparison.Ordinal);
    }

    private static void Rewrite(Collection collection, int round)
    {
        for (int start = 0; start < Points; start += Batch)
        {
            collection.Upsert(Enumerable.Range(start, Batch).Select(i => PointFor(i, round)));
        }
    }

    private static void AssertHolds(Collection collection, int round)
    {
        Assert.Equal(Points, collection.Count());
        foreach (int i in new[] { 0, 1, Points / 2, Points - 1 })
        {
            var expected = PointFor(i, round);
            Assert.Equal(expected.Vector, collection.Get((ulong)i)!.Vector);
            var hit = Assert.Single(collection.Search(expected.Vector!, 1));
            Assert.Equal((ulong)i, hit.Id.Number);
            Assert.Equal(0f, hit.Score, 1e-4f);
        }
    }

    /// <summary>Point <paramref name="i"/> as written in <paramref name="round"/>: a new vector each round.</summary>
    private static Point PointFor(int i, int round)
    {
        var vector = CrashWorkload.PointFor((ulong)((round * 100_000) + i)).Vector!;
        return new Point((ulong)i, vector, Payload.FromObject(new { round, tag = $"t{i % 7}" }));
    }

    /// <summary>
    /// Writes every wide point again <paramref name="rounds"/> times with a checkpoint after each: after a checkpoint
    /// every record is read-only, so a rewrite appends a new one (before, FASTER may update it in place).
    /// </summary>
    private static void RewriteWide(VectorDatabase database, Collection collection, int rounds)
    {
        for (int round = 0; round < rounds; round++)
        {
            collection.Upsert(Enumerable.Range(0, WidePoints).Select(i => WidePointFor(i, round)));
            database.Checkpoint();
        }
    }

    private static Point WidePointFor(int i, int round)
    {
        var random = new Random((round * 100_000) + i);
        return new Point((ulong)i, [.. Enumerable.Range(0, WideDimensions).Select(_ => random.NextSingle())], Payload.FromObject(new { round }));
    }
}
