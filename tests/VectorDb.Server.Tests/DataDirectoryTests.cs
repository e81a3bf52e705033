using VectorDb.Tests;

namespace VectorDb.Server.Tests;

/// <summary>The README's first command writes the database where it is typed, as database servers do.</summary>
public sealed class DataDirectoryTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Dotnet_run_keeps_the_default_data_directory_under_the_directory_it_was_typed_in()
    {
        string projectData = Path.Combine(Repository.Root, "src", "VectorDb.Server", "data");
        bool projectDataExisted = Directory.Exists(projectData);
        await using (var server = await ServerProcess.StartWithDotnetRunAsync(_directory.Path))
        {
            using var client = server.CreateClient();
            var (status, _) = await client.SendAsync(HttpMethod.Put, "/collections/here", """{"vectors": {"size": 2, "distance": "Dot"}}""");
            Assert.Equal(200, status);
        }

        Assert.True(File.Exists(Path.Combine(_directory.Path, "data", "storage", "layout.json")), "the database is in ./data/storage");
        Assert.Equal(projectDataExisted, Directory.Exists(projectData));
    }
}
