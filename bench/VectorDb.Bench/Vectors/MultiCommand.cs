using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using VectorDb.Datasets;

namespace VectorDb.Bench.Vectors;

/// <summary>
/// <c>multi</c>: multivector (MaxSim) search. Each point holds <c>--per-point</c> consecutive rows of <c>base.fvecs</c>
/// (fashion-mnist-mrl-256 by default), each query <c>--per-query</c> consecutive rows of <c>query.fvecs</c>; the exact
/// MaxSim top-k is computed by brute force here, checked against the engine's exact search, and the indexed search is
/// timed against the engine's exact scan (single-threaded, alternating passes) for recall@k at each beam width.
/// <code>multi [--data ../shared/data/fashion-mnist-mrl-256] [--per-point 4] [--per-query 2] [--ef 16,32,64,128] [--k 10] [--rounds 5] [--out result.json]</code>
/// </summary>
public static class MultiCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        string data = CommandLine.Option(args, "--data") ?? Path.Combine("..", "shared", "data", "fashion-mnist-mrl-256");
        int perPoint = int.Parse(CommandLine.Option(args, "--per-point") ?? "4", CultureInfo.InvariantCulture);
        int perQuery = int.Parse(CommandLine.Option(args, "--per-query") ?? "2", CultureInfo.InvariantCulture);
        int k = int.Parse(CommandLine.Option(args, "--k") ?? "10", CultureInfo.InvariantCulture);
        int rounds = int.Parse(CommandLine.Option(args, "--rounds") ?? "5", CultureInfo.InvariantCulture);
        int[] efs = [.. (CommandLine.Option(args, "--ef") ?? "16,32,64,128").Split(',').Select(e => int.Parse(e, CultureInfo.InvariantCulture))];

        var rows = DatasetReader.ReadFvecs(Path.Combine(data, "base.fvecs"));
        var queryRows = DatasetReader.ReadFvecs(Path.Combine(data, "query.fvecs"));
        var points = Group(rows, perPoint);
        var queries = Group(queryRows, perQuery);
        int dims = rows.Dimensions;

        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("multi", new CollectionOptions
        {
            Dimensions = 0,
            NamedVectors = new Dictionary<string, DenseVectorOptions>
            {
                ["colbert"] = new() { Dimensions = dims, Distance = DistanceMetric.Cosine, Multivector = MultivectorComparator.MaxSim },
            },
        });
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < points.Length; start += 1000)
        {
            collection.Upsert(
                Enumerable.Range(start, Math.Min(1000, points.Length - start))
                    .Select(i => new Point((ulong)i, null) { Multivectors = new Dictionary<string, float[][]> { ["colbert"] = points[i] } }).ToList(),
                wait: false);
        }

        double build = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"{points.Length:N0} points × {perPoint} vectors × {dims} dims built in {build:F1} s; {queries.Length} queries of {perQuery} vectors");

        clock.Restart();
        var normalised = points.Select(p => p.Select(Normalise).ToArray()).ToArray();
        var truth = queries.Select(q => BruteForce(normalised, q.Select(Normalise).ToArray(), k)).ToArray();
        Console.WriteLine($"brute-force MaxSim top-{k} in {clock.Elapsed.TotalSeconds:F1} s");

        var exactOptions = new SearchOptions { Using = "colbert", Exact = true };
        int mismatches = queries.Select((q, i) => Ids(collection.SearchMultivector(q, k, exactOptions)).SequenceEqual(truth[i]) ? 0 : 1).Sum();
        Console.WriteLine($"engine exact search against brute force: {mismatches} of {queries.Length} top-{k} lists differ");

        var runs = new List<MultiRun>();
        foreach (int ef in efs)
        {
            var options = new SearchOptions { Using = "colbert", Ef = ef };
            double recall = queries.Select((q, i) => Ids(collection.SearchMultivector(q, k, options)).Intersect(truth[i]).Count()).Sum() / (double)(queries.Length * k);
            var exactQps = new List<double>();
            var indexQps = new List<double>();
            var ratios = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                double exact = Timing.Pass(queries, q => collection.SearchMultivector(q, k, exactOptions));
                double indexed = Timing.Pass(queries, q => collection.SearchMultivector(q, k, options));
                exactQps.Add(exact);
                indexQps.Add(indexed);
                ratios.Add(indexed / exact);
            }

            var run = new MultiRun(ef, recall, Timing.Median(indexQps), Timing.Median(exactQps), Timing.Median(ratios));
            runs.Add(run);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ef={ef,4}  recall@{k} {run.Recall:F4}  indexed {run.IndexQps,8:F0} QPS  exact scan {run.ExactQps,7:F0} QPS  indexed/exact {run.MedianPairedSpeedup,6:F1}× (median of {rounds} paired passes)"));
        }

        var result = new MultiResult(
            Dataset: Path.GetFileName(Path.GetFullPath(data)), Points: points.Length, VectorsPerPoint: perPoint, VectorsPerQuery: perQuery, Dimensions: dims,
            Queries: queries.Length, K: k, Rounds: rounds, ExactMismatches: mismatches, BuildSeconds: build, Runs: runs,
            BytesPerPoint: (double)collection.VectorMemoryBytes("colbert") / points.Length,
            RawBytesPerPoint: perPoint * dims * (double)sizeof(float),
            Cpu: Environment.ProcessorCount + " cores");
        Console.WriteLine($"memory per point: {result.BytesPerPoint:F0} B for {result.RawBytesPerPoint:F0} B of raw vectors");
        if (CommandLine.Option(args, "--out") is { } outPath)
        {
            File.WriteAllText(outPath, JsonSerializer.Serialize(result, Indented));
        }

        return mismatches == 0 ? 0 : 1;
    }

    private static float[][][] Group(VectorSet rows, int size) =>
        [.. Enumerable.Range(0, rows.Count / size).Select(g => Enumerable.Range(g * size, size).Select(r => rows[r].ToArray()).ToArray())];

    private static float[] Normalise(float[] vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        return [.. vector.Select(x => x / norm)];
    }

    /// <summary>The reference: MaxSim of the query with every point, top k, ties to the lower id.</summary>
    private static ulong[] BruteForce(float[][][] points, float[][] query, int k) =>
        [.. points.Select((point, id) => (Id: (ulong)id, Score: query.Sum(q => point.Max(d => TensorPrimitives.Dot(q, d)))))
            .OrderByDescending(h => h.Score).ThenBy(h => h.Id).Take(k).Select(h => h.Id)];

    private static ulong[] Ids(SearchResults results) => [.. results.Select(h => h.Id.Number)];

}

/// <summary>One beam width of the <c>multi</c> command.</summary>
public sealed record MultiRun(int Ef, double Recall, double IndexQps, double ExactQps, double MedianPairedSpeedup);

/// <summary>The <c>multi</c> command's figures.</summary>
public sealed record MultiResult(
    string Dataset, int Points, int VectorsPerPoint, int VectorsPerQuery, int Dimensions, int Queries, int K, int Rounds, int ExactMismatches,
    double BuildSeconds, IReadOnlyList<MultiRun> Runs, double BytesPerPoint, double RawBytesPerPoint, string Cpu);
