using VectorDb.Query;
using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>Upsert modes and update filters (Qdrant's <c>update_mode</c> and <c>update_filter</c>).</summary>
public sealed class UpsertConditionTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Insert_only_keeps_existing_points_and_inserts_new_ones()
    {
        using var database = VectorDatabase.InMemory();
        var points = Versioned(database);

        int written = points.Upsert([Point(1, version: 9), Point(5, version: 1)], new UpsertOptions { Mode = UpsertMode.InsertOnly });

        Assert.Equal(1, written);
        Assert.Equal(1, Version(points, 1));
        Assert.Equal(1, Version(points, 5));
        Assert.Equal(5, points.Count());
    }

    [Fact]
    public void Update_only_replaces_existing_points_and_inserts_nothing()
    {
        using var database = VectorDatabase.InMemory();
        var points = Versioned(database);

        int written = points.Upsert([Point(1, version: 9), Point(5, version: 1)], new UpsertOptions { Mode = UpsertMode.UpdateOnly });

        Assert.Equal(1, written);
        Assert.Equal(9, Version(points, 1));
        Assert.Null(points.Get(5UL));
        Assert.Equal(4, points.Count());
    }

    [Fact]
    public void An_update_filter_protects_existing_points_that_do_not_match_and_new_points_are_inserted()
    {
        using var database = VectorDatabase.InMemory();
        var points = Versioned(database);
        var olderThanTwo = new Filter(Must: [new RangeCondition("version", Lt: 2)]);

        // Points 1 and 2 hold version 1, points 3 and 4 version 2: a write of version 3 may replace only the older ones.
        int written = points.Upsert([Point(1, version: 3), Point(3, version: 3), Point(6, version: 3)], new UpsertOptions { UpdateFilter = olderThanTwo });

        Assert.Equal(2, written);
        Assert.Equal(3, Version(points, 1));
        Assert.Equal(2, Version(points, 3));
        Assert.Equal(3, Version(points, 6));
    }

    [Fact]
    public void Update_only_with_a_filter_replaces_only_matching_existing_points()
    {
        using var database = VectorDatabase.InMemory();
        var points = Versioned(database);
        var versionTwo = new Filter(Must: [new RangeCondition("version", Gte: 2)]);

        int written = points.Upsert([Point(1, version: 7), Point(4, version: 7), Point(8, version: 7)], new UpsertOptions { Mode = UpsertMode.UpdateOnly, UpdateFilter = versionTwo });

        Assert.Equal(1, written);
        Assert.Equal(1, Version(points, 1));
        Assert.Equal(7, Version(points, 4));
        Assert.Null(points.Get(8UL));
    }

    [Fact]
    public void A_conditional_upsert_replays_to_the_same_state()
    {
        var noFinalCheckpoint = new StorageOptions { CheckpointOnDispose = false };
        using (var database = VectorDatabase.Open(_directory.Path, noFinalCheckpoint))
        {
            var points = Versioned(database);
            points.Upsert([Point(1, version: 5), Point(3, version: 5)], new UpsertOptions { UpdateFilter = new Filter(Must: [new RangeCondition("version", Lt: 2)]) });
            points.Upsert([Point(2, version: 6), Point(7, version: 6)], new UpsertOptions { Mode = UpsertMode.UpdateOnly });
            points.Upsert([Point(4, version: 8), Point(9, version: 8)], new UpsertOptions { Mode = UpsertMode.InsertOnly });
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var points = database.GetCollection("v");
            Assert.Equal([5, 6, 2, 2, 8], [.. new ulong[] { 1, 2, 3, 4, 9 }.Select(id => Version(points, id))]);
            Assert.Null(points.Get(7UL));
            Assert.Equal(5, points.Count());
        }
    }

    [Fact]
    public void An_invalid_point_refuses_the_whole_batch_even_when_the_condition_would_skip_it()
    {
        using var database = VectorDatabase.InMemory();
        var points = Versioned(database);

        Assert.Throws<DimensionMismatchException>(() => points.Upsert([Point(6, version: 1), new Point(1, [1f])], new UpsertOptions { Mode = UpsertMode.InsertOnly }));
        Assert.Equal(4, points.Count());
    }

    /// <summary>Points 1–4 with versions 1, 1, 2, 2.</summary>
    private static Collection Versioned(VectorDatabase database)
    {
        var points = database.CreateCollection("v", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
        points.Upsert([Point(1, 1), Point(2, 1), Point(3, 2), Point(4, 2)]);
        return points;
    }

    private static Point Point(ulong id, int version) => new(id, [id, version], Payload.FromObject(new { version }));

    private static int Version(Collection points, ulong id) => points.Get(id)!.Payload!.Root.GetProperty("version").GetInt32();
}
