using System.Collections.Concurrent;
using System.Text.Json;
using VectorDb.Tests;

namespace VectorDb.Server.Tests;

/// <summary>
/// Eight clients mix writes and reads on a real server process for a bounded time. Writes replace, delete or
/// re-tag whole groups of 16 points in one request; every read of a group (retrieve, count, scroll, filtered
/// search) must see all of it or none, from one write (never half a batch). No request may fail or hang, and
/// search recall afterwards matches recall before. <c>VECTORDB_LOAD_SECONDS</c> sets the duration (default 8).
/// </summary>
public sealed class ConcurrentLoadTests : IDisposable
{
    private const string Collection = "load";
    private const int Dimensions = 16;
    private const int Clients = 8;
    private const int GroupsPerClient = 8;
    private const int GroupSize = 16;

    private static readonly float[][] RecallQueries = [.. Enumerable.Range(0, 30).Select(q => Workload.VectorOf((ulong)(777_000 + q), -1, Dimensions))];

    private readonly TempDirectory _directory = new();
    private readonly ITestOutputHelper _output;

    public ConcurrentLoadTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Eight_clients_never_see_half_a_batch_and_nothing_fails()
    {
        double seconds = double.TryParse(Environment.GetEnvironmentVariable("VECTORDB_LOAD_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out double s) ? s : 8;
        await using var server = await ServerProcess.StartAsync("--data-dir", _directory.Path);
        using var http = server.CreateClient();
        await Workload.Expect(http, HttpMethod.Put, $"/collections/{Collection}", new { vectors = new { size = Dimensions, distance = "Euclid" } });
        await Workload.Expect(http, HttpMethod.Put, $"/collections/{Collection}/index?wait=true", new { field_name = "g", field_schema = "integer" });
        var background = Enumerable.Range(0, 3000).Select(i => new { id = i, vector = Workload.VectorOf((ulong)i, 0, Dimensions), payload = new { g = -1 } }).ToList();
        foreach (var chunk in background.Chunk(500))
        {
            await Workload.Expect(http, HttpMethod.Put, $"/collections/{Collection}/points?wait=true", new { points = chunk });
        }

        double recallBefore = await Workload.RecallAsync(http, Collection, RecallQueries);
        var operations = new ConcurrentDictionary<string, int>();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var clients = Enumerable.Range(0, Clients).Select(client => Task.Run(() => RunClientAsync(server.Address, client, operations, deadline.Token))).ToArray();
        var all = Task.WhenAll(clients);
        var finished = await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(seconds + 90), TestContext.Current.CancellationToken));
        Assert.True(finished == all, $"clients still running 90 s after the deadline: a deadlock?\n{server.Tail()}");
        await all; // rethrows the first client's failure

        double recallAfter = await Workload.RecallAsync(http, Collection, RecallQueries);
        _output.WriteLine($"{operations.Values.Sum()} requests in {seconds} s by {Clients} clients ({string.Join(", ", operations.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}); " +
            $"recall@10 before {recallBefore:F3}, after {recallAfter:F3}");
        Assert.True(server.IsRunning);
        Assert.True(recallAfter >= Math.Min(0.95, recallBefore - 0.02), $"recall fell from {recallBefore:F3} to {recallAfter:F3}");
    }

    private static async Task RunClientAsync(Uri address, int client, ConcurrentDictionary<string, int> operations, CancellationToken deadline)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        var random = new Random(client);
        int generation = 0;
        while (!deadline.IsCancellationRequested)
        {
            int kind = random.Next(10);
            string name;
            if (kind < 4)
            {
                int group = (client * GroupsPerClient) + random.Next(GroupsPerClient);
                name = await WriteAsync(http, random, group, ++generation);
            }
            else
            {
                int group = random.Next(Clients * GroupsPerClient);
                name = await ReadAsync(http, random, group);
            }

            operations.AddOrUpdate(name, 1, (_, n) => n + 1);
        }
    }

    /// <summary>Replaces, deletes or re-tags a whole group in one request.</summary>
    private static async Task<string> WriteAsync(HttpClient http, Random random, int group, int generation)
    {
        var ids = IdsOf(group);
        switch (random.Next(3))
        {
            case 0:
                await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points/delete?wait=true", new { points = ids });
                return "delete";
            case 1:
                await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points/payload?wait=true", new { points = ids, payload = new { tag = generation } });
                return "set_payload";
            default:
                var points = ids.Select(id => new { id, vector = Workload.VectorOf(id, generation, Dimensions), payload = new { g = group, gen = generation, tag = generation } });
                await Workload.Expect(http, HttpMethod.Put, $"/collections/{Collection}/points?wait=true", new { points });
                return "upsert";
        }
    }

    /// <summary>Reads a group one of four ways and checks it is whole and from one write.</summary>
    private static async Task<string> ReadAsync(HttpClient http, Random random, int group)
    {
        var filter = new { must = new[] { new { key = "g", match = new { value = group } } } };
        switch (random.Next(5))
        {
            case 0:
                var retrieved = await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points", new { ids = IdsOf(group), with_vector = true, with_payload = true });
                CheckGroup(group, retrieved.GetProperty("result"), checkVectors: true);
                return "retrieve";
            case 1:
                int count = (await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points/count", new { filter, exact = true })).GetProperty("result").GetProperty("count").GetInt32();
                Assert.True(count is 0 or GroupSize, $"group {group} counted {count} points");
                return "count";
            case 2:
                var page = await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points/scroll", new { filter, limit = 100, with_payload = true, with_vector = true });
                CheckGroup(group, page.GetProperty("result").GetProperty("points"), checkVectors: true);
                return "scroll";
            case 3:
                var hits = await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points/search", new { vector = Workload.VectorOf((ulong)random.Next(), 0, Dimensions), filter, limit = 100, with_payload = true });
                CheckGroup(group, hits.GetProperty("result"), checkVectors: false);
                return "filtered_search";
            default:
                var nearest = await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points/search", new { vector = Workload.VectorOf((ulong)random.Next(), 0, Dimensions), limit = 10 });
                Assert.Equal(10, nearest.GetProperty("result").GetArrayLength());
                return "search";
        }
    }

    private static void CheckGroup(int group, JsonElement points, bool checkVectors)
    {
        var list = points.EnumerateArray().ToList();
        Assert.True(list.Count is 0 or GroupSize, $"group {group}: a read saw {list.Count} of its {GroupSize} points");
        var generations = list.Select(p => p.GetProperty("payload").GetProperty("gen").GetInt32()).Distinct().ToList();
        var tags = list.Select(p => p.GetProperty("payload").GetProperty("tag").GetInt32()).Distinct().ToList();
        Assert.True(generations.Count <= 1 && tags.Count <= 1, $"group {group}: a read mixed writes (gen {string.Join(',', generations)}, tag {string.Join(',', tags)})");
        if (checkVectors)
        {
            foreach (var point in list)
            {
                ulong id = point.GetProperty("id").GetUInt64();
                float[] vector = [.. point.GetProperty("vector").EnumerateArray().Select(x => x.GetSingle())];
                Assert.True(vector.SequenceEqual(Workload.VectorOf(id, generations[0], Dimensions)), $"point {id}'s vector is not the one its payload's write gave it");
            }
        }
    }

    private static ulong[] IdsOf(int group) => [.. Enumerable.Range(0, GroupSize).Select(i => 1_000_000UL + ((ulong)group * GroupSize) + (ulong)i)];



}
