using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VectorDb.Datasets;
using VectorDb.Distance;
using VectorDb.Query.Text;
using VectorDb.Sparse;

namespace VectorDb.Bench.Vectors;

/// <summary>
/// <c>hybrid</c>: what the universal query's stages cost next to a plain dense query. One collection holds each point's
/// embedding (<c>base.fvecs</c>) as the named vector <c>text</c> and its gloss (<c>base.txt</c>) as a BM25 vector with
/// IDF; every query (<c>query.fvecs</c> with <c>query.txt</c>) runs, single-threaded, in alternating passes, as
/// <list type="bullet">
/// <item>plain: nearest on <c>text</c>, limit 10, hnsw_ef 100;</item>
/// <item>hybrid: a dense prefetch (limit 100, hnsw_ef 100) and a BM25 prefetch of the query text (limit 100, the text
///   encoded inside the timed query, as the server does for a document) fused by RRF, limit 10;</item>
/// <item>mmr: nearest with <c>mmr: {diversity, candidates_limit 100}</c>, hnsw_ef 100, limit 10;</item>
/// <item>coverage: nearest with coverage selection among the 100 nearest (ours), hnsw_ef 100, limit 10.</item>
/// </list>
/// Reports each pass's p50 latency and, per round, the ratios to plain (their median over rounds); and for plain, MMR
/// and coverage hits the mean similarity to the query and the coverage of the exact top 100 (the mean over those neighbours of
/// their best similarity to one of the 10 hits).
/// <code>hybrid [--data ../shared/data/wordnet-arcticxs-384] [--rounds 7] [--max-queries 1000] [--diversity 0.5] [--out result.json]</code>
/// </summary>
public static class HybridCommand
{
    private const int Limit = 10;
    private const int Ef = 100;
    private const int Candidates = 100;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        string data = CommandLine.Option(args, "--data") ?? Path.Combine("..", "shared", "data", "wordnet-arcticxs-384");
        int rounds = int.Parse(CommandLine.Option(args, "--rounds") ?? "7", CultureInfo.InvariantCulture);
        int maxQueries = int.Parse(CommandLine.Option(args, "--max-queries") ?? "1000", CultureInfo.InvariantCulture);
        float diversity = float.Parse(CommandLine.Option(args, "--diversity") ?? "0.5", CultureInfo.InvariantCulture);

        var vectors = DatasetReader.ReadFvecs(Path.Combine(data, "base.fvecs"));
        var queries = DatasetReader.ReadFvecs(Path.Combine(data, "query.fvecs"), maxQueries);
        string[] texts = [.. File.ReadAllLines(Path.Combine(data, "query.txt")).Take(queries.Count)];
        var truth = DatasetReader.ReadIvecs(Directory.GetFiles(data, "*.gt100.ivecs").Single(), maxQueries);
        var encoder = new Bm25Encoder(new Bm25Options());
        var documents = File.ReadAllLines(Path.Combine(data, "base.txt")).Take(vectors.Count).Select(encoder.EncodeDocument).ToArray();

        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("hybrid", new CollectionOptions
        {
            Dimensions = 0,
            NamedVectors = new Dictionary<string, DenseVectorOptions> { ["text"] = new() { Dimensions = vectors.Dimensions, Distance = DistanceMetric.Cosine } },
            SparseVectors = new Dictionary<string, SparseVectorOptions> { ["bm25"] = new() { Idf = true } },
        });
        double build = NamedCommand.Build(collection, vectors.Count, i => new Point((ulong)i, null)
        {
            NamedVectors = new Dictionary<string, float[]> { ["text"] = vectors[i].ToArray() },
            SparseVectors = new Dictionary<string, SparseVector> { ["bm25"] = documents[i] },
        });
        Console.WriteLine($"{vectors.Count:N0} points (text {vectors.Dimensions} dims + bm25) built in {build:F1} s; {queries.Count} queries");

        PointQuery Plain(int q) => new() { Query = new NearestQuery(VectorInput.Of(queries[q].ToArray())), Using = "text", Limit = Limit, Ef = Ef };
        PointQuery Hybrid(int q) => new()
        {
            Prefetch =
            [
                new PointQuery { Query = new NearestQuery(VectorInput.Of(queries[q].ToArray())), Using = "text", Limit = Candidates, Ef = Ef },
                new PointQuery { Query = new NearestQuery(VectorInput.Of(encoder.EncodeQuery(texts[q]))), Using = "bm25", Limit = Candidates },
            ],
            Query = new FusionQuery(FusionMethod.Rrf),
            Limit = Limit,
        };
        PointQuery Mmr(int q) => Plain(q) with { Query = new NearestQuery(VectorInput.Of(queries[q].ToArray())) { Mmr = new MmrOptions(diversity, Candidates) } };
        PointQuery Coverage(int q) => Plain(q) with { Query = new NearestQuery(VectorInput.Of(queries[q].ToArray())) { Coverage = new CoverageOptions(Candidates) } };

