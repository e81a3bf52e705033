using VectorDb.Query;
using VectorDb.Storage;

namespace VectorDb.Tests;

public sealed class AsyncApiTests : IDisposable
{
    private static readonly StorageOptions NoFinalCheckpoint = new() { CheckpointOnDispose = false };
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static Point Point(ulong id, float x, string color) => new(id, [x, 1, 0.5f], Payload.FromObject(new { color }));

    /// <summary>True when every record appended so far is committed to disk (the log's own commit at close would hide a write that did not wait).</summary>
    private static bool AllCommitted(VectorDatabase database) => database.Store!.Log.CommittedUntilAddress >= database.Store.Log.TailAddress;

    [Fact]
    public async Task Every_async_write_is_durable_when_its_task_completes()
    {
        await using (var database = await VectorDatabase.OpenAsync(_directory.Path, NoFinalCheckpoint))
        {
            var collection = await database.CreateCollectionAsync("things", new CollectionOptions { Dimensions = 3 });
            Assert.True(AllCommitted(database));
            Assert.Equal(3, await collection.UpsertAsync([Point(1, 1, "red"), Point(2, 2, "blue"), Point(3, 3, "red")]));
            Assert.True(AllCommitted(database));
            Assert.Equal(1, await collection.UpsertAsync(Point(4, 4, "green")));
            Assert.True(AllCommitted(database));
            Assert.True(await collection.CreatePayloadIndexAsync("color", PayloadSchemaType.Keyword));
            Assert.False(await collection.CreatePayloadIndexAsync("color", PayloadSchemaType.Keyword));
            Assert.Equal(2, await collection.SetPayloadAsync([1, 2, 99], Payload.FromObject(new { size = 5 })));
            Assert.Equal(1, await collection.OverwritePayloadAsync([3], Payload.FromObject(new { color = "black" })));
            Assert.Equal(1, await collection.DeletePayloadKeysAsync([1], ["size"]));
            Assert.Equal(1, await collection.ClearPayloadAsync([4]));
            Assert.Equal(1, await collection.DeleteAsync(new Filter(Must: [Conditions.Match("color", "blue")])));
            Assert.True(AllCommitted(database));
            Assert.Equal(0, await collection.DeleteAsync([77]));
            Assert.True(await collection.DeletePayloadIndexAsync("color"));
            Assert.True(AllCommitted(database));
            await database.CreateCollectionAsync("doomed", new CollectionOptions { Dimensions = 2 });
            Assert.True(await database.DeleteCollectionAsync("doomed"));
            Assert.False(await database.DeleteCollectionAsync("doomed"));
        } // no final checkpoint: everything below comes back from the log

        await using var reopened = await VectorDatabase.OpenAsync(_directory.Path);
        var things = reopened.GetCollection("things");
        Assert.Equal(["things"], reopened.ListCollections());
        Assert.Equal([1UL, 3UL, 4UL], things.Scroll(null, 10).Points.Select(p => p.Id.Number));
        Assert.Equal("{\"color\":\"red\"}", things.Get(1)!.Payload!.ToJson());
        Assert.Equal("{\"color\":\"black\"}", things.Get(3)!.Payload!.ToJson());
        Assert.Equal("{}", things.Get(4)!.Payload!.ToJson());
        Assert.Empty(things.PayloadIndexes);
        await reopened.CheckpointAsync();
    }

    [Fact]
    public async Task A_write_cancelled_before_it_is_applied_changes_nothing()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("things", new CollectionOptions { Dimensions = 3 });
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collection.UpsertAsync([Point(1, 1, "red")], cancellation: cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => database.CreateCollectionAsync("other", new CollectionOptions { Dimensions = 3 }, cancelled.Token));
        Assert.Equal(0, collection.Count());
        Assert.False(database.CollectionExists("other"));

        collection.Upsert(Point(1, 1, "red"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collection.DeleteAsync([1], cancellation: cancelled.Token));
        Assert.Equal(1, collection.Count());
    }

    [Fact]
    public async Task Concurrent_async_writers_share_commits_and_all_survive_a_crash()
    {
        const int writers = 64, perWriter = 20;
        await using (var database = await VectorDatabase.OpenAsync(_directory.Path, NoFinalCheckpoint))
        {
            var collection = await database.CreateCollectionAsync("things", new CollectionOptions { Dimensions = 3 });
            await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
            {
                await Task.Yield();
                for (int i = 0; i < perWriter; i++)
                {
                    ulong id = (ulong)(writer * perWriter + i + 1);
                    long tailBefore = database.Store!.Log.TailAddress;
                    await collection.UpsertAsync(Point(id, id, "c"));
                    Assert.True(database.Store.Log.CommittedUntilAddress > tailBefore); // its record, which ends past the old tail, is on disk
                }
            }));
            Assert.Equal(writers * perWriter, collection.Count());
        }

        await using var reopened = await VectorDatabase.OpenAsync(_directory.Path);
        Assert.Equal(writers * perWriter, reopened.GetCollection("things").Count());
    }

    [Fact]
    public async Task A_directory_opens_once()
    {
        await using var database = await VectorDatabase.OpenAsync(_directory.Path);
        var e = await Assert.ThrowsAsync<StorageException>(() => VectorDatabase.OpenAsync(_directory.Path));
        Assert.Contains("another process", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidRequestException>(() => VectorDatabase.OpenAsync(_directory.Path + "-other", new StorageOptions { CommitInterval = TimeSpan.Zero }));
    }

    [Fact]
    public async Task A_collection_of_a_closed_database_says_so()
    {
        var database = await VectorDatabase.OpenAsync(_directory.Path);
        var collection = await database.CreateCollectionAsync("things", new CollectionOptions { Dimensions = 3 });
        await database.DisposeAsync();
        await database.DisposeAsync(); // twice is harmless

        var e = await Assert.ThrowsAsync<ObjectDisposedException>(() => collection.UpsertAsync([Point(1, 1, "red")]));
        Assert.Contains("open the database again", e.Message, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => collection.Search([1, 1, 1], 3));
        Assert.Throws<ObjectDisposedException>(() => database.GetCollection("things"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => database.CheckpointAsync());
    }
}
