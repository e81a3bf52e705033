using VectorDb.CrashHost;

namespace VectorDb.Tests;

/// <summary>Collection snapshots: a consistent cut taken while writers go on, restored elsewhere without a rebuild.</summary>
public sealed class SnapshotTests : IDisposable
{
    private readonly TempDirectory _first = new();
    private readonly TempDirectory _second = new();

    public void Dispose()
    {
        _first.Dispose();
        _second.Dispose();
    }

    [Fact]
    public async Task A_snapshot_taken_while_batches_are_written_holds_whole_batches_only()
    {
        using var database = VectorDatabase.Open(_first.Path);
        var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid });
        using var stop = new CancellationTokenSource();
        int batches = 0;
        var writer = Task.Run(() =>
        {
            // Each batch rewrites every point with its own number: a cut between batches sees one number everywhere.
            for (int batch = 0; !stop.IsCancellationRequested || batch < 3; batch++)
            {
                collection.Upsert(Enumerable.Range(0, 200).Select(i => new Point((ulong)i, CrashWorkload.PointFor((ulong)(batch * 1000 + i)).Vector!, Payload.FromObject(new { batch }))));
                Volatile.Write(ref batches, batch + 1);
            }
        });

        while (Volatile.Read(ref batches) < 2)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var snapshot = database.CreateSnapshot("c");
        await stop.CancelAsync();
        await writer;

        var copy = database.RestoreSnapshot("copy", Path.Combine(_first.Path, "snapshots", "c", snapshot.Name), snapshot.Checksum);
        Assert.Equal(200, copy.Count());
        var numbers = Enumerable.Range(0, 200).Select(i => copy.Get((ulong)i)!.Payload!.ToJson()).Distinct().ToList();
        Assert.Single(numbers);
        int batch = int.Parse(numbers[0].Split(':')[1].TrimEnd('}'), System.Globalization.CultureInfo.InvariantCulture);
        for (int i = 0; i < 200; i += 37)
        {
            var vector = CrashWorkload.PointFor((ulong)(batch * 1000 + i)).Vector!;
            Assert.Equal(vector, copy.Get((ulong)i)!.Vector);
            Assert.Equal((ulong)i, copy.Search(vector, 1)[0].Id.Number);
        }
    }

    [Fact]
    public void An_empty_collection_and_a_payload_stored_in_parts_round_trip()
    {
        using var database = VectorDatabase.Open(_first.Path);
        database.CreateCollection("empty", new CollectionOptions { Dimensions = 4 });
        var empty = database.CreateSnapshot("empty");
        Assert.Equal(0, database.RestoreSnapshot("empty-copy", SnapshotPath(empty)).Count());

        var large = database.CreateCollection("large", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Euclid });
        string text = new('z', 3 << 20); // over a point-store record: stored in parts
        large.Upsert([new Point(1, [1, 0, 0, 0], Payload.FromObject(new { text = "short" })), new Point(2, [0, 1, 0, 0])]);
        database.Checkpoint();
        large.Upsert([new Point(1, [1, 0, 0, 0], Payload.FromObject(new { text }))]); // the record is rewritten, its parts appended
        var snapshot = database.CreateSnapshot("large");
        var copy = database.RestoreSnapshot("large-copy", SnapshotPath(snapshot));
        Assert.Equal(text, copy.Get(1UL)!.Payload!.Root.GetProperty("text").GetString());
        Assert.Equal(2, copy.Count());
    }

    [Fact]
    public void A_snapshot_naming_a_file_outside_itself_is_refused_and_touches_nothing()
    {
        using var database = VectorDatabase.Open(_first.Path);
        var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = 4 });
        collection.Upsert([new Point(1, [1, 0, 0, 0])]);
        string file = SnapshotPath(database.CreateSnapshot("c"));
        string victim = Path.Combine(_first.Path, "victim.txt");
        File.WriteAllText(victim, "keep me");

        string forged = Path.Combine(_second.Path, "forged.snapshot");
        Rewrite(file, forged, manifest => manifest.Replace("\"RowFiles\": null", "\"RowFiles\": {\"\": \"../../victim.txt\"}", StringComparison.Ordinal));
        var error = Assert.Throws<InvalidRequestException>(() => database.RestoreSnapshot("c", forged));
        Assert.Contains("victim.txt", error.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", File.ReadAllText(victim));
        Assert.Equal(1, database.GetCollection("c").Count());
    }

    /// <summary>Copies a snapshot with its manifest changed by <paramref name="change"/>, its checksums made to match.</summary>
    private static void Rewrite(string source, string target, Func<string, string> change) =>
        File.WriteAllBytes(target, SnapshotArchive.RewriteEntries(File.ReadAllBytes(source), (name, content) => name == "vectordb-snapshot.json"
            ? System.Text.Encoding.UTF8.GetBytes(change(System.Text.Encoding.UTF8.GetString(content)))
            : content));

    private string SnapshotPath(SnapshotInfo snapshot) =>
        Path.Combine(_first.Path, "snapshots", snapshot.Name[..snapshot.Name.IndexOf('-', StringComparison.Ordinal)], snapshot.Name);

    [Fact]
    public void Rows_kept_on_disk_and_named_vectors_travel_with_the_snapshot_and_aliases_follow_a_replaced_collection()
    {
        string file;
        using (var database = VectorDatabase.Open(_first.Path))
        {
            var collection = database.CreateCollection("c", new CollectionOptions
            {
                Dimensions = CrashWorkload.Dimensions,
                Distance = DistanceMetric.Euclid,
                Memory = MemoryTier.Cold,
                NamedVectors = new Dictionary<string, DenseVectorOptions> { ["small"] = new() { Dimensions = 4, Distance = DistanceMetric.Dot } },
            });
            collection.Upsert(Enumerable.Range(0, 300).Select(i => CrashWorkload.PointFor((ulong)i) with
            {
                NamedVectors = new Dictionary<string, float[]> { ["small"] = [i, 1, 0, 0] },
            }));
            collection.Delete([5UL]);
            var snapshot = database.CreateSnapshot("c");
            file = Path.Combine(_first.Path, "snapshots", "c", snapshot.Name);
        }

        using (var database = VectorDatabase.Open(_second.Path))
        {
            var old = database.CreateCollection("c", new CollectionOptions { Dimensions = 2 });
            old.Upsert([new Point(1, [1, 0])]);
            database.UpdateAliases([new CreateAlias("live", "c")]);
            var restored = database.RestoreSnapshot("c", file);
            Assert.Same(restored, database.GetCollection("live"));
            Assert.Throws<CollectionNotFoundException>(() => old.Count());
        }

        using (var database = VectorDatabase.Open(_second.Path))
        {
            var restored = database.GetCollection("live");
            Assert.Equal(299, restored.Count());
            Assert.Equal(MemoryTier.Cold, restored.Options.Memory);
            Assert.Null(restored.Get(5UL));
            var point = CrashWorkload.PointFor(42);
            Assert.Equal(point.Vector, restored.Get(42UL)!.Vector);
            Assert.Equal(42UL, restored.Search(point.Vector!, 1)[0].Id.Number);
            Assert.Equal(299UL, restored.Search([299, 1, 0, 0], 1, new SearchOptions { Using = "small" })[0].Id.Number);
        }
    }
}
