namespace VectorDb.Server.Tests;

/// <summary>What the server logs: never an API key, right or wrong, even at its most verbose level; no line per request unless asked.</summary>
public sealed class KeyLoggingTests
{
    private const string Key = "admin-key-3f9a1c";
    private const string ReadOnlyKey = "reader-key-77b2e0";
    private const string WrongKey = "wrong-key-c4d5e6";

    [Fact]
    public async Task Keys_never_appear_in_the_log()
    {
        await using var server = await ServerProcess.StartAsync(
            "--data-dir", ":memory:", "--api-key", Key, "--read-only-api-key", ReadOnlyKey, "--Logging:LogLevel:Default=Trace", "--Logging:LogLevel:Microsoft.AspNetCore=Trace");
        using var admin = server.CreateClient(Key);
        using var reader = server.CreateClient(ReadOnlyKey);
        using var wrong = server.CreateClient(WrongKey);
        using var bearer = server.CreateClient();
        bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Key);

        Assert.Equal(200, (await admin.SendAsync(HttpMethod.Put, "/collections/logs", new { vectors = new { size = 2, distance = "Dot" } })).Status);
        Assert.Equal(200, (await bearer.SendAsync(HttpMethod.Put, "/collections/logs/points?wait=true", new { points = new[] { new { id = 1, vector = new[] { 1f, 0 } } } })).Status);
        Assert.Equal(200, (await reader.SendAsync(HttpMethod.Post, "/collections/logs/points/search", new { vector = new[] { 1f, 0 }, limit = 1 })).Status);
        Assert.Equal(403, (await reader.SendAsync(HttpMethod.Delete, "/collections/logs")).Status);
        Assert.Equal(401, (await wrong.SendAsync(HttpMethod.Get, "/collections")).Status);
        Assert.Equal(400, (await admin.SendAsync(HttpMethod.Post, "/collections/logs/points/search", "{broken")).Status);

        await server.KillAsync();
        var log = string.Join('\n', server.Output);
        Assert.Contains("Request starting", log, StringComparison.Ordinal); // the log is verbose enough to have leaked
        foreach (string secret in new[] { Key, ReadOnlyKey, WrongKey })
        {
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Requests_are_logged_line_by_line_only_when_asked()
    {
        await using (var quiet = await ServerProcess.StartAsync("--data-dir", ":memory:"))
        {
            using var client = quiet.CreateClient();
            Assert.Equal(200, (await client.SendAsync(HttpMethod.Get, "/collections")).Status);
            await quiet.KillAsync();
            var log = string.Join('\n', quiet.Output);
            Assert.Contains("Now listening on", log, StringComparison.Ordinal);
            Assert.DoesNotContain("Request starting", log, StringComparison.Ordinal);
        }

        await using var verbose = await ServerProcess.StartAsync("--data-dir", ":memory:", "--Logging:LogLevel:Microsoft.AspNetCore=Information");
        using var asked = verbose.CreateClient();
        Assert.Equal(200, (await asked.SendAsync(HttpMethod.Get, "/collections")).Status);
        await verbose.KillAsync();
        Assert.Contains("Request starting", string.Join('\n', verbose.Output), StringComparison.Ordinal);
    }
}
