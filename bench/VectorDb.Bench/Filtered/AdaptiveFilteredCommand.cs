using System.Diagnostics;
using System.Globalization;
using VectorDb.Adaptive;

namespace VectorDb.Bench.Filtered;

/// <summary>
/// Adaptive-dimension search under filters, through the embedded API (planner included), on PCA-rotated fashion-mnist:
/// per filter case, recall@k against exact filtered truth and single-thread QPS of filtered full-dimension search (a
/// sweep of ef), of filtered adaptive search (prefixes × shortlists × ef) and of <c>target_recall</c>. Every
/// configuration runs every query once per round, interleaved with the others in chunks of 100 queries, in random
/// order (<see cref="Timing.Interleaved"/>); each figure is its median round, and a case's ratio is the best adaptive
/// QPS at a recall over the best full-dimension QPS at that recall.
/// </summary>
public static class AdaptiveFilteredCommand
{
    private static readonly double[] ReportedRecalls = [0.9, 0.95];

    public static int Run(string[] args)
    {
        var values = CommandLine.Pairs(args);
        string dataDir = values.GetValueOrDefault("data") ?? Path.Combine("..", "shared", "data");
        int maxQueries = CommandLine.Number(values, "max-queries", 1000);
        int rounds = Math.Max(1, CommandLine.Number(values, "rounds", 5));
        int[] efs = CommandLine.Integers(values.GetValueOrDefault("ef") ?? "10,12,14,16,20,24,32,48,64,96");
        int[] adaptiveEfs = CommandLine.Integers(values.GetValueOrDefault("adaptive-ef") ?? "10,12,14,16,20,24,32,48");
        int[] searchDims = CommandLine.Integers(values.GetValueOrDefault("search-dims") ?? "64,128");
        int[] oversamplings = CommandLine.Integers(values.GetValueOrDefault("oversampling") ?? "2,4");
        double[] targets = [.. (values.GetValueOrDefault("target-recall") ?? "0.95").Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture))];
        string[] cases = (values.GetValueOrDefault("cases") ?? "10% (u < 100),10% (label = own label),90% anti (label != own label),1% (u < 10)").Split(',');

        var workload = Workloads.FashionMnist(Path.Combine(dataDir, "fashion-mnist"), maxQueries);
        int dims = workload.Points[0].Vector!.Length;
        var clock = Stopwatch.StartNew();
        var rotation = PcaRotation.Fit([.. workload.Points.Where((_, i) => i % 3 == 0).Select(p => p.Vector!)], dims, center: true);
        var points = workload.Points.AsParallel().AsOrdered().Select(p => p with { Vector = rotation.Rotate(p.Vector!) }).ToList();
        var queries = workload.Queries.Where(q => cases.Contains(q.Case)).Select(q => q with { Vector = rotation.Rotate(q.Vector) }).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"PCA fitted and applied in {clock.Elapsed.TotalSeconds:F1} s; variance in the first 64/128 dims {rotation.ExplainedShare(64):P1} / {rotation.ExplainedShare(128):P1}"));

        using var database = VectorDatabase.InMemory();
        int[] prefixes = [.. searchDims.Where(d => d < dims).Order()];
        var collection = database.CreateCollection("bench", new CollectionOptions
        {
            Dimensions = dims, Distance = DistanceMetric.Euclid, M = 16, EfConstruction = 200, Matryoshka = [.. prefixes.Append(dims).Distinct()],
        });
        foreach (var (key, schema) in workload.Indexes)
        {
            collection.CreatePayloadIndex(key, schema);
        }

        clock.Restart();
        foreach (var chunk in points.Chunk(2048))
        {
            collection.Upsert(chunk);
        }

        collection.WaitForPayloadLinks();
        Console.WriteLine($"{points.Count} points built in {clock.Elapsed.TotalSeconds:F1} s; {queries.Count / cases.Length} queries per case");

        var report = new List<CaseReport>();
        foreach (string name in cases)
        {
            var caseQueries = queries.Where(q => q.Case == name).ToList();
            var truth = caseQueries.Select(q => collection.Search(q.Vector, workload.K, new SearchOptions { Filter = q.Filter, Exact = true }).Select(h => h.Id).ToHashSet()).ToList();
            var full = efs.Select(ef => new Config($"full ef {ef}", null, new SearchOptions { Ef = ef })).ToList();
            var adaptive = (from d in prefixes from o in oversamplings from ef in adaptiveEfs
                            select new Config($"{d} dims x{o} ef {ef}", d, new SearchOptions { Ef = ef, Adaptive = new AdaptiveSearch { SearchDimensions = d, Oversampling = o } })).ToList();
            var targeted = targets.Select(t => new Config($"target {t}", null, new SearchOptions { Adaptive = new AdaptiveSearch { TargetRecall = t } })).ToList();

            // The first target_recall query calibrates for its band: done before timing, and its duration reported.
            clock.Restart();
            var calibrations = targeted.Select(t => Explained(collection, caseQueries, truth, workload.K, t.Options)).ToList();
            double calibrationSeconds = clock.Elapsed.TotalSeconds;

            var timings = new Dictionary<Config, List<double>>();
            var recalls = new Dictionary<Config, double>();
            for (int round = 0; round < rounds; round++)
            {
                var order = full.Concat(adaptive).Concat(targeted).ToList();
                // Only the ids are kept while timing: results held for the whole round would survive, and be copied by, every GC.
                var found = order.Select(_ => new PointId?[caseQueries.Count * workload.K]).ToArray();
                double[] qps = Timing.Interleaved(caseQueries.Count, order.Count, (c, q) =>
                {
                    var hits = collection.Search(caseQueries[q].Vector, workload.K, order[c].Options with { Filter = caseQueries[q].Filter });
                    for (int i = 0; i < hits.Count; i++)
                    {
                        found[c][(q * workload.K) + i] = hits[i].Id;
                    }
                }, seed: round);
                for (int c = 0; c < order.Count; c++)
                {
                    timings.TryAdd(order[c], []);
                    timings[order[c]].Add(qps[c]);
                    recalls[order[c]] = Recall(found[c], truth, workload.K);
                }
            }

            var measured = full.Concat(adaptive).Concat(targeted).Select(c => new Measured(c.Name, c.SearchDims, recalls[c], Timing.Median(timings[c]))).ToList();
            var fullRuns = measured.Take(full.Count).ToList();
            var adaptiveRuns = measured.Skip(full.Count).Take(adaptive.Count).ToList();
            var targetRuns = measured.Skip(full.Count + adaptive.Count).ToList();
            var atRecall = ReportedRecalls.Select(r => new AtRecall(r, Best(fullRuns, r), Best(adaptiveRuns, r))).ToList();
            var targetReports = targetRuns.Select((run, i) => new TargetReport(targets[i], run.Recall, run.Qps, Best(fullRuns, run.Recall)?.Qps, calibrations[i])).ToList();
            report.Add(new CaseReport(name, calibrationSeconds, atRecall, targetReports, measured));

            Console.WriteLine($"{name}: calibration {calibrationSeconds:F1} s");
            foreach (var at in atRecall)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  recall >= {at.Recall}: full {at.Full?.Name} {at.Full?.Qps:F0} QPS ({at.Full?.Recall:F4}); adaptive {at.Adaptive?.Name} {at.Adaptive?.Qps:F0} QPS ({at.Adaptive?.Recall:F4}); ratio {at.Ratio:F2}"));
            }

            foreach (var target in targetReports)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  target {target.Target}: recall {target.Recall:F4}, {target.Qps:F0} QPS, full at that recall {target.FullQpsAtRecall:F0} QPS; {target.Plans}"));
            }
        }

        CommandLine.Report(new
        {
            dataset = "fashion-mnist-784, PCA-rotated",
            points = points.Count,
            k = workload.K,
            rounds,
            cpu = Environment.ProcessorCount,
            cases = report,
        }, values.GetValueOrDefault("out"));
        return 0;
    }

    /// <summary>Mean recall@k of one pass's hits (k slots per query, null past its last hit), over the queries that have something to find.</summary>
    private static double Recall(PointId?[] found, List<HashSet<PointId>> truth, int k)
    {
        double recall = 0;
        int scored = 0;
        for (int i = 0; i < truth.Count; i++)
        {
            if (truth[i].Count > 0)
            {
                recall += found.AsSpan(i * k, k).ToArray().Count(id => id is { } hit && truth[i].Contains(hit)) / (double)Math.Min(k, truth[i].Count);
                scored++;
            }
        }

        return scored == 0 ? 1 : recall / scored;
    }

    /// <summary>
    /// What explain says the queries ran, counted: the strategies, and the distinct calibrations (band and choice), each
    /// with the recall its queries had: whether a calibration lands on its target shows per band, not only on average.
    /// </summary>
    private static string Explained(Collection collection, List<BenchQuery> queries, List<HashSet<PointId>> truth, int k, SearchOptions options)
    {
        var seen = new Dictionary<string, (int Queries, int Scored, double Recall)>();
        for (int i = 0; i < queries.Count; i++)
        {
            var result = collection.Search(queries[i].Vector, k, options with { Filter = queries[i].Filter, Explain = true });
            var explain = result.Explain!;
            string reason = explain.Reason.Split("; ")[0];
            string key = $"{explain.Strategy} {explain.SearchDimensions?.ToString(CultureInfo.InvariantCulture) ?? "all"} dims: {reason}";
            var (count, scored, sum) = seen.GetValueOrDefault(key);
            bool score = truth[i].Count > 0; // as in Recall: a query with nothing to find is not scored
            seen[key] = (count + 1, scored + (score ? 1 : 0), sum + (score ? result.Count(h => truth[i].Contains(h.Id)) / (double)Math.Min(k, truth[i].Count) : 0));
        }

        return string.Join(" | ", seen.OrderByDescending(s => s.Value.Queries).Select(s =>
            string.Create(CultureInfo.InvariantCulture, $"{s.Value.Queries}× {s.Key} → held-out recall {(s.Value.Scored == 0 ? "none scored" : (s.Value.Recall / s.Value.Scored).ToString("F3", CultureInfo.InvariantCulture))}")));
    }

    private static Measured? Best(List<Measured> runs, double recall) => runs.Where(r => r.Recall >= recall).MaxBy(r => r.Qps);

    private sealed record Config(string Name, int? SearchDims, SearchOptions Options);

    private sealed record Measured(string Name, int? SearchDims, double Recall, double Qps);

    private sealed record AtRecall(double Recall, Measured? Full, Measured? Adaptive)
    {
        public double? Ratio => Full is null || Adaptive is null ? null : Adaptive.Qps / Full.Qps;
    }

    private sealed record TargetReport(double Target, double Recall, double Qps, double? FullQpsAtRecall, string Plans)
    {
        public double? Ratio => FullQpsAtRecall is { } full ? Qps / full : null;
    }

    private sealed record CaseReport(string Case, double CalibrationSeconds, List<AtRecall> AtRecall, List<TargetReport> Targets, List<Measured> Runs);
}
