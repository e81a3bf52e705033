using System.Diagnostics;
using System.Globalization;
using VectorDb.Adaptive;
using VectorDb.Datasets;

namespace VectorDb.Bench.Tiers;

/// <summary>
/// A prefix tier against whole float32 vectors in RAM, through the embedded API on a database directory: one collection
/// searched on whole float32 rows in RAM (the baseline), and one per prefix length and row format keeping only the
/// graph and the prefix in RAM, the vectors on disk (<c>memory: cached</c>, read through the OS page cache) for
/// rescoring. Every configuration is timed once per round, the baseline and the tiers alternating which goes first;
/// figures are medians of rounds. Reports each collection's RAM by component and the bytes on disk beside it.
/// </summary>
public static class PrefixTierCommand
{
    private static readonly double[] ReportedRecalls = [0.9, 0.95];

    public static int Run(string[] args)
    {
        var values = CommandLine.Pairs(args);
        string dataDir = values.GetValueOrDefault("data") ?? Path.Combine("..", "shared", "data");
        string dataset = values.GetValueOrDefault("dataset") ?? "fashion-mnist-mrl-256";
        int maxQueries = CommandLine.Number(values, "max-queries", 1000);
        int rounds = Math.Max(1, CommandLine.Number(values, "rounds", 5));
        int k = CommandLine.Number(values, "k", 10);
        int[] efs = CommandLine.Integers(values.GetValueOrDefault("ef") ?? "10,12,16,20,24,32,48,64,96");
        int[] tierEfs = CommandLine.Integers(values.GetValueOrDefault("tier-ef") ?? "10,16,24,32,48,64,96");
        int[] tierDims = CommandLine.Integers(values.GetValueOrDefault("tier-dims") ?? "32,64");
        int[] oversamplings = CommandLine.Integers(values.GetValueOrDefault("oversampling") ?? "4,8");
        var dataTypes = (values.GetValueOrDefault("datatype") ?? "float32").Split(',').Select(ParseDataType).ToArray();

        var (baseSet, querySet, truth, metric, rotated) = Load(dataDir, dataset, maxQueries, k);
        Console.WriteLine($"{dataset}: {baseSet.Count} × {baseSet.Dimensions}, {querySet.Count} queries, {metric}{(rotated ? ", PCA-rotated" : "")}; CPU: {Environment.ProcessorCount} threads");

        string directory = values.GetValueOrDefault("dir") ?? Path.Combine(Path.GetTempPath(), $"vectordb-prefix-tier-{Environment.ProcessId}");
        Directory.CreateDirectory(directory);
        try
        {
            using var database = VectorDatabase.Open(directory);
            int dims = baseSet.Dimensions;
            int[] prefixes = [.. tierDims.Where(d => d < dims).Order()];
            var baseline = Build(database, "ram", baseSet, new CollectionOptions { Dimensions = dims, Distance = metric, M = 16, EfConstruction = 200 });
            var tiers = (from type in dataTypes
                         from d in prefixes
                         select (Dims: d, Type: type, Collection: Build(database, $"tier-{type}-{d}".ToLowerInvariant(), baseSet, new CollectionOptions
                         {
                             Dimensions = dims, Distance = metric, M = 16, EfConstruction = 200, DataType = type, Memory = MemoryTier.Cached,
                             Matryoshka = [.. prefixes.Append(dims)], PrefixTier = new PrefixTierOptions { Dimensions = d },
                         }))).ToList();

            var full = efs.Select(ef => new Config($"ram float32 full ef {ef}", baseline, new SearchOptions { Ef = ef })).ToList();
            var tiered = (from tier in tiers from o in oversamplings from ef in tierEfs
                          select new Config($"tier {tier.Type} {tier.Dims} dims x{o} ef {ef}", tier.Collection,
                              new SearchOptions { Ef = ef, Adaptive = new AdaptiveSearch { SearchDimensions = tier.Dims, Oversampling = o } })).ToList();
            var timings = full.Concat(tiered).ToDictionary(c => c, _ => new List<double>());
            var recalls = new Dictionary<Config, double>();
            for (int round = 0; round < rounds; round++)
            {
                foreach (var config in round % 2 == 0 ? full.Concat(tiered) : tiered.Concat(full))
                {
                    var (qps, recall) = Pass(config, querySet, truth, k);
                    timings[config].Add(qps);
                    recalls[config] = recall;
                }
            }

            var measured = full.Concat(tiered).Select(c => new Measured(c.Name, recalls[c], Timing.Median(timings[c]))).ToList();
            var fullRuns = measured.Take(full.Count).ToList();
            var memory = tiers.Select(t => t.Collection).Prepend(baseline).ToDictionary(c => c.Name, c => Ram(c));
            long baselineRam = memory["ram"].RamBytes;
            var reports = new List<TierReport>();
            foreach (var tier in tiers)
            {
                var runs = measured.Where(m => m.Name.StartsWith($"tier {tier.Type} {tier.Dims} dims ", StringComparison.Ordinal)).ToList();
                var ram = memory[tier.Collection.Name];
                var atRecall = ReportedRecalls.Select(r => new AtRecall(r, Best(fullRuns, r), Best(runs, r))).ToList();
                reports.Add(new TierReport(tier.Collection.Name, tier.Dims, tier.Type.ToString(), ram, (double)ram.RamBytes / baselineRam, atRecall));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{tier.Collection.Name}: RAM {ram.RamBytes / 1e6:F1} MB ({(double)ram.RamBytes / baselineRam:F3}× of {baselineRam / 1e6:F1} MB; prefix {ram.PrefixBytes / 1e6:F1}, graph {ram.GraphBytes / 1e6:F1}, checksums {ram.RowBytes / 1e6:F1}), on disk {ram.DiskBytes / 1e6:F1} MB"));
                foreach (var at in atRecall)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  recall >= {at.Recall}: RAM float32 {at.Full?.Name} {at.Full?.Qps:F0} QPS ({at.Full?.Recall:F4}); tier {at.Tier?.Name} {at.Tier?.Qps:F0} QPS ({at.Tier?.Recall:F4}); ratio {at.Ratio:F2}"));
                }
            }

            CommandLine.Report(new { dataset, points = baseSet.Count, dims, metric = metric.ToString(), rotated, k, rounds, baseline = memory["ram"], tiers = reports, runs = measured },
                values.GetValueOrDefault("out"));
        }
        finally
        {
            if (!values.ContainsKey("dir"))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        return 0;
    }

