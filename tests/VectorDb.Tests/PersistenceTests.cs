using VectorDb.Persistence;
using VectorDb.CrashHost;
using VectorDb.Storage;

namespace VectorDb.Tests;

public sealed class PersistenceTests : IDisposable
{
    private static readonly StorageOptions NoFinalCheckpoint = new() { CheckpointOnDispose = false };
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Reopen_after_clean_close_keeps_collections_points_payloads_and_deletes()
    {
        using (var database = VectorDatabase.Open(_directory.Path))
        {
            Fill(database);
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            AssertFilled(database);
        }
    }

    [Fact]
    public void Collection_metadata_is_kept_through_replay_and_checkpoints()
    {
        var metadata = Payload.Parse("""{"model": "arctic-embed-xs", "created": "2026-12-06", "tags": [1, 2]}""");
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            database.CreateCollection("meta", new CollectionOptions { Dimensions = 2, Metadata = metadata });
            database.CreateCollection("plain", new CollectionOptions { Dimensions = 2 });
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            Assert.Equal(metadata, database.GetCollection("meta").Options.Metadata);
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            Assert.Equal(metadata, database.GetCollection("meta").Options.Metadata);
            Assert.Null(database.GetCollection("plain").Options.Metadata);
        }
    }

    [Fact]
    public void Changed_settings_are_replayed_and_checkpointed()
    {
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var collection = database.CreateCollection("settings", new CollectionOptions { Dimensions = 2, Metadata = Payload.Parse("""{"a": 1, "b": 2}""") });
            Assert.True(collection.UpdateSettings(new CollectionSettingsChange
            {
                EfConstruction = 48,
                Metadata = Payload.Parse("""{"b": null, "c": 3}"""),
                StrictMode = new StrictModeOptions { Enabled = true, MaxQueryLimit = 7 },
            }));
            Assert.False(collection.UpdateSettings(new CollectionSettingsChange { EfConstruction = 48 }));
            Assert.Throws<InvalidRequestException>(() => collection.UpdateSettings(new CollectionSettingsChange { EfConstruction = 1 }));
            Assert.Throws<InvalidRequestException>(() => collection.UpdateSettings(new CollectionSettingsChange { M = 32 }));
            collection.UpdateSettings(new CollectionSettingsChange { M = 6 });
            collection.Upsert([new Point(1, [1, 0]), new Point(2, [0, 1])]);
            collection.UpdateSettings(new CollectionSettingsChange { StrictMode = new StrictModeOptions { ReadRateLimit = 10 } });
        }

        for (int reopen = 0; reopen < 2; reopen++)
        {
            using var database = VectorDatabase.Open(_directory.Path);
            var options = database.GetCollection("settings").Options;
            Assert.Equal(48, options.EfConstruction);
            Assert.Equal(6, options.M);
            database.GetCollection("settings").Upsert(new Point((ulong)(3 + reopen), [1, 1]));
            Assert.Equal(3 + reopen, database.GetCollection("settings").Count());
            Assert.Equal(Payload.Parse("""{"a": 1, "c": 3}"""), options.Metadata);
            Assert.Equal(new StrictModeOptions { Enabled = true, MaxQueryLimit = 7, ReadRateLimit = 10 }, options.StrictMode);
            Assert.Equal(16, options.LinkCapacity); // room to raise m back, kept even by a graph built again
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("settings");
            Assert.True(collection.UpdateSettings(new CollectionSettingsChange { M = 16 }));
            collection.Upsert(new Point(9, [0.5f, 0.5f]));
            Assert.Equal(16, collection.Options.M);
        }
    }

    [Fact]
    public void Payload_set_at_a_nested_key_is_replayed()
    {
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var collection = database.CreateCollection("nested", new CollectionOptions { Dimensions = 2 });
            collection.Upsert([new Point(1, [1, 0], Payload.Parse("""{"a": {"b": 1, "c": {"d": 2}}, "e": 3}""")), new Point(2, [0, 1], Payload.Parse("""{"a": 5}"""))]);
            collection.SetPayload([1, 2], Payload.Parse("""{"d": 4, "f": [1]}"""), "a.c");
            Assert.Throws<InvalidRequestException>(() => collection.SetPayload([1], Payload.Parse("{}"), "a[0].b"));
            Assert.Throws<InvalidRequestException>(() => collection.SetPayload([1], Payload.Parse("{}"), "a..b"));
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("nested");
            Assert.Equal(Payload.Parse("""{"a": {"b": 1, "c": {"d": 4, "f": [1]}}, "e": 3}"""), collection.Get(1)!.Payload);
            Assert.Equal(Payload.Parse("""{"a": {"c": {"d": 4, "f": [1]}}}"""), collection.Get(2)!.Payload); // 5 was no object
        }
    }

    [Fact]
    public void Reopen_without_checkpoint_replays_the_log()
    {
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            Fill(database);
        }

        Assert.Empty(new CheckpointDirectory(Path.Combine(_directory.Path, "checkpoints")).Sequences());
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            AssertFilled(database);
        }
    }

    [Fact]
    public void Writes_after_a_checkpoint_are_replayed_on_top_of_it()
    {
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var points = database.CreateCollection("c", new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid });
            points.Upsert(Enumerable.Range(0, 300).Select(i => CrashWorkload.PointFor((ulong)i)));
            database.Checkpoint();
            points.Delete([5UL, 6UL]);
            points.Upsert(Enumerable.Range(300, 100).Select(i => CrashWorkload.PointFor((ulong)i)));
            points.Upsert(new Point(7, new float[CrashWorkload.Dimensions], Payload.Parse("""{"replaced":true}""")));
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var points = database.GetCollection("c");
            Assert.Equal(398, points.Count());
            Assert.Null(points.Get(5UL));
            Assert.Equal("""{"replaced":true}""", points.Get(7UL)!.Payload!.ToJson());
            AssertPoint(points, 399);
            AssertSearchFindsItself(points, 350);
        }
    }

    [Fact]
    public void Dropped_collections_stay_dropped_and_names_can_be_reused()
    {
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var first = database.CreateCollection("c", new CollectionOptions { Dimensions = CrashWorkload.Dimensions });
            first.Upsert(CrashWorkload.PointFor(1));
            database.Checkpoint();
            database.DeleteCollection("c");
            var second = database.CreateCollection("c", new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid });
            second.Upsert(CrashWorkload.PointFor(2));
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("c");
            Assert.Equal(DistanceMetric.Euclid, collection.Options.Distance);
            Assert.Null(collection.Get(1UL));
            AssertPoint(collection, 2);
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            Assert.Equal(["c"], database.ListCollections());
            Assert.Equal(1, database.GetCollection("c").Count());
        }
    }

    [Fact]
    public void A_log_record_damaged_inside_its_payload_is_dropped_not_applied()
    {
        // One letter of the last record's payload changes, and its JSON stays valid: only a checksum can tell. The last
        // page of the log is the one FasterLog's recovery holds in memory, where it does not check its own checksums.
        WriteFiftyRecordsThenDamage(bytes =>
        {
            int at = bytes.AsSpan().LastIndexOf("\"half\":\"h1\""u8);
            Assert.True(at > 0);
            bytes[at + "\"half\":\""u8.Length] = (byte)'x';
        });
        using var database = OpenExpectingTheLastRecordDropped();
    }

    [Fact]
    public void A_damaged_log_tail_is_dropped_and_later_writes_survive()
    {
        // Damage the last record: flip bytes just before the log's end.
        WriteFiftyRecordsThenDamage(bytes =>
        {
            int end = Array.FindLastIndex(bytes, b => b != 0);
            for (int i = end - 20; i <= end; i++)
            {
                bytes[i] ^= 0x5A;
            }
        });
        using (var database = OpenExpectingTheLastRecordDropped())
        {
            var points = database.GetCollection("c");
            AssertPoint(points, 48);
            points.Upsert(CrashWorkload.PointFor(1000));
        }

        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var points = database.GetCollection("c");
            Assert.Equal(50, points.Count());
            AssertPoint(points, 1000);
        }
    }

    [Fact]
    public void A_damaged_graph_snapshot_is_rebuilt_from_the_point_store()
    {
        using (var database = VectorDatabase.Open(_directory.Path))
        {
            Fill(database);
        }

        string snapshot = Directory.GetFiles(Path.Combine(_directory.Path, "checkpoints"), "*.hnsw", SearchOption.AllDirectories)
            .OrderDescending(StringComparer.Ordinal).First();
        using (var file = new FileStream(snapshot, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            file.WriteByte(0xFF);
        }

        var logger = new ListLogger();
        using (var database = VectorDatabase.Open(_directory.Path, null, logger))
        {
            AssertFilled(database);
            Assert.Contains(logger.Messages, m => m.Contains("rebuilding", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_damaged_newest_checkpoint_falls_back_to_the_previous_one_and_the_log()
    {
        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var points = database.CreateCollection("c", new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid });
            points.Upsert(Enumerable.Range(0, 100).Select(i => CrashWorkload.PointFor((ulong)i)));
            database.Checkpoint();
            points.Upsert(Enumerable.Range(100, 100).Select(i => CrashWorkload.PointFor((ulong)i)));
            points.Delete([3UL]);
        }

        var checkpoints = new CheckpointDirectory(Path.Combine(_directory.Path, "checkpoints"));
        Assert.Equal(2, checkpoints.Sequences().Count);
        string manifest = Path.Combine(checkpoints.PathOf(checkpoints.Sequences()[0]), "manifest.json");
        File.WriteAllText(manifest, "{ torn");

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var points = database.GetCollection("c");
            Assert.Equal(199, points.Count());
            Assert.Null(points.Get(3UL));
            AssertPoint(points, 199);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Payload_updates_survive_reopen(bool checkpoint)
    {
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var points = database.CreateCollection("c", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
            points.Upsert(Enumerable.Range(0, 4).Select(i => new Point((ulong)i, [i, 1], Payload.Parse("""{"a":1,"b":2}"""))));
            Assert.Equal(1, points.SetPayload([0UL, 99UL], Payload.Parse("""{"b":3,"c":4}""")));
            points.OverwritePayload([1UL], Payload.Parse("""{"z":true}"""));
            points.DeletePayloadKeys([2UL], ["a"]);
            points.ClearPayload([3UL]);
            if (checkpoint)
            {
                database.Checkpoint();
            }
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var points = database.GetCollection("c");
            Assert.Equal("""{"a":1,"b":3,"c":4}""", points.Get(0UL)!.Payload!.ToJson());
            Assert.Equal("""{"z":true}""", points.Get(1UL)!.Payload!.ToJson());
            Assert.Equal("""{"b":2}""", points.Get(2UL)!.Payload!.ToJson());
            Assert.Equal("{}", points.Get(3UL)!.Payload!.ToJson());
            Assert.Equal([2f, 1f], points.Get(2UL)!.Vector!);
        }
    }

    [Fact]
    public void A_second_process_cannot_open_the_same_directory()
    {
        using var database = VectorDatabase.Open(_directory.Path);
        var error = Assert.Throws<StorageException>(() => VectorDatabase.Open(_directory.Path));
        Assert.Contains("another process", error.Message, StringComparison.Ordinal);
    }

    private static void Fill(VectorDatabase database)
    {
        var euclid = database.CreateCollection("euclid", new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid, M = 8 });
        euclid.Upsert(Enumerable.Range(0, 500).Select(i => CrashWorkload.PointFor((ulong)i)));
        euclid.Delete([10UL, 20UL, 30UL]);
        var cosine = database.CreateCollection("cosine", new CollectionOptions { Dimensions = 3 });
        var uuid = Guid.Parse("0b9d4e3c-8f3a-4c55-9d7e-2a1f7c0e5b11");
        cosine.Upsert([new Point(uuid, [1, 2, 3], Payload.Parse("""{"city":"Zürich","n":[1,2]}""")), new Point(9, [3, 2, 1])], wait: false);
        database.CreateCollection("empty", new CollectionOptions { Dimensions = 4 });
    }

    private static void AssertFilled(VectorDatabase database)
    {
        Assert.Equal(["cosine", "empty", "euclid"], database.ListCollections());
        var euclid = database.GetCollection("euclid");
        Assert.Equal(497, euclid.Count());
        Assert.Equal(8, euclid.Options.M);
        Assert.Null(euclid.Get(20UL));
        foreach (ulong id in new ulong[] { 0, 11, 250, 499 })
        {
            AssertPoint(euclid, id);
        }

        AssertSearchFindsItself(euclid, 123);
        var cosine = database.GetCollection("cosine");
        var point = cosine.Get(Guid.Parse("0b9d4e3c-8f3a-4c55-9d7e-2a1f7c0e5b11"))!;
        Assert.Equal("""{"city":"Zürich","n":[1,2]}""", point.Payload!.ToJson());
        Assert.Equal(2, cosine.Count());
        Assert.Equal(0, database.GetCollection("empty").Count());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_half_width_collection_keeps_its_data_type_through_checkpoint_and_log_replay(bool checkpoint)
    {
        var options = new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid, DataType = VectorDataType.Float16 };
        ScoredPoint[] before;
        using (var database = VectorDatabase.Open(_directory.Path, checkpoint ? new StorageOptions() : NoFinalCheckpoint))
        {
            var points = database.CreateCollection("half", options);
            points.Upsert(Enumerable.Range(0, 200).Select(i => CrashWorkload.PointFor((ulong)i)));
            var tooLarge = CrashWorkload.PointFor(1_000).Vector!.ToArray();
            tooLarge[3] = 1e6f;
            var refused = Assert.Throws<InvalidRequestException>(() => points.Upsert(new Point(1_000, tooLarge)));
            Assert.Contains("float16", refused.Message);
            Assert.Equal(200, points.Count());
            before = [.. points.Search(CrashWorkload.PointFor(42).Vector, 5)];
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var points = database.GetCollection("half");
            Assert.Equal(VectorDataType.Float16, points.Options.DataType);
            Assert.Equal(200, points.Count());
            Assert.Null(points.Get(1_000UL));
            Assert.Equal<ScoredPoint>(before, points.Search(CrashWorkload.PointFor(42).Vector, 5).ToArray());
        }
    }

    /// <summary>Fifty single-point upserts, a log record each, then <paramref name="damage"/> applied to the log's bytes.</summary>
    private void WriteFiftyRecordsThenDamage(Action<byte[]> damage)
    {
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            var points = database.CreateCollection("c", new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid });
            for (int i = 0; i < 50; i++)
            {
                points.Upsert(CrashWorkload.PointFor((ulong)i));
            }
        }

        string segment = Directory.GetFiles(Path.Combine(_directory.Path, "wal"), "wal.log*").Single();
        var bytes = File.ReadAllBytes(segment);
        damage(bytes);
        File.WriteAllBytes(segment, bytes);
    }

    /// <summary>Opens the database after <see cref="WriteFiftyRecordsThenDamage"/>: the last point was dropped, and the log damage reported.</summary>
    private VectorDatabase OpenExpectingTheLastRecordDropped()
    {
        var logger = new ListLogger();
        var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint, logger);
        try
        {
            var points = database.GetCollection("c");
            Assert.Equal(49, points.Count());
            Assert.Null(points.Get(49UL));
            Assert.Contains(logger.Messages, m => m.Contains("damaged", StringComparison.Ordinal));
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    private static void AssertPoint(Collection collection, ulong id)
    {
        var expected = CrashWorkload.PointFor(id);
        var actual = collection.Get(id) ?? throw new Xunit.Sdk.XunitException($"Point {id} is missing.");
        Assert.Equal(expected.Vector, actual.Vector);
        Assert.Equal(expected.Payload, actual.Payload);
    }

    private static void AssertSearchFindsItself(Collection collection, ulong id)
    {
        var hits = collection.Search(CrashWorkload.PointFor(id).Vector, 1);
        Assert.Equal(new PointId(id), hits[0].Id);
    }
}
