using System.Diagnostics;
using System.Net.Http.Json;

namespace VectorDb.Bench.Http;

/// <summary>
/// <c>http</c>: search throughput through the REST server with concurrent clients, next to the embedded
/// library on the same points and queries.
/// <code>http --url http://127.0.0.1:6333 [--points 100000] [--dims 128] [--clients 8] [--seconds 20] [--k 10] [--ef 64] [--out result.json]</code>
/// The server must be running (e.g. <c>--data-dir :memory:</c>); the command creates the collection <c>bench_http</c>.
/// </summary>
public static class HttpCommand
{
    /// <summary>The collection the server-side commands create and search.</summary>
    internal const string Collection = "bench_http";
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var values = CommandLine.Pairs(args);
        int Int(string name, int fallback) => CommandLine.Number(values, name, fallback);
        var url = new Uri(values.GetValueOrDefault("url", "http://127.0.0.1:6333"));
        int count = Int("points", 100_000), dims = Int("dims", 128), clients = Int("clients", 8), seconds = Int("seconds", 20), k = Int("k", 10), ef = Int("ef", 64);

        var random = new Random(7);
        float[] Vector() => [.. Enumerable.Range(0, dims).Select(_ => random.NextSingle())];
        var vectors = Enumerable.Range(0, count).Select(_ => Vector()).ToArray();
        var queries = Enumerable.Range(0, 1000).Select(_ => Vector()).ToArray();

        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(5) };
        await LoadServerAsync(http, vectors, dims);
        var server = await MeasureAsync(clients, seconds, async (query, token) =>
        {
            using var response = await http.PostAsJsonAsync(
                $"/collections/{Collection}/points/query",
                new { query, limit = k, @params = new { hnsw_ef = ef } },
                token);
            response.EnsureSuccessStatusCode();
        }, queries);

        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection(Collection, new CollectionOptions { Dimensions = dims, Distance = DistanceMetric.Euclid });
        collection.Upsert(vectors.Select((v, i) => new Point((ulong)i, v)));
        var options = new SearchOptions { Ef = ef };
        var embeddedSingle = await MeasureAsync(1, seconds, (query, token) => { collection.Search(query, k, options, token); return Task.CompletedTask; }, queries);
        var embeddedConcurrent = await MeasureAsync(clients, seconds, (query, token) => { collection.Search(query, k, options, token); return Task.CompletedTask; }, queries);

        var report = new Dictionary<string, object>
        {
            ["points"] = count, ["dims"] = dims, ["k"] = k, ["ef"] = ef, ["clients"] = clients, ["seconds"] = seconds,
            ["processors"] = Environment.ProcessorCount,
            ["http"] = server,
            ["embedded_1_thread"] = embeddedSingle,
            [$"embedded_{clients}_threads"] = embeddedConcurrent,
        };
        CommandLine.Report(report, values.GetValueOrDefault("out"));

        return 0;
    }

    /// <summary>Creates the collection <c>bench_http</c> over REST and loads <paramref name="vectors"/> into it in batches of 1,000.</summary>
    internal static async Task LoadServerAsync(HttpClient http, float[][] vectors, int dims)
    {
        (await http.DeleteAsync(new Uri($"/collections/{Collection}", UriKind.Relative))).Dispose();
        using (var created = await http.PutAsJsonAsync($"/collections/{Collection}", new { vectors = new { size = dims, distance = "Euclid" } }))
        {
            created.EnsureSuccessStatusCode();
        }

        var watch = Stopwatch.StartNew();
        for (int start = 0; start < vectors.Length; start += 1000)
        {
            var points = Enumerable.Range(start, Math.Min(1000, vectors.Length - start)).Select(i => new { id = i, vector = vectors[i] });
            using var response = await http.PutAsJsonAsync($"/collections/{Collection}/points?wait=true", new { points });
            response.EnsureSuccessStatusCode();
        }

        Console.Error.WriteLine($"loaded {vectors.Length} points over HTTP in {watch.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Runs <paramref name="workers"/> loops over the queries for a fixed time; requests/s and latency percentiles.</summary>
    internal static async Task<Dictionary<string, double>> MeasureAsync(int workers, int seconds, Func<float[], CancellationToken, Task> search, float[][] queries)
    {
        // Warm-up: JIT, connection pool, caches.
        for (int i = 0; i < 200; i++)
        {
            await search(queries[i % queries.Length], CancellationToken.None);
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var latencies = new List<double>[workers];
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<double>(1 << 16);
            for (int i = w; !stop.IsCancellationRequested; i += workers)
            {
                long begin = Stopwatch.GetTimestamp();
                await search(queries[i % queries.Length], CancellationToken.None);
                mine.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
            }
        })));
        double elapsed = watch.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all[Math.Min(all.Length - 1, (int)(p * all.Length))];
        var result = new Dictionary<string, double>
        {
            ["requests"] = all.Length,
            ["requests_per_second"] = Math.Round(all.Length / elapsed),
            ["p50_ms"] = Math.Round(Percentile(0.50), 3),
            ["p99_ms"] = Math.Round(Percentile(0.99), 3),
        };
        Console.Error.WriteLine($"{workers} workers: {result["requests_per_second"]} req/s, p50 {result["p50_ms"]} ms, p99 {result["p99_ms"]} ms");
        return result;
    }
}
