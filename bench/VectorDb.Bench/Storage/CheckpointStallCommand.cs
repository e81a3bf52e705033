using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using VectorDb.Storage;

namespace VectorDb.Bench.Storage;

/// <summary>
/// <c>checkpoint-stall</c>: how long checkpoints keep writers waiting. Loads N points (batches of 1,000, wait=false), then
/// in each round measures single-point upserts with <c>wait=true</c> from one writer for S seconds, first with no
/// checkpoint running, then with a checkpoint taken every second; reports each phase's latency percentiles and the time
/// every checkpoint held writers out (from its log line). Two modes alternate round by round, each in a database opened
/// for the round: the graphs' snapshots copied in memory while writers wait (the default
/// <see cref="StorageOptions.CheckpointCaptureBytes"/>), and written into the page cache with writers out, fsynced after (0).
/// <code>checkpoint-stall [--points 1000000] [--dims 128] [--seconds 10] [--rounds 5] [--dir PATH] [--keep true] [--out result.json]</code>
/// </summary>
public static partial class CheckpointStallCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(IReadOnlyList<string> args)
    {
        string[] argv = [.. args];
        int Int(string name, int fallback) => CommandLine.Option(argv, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
        int points = Int("--points", 1_000_000);
        int dims = Int("--dims", 128);
        int seconds = Int("--seconds", 10);
        int rounds = Int("--rounds", 5);
        string directory = CommandLine.Option(argv, "--dir") ?? Path.Combine(Path.GetTempPath(), "vectordb-checkpoint-stall");
        bool keep = CommandLine.Option(argv, "--keep") == "true"; // load once, measure again on the same data
        if (Directory.Exists(directory) && !keep)
        {
            Directory.Delete(directory, recursive: true);
        }

        var load = Stopwatch.StartNew();
        using (var database = VectorDatabase.Open(directory))
        {
            if (!database.ListCollections().Contains("stall"))
            {
                var collection = database.CreateCollection("stall", new CollectionOptions { Dimensions = dims, Distance = DistanceMetric.Euclid });
                var random = new Random(1);
                for (int start = 0; start < points; start += 1_000)
                {
                    collection.Upsert(StorageCommand.MakePoints(random, start, Math.Min(1_000, points - start), dims), wait: false);
                }
            }
        }

        Console.Error.WriteLine($"{points:N0} × {dims} ready in {load.Elapsed.TotalSeconds:F0} s (loaded, or opened with --keep)");
        // The two modes alternate round by round, each round in a database opened for it with that setting.
        long[] captures = [new StorageOptions().CheckpointCaptureBytes, 0L];
        var loggers = captures.Select(_ => new HeldOutLog()).ToArray();
        var quiet = captures.Select(_ => new List<double>()).ToArray();
        var busy = captures.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int m = 0; m < captures.Length; m++)
            {
                using var database = VectorDatabase.Open(directory, new StorageOptions { CheckpointCaptureBytes = captures[m], CheckpointOnDispose = false }, loggers[m]);
                var collection = database.GetCollection("stall");
                Writes(collection, points, dims, 1, checkpoints: null); // the first writes after opening warm the write path
                quiet[m].AddRange(Writes(collection, points, dims, seconds, checkpoints: null));
                busy[m].AddRange(Writes(collection, points, dims, seconds, checkpoints: database));
            }
        }

        var modes = new List<Dictionary<string, object>>();
        for (int m = 0; m < captures.Length; m++)
        {
            var logger = loggers[m];
            var mode = new Dictionary<string, object>
            {
                ["capture_bytes"] = captures[m],
                ["quiet"] = Percentiles(quiet[m]),
                ["checkpoints_running"] = Percentiles(busy[m]),
                ["checkpoints"] = logger.HeldOut.Count,
                ["held_out_ms_median"] = logger.HeldOut.Count == 0 ? 0 : Timing.Median(logger.HeldOut),
                ["held_out_ms_max"] = logger.HeldOut.DefaultIfEmpty(0).Max(),
                ["copied_bytes"] = logger.Copied.DefaultIfEmpty(0).Max(),
            };
            modes.Add(mode);
            Console.Error.WriteLine($"capture {captures[m] >> 20} MiB: quiet {Describe(quiet[m])}; checkpoints running {Describe(busy[m])}; "
                + $"{logger.HeldOut.Count} checkpoints held writers out {mode["held_out_ms_median"]} ms (median), {logger.HeldOut.DefaultIfEmpty(0).Max():F0} ms (max)");
        }

        var report = new Dictionary<string, object>
        {
            ["points"] = points,
            ["dims"] = dims,
            ["seconds_per_phase"] = seconds,
            ["rounds"] = rounds,
            ["processors"] = Environment.ProcessorCount,
            ["modes"] = modes,
        };
        Console.WriteLine(JsonSerializer.Serialize(report, Indented));
        if (CommandLine.Option(argv, "--out") is { } outPath)
        {
            File.WriteAllText(outPath, JsonSerializer.Serialize(report, Indented));
        }

        if (!keep)
        {
            Directory.Delete(directory, recursive: true);
        }

        return 0;
    }

    /// <summary>Milliseconds of each single-point <c>wait=true</c> upsert for <paramref name="seconds"/>, with a checkpoint taken every second meanwhile when a database is given.</summary>
    private static List<double> Writes(Collection collection, int points, int dims, int seconds, VectorDatabase? checkpoints)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        // A thread of its own, as the server's timer checkpoints would run beside request threads; one a second.
        var checkpointing = new Thread(() =>
        {
            while (checkpoints is not null && !stop.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1)))
            {
                checkpoints.Checkpoint();
            }
        });
        checkpointing.Start();

        var random = new Random(seconds);
        var latencies = new List<double>();
        while (!stop.IsCancellationRequested)
        {
            var point = StorageCommand.MakePoints(random, random.Next(points), 1, dims);
            long start = Stopwatch.GetTimestamp();
            collection.Upsert(point, wait: true);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        checkpointing.Join();
        return latencies;
    }

    private static Dictionary<string, object> Percentiles(List<double> latencies)
    {
        var sorted = latencies.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
        return new()
        {
            ["writes"] = sorted.Length,
            ["p50_ms"] = Math.Round(At(0.50), 2),
            ["p99_ms"] = Math.Round(At(0.99), 2),
            ["p999_ms"] = Math.Round(At(0.999), 2),
            ["max_ms"] = Math.Round(sorted[^1], 2),
        };
    }

    private static string Describe(List<double> latencies)
    {
        var p = Percentiles(latencies);
        return $"{p["writes"]} writes, p50 {p["p50_ms"]} ms, p99 {p["p99_ms"]} ms, max {p["max_ms"]} ms";
    }

    [GeneratedRegex(@"writers held out (\d+) ms, (\d+) bytes copied")]
    private static partial Regex HeldOutPattern();

    /// <summary>Collects what each checkpoint's log line says it held writers out for.</summary>
    private sealed class HeldOutLog : ILogger
    {
        public List<double> HeldOut { get; } = [];

        public List<long> Copied { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (HeldOutPattern().Match(formatter(state, exception)) is { Success: true } match)
            {
                lock (HeldOut)
                {
                    HeldOut.Add(double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
                    Copied.Add(long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
                }
            }
        }
    }
}
