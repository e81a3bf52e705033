using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace VectorDb.Cli.Tests;

/// <summary>The <c>vectordb</c> command as users run it: a separate process, against a local directory and a server.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vectordb-cli-tests", Guid.NewGuid().ToString("N"));

    public CliTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Import_jsonl_into_a_local_database_then_query_it_with_a_filter()
    {
        string file = WriteJsonLines(200);
        string data = Path.Combine(_directory, "db");

        var import = await RunAsync("import", "--data-dir", data, "--file", file, "--collection", "docs", "--distance", "Euclid", "--batch", "64");
        Assert.True(import.ExitCode == 0, import.Output);
        Assert.Contains("imported 200 points", import.Output, StringComparison.Ordinal);

        var query = await RunAsync("query", "--data-dir", data, "--collection", "docs", "--vector", "10,0", "--limit", "3",
            "--filter", """{"must": [{"key": "even", "match": {"value": true}}]}""");
        Assert.True(query.ExitCode == 0, query.Output);
        int[] ids = [.. query.Output.Split('\n').Select(line => line.Split('│')).Where(cells => cells.Length > 2 && int.TryParse(cells[1], out _)).Select(cells => int.Parse(cells[1]))];
        Assert.Equal([10, 8, 12], ids.Take(3));
    }

    [Fact]
    public async Task A_snapshot_taken_locally_is_listed_and_restored_into_a_server()
    {
        string data = Path.Combine(_directory, "db");
        var import = await RunAsync("import", "--data-dir", data, "--file", WriteJsonLines(100), "--collection", "docs", "--distance", "Euclid");
        Assert.True(import.ExitCode == 0, import.Output);
        var create = await RunAsync("snapshot", "create", "--data-dir", data, "--collection", "docs");
        Assert.True(create.ExitCode == 0, create.Output);
        string name = create.Output.Split('\t')[0].Trim();
        Assert.StartsWith("docs-", name, StringComparison.Ordinal);
        var list = await RunAsync("snapshot", "list", "--data-dir", data, "--collection", "docs");
        Assert.Contains(name[..10], list.Output, StringComparison.Ordinal); // the table may wrap the rest

        int port = FreePort();
        using var server = Start("serve", "--urls", $"http://127.0.0.1:{port}", "--grpc-urls", "none", "--data-dir", Path.Combine(_directory, "server"));
        try
        {
            string url = $"http://127.0.0.1:{port}";
            await WaitUntilReadyAsync(url);
            var restore = await RunAsync("snapshot", "restore", "--url", url, "--collection", "copy", "--file", Path.Combine(data, "snapshots", "docs", name));
            Assert.True(restore.ExitCode == 0, restore.Output);
            var query = await RunAsync("query", "--url", url, "--collection", "copy", "--vector", "[3, 0]", "--limit", "1");
            Assert.True(query.ExitCode == 0, query.Output);
            Assert.Contains("│ 3 ", query.Output, StringComparison.Ordinal);

            var damaged = Path.Combine(_directory, "damaged.snapshot");
            await File.WriteAllBytesAsync(damaged, [1, 2, 3], TestContext.Current.CancellationToken);
            var refused = await RunAsync("snapshot", "restore", "--url", url, "--collection", "copy", "--file", damaged);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("snapshot", refused.Output, StringComparison.Ordinal);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_full_storage_snapshot_taken_locally_restores_into_another_data_directory()
    {
        string data = Path.Combine(_directory, "db");
        var import = await RunAsync("import", "--data-dir", data, "--file", WriteJsonLines(100), "--collection", "docs", "--distance", "Euclid");
        Assert.True(import.ExitCode == 0, import.Output);
        var create = await RunAsync("snapshot", "create", "--data-dir", data, "--full");
        Assert.True(create.ExitCode == 0, create.Output);
        string name = create.Output.Split('\t')[0].Trim();
        Assert.StartsWith("full-snapshot-", name, StringComparison.Ordinal);
        var list = await RunAsync("snapshot", "list", "--data-dir", data, "--full");
        Assert.Contains(name[..14], list.Output, StringComparison.Ordinal);
        var both = await RunAsync("snapshot", "create", "--data-dir", data, "--full", "--collection", "docs");
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("one of the two", both.Output, StringComparison.Ordinal);

        string other = Path.Combine(_directory, "other");
        string file = Path.Combine(data, "snapshots", name);
        var restore = await RunAsync("snapshot", "restore", "--data-dir", other, "--full", "--file", file);
        Assert.True(restore.ExitCode == 0, restore.Output);
        var query = await RunAsync("query", "--data-dir", other, "--collection", "docs", "--vector", "[3, 0]", "--limit", "1");
        Assert.True(query.ExitCode == 0, query.Output);
        Assert.Contains("│ 3 ", query.Output, StringComparison.Ordinal);
        var again = await RunAsync("snapshot", "restore", "--data-dir", other, "--full", "--file", file);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("Collection `docs` exists", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_and_query_over_rest_through_serve()
    {
        int port = FreePort();
        using var server = Start("serve", "--urls", $"http://127.0.0.1:{port}", "--grpc-urls", "none", "--data-dir", Path.Combine(_directory, "server"));
        try
        {
            string url = $"http://127.0.0.1:{port}";
            await WaitUntilReadyAsync(url);
            var import = await RunAsync("import", "--url", url, "--file", WriteJsonLines(50), "--collection", "remote", "--distance", "Euclid");
            Assert.True(import.ExitCode == 0, import.Output);

            var query = await RunAsync("query", "--url", url, "--collection", "remote", "--vector", "[3, 0]", "--limit", "1");
            Assert.True(query.ExitCode == 0, query.Output);
            Assert.Contains("│ 3 ", query.Output, StringComparison.Ordinal);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Bad_input_is_a_clear_error_and_a_nonzero_exit()
    {
        string file = Path.Combine(_directory, "bad.jsonl");
        await File.WriteAllTextAsync(file, "{\"id\": 1, \"vector\": [1, 2]}\n{\"id\": -3, \"vector\": [1, 2]}\n", TestContext.Current.CancellationToken);

        var import = await RunAsync("import", "--data-dir", Path.Combine(_directory, "db"), "--file", file, "--collection", "c");
        Assert.NotEqual(0, import.ExitCode);
        Assert.Contains("bad.jsonl:2", import.Output, StringComparison.Ordinal);

        var both = await RunAsync("query", "--collection", "c", "--vector", "1,2");
        Assert.NotEqual(0, both.ExitCode);
        Assert.Contains("exactly one of --data-dir", both.Output, StringComparison.Ordinal);
    }

    private string WriteJsonLines(int count)
    {
        string file = Path.Combine(_directory, $"points-{count}.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, count).Select(i =>
            "{\"id\": " + i + ", \"vector\": [" + i + ", 0], \"payload\": {\"even\": " + (i % 2 == 0 ? "true" : "false") + "}}"));
        return file;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        using var process = Start(arguments);
        string output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)
            + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, output);
    }

    private static Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "VectorDb.Cli.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NO_COLOR"] = "1";
        start.Environment["COLUMNS"] = "200";
        return Process.Start(start) ?? throw new InvalidOperationException("cannot start vectordb");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilReadyAsync(string url)
    {
        using var http = new HttpClient();
        for (int attempt = 0; attempt < 150; attempt++)
        {
            try
            {
                if ((await http.GetAsync(new Uri(url + "/readyz"), TestContext.Current.CancellationToken)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException($"the server at {url} did not start");
    }
}