        var (plainSimilarity, plainCoverage) = Diversity(collection, vectors, queries, truth, Plain);
        var (mmrSimilarity, mmrCoverage) = Diversity(collection, vectors, queries, truth, Mmr);
        var (coverSimilarity, coverCoverage) = Diversity(collection, vectors, queries, truth, Coverage);
        int hybridTextOnly = Enumerable.Range(0, queries.Count).Count(q => collection.Query(Hybrid(q)).Count < Limit);

        var plainP50 = new List<double>();
        var hybridP50 = new List<double>();
        var mmrP50 = new List<double>();
        var coverP50 = new List<double>();
        var hybridRatios = new List<double>();
        var mmrRatios = new List<double>();
        var coverRatios = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            double plain = P50(collection, queries.Count, Plain);
            double hybrid = P50(collection, queries.Count, Hybrid);
            double mmr = P50(collection, queries.Count, Mmr);
            double cover = P50(collection, queries.Count, Coverage);
            plainP50.Add(plain);
            hybridP50.Add(hybrid);
            mmrP50.Add(mmr);
            coverP50.Add(cover);
            hybridRatios.Add(hybrid / plain);
            mmrRatios.Add(mmr / plain);
            coverRatios.Add(cover / plain);
        }

        var result = new HybridResult(
            Dataset: Path.GetFileName(Path.GetFullPath(data)), Points: vectors.Count, Queries: queries.Count, Rounds: rounds, Diversity: diversity,
            PlainP50Microseconds: Timing.Median(plainP50), HybridP50Microseconds: Timing.Median(hybridP50), MmrP50Microseconds: Timing.Median(mmrP50),
            CoverageP50Microseconds: Timing.Median(coverP50),
            HybridOverPlain: Timing.Median(hybridRatios), MmrOverPlain: Timing.Median(mmrRatios), CoverageOverPlain: Timing.Median(coverRatios),
            HybridQueriesWithFewerHits: hybridTextOnly,
            PlainMeanSimilarity: plainSimilarity, PlainCoverage: plainCoverage, MmrMeanSimilarity: mmrSimilarity, MmrCoverage: mmrCoverage,
            CoverageMeanSimilarity: coverSimilarity, CoverageCoverage: coverCoverage,
            Cpu: Environment.ProcessorCount + " cores");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            p50 latency (median of {rounds} rounds): plain {result.PlainP50Microseconds:F0} µs, hybrid {result.HybridP50Microseconds:F0} µs, mmr {result.MmrP50Microseconds:F0} µs, coverage {result.CoverageP50Microseconds:F0} µs
            hybrid / plain {result.HybridOverPlain:F2}×, mmr / plain {result.MmrOverPlain:F2}×, coverage / plain {result.CoverageOverPlain:F2}× (median of per-round ratios)
            the 10 hits: plain similarity {plainSimilarity:F4}, coverage {plainCoverage:F4}; mmr {diversity} similarity {mmrSimilarity:F4}, coverage {mmrCoverage:F4}; coverage selection similarity {coverSimilarity:F4}, coverage {coverCoverage:F4}
            """));
        if (CommandLine.Option(args, "--out") is { } outPath)
        {
            File.WriteAllText(outPath, JsonSerializer.Serialize(result, Indented));
        }

        return 0;
    }

    /// <summary>The median latency, in microseconds, of one pass over every query.</summary>
    private static double P50(Collection collection, int count, Func<int, PointQuery> query)
    {
        var latencies = new double[count];
        for (int q = 0; q < count; q++)
        {
            long start = Stopwatch.GetTimestamp();
            collection.Query(query(q));
            latencies[q] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        return Timing.Median(latencies);
    }

    /// <summary>
    /// Mean cosine of the hits to the query, and coverage: the mean, over the query's exact 100 nearest points, of their
    /// best cosine to one of the hits.
    /// </summary>
    private static (double Similarity, double Coverage) Diversity(Collection collection, VectorSet vectors, VectorSet queries, int[][] truth, Func<int, PointQuery> query)
    {
        double similarity = 0, coverage = 0;
        for (int q = 0; q < queries.Count; q++)
        {
            var hits = collection.Query(query(q)).Select(hit => (int)hit.Id.Number).ToList();
            similarity += hits.Average(hit => Cosine(vectors[hit], queries[q]));
            coverage += truth[q].Take(100).Average(neighbour => hits.Max(hit => Cosine(vectors[neighbour], vectors[hit])));
        }

        return (similarity / queries.Count, coverage / queries.Count);
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => VectorMath.Dot(a, b) / (VectorMath.Norm(a) * VectorMath.Norm(b));
}

/// <summary>The <c>hybrid</c> command's figures.</summary>
public sealed record HybridResult(
    string Dataset, int Points, int Queries, int Rounds, float Diversity,
    double PlainP50Microseconds, double HybridP50Microseconds, double MmrP50Microseconds, double CoverageP50Microseconds,
    double HybridOverPlain, double MmrOverPlain, double CoverageOverPlain,
    int HybridQueriesWithFewerHits,
    double PlainMeanSimilarity, double PlainCoverage, double MmrMeanSimilarity, double MmrCoverage, double CoverageMeanSimilarity, double CoverageCoverage, string Cpu);
