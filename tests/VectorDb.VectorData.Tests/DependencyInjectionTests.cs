using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.VectorData;
using VectorDb.Tests;

namespace VectorDb.VectorData.Tests;

public sealed class DependencyInjectionTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task The_store_and_collections_resolve_and_the_container_closes_the_database()
    {
        var services = new ServiceCollection()
            .AddSingleton<IEmbeddingGenerator>(new LetterEmbeddings())
            .AddVectorDbVectorStore(_directory.Path)
            .AddVectorDbCollection<ulong, Snippet>("snippets");
        await using (var provider = services.BuildServiceProvider())
        {
            var store = provider.GetRequiredService<VectorStore>();
            Assert.IsType<VectorDbVectorStore>(store);
            var snippets = provider.GetRequiredService<VectorStoreCollection<ulong, Snippet>>();
            await snippets.EnsureCollectionExistsAsync();
            await snippets.UpsertAsync(new Snippet { Id = 5, Text = "dependency injection" });
            Assert.Equal(["snippets"], await store.ListCollectionNamesAsync().ToListAsync());
        }

        Assert.Throws<InvalidOperationException>(() => services.AddVectorDbVectorStore(_directory.Path + "-other"));
        Assert.Throws<InvalidOperationException>(() => services.AddVectorDbCollection<ulong, Snippet>("other-snippets"));

        // disposed by the container: the directory can be opened again, and holds the write
        await using var database = await VectorDatabase.OpenAsync(_directory.Path);
        Assert.Equal(1, database.GetCollection("snippets").Count());
    }
}
