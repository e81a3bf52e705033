using System.Diagnostics;
using System.Globalization;
using System.Text;
using VectorDb.Datasets;

namespace VectorDb.Bench.Http;

/// <summary>
/// <c>bulkload</c>: loading a data set through the REST server next to the embedded library, as the storage issue's
/// case states it: batches of 1,000 points with payload <c>{"n": i}</c>, <c>wait=true</c>, 2 concurrent clients, rounds
/// alternating between the two, each into a new collection; reports each round's points per second and the median
/// ratio REST ÷ embedded.
/// <code>bulkload --url http://127.0.0.1:6333 [--data ../shared/data/wordnet-arcticxs-384/base.fvecs] [--distance Cosine] [--rounds 5] [--form points|batch] [--dir PATH] [--out result.json]</code>
/// <c>--form batch</c> sends the upsert's column form (<c>{"batch": {"ids", "vectors", "payloads"}}</c>) instead of a list of points.
/// The server must be running on its own data directory; request bodies are serialized before the clock starts, so
/// the REST figure is the server's (parsing, logging, linking), not the client's.
/// </summary>
public static class BulkLoadCommand
{
    private const int Batch = 1_000;
    private const int Clients = 2;
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string[] argv = [.. args];
        var url = new Uri(CommandLine.Option(argv, "--url") ?? "http://127.0.0.1:6333");
        string data = CommandLine.Option(argv, "--data") ?? Path.Combine("..", "shared", "data", "wordnet-arcticxs-384", "base.fvecs");
        var distance = Enum.Parse<DistanceMetric>(CommandLine.Option(argv, "--distance") ?? "Cosine");
        int rounds = int.Parse(CommandLine.Option(argv, "--rounds") ?? "5", CultureInfo.InvariantCulture);
        string root = CommandLine.Option(argv, "--dir") ?? Path.Combine(Path.GetTempPath(), "vectordb-bulkload");
        bool columns = (CommandLine.Option(argv, "--form") ?? "points") switch
        {
            "points" => false,
            "batch" => true,
            var other => throw new ArgumentException($"--form is points or batch, not {other}."),
        };

        var vectors = DatasetReader.Read(data);
        var batches = Enumerable.Range(0, (vectors.Count + Batch - 1) / Batch)
            .Select(b => Enumerable.Range(b * Batch, Math.Min(Batch, vectors.Count - (b * Batch))).ToArray()).ToArray();
        byte[][] bodies = [.. batches.Select(ids => Body(vectors, ids, columns))];
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(10) };

        var results = new List<Dictionary<string, object>>();
        for (int round = 0; round < rounds; round++)
        {
            double embedded = LoadEmbedded(Path.Combine(root, $"round-{round}"), vectors, batches, distance);
            double rest = await LoadRestAsync(http, $"bulkload_{round}", vectors.Dimensions, distance, bodies);
            results.Add(new()
            {
                ["round"] = round,
                ["embedded_points_per_second"] = Math.Round(vectors.Count / embedded),
                ["rest_points_per_second"] = Math.Round(vectors.Count / rest),
                ["rest_to_embedded"] = Math.Round(embedded / rest, 3),
            });
            Console.Error.WriteLine($"round {round}: embedded {vectors.Count / embedded:F0} points/s, REST {vectors.Count / rest:F0} points/s ({embedded / rest:F2}×)");
        }

        var report = new Dictionary<string, object>
        {
            ["data"] = data,
            ["points"] = vectors.Count,
            ["dims"] = vectors.Dimensions,
            ["batch"] = Batch,
            ["form"] = columns ? "batch" : "points",
            ["clients"] = Clients,
            ["processors"] = Environment.ProcessorCount,
            ["median_rest_to_embedded"] = results.Select(r => (double)r["rest_to_embedded"]).Order().ElementAt(results.Count / 2),
            ["rounds"] = results,
        };
        CommandLine.Report(report, CommandLine.Option(argv, "--out"));

        return 0;
    }

    private static double LoadEmbedded(string directory, VectorSet vectors, int[][] batches, DistanceMetric distance)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        var watch = Stopwatch.StartNew();
        using (var database = VectorDatabase.Open(directory))
        {
            var collection = database.CreateCollection("bulkload", new CollectionOptions { Dimensions = vectors.Dimensions, Distance = distance });
            Parallel.For(0, Clients, new ParallelOptions { MaxDegreeOfParallelism = Clients }, client =>
            {
                for (int b = client; b < batches.Length; b += Clients)
                {
                    collection.Upsert(batches[b].Select(i => new Point((ulong)i, vectors[i].ToArray(), Payload.Parse($$"""{"n":{{i}}}"""))), wait: true);
                }
            });
            watch.Stop();
        }

        Directory.Delete(directory, recursive: true);
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<double> LoadRestAsync(HttpClient http, string collection, int dims, DistanceMetric distance, byte[][] bodies)
    {
        await SendAsync(http, HttpMethod.Delete, $"/collections/{collection}", null);
        await SendAsync(http, HttpMethod.Put, $"/collections/{collection}", Encoding.UTF8.GetBytes($$$"""{"vectors": {"size": {{{dims}}}, "distance": "{{{distance}}}"}}"""));
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async client =>
        {
            for (int b = client; b < bodies.Length; b += Clients)
            {
                await SendAsync(http, HttpMethod.Put, $"/collections/{collection}/points?wait=true", bodies[b]);
            }
        }));
        double seconds = watch.Elapsed.TotalSeconds;
        await SendAsync(http, HttpMethod.Delete, $"/collections/{collection}", null);
        return seconds;
    }

    private static async Task SendAsync(HttpClient http, HttpMethod method, string path, byte[]? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        using var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static byte[] Body(VectorSet vectors, int[] ids, bool columns)
    {
        using var stream = new MemoryStream();
        if (columns)
        {
            PointsBody.WriteColumns(stream, vectors, ids, numberPayload: true);
        }
        else
        {
            PointsBody.Write(stream, vectors, ids, numberPayload: true);
        }

        return stream.ToArray();
    }
}
