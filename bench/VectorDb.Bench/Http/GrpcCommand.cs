using System.Globalization;
using System.Net.Http.Json;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace VectorDb.Bench.Http;

/// <summary>
/// <c>grpc</c>: search throughput through the server's gRPC API with Qdrant's .NET client, against its REST API with
/// JSON, on the same collection and queries, in alternating rounds.
/// <code>grpc [--url http://127.0.0.1:6333] [--grpc-url http://127.0.0.1:6334] [--points 100000] [--dims 128] [--clients 8] [--seconds 10] [--rounds 5] [--k 10] [--ef 64] [--server-pid PID] [--out result.json]</code>
/// The server must be running (e.g. <c>--data-dir :memory:</c>); the command (re)creates the collection <c>bench_http</c>.
/// Both ask for the same thing: k hits with scores, no payload, no vectors. With <c>--server-pid</c> (Linux) each round
/// also reports the server process's CPU time per request, which the load generator on the same cores does not blur
/// (and, on Linux, each round reports the load generator's own);
/// the embedded library's rate on the same points and queries, after the rounds, is the ceiling either API can reach.
/// </summary>
public static class GrpcCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var values = CommandLine.Pairs(args);
        int Int(string name, int fallback) => CommandLine.Number(values, name, fallback);
        var url = new Uri(values.GetValueOrDefault("url", "http://127.0.0.1:6333"));
        var grpcUrl = new Uri(values.GetValueOrDefault("grpc-url", "http://127.0.0.1:6334"));
        int? serverPid = values.TryGetValue("server-pid", out var pid) ? int.Parse(pid, CultureInfo.InvariantCulture) : null;
        int count = Int("points", 100_000), dims = Int("dims", 128), clients = Int("clients", 8), seconds = Int("seconds", 10), rounds = Int("rounds", 5), k = Int("k", 10), ef = Int("ef", 64);

        var random = new Random(7);
        float[] Vector() => [.. Enumerable.Range(0, dims).Select(_ => random.NextSingle())];
        var vectors = Enumerable.Range(0, count).Select(_ => Vector()).ToArray();
        var queries = Enumerable.Range(0, 1000).Select(_ => Vector()).ToArray();

        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(5) };
        await HttpCommand.LoadServerAsync(http, vectors, dims);
        // One client shared by the callers, as Qdrant's documentation has applications do (one HTTP/2 connection; one
        // client per caller, eight connections, measured slower here: more client CPU on the same two cores).
        using var grpc = new QdrantClient(grpcUrl);
        var parameters = new SearchParams { HnswEf = (ulong)ef };

        Task Rest(float[] query, CancellationToken token) => SearchRest(http, query, k, ef, token);
        async Task Grpc(float[] query, CancellationToken token) =>
            _ = await grpc.QueryAsync(HttpCommand.Collection, query, searchParams: parameters, limit: (ulong)k, payloadSelector: false, vectorsSelector: false, cancellationToken: token);

        // Same hits both ways, or the comparison means nothing.
        var restHits = await (await http.PostAsJsonAsync($"/collections/{HttpCommand.Collection}/points/query", new { query = queries[0], limit = k, @params = new { hnsw_ef = ef } })).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var grpcHits = await grpc.QueryAsync(HttpCommand.Collection, queries[0], searchParams: parameters, limit: (ulong)k);
        var restIds = restHits.GetProperty("result").GetProperty("points").EnumerateArray().Select(p => p.GetProperty("id").GetUInt64()).ToList();
        if (!restIds.SequenceEqual(grpcHits.Select(hit => hit.Id.Num)))
        {
            throw new InvalidOperationException("REST and gRPC returned different hits for the same query.");
        }

        var restRounds = new List<Dictionary<string, double>>();
        var grpcRounds = new List<Dictionary<string, double>>();
        for (int round = 0; round < rounds; round++)
        {
            // Alternate which goes first, so neither always runs on a warmer (or more fragmented) server.
            if (round % 2 == 0)
            {
                restRounds.Add(await Measured(Rest));
                grpcRounds.Add(await Measured(Grpc));
            }
            else
            {
                grpcRounds.Add(await Measured(Grpc));
                restRounds.Add(await Measured(Rest));
            }
        }

        async Task<Dictionary<string, double>> Measured(Func<float[], CancellationToken, Task> search)
        {
            double before = CpuSeconds(serverPid), clientBefore = CpuSeconds(Environment.ProcessId);
            var measured = await HttpCommand.MeasureAsync(clients, seconds, search, queries);
            // The warm-up's requests are in the CPU times too; they are few (200) next to a round's.
            double calls = measured["requests"] + 200;
            measured["client_cpu_us_per_request"] = Math.Round((CpuSeconds(Environment.ProcessId) - clientBefore) * 1e6 / calls, 1);
            if (serverPid is not null)
            {
                measured["server_cpu_us_per_request"] = Math.Round((CpuSeconds(serverPid) - before) * 1e6 / calls, 1);
            }

            return measured;
        }

        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection(HttpCommand.Collection, new CollectionOptions { Dimensions = dims, Distance = DistanceMetric.Euclid });
        collection.Upsert(vectors.Select((v, i) => new Point((ulong)i, v)));
        var options = new SearchOptions { Ef = ef };
        var embedded = await HttpCommand.MeasureAsync(clients, seconds, (query, token) => { collection.Search(query, k, options, token); return Task.CompletedTask; }, queries);

        double Median(List<Dictionary<string, double>> measured, string key)
        {
            var sorted = measured.Select(m => m[key]).Order().ToArray();
            return sorted[sorted.Length / 2];
        }

        var ratios = restRounds.Zip(grpcRounds, (rest, g) => g["requests_per_second"] / rest["requests_per_second"]).Order().ToArray();
        var report = new Dictionary<string, object>
        {
            ["points"] = count, ["dims"] = dims, ["k"] = k, ["ef"] = ef, ["clients"] = clients, ["seconds_per_round"] = seconds, ["rounds"] = rounds,
            ["processors"] = Environment.ProcessorCount,
            ["rest_rounds"] = restRounds,
            ["grpc_rounds"] = grpcRounds,
            ["rest_median"] = new { requests_per_second = Median(restRounds, "requests_per_second"), p50_ms = Median(restRounds, "p50_ms"), p99_ms = Median(restRounds, "p99_ms") },
            ["grpc_median"] = new { requests_per_second = Median(grpcRounds, "requests_per_second"), p50_ms = Median(grpcRounds, "p50_ms"), p99_ms = Median(grpcRounds, "p99_ms") },
            ["grpc_over_rest_per_round"] = ratios.Select(r => Math.Round(r, 3)).ToArray(),
            ["grpc_over_rest_median"] = Math.Round(ratios[ratios.Length / 2], 3),
            [$"embedded_{clients}_threads"] = embedded,
        };
        CommandLine.Report(report, values.GetValueOrDefault("out"));
        return 0;
    }

    /// <summary>A process's user and system CPU time from <c>/proc/PID/stat</c> (clock ticks of 10 ms); 0 without a pid or off Linux.</summary>
    private static double CpuSeconds(int? pid)
    {
        if (pid is not { } id || !OperatingSystem.IsLinux())
        {
            return 0;
        }

        string stat = File.ReadAllText($"/proc/{id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    private static async Task SearchRest(HttpClient http, float[] query, int k, int ef, CancellationToken token)
    {
        using var response = await http.PostAsJsonAsync($"/collections/{HttpCommand.Collection}/points/query", new { query, limit = k, @params = new { hnsw_ef = ef } }, token);
        response.EnsureSuccessStatusCode();
        _ = await response.Content.ReadAsByteArrayAsync(token); // read the reply, as the gRPC client decodes its
    }
}
