using System.Globalization;
using System.Text;
using System.Text.Json;
using VectorDb.Tests;

namespace VectorDb.Server.Tests;

/// <summary>
/// Requests at the server's limits (10,000 points of 784 dimensions in one upsert; one point with a payload just under
/// the 32 MiB body limit) are stored, survive kill -9, and a kill in the middle of such a batch leaves all of it or none.
/// </summary>
public sealed class LargeRequestTests : IDisposable
{
    private const int Dimensions = 784;
    private const int BatchPoints = 10_000;
    private const int BodyLimit = 32 << 20;

    private readonly TempDirectory _directory = new();
    private readonly ITestOutputHelper _output;

    public LargeRequestTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Requests_at_the_limits_are_stored_and_survive_kill_9()
    {
        var blobPoint = BlobPointBody(out int blobLength);
        await using (var server = await ServerProcess.StartAsync("--data-dir", _directory.Path))
        {
            using var http = server.CreateClient();
            await CreateAsync(http);
            Assert.Equal(200, await UpsertAsync(http, BatchBody(batch: 0)));
            Assert.Equal(200, await UpsertAsync(http, blobPoint));
            await server.KillAsync();
        }

        await using (var server = await ServerProcess.StartAsync("--data-dir", _directory.Path))
        {
            using var http = server.CreateClient();
            Assert.Equal(BatchPoints + 1, await CountAsync(http, filter: null));
            foreach (int i in new[] { 0, 4_321, BatchPoints - 1 })
            {
                var record = await RetrieveAsync(http, i);
                Assert.Equal(VectorOf(i), record.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()));
            }

            var blob = await RetrieveAsync(http, BlobId);
            Assert.Equal(blobLength, blob.GetProperty("payload").GetProperty("blob").GetString()!.Length);
        }
    }

    [Fact]
    public async Task A_kill_9_during_a_batch_at_the_limits_leaves_all_of_it_or_none()
    {
        var random = new Random(20261206);
        var outcomes = new List<int>();
        const int cycles = 3;
        for (int cycle = 0; cycle <= cycles; cycle++)
        {
            await using var server = await ServerProcess.StartAsync("--data-dir", _directory.Path, "--checkpoint-interval-seconds", "1");
            using var http = server.CreateClient();
            if (cycle == 0)
            {
                await CreateAsync(http);
            }
            else
            {
                int count = await CountAsync(http, batch: cycle - 1);
                Assert.True(count is 0 or BatchPoints, $"batch {cycle - 1} was cut by the kill: {count} of its {BatchPoints} points are there\n{server.Tail()}");
                outcomes.Add(count);
            }

            if (cycle == cycles)
            {
                break;
            }

            // The body takes a moment to send and parse, the batch some seconds to log and link: a kill anywhere in them.
            var upsert = UpsertAsync(http, BatchBody(cycle));
            await Task.Delay(random.Next(300, 6_000), TestContext.Current.CancellationToken);
            await server.KillAsync();
            await Task.WhenAny(upsert);
        }

        _output.WriteLine($"points of each killed batch after the restart: {string.Join(", ", outcomes)}");
    }

    private const int BlobId = 1_000_000;

    private static async Task CreateAsync(HttpClient http)
    {
        using var response = await http.PutAsync(new Uri("/collections/big", UriKind.Relative), Json($$$"""{"vectors": {"size": {{{Dimensions}}}, "distance": "Euclid"}, "hnsw_config": {"m": 4, "ef_construct": 8}}"""), TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        using var index = await http.PutAsync(new Uri("/collections/big/index?wait=true", UriKind.Relative), Json("""{"field_name": "batch", "field_schema": "integer"}"""), TestContext.Current.CancellationToken);
        Assert.True(index.IsSuccessStatusCode);
    }

    private static async Task<int> UpsertAsync(HttpClient http, byte[] body)
    {
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await http.PutAsync(new Uri("/collections/big/points?wait=true", UriKind.Relative), content, TestContext.Current.CancellationToken);
            return (int)response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0; // killed meanwhile
        }
    }

    private static async Task<int> CountAsync(HttpClient http, int? batch = null, string? filter = null)
    {
        filter ??= batch is null ? "{}" : $$$"""{"filter": {"must": [{"key": "batch", "match": {"value": {{{batch}}}}}]}}""";
        using var response = await http.PostAsync(new Uri("/collections/big/points/count", UriKind.Relative), Json(filter), TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return document.RootElement.GetProperty("result").GetProperty("count").GetInt32();
    }

    private static async Task<JsonElement> RetrieveAsync(HttpClient http, int id)
    {
        using var response = await http.GetAsync(new Uri($"/collections/big/points/{id}", UriKind.Relative), TestContext.Current.CancellationToken);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return document.RootElement.GetProperty("result").Clone();
    }

    /// <summary>10,000 points of 784 one-digit components (16 MB of JSON, 31 MB of floats), ids batch·10,000 + i.</summary>
    private static byte[] BatchBody(int batch)
    {
        var text = new StringBuilder("""{"points": [""");
        for (int i = 0; i < BatchPoints; i++)
        {
            int id = (batch * BatchPoints) + i;
            text.Append(i == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $$"""{"id": {{id}}, "vector": [""");
            text.AppendJoin(',', VectorOf(id).Select(v => ((int)v).ToString(CultureInfo.InvariantCulture)));
            text.Append(CultureInfo.InvariantCulture, $$$"""], "payload": {"batch": {{{batch}}}}}""");
        }

        return Encoding.UTF8.GetBytes(text.Append("]}").ToString());
    }

    /// <summary>One point whose payload fills the body up to 1 KiB under the limit.</summary>
    private static byte[] BlobPointBody(out int blobLength)
    {
        string head = $$"""{"points": [{"id": {{BlobId}}, "vector": [{{string.Join(',', Enumerable.Repeat("1", Dimensions))}}], "payload": {"blob": """ + "\"";
        const string tail = "\"}}]}";
        blobLength = BodyLimit - 1024 - head.Length - tail.Length;
        return Encoding.UTF8.GetBytes(head + new string('b', blobLength) + tail);
    }

    private static float[] VectorOf(int id)
    {
        var random = new Random(id);
        return [.. Enumerable.Range(0, Dimensions).Select(_ => (float)random.Next(10))];
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");
}
