using System.Diagnostics;
using System.Globalization;
using VectorDb.Storage;

namespace VectorDb.Bench.Storage;

/// <summary>
/// <c>storage</c>: durable-write throughput (wait=true one point per call, wait=true and wait=false in batches),
/// then recovery time and disk bytes per point for each requested size.
/// <code>storage [--dims 128] [--points 100000,1000000] [--batch 256] [--dir PATH] [--reuse true] [--index-tag true|tenant] [--throughput false] [--rewrite 0.2] [--out result.json]</code>
/// <c>--rewrite F</c> then rewrites a fraction F of each database's points, checkpoints, and reports disk bytes per point
/// against the raw vector and payload bytes, snapshot create and restore times, and the time to the first query after a restore.
/// <c>--reuse true</c> keeps a database a previous run loaded into <c>--dir</c> (loading 1M points takes minutes).
/// <c>--index-tag true</c> indexes the points' keyword <c>tag</c> (10 values), whose value links a checkpoint saves
/// (<c>tenant</c>: as a tenant index, whose value graphs it saves); each open then also reports when the collection
/// stopped indexing (<see cref="Collection.IsIndexing"/>).
/// </summary>
public static class StorageCommand
{
    public static int Run(IReadOnlyList<string> args)
    {
        var values = ParseArgs(args);
        int dims = int.Parse(values.GetValueOrDefault("dims", "128"), CultureInfo.InvariantCulture);
        int batch = int.Parse(values.GetValueOrDefault("batch", "256"), CultureInfo.InvariantCulture);
        int[] sizes = [.. values.GetValueOrDefault("points", "100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        string root = values.GetValueOrDefault("dir", Path.Combine(Path.GetTempPath(), "vectordb-storage-bench"));
        bool reuse = values.GetValueOrDefault("reuse", "false") == "true";
        string indexTag = values.GetValueOrDefault("index-tag", "false");

        double rewrite = double.Parse(values.GetValueOrDefault("rewrite", "0"), CultureInfo.InvariantCulture);
        var report = new Dictionary<string, object>
        {
            ["dims"] = dims,
            ["batch"] = batch,
            ["processors"] = Environment.ProcessorCount,
        };
        if (values.GetValueOrDefault("throughput", "true") == "true")
        {
            report["throughput"] = MeasureThroughput(Path.Combine(root, "throughput"), dims, batch);
        }

        report["recovery"] = sizes.Select(n => MeasureRecovery(Path.Combine(root, $"recovery-{n}"), dims, n, batch, reuse, indexTag)).ToList();
        if (rewrite > 0)
        {
            report["rewrite_and_snapshot"] = sizes.Select(n => MeasureRewriteAndSnapshot(Path.Combine(root, $"recovery-{n}"), Path.Combine(root, $"restored-{n}"), dims, n, rewrite, batch)).ToList();
        }

        CommandLine.Report(report, values.GetValueOrDefault("out"));

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

    /// <summary>
    /// On a loaded database: rewrites <paramref name="fraction"/> of its points with new vectors, checkpoints (which
    /// compacts the point store once due), and reports disk bytes per point against the raw vector and payload bytes;
    /// then takes a snapshot, restores it into another directory, and times the first query after the restore.
    /// </summary>
    private static Dictionary<string, object> MeasureRewriteAndSnapshot(string directory, string restoreDirectory, int dims, int count, double fraction, int batch)
    {
        var report = new Dictionary<string, object> { ["points"] = count, ["rewritten_fraction"] = fraction };
        string file;
        using (var database = VectorDatabase.Open(directory))
        {
            var collection = database.GetCollection("bench");
            var random = new Random(3);
            int rewritten = (int)(count * fraction);
            var watch = Stopwatch.StartNew();
            for (int start = 0; start < rewritten; start += batch)
            {
                collection.Upsert(MakePoints(random, start, Math.Min(batch, rewritten - start), dims), wait: false);
            }

            report["rewrite_seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2);
            watch.Restart();
            database.Checkpoint();
            database.Checkpoint(); // the second removes what the older retained checkpoint held on to
            report["checkpoints_seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2);
            long disk = DirectoryBytes(directory, except: "snapshots");
            long raw = (long)count * ((4L * dims) + PayloadBytes);
            report["disk_bytes"] = disk;
            report["disk_bytes_per_point"] = Math.Round(disk / (double)count, 1);
            report["raw_bytes_per_point"] = (4 * dims) + PayloadBytes;
            report["disk_to_raw"] = Math.Round(disk / (double)raw, 3);
            report["disk_by_folder"] = Directory.EnumerateDirectories(directory).ToDictionary(d => Path.GetFileName(d), d => DirectoryBytes(d, except: null));

            watch.Restart();
            var snapshot = database.CreateSnapshot("bench");
            report["snapshot_create_seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2);
            report["snapshot_bytes"] = snapshot.Size;
            file = Path.Combine(directory, "snapshots", "bench", snapshot.Name);
        }

        Reset(restoreDirectory);
        using (var restored = VectorDatabase.Open(restoreDirectory))
        {
            var watch = Stopwatch.StartNew();
            var collection = restored.RestoreSnapshot("bench", file);
            report["snapshot_restore_seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2);
            var query = new float[dims];
            query.AsSpan().Fill(0.5f);
            collection.Search(query, 10);
            report["restore_to_first_query_seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2);
            if (collection.Count() != count)
            {
                throw new InvalidOperationException($"The restored collection holds {collection.Count()} points, not {count}.");
            }
        }

        File.Delete(file);
        Reset(restoreDirectory);
        Console.Error.WriteLine($"{count} points, {fraction:P0} rewritten: {report["disk_bytes_per_point"]} disk bytes/point ({report["disk_to_raw"]}× raw); snapshot {report["snapshot_create_seconds"]} s, restore {report["snapshot_restore_seconds"]} s, first query after {report["restore_to_first_query_seconds"]} s");
        return report;
    }

    /// <summary>The payload <see cref="MakePoints"/> writes, as JSON bytes, about.</summary>
    private const int PayloadBytes = 24;

    private static long DirectoryBytes(string directory, string? except) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(file => except is null || !Path.GetRelativePath(directory, file).StartsWith(except, StringComparison.Ordinal))
            .Sum(file => new FileInfo(file).Length);

    private static void WaitWhileIndexing(Collection collection)
    {
        while (collection.IsIndexing)
        {
            Thread.Sleep(10);
        }
    }

    /// <summary>Points <paramref name="start"/>.. with random vectors; payload <c>{"n", "tag"}</c> unless <paramref name="payload"/> says.</summary>
    internal static Point[] MakePoints(Random random, int start, int count, int dims, Func<int, Payload>? payload = null)
    {
        var points = new Point[count];
        for (int i = 0; i < count; i++)
        {
            var vector = new float[dims];
            for (int d = 0; d < dims; d++)
            {
                vector[d] = random.NextSingle();
            }

            points[i] = new Point((ulong)(start + i), vector, payload?.Invoke(start + i) ?? Payload.Parse($$"""{"n":{{start + i}},"tag":"t{{(start + i) % 10}}"}"""));
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
