using System.Globalization;
using System.Text;
using System.Text.Json;
using ScottPlot;

namespace VectorDb.Bench.Compare;

/// <summary>
/// Reads the JSON that <c>recall</c> and the baseline scripts wrote for one dataset and prints the side-by-side
/// table — QPS at recall ≥ 0.90 / 0.95 / 0.99 (the best run reaching it, as ann-benchmarks reads its curves),
/// build time, index bytes per point, exact-scan QPS, and each engine's ratio to ours — and plots recall
/// against QPS (log scale) for every engine in one PNG and SVG.
/// </summary>
public static class CompareCommand
{
    private static readonly double[] Targets = [0.90, 0.95, 0.99];
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static int Run(string[] args)
    {
        string folder = CommandLine.Option(args, "--results") ?? throw new ArgumentException("--results DIR is required");
        string ours = CommandLine.Option(args, "--ours") ?? "vectordb";
        var results = ReadResults(folder, ours);
        if (results.Count == 0)
        {
            Console.Error.WriteLine($"no results in {folder}");
            return 1;
        }

        string roundsFolder = Path.Combine(folder, "rounds");
        string table = Table(results, ours) + (Directory.Exists(roundsFolder) ? RoundsTable(roundsFolder, ours) : "");
        Console.WriteLine(table);
        File.WriteAllText(Path.Combine(folder, "table.md"), table);
        string plotPath = CommandLine.Option(args, "--plot") ?? Path.Combine(folder, "recall-qps");
        Plot(results, results[0].Dataset, plotPath);
        Console.WriteLine($"wrote {Path.Combine(folder, "table.md")}, {plotPath}.png, {plotPath}.svg");
        return 0;
    }

    // Other JSON beside the engines' results (a summary of runs, say) is skipped: an engine result names its engine and
    // data set and has runs with a positive QPS. A summary with a "runs" list once made the plot take all memory.
    private static List<EngineResult> ReadResults(string folder, string ours) =>
        Directory.EnumerateFiles(folder, "*.json")
            .Select(path => JsonSerializer.Deserialize<EngineResult>(File.ReadAllText(path), JsonOptions)!)
            .Where(r => !string.IsNullOrEmpty(r.Engine) && !string.IsNullOrEmpty(r.Dataset) && r.Runs is { Count: > 0 } && r.Runs.All(run => run.Qps > 0))
            .OrderBy(r => r.Engine == ours ? 0 : 1).ThenBy(r => r.Engine, StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Ours ÷ each baseline's QPS per recall target in every query-only round (<c>rounds/&lt;i&gt;/</c>, the engines
    /// alternating on the same graphs), and the median over the rounds.
    /// </summary>
    private static string RoundsTable(string roundsFolder, string ours)
    {
        var rounds = Directory.EnumerateDirectories(roundsFolder)
            .OrderBy(path => int.TryParse(Path.GetFileName(path), out int i) ? i : int.MaxValue)
            .Select(path => ReadResults(path, ours))
            .Where(round => round.Count > 1 && round[0].Engine == ours)
            .ToList();
        if (rounds.Count == 0)
        {
            return "";
        }

        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{ours} ÷ baseline QPS over {rounds.Count} query-only rounds on the same graphs (median; each round's ratios at 0.90 / 0.95 / 0.99 after it):");
        text.AppendLine("| baseline | QPS @0.90 | QPS @0.95 | QPS @0.99 | rounds |");
        text.AppendLine("|---|---:|---:|---:|---|");
        foreach (string engine in rounds[0].Skip(1).Select(r => r.Engine))
        {
            var perRound = rounds
                .Select(round => (Ours: round[0], Theirs: round.FirstOrDefault(r => r.Engine == engine)))
                .Where(pair => pair.Theirs is not null)
                .Select(pair => Targets.Select(t => QpsAt(pair.Ours, t) is double a && QpsAt(pair.Theirs!, t) is double b && b > 0 ? a / b : (double?)null).ToArray())
                .ToList();
            text.Append(CultureInfo.InvariantCulture, $"| {engine} |");
            for (int t = 0; t < Targets.Length; t++)
            {
                var ratios = perRound.Select(r => r[t]).OfType<double>().Order().ToList();
                double? median = ratios.Count == 0 ? null : ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[(ratios.Count / 2) - 1] + ratios[ratios.Count / 2]) / 2;
                text.Append(CultureInfo.InvariantCulture, $" {(median is double m ? m.ToString("F2", CultureInfo.InvariantCulture) : "—")} |");
            }

            text.AppendLine(CultureInfo.InvariantCulture, $" {string.Join(", ", perRound.Select(r => string.Join("/", r.Select(x => x is double v ? v.ToString("F2", CultureInfo.InvariantCulture) : "—"))))} |");
        }

        return text.ToString();
    }

    /// <summary>Best QPS among approximate runs whose recall reaches <paramref name="target"/>; null when none does.</summary>
    public static double? QpsAt(EngineResult result, double target) =>
        result.Runs.Where(r => r.Ef > 0 && r.Recall >= target).Select(r => (double?)r.Qps).Max();

    private static string Table(List<EngineResult> results, string ours)
    {
        var baseline = results.FirstOrDefault(r => r.Engine == ours);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{results[0].Dataset}: n={results[0].N}, dims={results[0].Dims}, k={results[0].K}, M={results[0].M}, efC={results[0].EfConstruction}");
        text.AppendLine("| engine | threads | build s | bytes/point | QPS @0.90 | QPS @0.95 | QPS @0.99 | exact QPS |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            double? exact = r.Runs.Where(run => run.Ef == 0).Select(run => (double?)run.Qps).FirstOrDefault();
            string bytes = r.IndexBytes is long b ? (b / (double)r.N).ToString("F0", CultureInfo.InvariantCulture) : "—";
            string build = r.Runs.All(run => run.Ef == 0) ? "—" : r.BuildSeconds.ToString("F2", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"| {r.Engine} | {r.Threads} | {build} | {bytes} |");
            foreach (double target in Targets)
            {
                text.Append(CultureInfo.InvariantCulture, $" {Format(QpsAt(r, target))} |");
            }

            text.AppendLine(CultureInfo.InvariantCulture, $" {Format(exact)} |");
        }

        if (baseline is not null)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"{ours} ÷ baseline — QPS: above 1 means {ours} is faster; build time and bytes/point: below 1 means {ours} is faster / smaller:");
            text.AppendLine("| baseline | QPS @0.90 | QPS @0.95 | QPS @0.99 | build time | bytes/point | exact QPS |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var r in results.Where(r => r != baseline))
            {
                text.Append(CultureInfo.InvariantCulture, $"| {r.Engine} |");
                foreach (double target in Targets)
                {
                    text.Append(CultureInfo.InvariantCulture, $" {Ratio(QpsAt(baseline, target), QpsAt(r, target))} |");
                }

                bool approximate = r.Runs.Any(run => run.Ef > 0);
                text.Append(CultureInfo.InvariantCulture, $" {(approximate ? Ratio(baseline.BuildSeconds, r.BuildSeconds) : "—")} |");
                text.Append(CultureInfo.InvariantCulture, $" {Ratio(baseline.IndexBytes, r.IndexBytes)} |");
                text.AppendLine(CultureInfo.InvariantCulture, $" {Ratio(ExactQps(baseline), ExactQps(r))} |");
            }
        }

        return text.ToString();
    }

