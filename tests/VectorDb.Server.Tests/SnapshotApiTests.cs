using System.Formats.Tar;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using VectorDb.Tests;

namespace VectorDb.Server.Tests;

/// <summary>Qdrant's collection snapshot API: take, list, download, delete, recover from a file or an upload.</summary>
public sealed class SnapshotApiTests : IDisposable
{
    private const int Points = 300;
    private readonly TempDirectory _first = new();
    private readonly TempDirectory _second = new();
    private readonly ServerFactory _server;
    private readonly HttpClient _client;

    public SnapshotApiTests()
    {
        _server = new ServerFactory { Settings = new Dictionary<string, string> { ["DataDir"] = _first.Path } };
        _client = _server.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        _first.Dispose();
        _second.Dispose();
    }

    private static string Error(JsonElement body) => body.GetProperty("status").GetProperty("error").GetString()!;

    [Fact]
    public async Task A_snapshot_is_taken_listed_downloaded_restored_and_deleted()
    {
        await FillAsync(_client, "books", Points);
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/books/snapshots");
        Assert.True(status == 200, body.ToString());
        var snapshot = body.GetProperty("result");
        string name = snapshot.GetProperty("name").GetString()!;
        string checksum = snapshot.GetProperty("checksum").GetString()!;
        Assert.StartsWith("books-", name, StringComparison.Ordinal);
        Assert.Equal(64, checksum.Length);

        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/books/snapshots");
        Assert.Equal(name, Assert.Single(body.GetProperty("result").EnumerateArray()).GetProperty("name").GetString());

        byte[] file = await _client.GetByteArrayAsync($"/collections/books/snapshots/{name}", TestContext.Current.CancellationToken);
        Assert.Equal(snapshot.GetProperty("size").GetInt64(), file.Length);
        Assert.Equal(checksum, Convert.ToHexStringLower(SHA256.HashData(file)));

        // Writes after the snapshot are gone once it is restored; what it held is back, with its payload index.
        await _client.SendAsync(HttpMethod.Put, "/collections/books/points?wait=true", """{"points": [{"id": 100000, "vector": [1, 1, 1, 1], "payload": {"shelf": "s1"}}]}""");
        await _client.SendAsync(HttpMethod.Post, "/collections/books/points/delete?wait=true", """{"points": [0, 1, 2]}""");
        string location = new Uri(Path.Combine(_first.Path, "snapshots", "books", name)).AbsoluteUri;
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/books/snapshots/recover", $$"""{"location": "{{location}}", "priority": "snapshot", "checksum": "{{checksum}}"}""");
        Assert.True(status == 200, body.ToString());
        await AssertHoldsAsync(_client, "books", Points);

        (status, _) = await _client.SendAsync(HttpMethod.Delete, $"/collections/books/snapshots/{name}");
        Assert.Equal(200, status);
        (status, _) = await _client.SendAsync(HttpMethod.Get, $"/collections/books/snapshots/{name}");
        Assert.Equal(404, status);
        (status, _) = await _client.SendAsync(HttpMethod.Delete, $"/collections/books/snapshots/{name}");
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task An_uploaded_snapshot_restores_into_another_server_without_a_rebuild_and_survives_its_restart()
    {
        await FillAsync(_client, "books", Points);
        var (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/books/snapshots");
        string name = body.GetProperty("result").GetProperty("name").GetString()!;
        byte[] file = await _client.GetByteArrayAsync($"/collections/books/snapshots/{name}", TestContext.Current.CancellationToken);

        await using (var other = await ServerProcess.StartAsync("--data-dir", _second.Path))
        {
            using var client = other.CreateClient();
            var (status, answer) = await UploadAsync(client, "copy", file, $"?priority=no_sync&checksum={Convert.ToHexStringLower(SHA256.HashData(file))}");
            Assert.True(status == 200, answer.ToString());
            await AssertHoldsAsync(client, "copy", Points);
            Assert.DoesNotContain(other.Output, line => line.Contains("rebuild", StringComparison.OrdinalIgnoreCase));
        }

        await using (var reopened = await ServerProcess.StartAsync("--data-dir", _second.Path))
        {
            using var client = reopened.CreateClient();
            await AssertHoldsAsync(client, "copy", Points);
            Assert.DoesNotContain(reopened.Output, line => line.Contains("rebuild", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task Damaged_foreign_and_mismatched_files_are_refused_before_anything_is_replaced()
    {
        await FillAsync(_client, "books", Points);
        var (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/books/snapshots");
        string name = body.GetProperty("result").GetProperty("name").GetString()!;
        byte[] file = await _client.GetByteArrayAsync($"/collections/books/snapshots/{name}", TestContext.Current.CancellationToken);
        await _client.SendAsync(HttpMethod.Put, "/collections/books/points?wait=true", """{"points": [{"id": 100000, "vector": [1, 1, 1, 1]}]}""");

        byte[] damaged = [.. file];
        damaged[damaged.Length / 2] ^= 0x55;
        var (status, answer) = await UploadAsync(_client, "books", damaged, "");
        Assert.Equal(400, status);
        Assert.Contains("damaged", Error(answer), StringComparison.Ordinal);

        (status, answer) = await UploadAsync(_client, "books", file, "?checksum=" + new string('0', 64));
        Assert.Equal(400, status);
        Assert.Contains("SHA-256", Error(answer), StringComparison.Ordinal);

        (status, answer) = await UploadAsync(_client, "books", QdrantLikeSnapshot(), "");
        Assert.Equal(400, status);
        Assert.Contains("Qdrant snapshot", Error(answer), StringComparison.Ordinal);

        (status, answer) = await UploadAsync(_client, "books", [.. Enumerable.Range(0, 5000).Select(i => (byte)i)], "");
        Assert.Equal(400, status);
        Assert.Contains("snapshot", Error(answer), StringComparison.Ordinal);

        (status, answer) = await UploadAsync(_client, "books", file[..(file.Length * 2 / 3)], "");
        Assert.Equal(400, status);

        (_, answer) = await _client.SendAsync(HttpMethod.Post, "/collections/books/points/count", "{}");
        Assert.Equal(Points + 1, answer.GetProperty("result").GetProperty("count").GetInt32()); // untouched
    }

    [Fact]
    public async Task Recover_refuses_what_it_does_not_do_by_name()
    {
        await FillAsync(_client, "books", 10);
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/books/snapshots/recover", """{"location": "https://example.com/books.snapshot"}""");
        Assert.Equal(400, status);
        Assert.Contains("http(s)", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/books/snapshots/recover", $$"""{"location": "file:///nowhere/x.snapshot", "api_key": "k"}""");
        Assert.Equal(400, status);
        Assert.Contains("api_key", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/books/snapshots/recover", """{"location": "file:///nowhere/x.snapshot", "priority": "first"}""");
        Assert.Equal(400, status);
        Assert.Contains("priority", Error(body), StringComparison.Ordinal);
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/books/snapshots/recover", """{"location": "file:///nowhere/x.snapshot"}""");
        Assert.Equal(404, status);
        (status, _) = await _client.SendAsync(HttpMethod.Get, "/collections/books/snapshots/..%2F..%2Fsecret.snapshot");
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task A_full_storage_snapshot_is_taken_downloaded_and_restored_when_another_server_starts()
    {
        await FillAsync(_client, "books", Points);
        await FillAsync(_client, "notes", 30);
        await _client.SendAsync(HttpMethod.Post, "/collections/aliases", """{"actions": [{"create_alias": {"collection_name": "books", "alias_name": "library"}}]}""");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/snapshots");
        Assert.True(status == 200, body.ToString());
        string name = body.GetProperty("result").GetProperty("name").GetString()!;
        string checksum = body.GetProperty("result").GetProperty("checksum").GetString()!;
        Assert.StartsWith("full-snapshot-", name, StringComparison.Ordinal);
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/snapshots");
        Assert.Equal(name, Assert.Single(body.GetProperty("result").EnumerateArray()).GetProperty("name").GetString());
        byte[] file = await _client.GetByteArrayAsync($"/snapshots/{name}", TestContext.Current.CancellationToken);
        Assert.Equal(checksum, Convert.ToHexStringLower(SHA256.HashData(file)));
        string path = Path.Combine(_second.Path, "full.snapshot");
        await File.WriteAllBytesAsync(path, file, TestContext.Current.CancellationToken);

        // Into a new data directory, as the server starts (Qdrant's --storage-snapshot).
        string data = Path.Combine(_second.Path, "data");
        await using (var server = await ServerProcess.StartAsync("--data-dir", data, "--storage-snapshot", path))
        {
            using var client = server.CreateClient();
            await AssertHoldsAsync(client, "library", Points);
            await AssertHoldsAsync(client, "notes", 30);
            Assert.Contains(server.Output, line => line.Contains("Restored the full-storage snapshot", StringComparison.Ordinal));
        }

        // Again: its collections exist now, which stops the server unless it is told to replace them.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync("--data-dir", data, "--storage-snapshot", path));
        Assert.Contains("Collection `books` exists", refused.Message, StringComparison.Ordinal);
        await using (var server = await ServerProcess.StartAsync("--data-dir", data))
        {
            (status, _) = await server.CreateClient().SendAsync(HttpMethod.Post, "/collections/books/points/delete?wait=true", """{"points": [0, 1, 2]}""");
            Assert.Equal(200, status);
        }

        await using (var server = await ServerProcess.StartAsync("--data-dir", data, "--storage-snapshot", path, "--force-snapshot"))
        {
            await AssertHoldsAsync(server.CreateClient(), "library", Points);
        }

        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Delete, $"/snapshots/{name}")).Status);
        Assert.Equal(404, (await _client.SendAsync(HttpMethod.Get, $"/snapshots/{name}")).Status);
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/snapshots");
        Assert.Equal(0, body.GetProperty("result").GetArrayLength());
    }

    [Fact]
    public async Task A_snapshot_taken_in_the_background_appears_in_the_list()
    {
        await FillAsync(_client, "books", 50);
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/books/snapshots?wait=false");
        Assert.Equal(202, status);
        Assert.Equal("accepted", body.GetProperty("status").GetString());
        for (int i = 0; i < 100; i++)
        {
            (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/books/snapshots");
            if (body.GetProperty("result").GetArrayLength() == 1)
            {
                return;
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Fail("the snapshot never appeared");
    }

    private static async Task FillAsync(HttpClient client, string collection, int count)
    {
        var (status, body) = await client.SendAsync(HttpMethod.Put, $"/collections/{collection}", """{"vectors": {"size": 4, "distance": "Euclid"}}""");
        Assert.True(status == 200, body.ToString());
        await client.SendAsync(HttpMethod.Put, $"/collections/{collection}/index?wait=true", """{"field_name": "shelf", "field_schema": "keyword"}""");
        var points = Enumerable.Range(0, count).Select(i => new { id = i, vector = Vector(i), payload = new { shelf = $"s{i % 3}", n = i } });
        (status, body) = await client.SendAsync(HttpMethod.Put, $"/collections/{collection}/points?wait=true", new { points });
        Assert.True(status == 200, body.ToString());
    }

    private static async Task AssertHoldsAsync(HttpClient client, string collection, int count)
    {
        var (_, body) = await client.SendAsync(HttpMethod.Post, $"/collections/{collection}/points/count", "{}");
        Assert.Equal(count, body.GetProperty("result").GetProperty("count").GetInt32());
        (_, body) = await client.SendAsync(HttpMethod.Post, $"/collections/{collection}/points/count", """{"filter": {"must": [{"key": "shelf", "match": {"value": "s1"}}]}}""");
        Assert.Equal(Enumerable.Range(0, count).Count(i => i % 3 == 1), body.GetProperty("result").GetProperty("count").GetInt32());
        (_, body) = await client.SendAsync(HttpMethod.Post, $"/collections/{collection}/points/query", new { query = Vector(7), limit = 1, with_payload = true });
        var hit = body.GetProperty("result").GetProperty("points")[0];
        Assert.Equal(7, hit.GetProperty("id").GetInt32());
        Assert.Equal(7, hit.GetProperty("payload").GetProperty("n").GetInt32());
    }

    private static float[] Vector(int i) => [i % 17, i / 17, (i * 7) % 13, 1];

    private static async Task<(int Status, JsonElement Body)> UploadAsync(HttpClient client, string collection, byte[] file, string query)
    {
        using var content = new MultipartFormDataContent();
        var part = new ByteArrayContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Add(part, "snapshot", "upload.snapshot");
        using var response = await client.PostAsync($"/collections/{collection}/snapshots/upload{query}", content, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>A tar shaped like Qdrant's collection snapshots: a config, then shards.</summary>
    private static byte[] QdrantLikeSnapshot()
    {
        using var stream = new MemoryStream();
        using (var tar = new TarWriter(stream, leaveOpen: true))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "config.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "0/segments/x") { DataStream = new MemoryStream([1, 2, 3]) });
        }

        return stream.ToArray();
    }
}
