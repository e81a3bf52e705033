using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>Aliases: second names usable wherever a collection's name is, switched all at once, kept through restarts.</summary>
public sealed class AliasTests : IDisposable
{
    private static readonly StorageOptions NoFinalCheckpoint = new() { CheckpointOnDispose = false };
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CollectionOptions Options => new() { Dimensions = 2 };

    [Fact]
    public void An_alias_names_its_collection_and_switches_atomically()
    {
        using var database = VectorDatabase.InMemory();
        var blue = database.CreateCollection("blue", Options);
        var green = database.CreateCollection("green", Options);
        database.UpdateAliases([new CreateAlias("live", "blue")]);
        Assert.Same(blue, database.GetCollection("live"));

        database.UpdateAliases([new DeleteAlias("live"), new CreateAlias("live", "green"), new CreateAlias("old", "blue")]);
        Assert.Same(green, database.GetCollection("live"));
        Assert.Equal([new CollectionAlias("live", "green"), new CollectionAlias("old", "blue")], database.ListAliases());
        Assert.Equal([new CollectionAlias("old", "blue")], database.ListAliases("blue"));

        database.UpdateAliases([new RenameAlias("old", "previous")]);
        Assert.Same(blue, database.GetCollection("previous"));
        Assert.False(database.CollectionExists("old"));

        database.DeleteCollection("blue");
        Assert.Equal([new CollectionAlias("live", "green")], database.ListAliases());
    }

    [Fact]
    public void A_refused_action_changes_no_alias()
    {
        using var database = VectorDatabase.InMemory();
        database.CreateCollection("a", Options);
        database.UpdateAliases([new CreateAlias("x", "a")]);

        Assert.Throws<CollectionNotFoundException>(() => database.UpdateAliases([new DeleteAlias("x"), new CreateAlias("y", "missing")]));
        Assert.Throws<CollectionNotFoundException>(() => database.UpdateAliases([new CreateAlias("z", "x")])); // aliases name collections only
        Assert.Contains("name of a collection", Assert.Throws<InvalidRequestException>(() => database.UpdateAliases([new CreateAlias("a", "a")])).Message, StringComparison.Ordinal);
        Assert.Throws<NotFoundException>(() => database.UpdateAliases([new RenameAlias("nope", "other")]));
        Assert.Throws<InvalidRequestException>(() => database.UpdateAliases([new CreateAlias("../up", "a")]));
        Assert.Equal([new CollectionAlias("x", "a")], database.ListAliases());

        Assert.Throws<InvalidRequestException>(() => database.CreateCollection("x", Options));
        database.UpdateAliases([new DeleteAlias("not-there")]);
    }

    [Fact]
    public void Aliases_survive_replay_and_checkpoints()
    {
        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            database.CreateCollection("a", Options);
            database.CreateCollection("b", Options);
            database.UpdateAliases([new CreateAlias("one", "a"), new CreateAlias("two", "b")]);
            database.UpdateAliases([new RenameAlias("two", "second")]);
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            Assert.Equal([new CollectionAlias("one", "a"), new CollectionAlias("second", "b")], database.ListAliases());
            database.UpdateAliases([new DeleteAlias("one")]);
        }

        using (var database = VectorDatabase.Open(_directory.Path, NoFinalCheckpoint))
        {
            Assert.Equal([new CollectionAlias("second", "b")], database.ListAliases());
            database.DeleteCollection("b");
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            Assert.Empty(database.ListAliases());
        }
    }
}
