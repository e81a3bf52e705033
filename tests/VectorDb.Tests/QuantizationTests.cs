using VectorDb.Hnsw;
using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>
/// Quantized collections: codes fitted once enough points exist, searches on them rescored from the stored rows,
/// the search parameters, settings persisted with the collection, codes through checkpoints and log replay, and
/// the quantization changed or dropped by a settings change.
/// </summary>
public sealed class QuantizationTests : IDisposable
{
    private const int Dimensions = 24;
    private static readonly StorageOptions NoFinalCheckpoint = new() { CheckpointOnDispose = false };
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CollectionOptions Options(QuantizationOptions? quantization = null) => new()
    {
        Dimensions = Dimensions,
        Distance = DistanceMetric.Euclid,
        Quantization = quantization ?? new ScalarQuantizationOptions { Quantile = 0.99f },
    };

    private static List<Point> Points(int from, int count) =>
        [.. Enumerable.Range(from, count).Select(i => new Point((ulong)i, Vector(i)))];

    private static float[] Vector(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Dimensions).Select(_ => (float)random.NextDouble())];
    }

    [Fact]
    public void Searches_walk_codes_once_fitted_and_rescore_with_the_stored_vectors()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("q", Options());
        collection.Upsert(Points(0, HnswIndex.CodeTrainingRows - 1));
        Assert.False(collection.DenseMemory().CodesFitted);
        collection.Upsert(Points(HnswIndex.CodeTrainingRows, 2000));
        var memory = collection.DenseMemory();
        Assert.True(memory.CodesFitted);
        Assert.True(memory.CodeBytes > 0 && memory.CodeBytes <= memory.RowBytes / 3, $"{memory}");

        double recall = 0, unrescoredRecall = 0;
        bool approximate = false;
        for (int q = 0; q < 50; q++)
        {
            var query = Vector(1_000_000 + q);
            var exact = collection.Search(query, 10, new SearchOptions { Exact = true });
            var rescored = collection.Search(query, 10, new SearchOptions { Ef = 64, Quantization = new QuantizationSearch { Oversampling = 2 } });
            var codes = collection.Search(query, 10, new SearchOptions { Ef = 64, Quantization = new QuantizationSearch { Rescore = false } });
            recall += rescored.Count(h => exact.Any(e => e.Id == h.Id)) / 500.0;
            unrescoredRecall += codes.Count(h => exact.Any(e => e.Id == h.Id)) / 500.0;

            // Rescored scores are the stored vectors' distances; without rescoring they are the codes' estimates.
            foreach (var hit in rescored.Where(h => exact.Any(e => e.Id == h.Id)))
            {
                Assert.Equal(exact.First(e => e.Id == hit.Id).Score, hit.Score, 1e-4f);
            }

            approximate |= codes.Any(h => exact.FirstOrDefault(e => e.Id == h.Id) is { } e && MathF.Abs(e.Score - h.Score) > 1e-4f);
        }

        Assert.True(recall >= 0.9, $"rescored recall@10 {recall:F3}");
        Assert.True(unrescoredRecall >= 0.7, $"recall@10 on codes alone {unrescoredRecall:F3}");
        Assert.True(approximate, "scores without rescoring should be the codes' approximations");
    }

    [Fact]
    public void Codes_and_settings_survive_a_checkpoint_and_log_replay()
    {
        var query = Vector(-1);
        var unrescored = new SearchOptions { Ef = 32, Quantization = new QuantizationSearch { Rescore = false } };
        List<ScoredPoint> before;
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var collection = database.CreateCollection("q", Options());
            collection.Upsert(Points(0, 1500));
            database.Checkpoint();
            collection.Upsert(Points(1500, 500)); // replayed from the log, encoded with the checkpoint's codes
            before = [.. collection.Search(query, 10, unrescored)];
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("q");
            Assert.Equal(new ScalarQuantizationOptions { Quantile = 0.99f }, collection.Options.Quantization);
            Assert.True(collection.DenseMemory().CodesFitted);
            var after = collection.Search(query, 10, unrescored);
            Assert.Equal(before.Select(h => (h.Id, h.Score)), after.Select(h => (h.Id, h.Score)));
        }
    }

    [Fact]
    public void A_settings_change_encodes_again_or_drops_the_codes_and_is_persisted()
    {
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var collection = database.CreateCollection("q", Options(new ScalarQuantizationOptions()) with
            {
                NamedVectors = new Dictionary<string, DenseVectorOptions>
                {
                    ["inherits"] = new() { Dimensions = 4, Distance = DistanceMetric.Dot },
                    ["own"] = new() { Dimensions = 4, Quantization = new ScalarQuantizationOptions { Quantile = 0.9f } },
                },
            });
            collection.Upsert([.. Points(0, 1500).Select(p => p with { NamedVectors = new Dictionary<string, float[]> { ["inherits"] = Vector((int)p.Id.Number)[..4], ["own"] = Vector((int)p.Id.Number)[4..8] } })]);
            Assert.True(collection.DenseMemory("inherits").CodesFitted);

            Assert.True(collection.UpdateSettings(new CollectionSettingsChange { Quantization = new ScalarQuantizationOptions { Quantile = 0.95f } }));
            Assert.Equal(0.95f, ((ScalarQuantizationOptions)collection.Options.Quantization!).Quantile);
            Assert.True(collection.DenseMemory().CodesFitted);
            Assert.False(collection.UpdateSettings(new CollectionSettingsChange { Quantization = new ScalarQuantizationOptions { Quantile = 0.95f } }));

            Assert.True(collection.UpdateSettings(new CollectionSettingsChange { DisableQuantization = true }));
            Assert.Null(collection.Options.Quantization);
            Assert.False(collection.DenseMemory().CodesFitted);
            Assert.Equal(0, collection.DenseMemory().CodeBytes);
            Assert.False(collection.DenseMemory("inherits").CodesFitted);
            Assert.True(collection.DenseMemory("own").CodesFitted); // a vector's own quantization is its own
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("q");
            Assert.Null(collection.Options.Quantization);
            Assert.False(collection.DenseMemory().CodesFitted);
            Assert.True(collection.DenseMemory("own").CodesFitted);
        }
    }

    [Fact]
    public void Bad_settings_and_parameters_are_refused()
    {
        using var database = VectorDatabase.InMemory();
        Assert.Throws<InvalidRequestException>(() => database.CreateCollection("a", Options(new ScalarQuantizationOptions { Quantile = 0.3f })));
        Assert.Throws<InvalidRequestException>(() => database.CreateCollection("b", new CollectionOptions
        {
            Dimensions = 0,
            NamedVectors = new Dictionary<string, DenseVectorOptions>
            {
                ["colbert"] = new() { Dimensions = 4, Multivector = MultivectorComparator.MaxSim, Quantization = new ScalarQuantizationOptions() },
            },
        }));
        Assert.Throws<InvalidRequestException>(() => database.CreateCollection("d", Options() with
        {
            NamedVectors = new Dictionary<string, DenseVectorOptions> { ["colbert"] = new() { Dimensions = 4, Multivector = MultivectorComparator.MaxSim } },
        }));
        var collection = database.CreateCollection("c", Options());
        Assert.Throws<InvalidRequestException>(() => collection.CreateVector("colbert", new DenseVectorOptions { Dimensions = 4, Multivector = MultivectorComparator.MaxSim }));
        collection.Upsert(Points(0, 10));
        Assert.Throws<InvalidRequestException>(() => collection.Query(new PointQuery { Query = new NearestQuery(VectorInput.Of(Vector(1))), Quantization = new QuantizationSearch { Oversampling = 0.5 } }));
        Assert.Throws<InvalidRequestException>(() => collection.Query(new PointQuery { Quantization = new QuantizationSearch() }));
        Assert.Throws<InvalidRequestException>(() => collection.UpdateSettings(new CollectionSettingsChange { DisableQuantization = true, Quantization = new ScalarQuantizationOptions() }));
    }

    [Fact]
    public void Vectors_on_disk_survive_reopening_and_go_with_their_collection()
    {
        var query = Vector(-2);
        var options = Options() with
        {
            Memory = MemoryTier.Cached,
            NamedVectors = new Dictionary<string, DenseVectorOptions> { ["cold"] = new() { Dimensions = 4, Memory = MemoryTier.Cold } },
        };
        List<ScoredPoint> before;
        string[] files;
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var collection = database.CreateCollection("disk", options);
            collection.Upsert([.. Points(0, 1500).Select(p => p with { NamedVectors = new Dictionary<string, float[]> { ["cold"] = Vector((int)p.Id.Number)[..4] } })]);
            database.Checkpoint();
            collection.Upsert(Points(1500, 300)); // after the checkpoint: replayed into the file on reopening
            before = [.. collection.Search(query, 10, new SearchOptions { Ef = 64 })];
            var memory = collection.DenseMemory();
            Assert.True(memory.DiskBytes >= 1800L * Dimensions * sizeof(float), $"{memory}");
            Assert.True(memory.RowBytes <= 1800L * 8 * 2, $"{memory}"); // checksums, not rows
            files = Directory.GetFiles(Path.Combine(_directory.Path, "vectors"));
            Assert.Equal(2, files.Count(file => file.EndsWith(".rows", StringComparison.Ordinal))); // and their identities (.id)
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("disk");
            Assert.Equal(MemoryTier.Cached, collection.Options.Memory);
            Assert.Equal(MemoryTier.Cold, collection.Options.NamedVectors!["cold"].Memory);
            Assert.Equal(before.Select(h => (h.Id, h.Score)), collection.Search(query, 10, new SearchOptions { Ef = 64 }).Select(h => (h.Id, h.Score)));
            Assert.Equal(Vector(1600), collection.Get([1600])[0].Vector);
            Assert.True(database.DeleteCollection("disk"));
            Assert.All(files, file => Assert.False(File.Exists(file), file));
        }
    }

    [Fact]
    public void An_in_memory_database_refuses_vectors_on_disk()
    {
        using var database = VectorDatabase.InMemory();
        Assert.Throws<InvalidRequestException>(() => database.CreateCollection("disk", Options() with { Memory = MemoryTier.Cold }));
        var collection = database.CreateCollection("memory", Options());
        Assert.Throws<InvalidRequestException>(() => collection.CreateVector("disk", new DenseVectorOptions { Dimensions = 4, Memory = MemoryTier.Cached }));
    }
}