    private static double? ExactQps(EngineResult r) => r.Runs.Where(run => run.Ef == 0).Select(run => (double?)run.Qps).FirstOrDefault();

    private static string Format(double? qps) => qps is double q ? q.ToString("N0", CultureInfo.InvariantCulture) : "—";

    private static string Ratio(double? ours, double? theirs) =>
        ours is double a && theirs is double b && b > 0 ? (a / b).ToString("F2", CultureInfo.InvariantCulture) : "—";

    /// <summary>Recall on x, log10 QPS on y (ScottPlot has no log axis; ticks are labelled with the real QPS).</summary>
    private static void Plot(List<EngineResult> results, string dataset, string path)
    {
        var plot = new Plot();
        foreach (var r in results)
        {
            var runs = r.Runs.Where(run => run.Ef > 0).OrderBy(run => run.Recall).ToList();
            if (runs.Count > 0)
            {
                var line = plot.Add.Scatter(runs.Select(run => run.Recall).ToArray(), runs.Select(run => Math.Log10(run.Qps)).ToArray());
                line.LegendText = r.Engine;
            }
            else if (ExactQps(r) is double exact)
            {
                var point = plot.Add.Scatter(new[] { r.Runs[0].Recall }, new[] { Math.Log10(exact) });
                point.LegendText = r.Engine + " (exact)";
            }
        }

        // Ticks at 1, 2 and 5 × 10^n within the plotted QPS.
        var qps = results.SelectMany(r => r.Runs).Select(run => run.Qps).ToList();
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int exponent = (int)Math.Floor(Math.Log10(qps.Min())); exponent <= (int)Math.Ceiling(Math.Log10(qps.Max())); exponent++)
        {
            foreach (int mantissa in new[] { 1, 2, 5 })
            {
                double value = mantissa * Math.Pow(10, exponent);
                ticks.AddMajor(Math.Log10(value), value.ToString("N0", CultureInfo.InvariantCulture));
            }
        }

        plot.Axes.Left.TickGenerator = ticks;
        plot.Title($"{dataset}: recall@10 vs single-thread QPS (log)");
        plot.XLabel("recall@10");
        plot.YLabel("queries per second");
        plot.ShowLegend(Alignment.LowerLeft);
        plot.SavePng(path + ".png", 900, 600);
        plot.SaveSvg(path + ".svg", 900, 600);
    }
}

/// <summary>The harness JSON, as ours and the baseline scripts write it.</summary>
public sealed record EngineResult(
    string Dataset, string Engine, int N, int Dims, string Metric, int K, int M, int EfConstruction,
    double BuildSeconds, int Threads, long? IndexBytes, IReadOnlyList<EngineRun> Runs);

/// <summary>One ef (0 = exact scan).</summary>
public sealed record EngineRun(int Ef, double Recall, double Qps, double P50Ms, double P99Ms);