    /// <summary>The base and query vectors, the truth's top k, the metric, and whether the vectors were PCA-rotated (text embeddings are not Matryoshka-trained).</summary>
    private static (VectorSet Base, VectorSet Queries, int[][] Truth, DistanceMetric Metric, bool Rotated) Load(string dataDir, string dataset, int maxQueries, int k)
    {
        string folder = Path.Combine(dataDir, dataset);
        var baseSet = DatasetReader.ReadFvecs(Path.Combine(folder, "base.fvecs"));
        var querySet = DatasetReader.ReadFvecs(Path.Combine(folder, "query.fvecs"), maxQueries);
        bool text = dataset.StartsWith("wordnet", StringComparison.Ordinal);
        string truthFile = text ? $"{dataset}-angular.gt100.ivecs" : $"{dataset}-euclidean.gt100.ivecs";
        var truth = DatasetReader.ReadIvecs(Path.Combine(folder, truthFile), maxQueries).Select(row => row[..k]).ToArray();
        if (!text)
        {
            return (baseSet, querySet, truth, DistanceMetric.Euclid, false);
        }

        // Rotation keeps dot products, so the cosine ground truth stays valid for the rotated vectors.
        var sample = Enumerable.Range(0, Math.Min(baseSet.Count, 20_000)).Select(i => baseSet[i * (baseSet.Count / Math.Min(baseSet.Count, 20_000))].ToArray()).ToList();
        var rotation = PcaRotation.Fit(sample, baseSet.Dimensions, center: false);
        return (Rotate(rotation, baseSet), Rotate(rotation, querySet), truth, DistanceMetric.Cosine, true);
    }

    private static VectorSet Rotate(PcaRotation rotation, VectorSet set)
    {
        var rotated = new float[set.Count * set.Dimensions];
        Parallel.For(0, set.Count, row => rotation.Rotate(set[row], rotated.AsSpan(row * set.Dimensions, set.Dimensions)));
        return new VectorSet(rotated, set.Dimensions);
    }

    private static Collection Build(VectorDatabase database, string name, VectorSet vectors, CollectionOptions options)
    {
        var clock = Stopwatch.StartNew();
        var collection = database.CreateCollection(name, options);
        foreach (var chunk in Enumerable.Range(0, vectors.Count).Chunk(2048))
        {
            collection.Upsert(chunk.Select(i => new Point((ulong)i, vectors[i].ToArray())));
        }

        Console.WriteLine($"{name}: built in {clock.Elapsed.TotalSeconds:F1} s");
        return collection;
    }

    private static DenseVectorMemory Ram(Collection collection) => collection.DenseMemory();

    /// <summary>One pass of the queries: QPS and recall@k.</summary>
    private static (double Qps, double Recall) Pass(Config config, VectorSet queries, int[][] truth, int k)
    {
        double found = 0;
        var vector = new float[queries.Dimensions];
        long start = Stopwatch.GetTimestamp();
        for (int q = 0; q < queries.Count; q++)
        {
            queries[q].CopyTo(vector);
            var hits = config.Collection.Search(vector, k, config.Options);
            var expected = truth[q];
            foreach (var hit in hits)
            {
                found += Array.IndexOf(expected, (int)hit.Id.Number) >= 0 ? 1 : 0;
            }
        }

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (queries.Count / seconds, found / ((double)queries.Count * k));
    }

    private static Measured? Best(List<Measured> runs, double recall) => runs.Where(r => r.Recall >= recall).MaxBy(r => r.Qps);

    private static VectorDataType ParseDataType(string name) => name switch
    {
        "float32" => VectorDataType.Float32,
        "float16" => VectorDataType.Float16,
        "bfloat16" => VectorDataType.BFloat16,
        _ => throw new ArgumentException($"unknown --datatype {name} (float32, float16, bfloat16)"),
    };

    private sealed record Config(string Name, Collection Collection, SearchOptions Options);

    private sealed record Measured(string Name, double Recall, double Qps);

    private sealed record AtRecall(double Recall, Measured? Full, Measured? Tier)
    {
        public double? Ratio => Full is null || Tier is null ? null : Tier.Qps / Full.Qps;
    }

    private sealed record TierReport(string Collection, int Dims, string DataType, DenseVectorMemory Ram, double RamRatio, List<AtRecall> AtRecall);
}
