using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using VectorDb.Query;

namespace VectorDb.Bench.Filtered;

/// <summary>
/// Filtered search on real data through the embedded API (planner included): recall@k against exact filtered
/// ground truth and single-thread QPS per filter and ef, next to unfiltered search and to an exact scan of the
/// matching set. Datasets: fashion-mnist with its real labels as a keyword field plus a uniform integer field,
/// and the SIGMOD 2024 hybrid-search workload (category and timestamp filters, ground truth included).
/// </summary>
public static class FilteredCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public static int Run(string[] args)
    {
        string dataset = CommandLine.Option(args, "--dataset") ?? "fashion-mnist";
        string dataDir = CommandLine.Option(args, "--data") ?? Path.Combine("..", "shared", "data");
        int maxQueries = int.Parse(CommandLine.Option(args, "--max-queries") ?? "1000", CultureInfo.InvariantCulture);
        int[] efs = [.. (CommandLine.Option(args, "--ef") ?? "32,64,128").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        int repeats = int.Parse(CommandLine.Option(args, "--repeats") ?? "3", CultureInfo.InvariantCulture);
        // Rounds of one filtered pass then one unfiltered pass at the same recall; their median ratio is the figure of record.
        int pairs = int.Parse(CommandLine.Option(args, "--pairs") ?? "7", CultureInfo.InvariantCulture);
        // Unfiltered search runs at these ef values: its recall/QPS curve prices each filtered case "at the same recall".
        int[] unfilteredEfs = [.. (CommandLine.Option(args, "--unfiltered-ef") ?? "10,12,14,16,18,20,22,24,28,32,36,40,48,56,64,80,96,128,160,192,256").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        // "auto" lets the planner choose; naming strategies forces each in turn (to calibrate the planner).
        SearchStrategy?[] strategies = [.. (CommandLine.Option(args, "--strategy") ?? "auto").Split(',')
            .Select(name => name == "auto" ? (SearchStrategy?)null : Enum.Parse<SearchStrategy>(name, ignoreCase: true))];
        var workload = dataset switch
        {
            "fashion-mnist" => Workloads.FashionMnist(Path.Combine(dataDir, "fashion-mnist"), maxQueries),
            "sigmod" => Workloads.Sigmod(Path.Combine(dataDir, "sigmod2024-yfcc-clip-pca100"), maxQueries),
            _ => throw new ArgumentException($"unknown dataset {dataset} (fashion-mnist, sigmod)"),
        };

        Console.WriteLine($"{workload.Name}: {workload.Points.Count} points × {workload.Points[0].Vector!.Length} dims, {workload.Queries.Count} queries; building…");
        using var database = VectorDatabase.InMemory();
        // --payload-links false: keyword indexes keep no value links (REST hnsw_config.payload_m = 0), to measure what they cost and give.
        bool payloadLinks = CommandLine.Option(args, "--payload-links") != "false";
        var collection = database.CreateCollection("bench", new CollectionOptions
        {
            Dimensions = workload.Points[0].Vector!.Length, Distance = DistanceMetric.Euclid, M = 16, EfConstruction = 200, PayloadLinks = payloadLinks,
        });
        // --tenant KEY: that keyword index keeps a graph per value (is_tenant), measured against the plain index.
        string? tenantKey = CommandLine.Option(args, "--tenant");
        // --index-after true: the indexes are created once the points are in, as when a database opens (and its
        // indexes relink their values), and their creation is timed.
        bool indexAfter = CommandLine.Option(args, "--index-after") == "true";
        if (!indexAfter)
        {
            CreateIndexes();
        }

        var clock = Stopwatch.StartNew();
        var slowest = TimeSpan.Zero;
        foreach (var chunk in workload.Points.Chunk(2048))
        {
            long started = Stopwatch.GetTimestamp();
            collection.Upsert(chunk);
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, Stopwatch.GetElapsedTime(started).Ticks));
        }

        Console.WriteLine($"built in {clock.Elapsed.TotalSeconds:F1} s (slowest upsert of 2,048 points: {slowest.TotalSeconds:F2} s)");
        if (!indexAfter)
        {
            // Values reaching 1,000 points during the build are linked in the background; the measurements start once they are.
            clock.Restart();
            collection.WaitForPayloadLinks();
            Console.WriteLine($"value links made {clock.Elapsed.TotalSeconds:F1} s after the build");
        }
        if (indexAfter)
        {
            clock.Restart();
            CreateIndexes();
            double created = clock.Elapsed.TotalSeconds;
            collection.WaitForPayloadLinks();
            Console.WriteLine($"indexes created on the {workload.Points.Count} points in {created:F1} s, their value links made in the background in {clock.Elapsed.TotalSeconds:F1} s");
        }
        var results = new List<FilteredRun>();

        void CreateIndexes()
        {
            foreach (var (key, schema) in workload.Indexes)
            {
                collection.CreatePayloadIndex(key, schema, isTenant: key == tenantKey);
            }
        }

        Console.WriteLine($"{"case",-34} {"matches",8} {"ef",4} {"recall",7} {"qps",8} {"exact qps",9} {"unf@rec",8} {"unf@ef",8} {"×paired",7} {"p50 ms",7} {"dists",7}  strategies");
        var unfilteredCurve = new List<FilteredRun>();
        List<BenchQuery>? unfilteredQueries = null;
        IReadOnlyDictionary<int, ulong[]>? unfilteredTruth = null;
        string[]? only = CommandLine.Option(args, "--cases")?.Split(',');
        foreach (var group in workload.Queries.GroupBy(q => q.Case).Where(g => only is null || only.Any(o => g.Key.StartsWith(o, StringComparison.Ordinal))))
        {
            var queries = group.ToList();
            var truth = workload.Truth ?? ExactTruth(collection, queries, workload.K);
            bool unfiltered = queries.All(q => q.Filter is null);
            double exactQps = unfiltered ? 0 : Measure(collection, queries, truth, workload.K, 0, repeats, exact: true, null).Qps;
            foreach (var strategy in strategies)
            {
                foreach (int ef in unfiltered ? unfilteredEfs : efs)
                {
                    var run = Measure(collection, queries, truth, workload.K, ef, repeats, exact: false, strategy) with { ExactScanQps = exactQps, Forced = strategy };
                    if (unfiltered)
                    {
                        unfilteredCurve.Add(run);
                        (unfilteredQueries, unfilteredTruth) = (queries, truth);
                    }
                    else if (unfilteredQueries is not null)
                    {
                        // The references are measured again right after the case: the machine drifts by ±30 % within
                        // minutes, so only measurements taken side by side make a ratio.
                        int efAtRecall = EfAtRecall(unfilteredCurve, run.Recall);
                        run = run with
                        {
                            UnfilteredQpsAtRecall = Measure(collection, unfilteredQueries, unfilteredTruth!, workload.K, efAtRecall, repeats, exact: false, null).Qps,
                            UnfilteredQpsSameEf = Measure(collection, unfilteredQueries, unfilteredTruth!, workload.K, ef, repeats, exact: false, null).Qps,
                            PairedRatioAtRecall = PairedRatio(collection, queries, ef, strategy, unfilteredQueries, efAtRecall, workload.K, pairs),
                        };
                    }

                    results.Add(run);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{run.Case,-34} {run.MeanMatches,8:F0} {ef,4} {run.Recall,7:F4} {run.Qps,8:F0} {exactQps,9:F0} {run.UnfilteredQpsAtRecall,8:F0} {run.UnfilteredQpsSameEf,8:F0} {run.PairedRatioAtRecall,7:F2} {run.P50Ms,7:F3} {run.MeanDistances,7:F0}  {string.Join(", ", run.Strategies.Select(s => $"{s.Key} {s.Value}"))}"));
                }

                if (unfiltered)
                {
                    break; // nothing to force
                }
            }
        }

        if (CommandLine.Option(args, "--out") is { } outPath)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            File.WriteAllText(outPath, JsonSerializer.Serialize(new { dataset = workload.Name, n = workload.Points.Count, k = workload.K, runs = results }, JsonOptions));
            Console.WriteLine($"wrote {outPath}");
        }

        return 0;
    }

    /// <summary>
    /// The cheapest ef of the unfiltered curve whose recall reaches <paramref name="recall"/>; when none does, the ef of
    /// the highest recall measured (so a filtered case at recall 1.0 is priced against the best unfiltered point).
    /// </summary>
    private static int EfAtRecall(List<FilteredRun> curve, double recall) =>
        (curve.Where(r => r.Recall >= recall).MinBy(r => r.Ef) ?? curve.MaxBy(r => r.Recall))!.Ef;

    /// <summary>
    /// The filtered case's QPS over unfiltered search's at <paramref name="unfilteredEf"/>, as the median of
    /// <paramref name="pairs"/> rounds each timing one pass of both back to back: the machine drifts by ±30 % within
    /// minutes, and a ratio of two best-of-N figures taken a minute apart inherits that drift.
    /// </summary>
    private static double? PairedRatio(
        Collection collection, List<BenchQuery> queries, int ef, SearchStrategy? strategy, List<BenchQuery> unfilteredQueries, int unfilteredEf, int k, int pairs)
    {
        if (pairs <= 0)
        {
            return null;
        }

        var ratios = new double[pairs];
        for (int round = 0; round < pairs; round++)
        {
            double filtered = queries.Count / TimePass(collection, queries, k, ef, strategy);
            double unfiltered = unfilteredQueries.Count / TimePass(collection, unfilteredQueries, k, unfilteredEf, null);
            ratios[round] = filtered / unfiltered;
        }

        Array.Sort(ratios);
        return pairs % 2 == 1 ? ratios[pairs / 2] : (ratios[(pairs / 2) - 1] + ratios[pairs / 2]) / 2;
    }

    /// <summary>Seconds one pass of the queries takes.</summary>
    private static double TimePass(Collection collection, List<BenchQuery> queries, int k, int ef, SearchStrategy? strategy)
    {
        long start = Stopwatch.GetTimestamp();
        foreach (var query in queries)
        {
            collection.Search(query.Vector, k, new SearchOptions { Filter = query.Filter, Ef = ef, Strategy = strategy });
        }

        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Exact filtered top-k per query (a brute-force scan of the matches), keyed by query index.</summary>
    private static Dictionary<int, ulong[]> ExactTruth(Collection collection, List<BenchQuery> queries, int k)
    {
        var truth = new Dictionary<int, ulong[]>();
        foreach (var query in queries)
        {
            truth[query.Index] = [.. collection.Search(query.Vector, k, new SearchOptions { Filter = query.Filter, Exact = true }).Select(h => h.Id.Number)];
        }

        return truth;
    }

    private static FilteredRun Measure(Collection collection, List<BenchQuery> queries, IReadOnlyDictionary<int, ulong[]> truth, int k, int ef, int repeats, bool exact, SearchStrategy? strategy)
    {
        var strategies = new Dictionary<SearchStrategy, int>();
        double matches = 0;
        double distances = 0;
        var latencies = new double[queries.Count];
        var best = new double[queries.Count];
        double bestSeconds = double.MaxValue;
        double recall = 0;
        int scored = 0;
        for (int pass = 0; pass <= repeats; pass++)
        {
            double sum = 0;
            scored = 0;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < queries.Count; i++)
            {
                var query = queries[i];
                var options = new SearchOptions { Filter = query.Filter, Ef = ef == 0 ? null : ef, Exact = exact, Strategy = strategy, Explain = pass == 0 };
                long t0 = Stopwatch.GetTimestamp();
                var hits = collection.Search(query.Vector, k, options);
                latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (pass == 0 && hits.Explain is { } explain)
                {
                    strategies[explain.Strategy] = strategies.GetValueOrDefault(explain.Strategy) + 1;
                    matches += explain.Estimate?.Expected ?? collection.Count();
                    distances += explain.DistanceComputations;
                }

                var expected = truth[query.Index];
                if (expected.Length > 0)
                {
                    sum += hits.Count(h => expected.Contains(h.Id.Number)) / (double)Math.Min(k, expected.Length);
                    scored++;
                }
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            recall = scored == 0 ? 1 : sum / scored;
            if (pass > 0 && seconds < bestSeconds)
            {
                bestSeconds = seconds;
                latencies.CopyTo(best, 0);
            }
        }

        Array.Sort(best);
        return new FilteredRun(queries[0].Case, ef, recall, queries.Count / bestSeconds, best[best.Length / 2], best[Math.Min(best.Length - 1, (int)(best.Length * 0.99))],
            matches / queries.Count, distances / queries.Count, queries.Count, scored, 0, strategies);
    }
}

/// <summary>One filter case at one ef.</summary>
public sealed record FilteredRun(
    string Case,
    int Ef,
    double Recall,
    double Qps,
    double P50Ms,
    double P99Ms,
    double MeanMatches,
    double MeanDistances,
    int Queries,
    int QueriesWithMatches,
    double ExactScanQps,
    IReadOnlyDictionary<SearchStrategy, int> Strategies,
    SearchStrategy? Forced = null,
    double? UnfilteredQpsAtRecall = null,
    double? UnfilteredQpsSameEf = null,
    double? PairedRatioAtRecall = null);
