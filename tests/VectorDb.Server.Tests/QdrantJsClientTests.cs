using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

using VectorDb.Tests;

namespace VectorDb.Server.Tests;

/// <summary>
/// Runs the compatibility suite in <c>tests/compat</c> — the official <c>@qdrant/js-client-rest</c> 1.19.0
/// under <c>node --test</c> — against a real server process on a fresh data directory. Needs
/// <c>npm ci</c> in <c>tests/compat</c> (done by <c>.ci/run</c>); skipped without it outside CI.
/// </summary>
public sealed class QdrantJsClientTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "vectordb-compat", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task The_official_qdrant_js_client_works_unchanged()
    {
        string compat = Path.Combine(Repository.Root, "tests", "compat");
        if (!Directory.Exists(Path.Combine(compat, "node_modules", "@qdrant")))
        {
            Assert.False(Environment.GetEnvironmentVariable("CI") == "true", $"Run `npm ci` in {compat} first (.ci/run does).");
            Assert.Skip($"Run `npm ci` in {compat} to enable the Qdrant JS client suite.");
        }

        string url = $"http://127.0.0.1:{FreePort()}";
        string grpcUrl = $"http://127.0.0.1:{FreePort()}";
        using var server = Start(
            "dotnet", AppContext.BaseDirectory, environment: null, captureOutput: false, Path.Combine(AppContext.BaseDirectory, "VectorDb.Server.dll"),
            "--urls", url, "--grpc-urls", grpcUrl, "--data-dir", _dataDirectory, "--Logging:LogLevel:Default", "Warning");
        try
        {
            await WaitUntilReadyAsync(url, server);
            using var node = Start("node", compat, new() { ["VECTORDB_URL"] = url, ["VECTORDB_GRPC_URL"] = grpcUrl }, captureOutput: true, "--test");
            string output = await node.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            await node.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.True(node.ExitCode == 0, $"The Qdrant JS client suite failed:\n{output}");
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }

    private static Process Start(string program, string workingDirectory, Dictionary<string, string?>? environment, bool captureOutput, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = captureOutput,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {program}.");
    }

    private static async Task WaitUntilReadyAsync(string url, Process server)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !server.HasExited)
        {
            try
            {
                using var response = await http.GetAsync(new Uri($"{url}/readyz"), TestContext.Current.CancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"The server at {url} did not become ready.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
