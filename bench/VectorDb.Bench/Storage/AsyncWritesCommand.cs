using System.Diagnostics;
using System.Globalization;

namespace VectorDb.Bench.Storage;

/// <summary>
/// <c>asyncwrites</c>: durable single-point upserts (<c>wait</c> on) from many asynchronous callers against the
/// synchronous path from a few threads, into a database on disk. Rounds alternate the two; each round runs for a fixed
/// time and counts the points written, the mode that goes first alternating. Reports points per second per round, their medians and ratio, and the threads
/// each mode used (the most the process and its thread pool had during its rounds, sampled).
/// <code>asyncwrites [--dims 128] [--seconds 5] [--rounds 5] [--callers 64] [--threads 8] [--dir PATH] [--out result.json]</code>
/// </summary>
public static class AsyncWritesCommand
{
    /// <summary>The most threads the process, and the thread pool, had while it ran (sampled every 50 ms).</summary>
    private sealed class ThreadSampler : IDisposable
    {
        private readonly Timer _timer;
        private int _process;
        private int _pool;

        public ThreadSampler() => _timer = new Timer(_ => Sample(), null, 0, 50);

        public int Process => Volatile.Read(ref _process);

        public int Pool => Volatile.Read(ref _pool);

        private void Sample()
        {
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            int threads = self.Threads.Count;
            int pool = ThreadPool.ThreadCount;
            lock (this)
            {
                (_process, _pool) = (Math.Max(_process, threads), Math.Max(_pool, pool));
            }
        }

        public void Dispose()
        {
            _timer.Dispose();
            Sample();
        }
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string[] argv = [.. args];
        int Int(string name, int fallback) => CommandLine.Option(argv, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
        int dims = Int("--dims", 128);
        int seconds = Int("--seconds", 5);
        int rounds = Int("--rounds", 5);
        int callers = Int("--callers", 64);
        int threads = Int("--threads", 8);
        string directory = CommandLine.Option(argv, "--dir") ?? Path.Combine(Path.GetTempPath(), "vectordb-asyncwrites-bench");
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        var syncRates = new List<double>();
        var asyncRates = new List<double>();
        int syncThreads = 0, asyncThreads = 0, syncPool = 0, asyncPool = 0;
        await using (var database = await VectorDatabase.OpenAsync(directory))
        {
            var collection = await database.CreateCollectionAsync("writes", new CollectionOptions { Dimensions = dims, Distance = DistanceMetric.Euclid });
            long nextId = 0;
            Point NextPoint(Random random) => new((ulong)Interlocked.Increment(ref nextId), [.. Enumerable.Range(0, dims).Select(_ => (float)random.NextDouble())]);

            // Synchronous path: a few threads, each blocked on its commit.
            double RunSync(TimeSpan duration)
            {
                long written = 0;
                var watch = Stopwatch.StartNew();
                var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
                {
                    var random = new Random(t);
                    while (watch.Elapsed < duration)
                    {
                        collection.Upsert(NextPoint(random), wait: true);
                        Interlocked.Increment(ref written);
                    }
                })).ToList();
                using var threadsSeen = new ThreadSampler();
                workers.ForEach(w => w.Start());
                workers.ForEach(w => w.Join());
                (syncThreads, syncPool) = (Math.Max(syncThreads, threadsSeen.Process), Math.Max(syncPool, threadsSeen.Pool));
                return written / watch.Elapsed.TotalSeconds;
            }

            // Asynchronous path: many callers awaiting their commits.
            async Task<double> RunAsyncCallers(TimeSpan duration)
            {
                long written = 0;
                var watch = Stopwatch.StartNew();
                using var threadsSeen = new ThreadSampler();
                await Task.WhenAll(Enumerable.Range(0, callers).Select(async c =>
                {
                    await Task.Yield();
                    var random = new Random(1_000 + c);
                    while (watch.Elapsed < duration)
                    {
                        await collection.UpsertAsync(NextPoint(random)).ConfigureAwait(false);
                        Interlocked.Increment(ref written);
                    }
                }));
                (asyncThreads, asyncPool) = (Math.Max(asyncThreads, threadsSeen.Process), Math.Max(asyncPool, threadsSeen.Pool));
                return written / watch.Elapsed.TotalSeconds;
            }

            for (int round = -1; round < rounds; round++)
            {
                // Round -1 warms up (JIT, the graph's first layers) and is not counted. The graph grows as points are
                // written, which slows inserts: the mode that goes first alternates, so neither always meets the smaller graph.
                var duration = TimeSpan.FromSeconds(round < 0 ? 1 : seconds);
                double syncRate, asyncRate;
                if (round % 2 == 0)
                {
                    syncRate = RunSync(duration);
                    asyncRate = await RunAsyncCallers(duration);
                }
                else
                {
                    asyncRate = await RunAsyncCallers(duration);
                    syncRate = RunSync(duration);
                }

                Console.Error.WriteLine($"round {round}: sync {syncRate:F0} points/s ({threads} threads), async {asyncRate:F0} points/s ({callers} callers)");
                if (round >= 0)
                {
                    syncRates.Add(syncRate);
                    asyncRates.Add(asyncRate);
                }
            }
        }

        double syncMedian = Timing.Median(syncRates), asyncMedian = Timing.Median(asyncRates);
        var result = new Dictionary<string, object>
        {
            ["cpu"] = Environment.ProcessorCount + " logical cores",
            ["dims"] = dims,
            ["seconds_per_round"] = seconds,
            ["sync"] = new Dictionary<string, object> { ["threads"] = threads, ["points_per_s"] = syncRates.Select(r => Math.Round(r)).ToList(), ["median"] = Math.Round(syncMedian), ["process_threads_max"] = syncThreads, ["pool_threads_max"] = syncPool },
            ["async"] = new Dictionary<string, object> { ["callers"] = callers, ["points_per_s"] = asyncRates.Select(r => Math.Round(r)).ToList(), ["median"] = Math.Round(asyncMedian), ["process_threads_max"] = asyncThreads, ["pool_threads_max"] = asyncPool },
            ["async_over_sync"] = Math.Round(asyncMedian / syncMedian, 3),
        };
        CommandLine.Report(result, CommandLine.Option(argv, "--out"));

        Directory.Delete(directory, recursive: true);
        return 0;
    }
}
