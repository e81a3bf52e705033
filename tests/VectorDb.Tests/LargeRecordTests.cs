using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>
/// Writes within the server's limits but larger than a log or point-store page (4 MiB): a batch of 10,000 points of 784
/// dimensions (31 MB of floats) and one point with a payload of 31 MiB are stored, replayed and recovered whole.
/// </summary>
public sealed class LargeRecordTests : IDisposable
{
    private const int Dimensions = 784;
    private const int BatchPoints = 10_000;
    private const int PayloadBytes = 31 << 20;

    private static readonly StorageOptions NoFinalCheckpoint = new() { CheckpointOnDispose = false };
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_batch_larger_than_a_log_page_is_replayed_whole_and_recovered_from_a_checkpoint()
    {
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var points = Create(database);
            points.Upsert(Enumerable.Range(0, BatchPoints).Select(i => new Point((ulong)i, VectorOf(i), Payload.FromObject(new { i }))));
            points.Upsert(new Point(999_999, VectorOf(-1))); // a record after the fragments
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            AssertBatch(database.GetCollection("big"));
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            AssertBatch(database.GetCollection("big")); // now from the checkpoint the previous open took on dispose
        }
    }

    [Fact]
    public void A_payload_larger_than_a_store_page_survives_replay_checkpoint_and_rewrite()
    {
        string blob = new('p', PayloadBytes);
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var points = Create(database);
            points.Upsert(new Point(1, VectorOf(1), Payload.FromObject(new { blob })));
            points.Upsert(new Point(2, VectorOf(2), Payload.FromObject(new { small = true })));
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            Assert.Equal(PayloadBytes, BlobLength(database.GetCollection("big")));
            database.Checkpoint();
        }

        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var points = database.GetCollection("big");
            Assert.Equal(PayloadBytes, BlobLength(points)); // read back from the point store's parts
            points.Upsert(new Point(1, VectorOf(1), Payload.FromObject(new { blob = blob[..(PayloadBytes / 3)] })));
            database.Checkpoint();
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var points = database.GetCollection("big");
            Assert.Equal(PayloadBytes / 3, BlobLength(points));
            Assert.True(points.Get(2UL)!.Payload!.Root.GetProperty("small").GetBoolean());
            points.Delete([1UL]);
            database.Checkpoint();
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            Assert.Null(database.GetCollection("big").Get(1UL));
            Assert.Equal(1, database.GetCollection("big").Count());
        }
    }

    private static Collection Create(VectorDatabase database) =>
        database.CreateCollection("big", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, M = 4, EfConstruction = 8 });

    private static void AssertBatch(Collection points)
    {
        Assert.Equal(BatchPoints + 1, points.Count());
        foreach (int i in new[] { 0, 1, 4_999, 9_999 })
        {
            var record = points.Get((ulong)i)!;
            Assert.Equal(VectorOf(i), record.Vector);
            Assert.Equal(i, record.Payload!.Root.GetProperty("i").GetInt32());
        }
    }

    private static int BlobLength(Collection points) => points.Get(1UL)!.Payload!.Root.GetProperty("blob").GetString()!.Length;

    private static float[] VectorOf(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Dimensions).Select(_ => (float)random.Next(10))];
    }
}
