using System.Diagnostics;
using System.Globalization;

namespace VectorDb.Bench.Storage;

/// <summary>
/// <c>rewrite</c>: whether disk and memory follow live points or history. Writes the same points again and again
/// (new vectors, same ids, <c>wait=true</c>) into a database on disk and reports, per round, the data directory's bytes
/// by folder and, at chosen rounds, the process's resident memory after a checkpoint and a full GC and the engine's own
/// memory report;
/// then drops the collection and reports what the two checkpoints a drop brings about give back.
/// <code>rewrite [--points 5000] [--dims 128] [--rewrites 30] [--batch 1000] [--dir PATH] [--out result.json]</code>
/// </summary>
public static class RewriteCommand
{
    public static int Run(IReadOnlyList<string> args)
    {
        string[] argv = [.. args];
        int Int(string name, int fallback) => CommandLine.Option(argv, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
        int points = Int("--points", 5_000);
        int dims = Int("--dims", 128);
        int rewrites = Int("--rewrites", 30);
        int batch = Int("--batch", 1_000);
        string directory = CommandLine.Option(argv, "--dir") ?? Path.Combine(Path.GetTempPath(), "vectordb-rewrite-bench");
        long empty = EmptyDatabaseBytes(directory + "-empty");
        Reset(directory);

        var rounds = new List<Dictionary<string, object>>();
        var memory = new Dictionary<int, Dictionary<string, long>>();
        Dictionary<string, long> afterFirst, afterLast, afterDrop;
        double dropSeconds;
        using (var database = VectorDatabase.Open(directory))
        {
            var collection = database.CreateCollection("rewrite", new CollectionOptions { Dimensions = dims, Distance = DistanceMetric.Euclid });
            var random = new Random(1);
            var watch = Stopwatch.StartNew();
            for (int round = 0; round <= rewrites; round++)
            {
                watch.Restart();
                for (int start = 0; start < points; start += batch)
                {
                    collection.Upsert(StorageCommand.MakePoints(random, start, Math.Min(batch, points - start), dims, n => Payload.Parse($$"""{"n":{{n}}}""")), wait: true);
                }

                double seconds = watch.Elapsed.TotalSeconds;
                if (round == 0)
                {
                    database.Checkpoint();
                }

                var sizes = DirectorySizes(directory);
                rounds.Add(new() { ["round"] = round, ["seconds"] = Math.Round(seconds, 3), ["disk"] = sizes });
                Console.Error.WriteLine($"round {round}: {seconds:F2} s, {sizes["total"] / 1e6:F1} MB on disk ({string.Join(", ", sizes.Where(s => s.Key != "total").Select(s => $"{s.Key} {s.Value / 1e6:F1}"))})");
                if (round is 1 or 10 or 20 || round == rewrites)
                {
                    // After a checkpoint (none is then running, nor the compaction it may do) and a full GC.
                    database.Checkpoint();
                    memory[round] = Memory(collection);
                    Console.Error.WriteLine($"  memory after round {round}: {string.Join(", ", memory[round].Select(m => $"{m.Key} {m.Value / 1e6:F1} MB"))}");
                }
            }

            afterFirst = (Dictionary<string, long>)rounds[0]["disk"];
            database.Checkpoint();
            afterLast = DirectorySizes(directory);
            // A drop has the next two checkpoints taken at once, without being asked.
            long sequence = database.Store!.CheckpointSequence;
            watch.Restart();
            database.DeleteCollection("rewrite");
            while (database.Store.CheckpointSequence < sequence + 2 && watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                Thread.Sleep(50);
            }

            dropSeconds = watch.Elapsed.TotalSeconds;
            afterDrop = DirectorySizes(directory);
        }

        var report = new Dictionary<string, object>
        {
            ["points"] = points,
            ["dims"] = dims,
            ["rewrites"] = rewrites,
            ["processors"] = Environment.ProcessorCount,
            ["disk_after_first_write"] = afterFirst,
            ["disk_after_last_rewrite_and_checkpoint"] = afterLast,
            ["disk_ratio_last_to_first"] = Math.Round(afterLast["total"] / (double)afterFirst["total"], 3),
            ["disk_after_drop"] = afterDrop,
            ["disk_of_an_empty_database"] = empty,
            ["drop_returned_after_seconds"] = Math.Round(dropSeconds, 2),
            ["disk_returned_by_drop"] = Math.Round((afterLast["total"] - afterDrop["total"]) / (double)(afterLast["total"] - empty), 3),
            ["memory"] = memory,
            ["rss_ratio_last_to_10th"] = memory.TryGetValue(10, out var tenth) ? Math.Round(memory[rewrites]["process_resident"] / (double)tenth["process_resident"], 3) : "no 10th round",
            ["rounds"] = rounds,
        };
        CommandLine.Report(report, CommandLine.Option(argv, "--out"));

        return 0;
    }

    /// <summary>What a database holding nothing keeps on disk (the point store's hash index in each retained checkpoint, mostly).</summary>
    private static long EmptyDatabaseBytes(string directory)
    {
        Reset(directory);
        using (var database = VectorDatabase.Open(directory))
        {
            database.Checkpoint();
            database.Checkpoint();
        }

        long bytes = DirectorySizes(directory)["total"];
        Reset(directory);
        return bytes;
    }

    private static void Reset(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Dictionary<string, long> Memory(Collection collection)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return new()
        {
            ["process_resident"] = process.WorkingSet64,
            ["managed_heap"] = GC.GetTotalMemory(forceFullCollection: false),
            ["index"] = collection.IndexMemoryBytes,
            ["graph_nodes"] = collection.DenseMemory().GraphBytes,
        };
    }

    private static Dictionary<string, long> DirectorySizes(string directory)
    {
        var sizes = Directory.EnumerateDirectories(directory).ToDictionary(
            d => Path.GetFileName(d), d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length), StringComparer.Ordinal);
        sizes["total"] = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        return sizes;
    }
}
