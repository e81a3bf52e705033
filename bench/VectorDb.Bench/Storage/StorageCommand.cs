using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VectorDb.Storage;

namespace VectorDb.Bench.Storage;

/// <summary>
/// <c>storage</c>: durable-write throughput (wait=true one point per call, wait=true and wait=false in batches),
/// then recovery time and disk bytes per point for each requested size.
/// <code>storage [--dims 128] [--points 100000,1000000] [--batch 256] [--dir PATH] [--reuse true] [--index-tag true|tenant] [--out result.json]</code>
/// <c>--reuse true</c> keeps a database a previous run loaded into <c>--dir</c> (loading 1M points takes minutes).
/// <c>--index-tag true</c> indexes the points' keyword <c>tag</c> (10 values), whose value links a checkpoint saves
/// (<c>tenant</c>: as a tenant index, whose value graphs it saves); each open then also reports when the collection
/// stopped indexing (<see cref="Collection.IsIndexing"/>).
/// </summary>
public static class StorageCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(IReadOnlyList<string> args)
    {
        var values = ParseArgs(args);
        int dims = int.Parse(values.GetValueOrDefault("dims", "128"), CultureInfo.InvariantCulture);
        int batch = int.Parse(values.GetValueOrDefault("batch", "256"), CultureInfo.InvariantCulture);
        int[] sizes = [.. values.GetValueOrDefault("points", "100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        string root = values.GetValueOrDefault("dir", Path.Combine(Path.GetTempPath(), "vectordb-storage-bench"));
        bool reuse = values.GetValueOrDefault("reuse", "false") == "true";
        string indexTag = values.GetValueOrDefault("index-tag", "false");

        var report = new Dictionary<string, object>
        {
            ["dims"] = dims,
            ["batch"] = batch,
            ["processors"] = Environment.ProcessorCount,
            ["throughput"] = MeasureThroughput(Path.Combine(root, "throughput"), dims, batch),
            ["recovery"] = sizes.Select(n => MeasureRecovery(Path.Combine(root, $"recovery-{n}"), dims, n, batch, reuse, indexTag)).ToList(),
        };

        string json = JsonSerializer.Serialize(report, Indented);
        Console.WriteLine(json);
        if (values.TryGetValue("out", out var outPath))
        {
            File.WriteAllText(outPath, json);
        }

        return 0;
    }

    private static List<Dictionary<string, object>> MeasureThroughput(string directory, int dims, int batch)
    {
        var results = new List<Dictionary<string, object>>();
        foreach (var (label, batchSize, wait, points) in new[]
        {
            ("wait=true, 1 point per call", 1, true, 2_000),
            ($"wait=true, {batch} points per call", batch, true, 50_000),
            ($"wait=false, {batch} points per call", batch, false, 50_000),
            ($"in memory (no storage), {batch} points per call", batch, false, 50_000),
        })
        {
            Reset(directory);
            bool inMemory = label.StartsWith("in memory", StringComparison.Ordinal);
            using var database = inMemory ? VectorDatabase.InMemory() : VectorDatabase.Open(directory);
            var collection = database.CreateCollection("bench", new CollectionOptions { Dimensions = dims, Distance = DistanceMetric.Euclid });
            var random = new Random(1);
            var watch = Stopwatch.StartNew();
            for (int start = 0; start < points; start += batchSize)
            {
                collection.Upsert(MakePoints(random, start, Math.Min(batchSize, points - start), dims), wait);
            }

            double seconds = watch.Elapsed.TotalSeconds;
            results.Add(new() { ["mode"] = label, ["points"] = points, ["seconds"] = Math.Round(seconds, 3), ["points_per_second"] = Math.Round(points / seconds) });
            Console.Error.WriteLine($"{label}: {points / seconds:F0} points/s");
        }

        return results;
    }

    private static Dictionary<string, object> MeasureRecovery(string directory, int dims, int count, int batch, bool reuse, string indexTag)
    {
        bool reused = reuse && Directory.Exists(directory);
        var watch = Stopwatch.StartNew();
        if (!reused)
        {
            Reset(directory);
            using var database = VectorDatabase.Open(directory);
            var collection = database.CreateCollection("bench", new CollectionOptions { Dimensions = dims, Distance = DistanceMetric.Euclid });
            if (indexTag is "true" or "tenant")
            {
                collection.CreatePayloadIndex("tag", PayloadSchemaType.Keyword, isTenant: indexTag == "tenant");
            }

            var random = new Random(2);
            for (int start = 0; start < count; start += batch)
            {
                collection.Upsert(MakePoints(random, start, Math.Min(batch, count - start), dims), wait: false);
            }

            WaitWhileIndexing(collection); // so the checkpoint written on closing holds the value links
        }

        double loadSeconds = watch.Elapsed.TotalSeconds;
        long diskBytes = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var opens = new List<double>();
        var indexed = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            watch.Restart();
            using var database = VectorDatabase.Open(directory, new StorageOptions { CheckpointOnDispose = false });
            var collection = database.GetCollection("bench");
            if (collection.Count() != count || collection.Get((ulong)(count - 1)) is null)
            {
                throw new InvalidOperationException("Recovery lost points.");
            }

            opens.Add(watch.Elapsed.TotalSeconds);
            WaitWhileIndexing(collection);
            indexed.Add(watch.Elapsed.TotalSeconds);
        }

        double median = opens.Order().ElementAt(opens.Count / 2);
        double indexedMedian = indexed.Order().ElementAt(indexed.Count / 2);
        Console.Error.WriteLine($"{count} points: load {loadSeconds:F1} s, recovery median {median:F2} s, done indexing after {indexedMedian:F2} s, {diskBytes / (double)count:F0} disk bytes/point");
        return new()
        {
            ["points"] = count,
            ["load_seconds"] = reused ? "reused" : Math.Round(loadSeconds, 2),
            ["recovery_seconds"] = opens.Select(s => Math.Round(s, 3)).ToList(),
            ["recovery_median_seconds"] = Math.Round(median, 3),
            ["indexed_median_seconds"] = Math.Round(indexedMedian, 3),
            ["disk_bytes"] = diskBytes,
            ["disk_bytes_per_point"] = Math.Round(diskBytes / (double)count, 1),
            ["raw_vector_bytes_per_point"] = 4 * dims,
        };
    }

    private static void WaitWhileIndexing(Collection collection)
    {
        while (collection.IsIndexing)
        {
            Thread.Sleep(10);
        }
    }

    private static Point[] MakePoints(Random random, int start, int count, int dims)
    {
        var points = new Point[count];
        for (int i = 0; i < count; i++)
        {
            var vector = new float[dims];
            for (int d = 0; d < dims; d++)
            {
                vector[d] = random.NextSingle();
            }

            points[i] = new Point((ulong)(start + i), vector, Payload.Parse($$"""{"n":{{start + i}},"tag":"t{{(start + i) % 10}}"}"""));
        }

        return points;
    }

    private static void Reset(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Dictionary<string, string> ParseArgs(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected --name value pairs, got '{args[i]}'.");
            }

            values[args[i][2..]] = args[i + 1];
        }

        return values;
    }
}
