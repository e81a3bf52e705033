using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VectorDb.Datasets;
using VectorDb.Query.Text;
using VectorDb.Sparse;

namespace VectorDb.Bench.Vectors;

/// <summary>
/// <c>named</c>: what a second vector per point costs a dense search. The same dense vectors (<c>base.fvecs</c>) go into
/// a collection holding only them as its unnamed vector and into one holding them as the named vector <c>text</c> beside
/// a sparse <c>bm25</c> vector of each point's text (<c>base.txt</c>, Qdrant's BM25 with IDF); both are searched with
/// <c>query.fvecs</c> single-threaded, in alternating passes, and scored against the exact neighbors. Also reports the
/// memory each vector takes per point next to its raw size.
/// <code>named [--data ../shared/data/wordnet-arcticxs-384] [--ef 32,64] [--k 10] [--rounds 7] [--max-queries 1000] [--out result.json]</code>
/// </summary>
public static class NamedCommand
{
    private const int BatchSize = 1000;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        string data = CommandLine.Option(args, "--data") ?? Path.Combine("..", "shared", "data", "wordnet-arcticxs-384");
        int k = int.Parse(CommandLine.Option(args, "--k") ?? "10", CultureInfo.InvariantCulture);
        int rounds = int.Parse(CommandLine.Option(args, "--rounds") ?? "7", CultureInfo.InvariantCulture);
        int maxQueries = int.Parse(CommandLine.Option(args, "--max-queries") ?? "1000", CultureInfo.InvariantCulture);
        int[] efs = [.. (CommandLine.Option(args, "--ef") ?? "32,64").Split(',').Select(e => int.Parse(e, CultureInfo.InvariantCulture))];

        var vectors = DatasetReader.ReadFvecs(Path.Combine(data, "base.fvecs"));
        var queries = DatasetReader.ReadFvecs(Path.Combine(data, "query.fvecs"), maxQueries);
        string truthFile = Directory.GetFiles(data, "*.gt100.ivecs").Single();
        var truth = DatasetReader.ReadIvecs(truthFile, maxQueries);
        var encoder = new Bm25Encoder(new Bm25Options());
        var sparse = File.ReadAllLines(Path.Combine(data, "base.txt")).Take(vectors.Count).Select(encoder.EncodeDocument).ToArray();

        using var database = VectorDatabase.InMemory();
        var single = database.CreateCollection("single", new CollectionOptions { Dimensions = vectors.Dimensions, Distance = DistanceMetric.Cosine });
        var named = database.CreateCollection("named", new CollectionOptions
        {
            Dimensions = 0,
            NamedVectors = new Dictionary<string, DenseVectorOptions> { ["text"] = new() { Dimensions = vectors.Dimensions, Distance = DistanceMetric.Cosine } },
            SparseVectors = new Dictionary<string, SparseVectorOptions> { ["bm25"] = new() { Idf = true } },
        });
        double singleBuild = Build(single, vectors.Count, i => new Point((ulong)i, vectors[i].ToArray()));
        double namedBuild = Build(named, vectors.Count, i => new Point((ulong)i, null)
        {
            NamedVectors = new Dictionary<string, float[]> { ["text"] = vectors[i].ToArray() },
            SparseVectors = new Dictionary<string, SparseVector> { ["bm25"] = sparse[i] },
        });
        Console.WriteLine($"{vectors.Count:N0} points × {vectors.Dimensions} dims built in {singleBuild:F1} s (unnamed only) and {namedBuild:F1} s (text + bm25); {queries.Count} queries");

        var runs = new List<NamedRun>();
        foreach (int ef in efs)
        {
            var singleOptions = new SearchOptions { Ef = ef };
            var namedOptions = new SearchOptions { Ef = ef, Using = "text" };
            double singleRecall = Recall(single, queries, truth, k, singleOptions);
            double namedRecall = Recall(named, queries, truth, k, namedOptions);
            var singleQps = new List<double>();
            var namedQps = new List<double>();
            var ratios = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                double a = Pass(single, queries, k, singleOptions);
                double b = Pass(named, queries, k, namedOptions);
                singleQps.Add(a);
                namedQps.Add(b);
                ratios.Add(b / a);
            }

            var run = new NamedRun(ef, singleRecall, namedRecall, Timing.Median(singleQps), Timing.Median(namedQps), Timing.Median(ratios));
            runs.Add(run);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ef={ef,4}  unnamed only: recall {run.SingleRecall:F4} {run.SingleQps,8:F0} QPS   text beside bm25: recall {run.NamedRecall:F4} {run.NamedQps,8:F0} QPS   named/single {run.MedianPairedRatio:F3} (median of {rounds} paired passes)"));
        }

        long sparseRaw = sparse.Sum(v => v.Bytes);
        var result = new NamedResult(
            Dataset: Path.GetFileName(Path.GetFullPath(data)), Points: vectors.Count, Dimensions: vectors.Dimensions, Queries: queries.Count, K: k, Rounds: rounds,
            Runs: runs,
            DenseBytesPerPoint: (double)named.VectorMemoryBytes("text") / vectors.Count,
            DenseRawBytesPerPoint: vectors.Dimensions * (double)sizeof(float),
            SparseBytesPerPoint: (double)named.VectorMemoryBytes("bm25") / vectors.Count,
            SparseRawBytesPerPoint: (double)sparseRaw / vectors.Count,
            SparseTermsPerPoint: sparse.Average(v => v.Count),
            Cpu: Environment.ProcessorCount + " cores");
        Console.WriteLine($"memory per point: text {result.DenseBytesPerPoint:F0} B (raw {result.DenseRawBytesPerPoint:F0} B); "
            + $"bm25 {result.SparseBytesPerPoint:F0} B (raw {result.SparseRawBytesPerPoint:F0} B, {result.SparseTermsPerPoint:F1} terms)");
        if (CommandLine.Option(args, "--out") is { } outPath)
        {
            File.WriteAllText(outPath, JsonSerializer.Serialize(result, Indented));
        }

        return 0;
    }

    internal static double Build(Collection collection, int count, Func<int, Point> point)
    {
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < count; start += BatchSize)
        {
            collection.Upsert(Enumerable.Range(start, Math.Min(BatchSize, count - start)).Select(point).ToList(), wait: false);
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static double Recall(Collection collection, VectorSet queries, int[][] truth, int k, SearchOptions options)
    {
        long found = 0;
        for (int q = 0; q < queries.Count; q++)
        {
            var expected = truth[q].Take(k).ToHashSet();
            found += collection.Search(queries[q], k, options).Count(hit => expected.Contains((int)hit.Id.Number));
        }

        return found / (double)(queries.Count * k);
    }

    private static double Pass(Collection collection, VectorSet queries, int k, SearchOptions options)
    {
        long start = Stopwatch.GetTimestamp();
        for (int q = 0; q < queries.Count; q++)
        {
            collection.Search(queries[q], k, options);
        }

        return queries.Count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}

/// <summary>One beam width of the <c>named</c> command: recall and QPS of each collection, and their paired ratio.</summary>
public sealed record NamedRun(int Ef, double SingleRecall, double NamedRecall, double SingleQps, double NamedQps, double MedianPairedRatio);

/// <summary>The <c>named</c> command's figures.</summary>
public sealed record NamedResult(
    string Dataset, int Points, int Dimensions, int Queries, int K, int Rounds, IReadOnlyList<NamedRun> Runs,
    double DenseBytesPerPoint, double DenseRawBytesPerPoint, double SparseBytesPerPoint, double SparseRawBytesPerPoint, double SparseTermsPerPoint, string Cpu);
