using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;
using VectorDb.Datasets;

namespace VectorDb.Bench.Tiers;

/// <summary>
/// <c>large</c>: a collection bigger than RAM, in steps that <c>bench/tiers.sh</c> runs (inside and outside a memory cgroup).
/// <code>
/// large make  --base base.fvecs --copies 40 --out big.fvecs [--seed 1] [--bases N]   noisy copies of a base set (of its first N), renormalised
/// large truth --base big.fvecs --query query.fvecs --out big.gt.ivecs [--k 10] exact top-k by dot product (all cores)
/// large load  --base big.fvecs (--url U | --dir D) [--collection C] [--batch 1000] [--max N] [--quantization int8|binary2] [--memory cached|cold|pinned]
/// large query --url U --query query.fvecs --truth big.gt.ivecs [--collection C] [--ef 64] [--oversampling 2, 0: none] [--passes 2]   (medians of the passes after the first)
/// </code>
/// Copies: each base vector plus a noise vector in a uniformly random direction whose length is a quarter of the median
/// distance from a base vector to its nearest base neighbour (over a sample), renormalised.
/// </summary>
public static class LargeSetCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        string Required(string name) => values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
        string collection = values.GetValueOrDefault("collection", "large");
        switch (args.FirstOrDefault())
        {
            case "make":
                Make(Required("base"), Int("copies", 40), Required("out"), Int("seed", 1), Int("bases", int.MaxValue));
                return 0;
            case "truth":
                Truth(Required("base"), Required("query"), Required("out"), Int("k", 10));
                return 0;
            case "load":
                var report = values.TryGetValue("dir", out var dir)
                    ? LoadInProcess(Required("base"), dir, collection, Int("batch", 1000), Int("max", int.MaxValue), Settings(values))
                    : await LoadOverRestAsync(Required("base"), new Uri(Required("url")), collection, Int("batch", 1000), Int("max", int.MaxValue), values);
                Console.WriteLine(JsonSerializer.Serialize(report, Indented));
                return 0;
            case "query":
                Console.WriteLine(JsonSerializer.Serialize(
                    await QueryAsync(new Uri(Required("url")), collection, Required("query"), Required("truth"), Int("ef", 64), Int("oversampling", 2), Int("passes", 2)), Indented));
                return 0;
            default:
                Console.Error.WriteLine("usage: large make|truth|load|query … (see bench/tiers.sh)");
                return 2;
        }
    }

    // With bases below the base set's size, copies are made of the first that many only (the noise length still comes
    // from all): the file is then the start of the whole set's, for experiments at a smaller scale.
    private static void Make(string basePath, int copies, string outPath, int seed, int bases)
    {
        var data = DatasetReader.Read(basePath);
        int n = data.Count, d = data.Dimensions;
        var random = new Random(seed);

        // Median distance to the nearest other base vector, over a sample of 2,000.
        int[] sample = [.. Enumerable.Range(0, 2000).Select(_ => random.Next(n))];
        float median = NearCopies.MedianNearestDistance(data, sample);
        double noise = 0.25 * median;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median nearest-neighbour distance {median:F4}; noise length {noise:F4}"));

        using var output = new BinaryWriter(new BufferedStream(File.Create(outPath), 1 << 20));
        var direction = new float[d];
        var copy = new float[d];
        int copied = Math.Min(n, bases);
        for (int i = 0; i < copied; i++)
        {
            for (int c = 0; c < copies; c++)
            {
                NearCopies.Copy(data[i], noise, random, direction, copy);
                output.Write(d);
                foreach (float x in copy)
                {
                    output.Write(x);
                }
            }
        }

        Console.WriteLine($"wrote {(long)copied * copies} vectors of {d} to {outPath}");
    }

    private static void Truth(string basePath, string queryPath, string outPath, int k)
    {
        var clock = Stopwatch.StartNew();
        var data = DatasetReader.Read(basePath);
        var queries = DatasetReader.Read(queryPath);
        var prepared = Enumerable.Range(0, queries.Count).Select(q => Normalized(queries[q])).ToArray();
        var truth = new int[queries.Count][];
        Parallel.For(0, queries.Count, q =>
        {
            var best = new PriorityQueue<int, float>(); // min-heap on score: the weakest of the best k on top
            for (int j = 0; j < data.Count; j++)
            {
                float score = TensorPrimitives.Dot(prepared[q], data[j]);
                if (best.Count < k)
                {
                    best.Enqueue(j, score);
                }
                else if (best.TryPeek(out _, out float weakest) && score > weakest)
                {
                    best.EnqueueDequeue(j, score);
                }
            }

            var ids = new List<(int Id, float Score)>();
            while (best.TryDequeue(out int id, out float score))
            {
                ids.Add((id, score));
            }

            truth[q] = [.. ids.OrderByDescending(e => e.Score).Select(e => e.Id)];
        });
        DatasetWriter.WriteIvecs(outPath, truth);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"exact top-{k} of {queries.Count} queries over {data.Count} vectors in {clock.Elapsed.TotalSeconds:F0} s"));
    }

    private static float[] Normalized(ReadOnlySpan<float> vector)
    {
        var result = vector.ToArray();
        TensorPrimitives.Divide(result, TensorPrimitives.Norm(result), result);
        return result;
    }

    private static CollectionOptions Settings(Dictionary<string, string> values) => new()
    {
        Dimensions = 0, // set by the loader from the file
        Distance = DistanceMetric.Cosine,
        EfConstruction = int.Parse(values.GetValueOrDefault("ef-construction", "100"), CultureInfo.InvariantCulture),
        Quantization = values.GetValueOrDefault("quantization", "int8") switch
        {
            "int8" => new ScalarQuantizationOptions(),
            "binary2" => new BinaryQuantizationOptions { Encoding = BinaryEncoding.TwoBits, QueryEncoding = BinaryQueryEncoding.Scalar4Bits },
            "none" => null,
            var other => throw new ArgumentException($"--quantization int8|binary2|none, not {other}"),
        },
        Memory = Enum.Parse<MemoryTier>(values.GetValueOrDefault("memory", "cached"), ignoreCase: true),
    };

    private static Dictionary<string, object> LoadInProcess(string basePath, string dir, string collection, int batch, int max, CollectionOptions settings)
    {
        var data = DatasetReader.Read(basePath, max);
        using var database = VectorDatabase.Open(dir);
        var target = database.CreateCollection(collection, settings with { Dimensions = data.Dimensions });
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < data.Count; start += batch)
        {
            int end = Math.Min(data.Count, start + batch);
            target.Upsert([.. Enumerable.Range(start, end - start).Select(i => new Point((ulong)i, data[i].ToArray()))], wait: true);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        return new Dictionary<string, object> { ["mode"] = "in-process", ["points"] = data.Count, ["seconds"] = seconds, ["points_per_second"] = data.Count / seconds, ["batch"] = batch };
    }

    private static async Task<Dictionary<string, object>> LoadOverRestAsync(string basePath, Uri url, string collection, int batch, int max, Dictionary<string, string> values)
    {
        var data = DatasetReader.Read(basePath, max);
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(10) };
        string quantization = values.GetValueOrDefault("quantization", "int8") switch
        {
            "int8" => """{"scalar": {"type": "int8"}}""",
            "binary2" => """{"binary": {"encoding": "two_bits", "query_encoding": "scalar4bits"}}""",
            _ => "null",
        };
        string create = string.Create(CultureInfo.InvariantCulture,
            $$"""{"vectors": {"size": {{data.Dimensions}}, "distance": "Cosine", "memory": "{{values.GetValueOrDefault("memory", "cached")}}"}, "hnsw_config": {"ef_construct": {{values.GetValueOrDefault("ef-construction", "100")}}}, "quantization_config": {{quantization}}}""");
        await Send(http, HttpMethod.Put, $"/collections/{collection}", create);
        var clock = Stopwatch.StartNew();
        var body = new MemoryStream();
        for (int start = 0; start < data.Count; start += batch)
        {
            body.SetLength(0);
            Http.PointsBody.Write(body, data, Enumerable.Range(start, Math.Min(data.Count, start + batch) - start), numberPayload: false);
            using var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await http.PutAsync(new Uri($"/collections/{collection}/points?wait=true", UriKind.Relative), content);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"upsert at {start} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            if (start / batch % 100 == 0)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{start + batch} points, {(start + batch) / clock.Elapsed.TotalSeconds:F0} points/s"));
            }
        }

        double seconds = clock.Elapsed.TotalSeconds;
        return new Dictionary<string, object> { ["mode"] = "rest", ["points"] = data.Count, ["seconds"] = seconds, ["points_per_second"] = data.Count / seconds, ["batch"] = batch };
    }

    private static async Task<Dictionary<string, object>> QueryAsync(Uri url, string collection, string queryPath, string truthPath, int ef, int oversampling, int passes)
    {
        var queries = DatasetReader.Read(queryPath);
        var truth = DatasetReader.ReadNeighbors(truthPath, queries.Count);
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(10) };
        var report = new Dictionary<string, object> { ["ef"] = ef, ["oversampling"] = oversampling, ["queries"] = queries.Count };
        var later = new List<(double Qps, double P50, double P99)>(); // the passes after the first, which reads a cold page cache
        for (int pass = 1; pass <= passes; pass++)
        {
            var latencies = new double[queries.Count];
            double hits = 0;
            var clock = Stopwatch.StartNew();
            for (int q = 0; q < queries.Count; q++)
            {
                // Oversampling 0 asks for none: binary codes then rescore within their error bounds.
                string body = oversampling == 0
                    ? JsonSerializer.Serialize(new { query = queries[q].ToArray(), limit = 10, @params = new { hnsw_ef = ef } })
                    : JsonSerializer.Serialize(new { query = queries[q].ToArray(), limit = 10, @params = new { hnsw_ef = ef, quantization = new { oversampling } } });
                long start = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync(new Uri($"/collections/{collection}/points/query", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
                string text = await response.Content.ReadAsStringAsync();
                latencies[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"query {q} answered {(int)response.StatusCode}: {text}");
                }

                using var result = JsonDocument.Parse(text);
                var ids = result.RootElement.GetProperty("result").GetProperty("points").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()).ToHashSet();
                hits += truth[q].Take(10).Count(ids.Contains);
            }

            double seconds = clock.Elapsed.TotalSeconds;
            Array.Sort(latencies);
            report[$"pass_{pass}"] = new Dictionary<string, double>
            {
                ["recall_at_10"] = hits / (10.0 * queries.Count),
                ["qps"] = queries.Count / seconds,
                ["p50_ms"] = latencies[latencies.Length / 2],
                ["p99_ms"] = latencies[(int)(latencies.Length * 0.99)],
            };
            if (pass > 1)
            {
                later.Add((queries.Count / seconds, latencies[latencies.Length / 2], latencies[(int)(latencies.Length * 0.99)]));
            }
        }

        if (later.Count > 0)
        {
            double Median(IEnumerable<double> values) => values.Order().ElementAt(later.Count / 2);
            report["median_of_later_passes"] = new Dictionary<string, double>
            {
                ["qps"] = Median(later.Select(p => p.Qps)),
                ["p50_ms"] = Median(later.Select(p => p.P50)),
                ["p99_ms"] = Median(later.Select(p => p.P99)),
            };
        }

        return report;
    }

    private static async Task Send(HttpClient http, HttpMethod method, string path, string json)
    {
        using var response = await http.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
