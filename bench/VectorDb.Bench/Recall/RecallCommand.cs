using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using VectorDb.Datasets;
using VectorDb.Distance;
using VectorDb.Hnsw;

namespace VectorDb.Bench.Recall;

/// <summary>
/// ann-benchmarks-style measurement of the HNSW index: build with N threads (timed), then for each ef run
/// every query single-threaded — warm-up passes for half a second, then the best of <c>repeats</c> passes — and report
/// recall@k against exact ground truth, QPS and latency percentiles. Writes the JSON the baseline scripts
/// write too, so runs compare by script.
/// </summary>
public static class RecallCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static int Run(string[] args)
    {
        RecallOptions options;
        try
        {
            options = RecallOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        var result = Measure(options, Console.Out);

        // Each adaptive configuration is its own "engine" next to full-dimension search, so `compare` tables and
        // plots them side by side: out.json holds the full-dimension runs, out.d64x4.json those with 64 dims, ×4.
        // Quantized runs likewise: out.int8x2.json.
        var series = result.Runs.GroupBy(r => (r.SearchDims, r.Oversampling, r.BuildDims, r.Quantization)).OrderBy(g => g.Key.Quantization ?? "").ThenBy(g => g.Key.BuildDims ?? 0).ThenBy(g => g.Key.SearchDims ?? int.MaxValue).ThenBy(g => g.Key.Oversampling);
        foreach (var group in series)
        {
            var (dims, oversampling, buildDims, quantization) = group.Key;
            var part = result with
            {
                Engine = quantization is not null ? $"{result.Engine} {quantization} {QuantizedSeries(oversampling)}"
                    : dims is null ? result.Engine : $"{result.Engine} {(buildDims is null ? "d" : "graph on d")}={dims} x{oversampling}",
                Runs = [.. group],
                IndexBytes = quantization is not null ? result.QuantizedIndexBytes ?? result.IndexBytes : result.IndexBytes,
            };
            string json = JsonSerializer.Serialize(part, JsonOptions);
            if (options.OutPath is { } outPath)
            {
                string path = quantization is not null ? Path.ChangeExtension(outPath, $".{quantization}{(oversampling == 0 ? "-" : "")}{QuantizedSeries(oversampling)}.json")
                    : dims is null ? outPath : Path.ChangeExtension(outPath, $".{(buildDims is null ? "d" : "b")}{dims}x{oversampling}.json");
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                File.WriteAllText(path, json);
                Console.WriteLine($"wrote {path}");
            }
            else
            {
                Console.WriteLine(json);
            }
        }

        return 0;
    }

    public static RecallResult Measure(RecallOptions options, TextWriter log)
    {
        var data = ReadVectors(options.BasePath, options.MaxBase);
        var queries = ReadVectors(options.QueryPath, options.MaxQueries);
        if (options.Pca == PcaMode.Index && options.BuildDims.Count > 0)
        {
            throw new ArgumentException("--build-dims builds graphs on prefixes of rotated vectors: use it with --pca rotate, not index");
        }

        var rotation = options.Pca == PcaMode.None ? null : FitRotation(data, options.Metric, log);
        if (rotation is not null && options.Pca == PcaMode.Rotate)
        {
            (data, queries) = (Rotate(rotation, data), Rotate(rotation, queries));
        }

        log.WriteLine($"base {data.Count}×{data.Dimensions}, {queries.Count} queries, metric {options.Metric}, M={options.M}, efC={options.EfConstruction}, threads={options.Threads}");

        using var index = BuildOrLoad(options, data, log, out double buildSeconds);

        var truth = LoadOrComputeTruth(options, index, data, queries, log);
        if (options.SearchDims.Count > 0 && rotation is not null && options.Pca == PcaMode.Index)
        {
            var clock = Stopwatch.StartNew();
            index.KeepRotatedPrefix(rotation.LeadingAxes(options.SearchDims.Where(d => d < data.Dimensions).DefaultIfEmpty(1).Max()));
            log.WriteLine($"rotated prefix of {index.RotatedRows} axes kept in {clock.Elapsed.TotalSeconds:F1} s");
        }
        else if (options.SearchDims.Count > 0)
        {
            index.KeepPrefixCopy(options.SearchDims.Max());
        }

        // The full-dimension sweep and the adaptive sweeps, once per round, their order alternating between rounds so
        // that neither always runs on a warmer machine; each configuration reports its median round.
        (int Dims, int Oversampling)?[] adaptive = [null, .. options.SearchDims.SelectMany(d => options.Oversampling.Select(o => ((int, int)?)(d, o)))];
        var configurations = adaptive.SelectMany(a => options.Ef.Select(ef => (Adaptive: a, Ef: ef))).ToList();
        var rounds = configurations.Select(_ => new List<RecallRun>()).ToArray();
        for (int round = 0; round < options.Rounds; round++)
        {
            var order = Enumerable.Range(0, configurations.Count);
            foreach (int c in round % 2 == 0 ? order : order.OrderByDescending(c => configurations[c].Adaptive is null ? 0 : 1).ThenBy(c => c))
            {
                var (mode, ef) = configurations[c];
                var run = MeasureEf(index, queries, truth, options.K, ef, options.Repeats, mode is var (d, o) ? (d, options.K * o) : null)
                    with { Oversampling = mode?.Oversampling };
                rounds[c].Add(run);
                log.WriteLine(mode is var (dims, oversampling)
                    ? string.Create(CultureInfo.InvariantCulture, $"round {round + 1}  d={dims,4} x{oversampling} ef={ef,5}  recall={run.Recall:F4}  qps={run.Qps,9:F0}  p50={run.P50Ms:F3} ms")
                    : string.Create(CultureInfo.InvariantCulture, $"round {round + 1}  ef={ef,5}  recall={run.Recall:F4}  qps={run.Qps,9:F0}  p50={run.P50Ms:F3} ms  p99={run.P99Ms:F3} ms"));
            }
        }

        var runs = rounds.Select(measured => measured.OrderBy(run => run.Qps).ElementAt(measured.Count / 2)).ToList();

        foreach (int buildDims in options.BuildDims)
        {
            runs.AddRange(MeasurePrefixGraph(data, queries, truth, options, buildDims, log));
        }

        long plainBytes = index.MemoryBytes;
        long? quantizedBytes = null;
        string? rowsFile = null;
        if (options.Quantization is { } quantization)
        {
            if (options.OnDisk)
            {
                rowsFile = Path.GetFullPath(Path.Combine("data", "cache", $"{Path.GetFileName(options.BasePath)}.{Environment.ProcessId}.rows"));
                index.KeepRowsInFile(rowsFile, MemoryTier.Cached);
                log.WriteLine($"rows moved to {rowsFile}: {index.RowDiskBytes / (double)data.Count:F0} bytes/point on disk");
            }

            var clock = Stopwatch.StartNew();
            index.Quantize(quantization);
            quantizedBytes = index.MemoryBytes;
            log.WriteLine($"codes fitted and encoded in {clock.Elapsed.TotalSeconds:F2} s, {index.CodeMemoryBytes / (double)data.Count:F0} bytes/point");
            foreach (int oversampling in options.Oversampling)
            {
                var search = oversampling == 0 ? new QuantizationSearch() : new QuantizationSearch { Oversampling = oversampling };
                foreach (int ef in options.Ef)
                {
                    var run = Measure(queries, truth, options.K, ef, options.Repeats, (q, found) => index.Search(queries[q], options.K, ef, found, search))
                        with { Oversampling = oversampling, Quantization = options.QuantizationName };
                    runs.Add(run);
                    log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{options.QuantizationName} {QuantizedSeries(oversampling)} ef={ef,5}  recall={run.Recall:F4}  qps={run.Qps,9:F0}  p50={run.P50Ms:F3} ms"));
                }
            }
        }

        var calibrations = new List<CalibrationRun>();
        foreach (double target in options.TargetRecall)
        {
            foreach (string sample in options.CalibrateOn)
            {
                calibrations.Add(Calibrate(index, data.Count, queries, truth, options, target, sample, log));
            }
        }

        if (options.Exact)
        {
            var run = MeasureEf(index, queries, truth, options.K, 0, options.Repeats);
            runs.Add(run);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"exact      recall={run.Recall:F4}  qps={run.Qps,9:F0}  p50={run.P50Ms:F3} ms (all cores)"));
        }

        long diskBytes = index.RowDiskBytes;
        if (rowsFile is not null)
        {
            index.Dispose(); // unmaps the file before it goes
            File.Delete(rowsFile);
        }

        return new RecallResult(
            Dataset: Path.GetFileNameWithoutExtension(options.BasePath),
            Engine: options.DataType == VectorDataType.Float32 ? "vectordb" : $"vectordb {options.DataType.ToString().ToLowerInvariant()}",
            N: data.Count,
            Dims: data.Dimensions,
            Metric: options.MetricName,
            K: options.K,
            M: options.M,
            EfConstruction: options.EfConstruction,
            BuildSeconds: buildSeconds,
            Threads: options.Threads,
            IndexBytes: plainBytes,
            Runs: runs,
            QuantizedIndexBytes: quantizedBytes,
            DiskBytes: rowsFile is null ? null : diskBytes,
            Calibrations: calibrations.Count > 0 ? calibrations : null);
    }

    /// <summary>
    /// AdANNS's other variant: a graph built on the first <paramref name="buildDims"/> dimensions only, searched
    /// for k × oversampling candidates that are rescored with the whole vectors (L2). Compares with walking a
    /// full-dimension graph on a prefix (<c>--search-dims</c>).
    /// </summary>
    private static List<RecallRun> MeasurePrefixGraph(VectorSet data, VectorSet queries, int[][] truth, RecallOptions options, int buildDims, TextWriter log)
    {
        if (options.Metric != DistanceMetric.Euclid)
        {
            throw new ArgumentException("--build-dims is measured for l2 only.");
        }

        var prefixes = new float[data.Count * buildDims];
        for (int row = 0; row < data.Count; row++)
        {
            data[row][..buildDims].CopyTo(prefixes.AsSpan(row * buildDims, buildDims));
        }

        using var prefixIndex = new HnswIndex(buildDims, options.Metric, new HnswParameters { M = options.M, EfConstruction = options.EfConstruction }, data.Count);
        double seconds = Build(prefixIndex, new VectorSet(prefixes, buildDims), options.Threads);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"graph on {buildDims} dims built in {seconds:F2} s"));
        var runs = new List<RecallRun>();
        foreach (int oversampling in options.Oversampling)
        {
            int shortlist = options.K * oversampling;
            var candidates = new Neighbor[shortlist];
            foreach (int ef in options.Ef)
            {
                var run = Measure(queries, truth, options.K, ef, options.Repeats, (q, found) =>
                {
                    var query = queries[q];
                    int n = prefixIndex.Search(query[..buildDims], shortlist, Math.Max(ef, shortlist), candidates);
                    for (int i = 0; i < n; i++)
                    {
                        candidates[i] = new Neighbor(candidates[i].Id, VectorMath.SquaredEuclidean(query, data[candidates[i].Id]));
                    }

                    var span = candidates.AsSpan(0, n);
                    span.Sort((a, b) => a.Distance.CompareTo(b.Distance));
                    int kept = Math.Min(options.K, n);
                    span[..kept].CopyTo(found);
                    return kept;
                }) with { SearchDims = buildDims, Oversampling = oversampling, BuildDims = buildDims };
                runs.Add(run);
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"graph d={buildDims,4} x{oversampling} ef={ef,5}  recall={run.Recall:F4}  qps={run.Qps,9:F0}"));
            }
        }

        return runs;
    }

    /// <summary>
    /// Auto-calibration as a collection does it (200 of the indexed points as queries, their own node left out),
    /// then the chosen configuration on the held-out queries: how close it lands to the target, and how fast.
    /// </summary>
    private static CalibrationRun Calibrate(HnswIndex index, int points, VectorSet queries, int[][] truth, RecallOptions options, double target, string sample, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        IEnumerable<int> prefixes = options.SearchDims.Count > 0 ? [.. options.SearchDims, index.Dimensions] : Adaptive.AdaptiveCalibration.DefaultPrefixes(index.Dimensions);
        if (index.RotatedRows > 0)
        {
            prefixes = prefixes.Where(d => d <= index.RotatedRows || d == index.Dimensions);
        }

        // Calibrating on queries takes them from the first half; every choice is then measured on the second half.
        int half = options.CalibrateOn.Contains("queries") ? queries.Count / 2 : 0;
        Adaptive.AdaptiveChoice choice;
        if (sample == "queries")
        {
            float[][] served = [.. Enumerable.Range(0, Math.Min(200, half)).Select(q => queries[q].ToArray())];
            choice = Adaptive.AdaptiveCalibration.CalibrateOnQueries(index, served, options.K, target, [.. prefixes]);
        }
        else
        {
            int step = Math.Max(1, points / 200);
            int[] nodes = [.. Enumerable.Range(0, Math.Min(200, points)).Select(i => i * step)];
            choice = Adaptive.AdaptiveCalibration.Calibrate(index, nodes, options.K, target, [.. prefixes]);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        var heldOutQueries = half == 0 ? queries : new VectorSet(queries.Data[(half * queries.Dimensions)..], queries.Dimensions);
        var heldOut = MeasureEf(index, heldOutQueries, truth[half..], options.K, choice.Ef, options.Repeats,
            choice.SearchDimensions == index.Dimensions ? null : (choice.SearchDimensions, choice.Shortlist));
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"target {target:F2} on {sample}: chose d={choice.SearchDimensions} shortlist {choice.Shortlist} ef={choice.Ef} in {seconds:F1} s (calibration recall {choice.Recall:F4}); held-out recall {heldOut.Recall:F4} ({heldOut.Recall - target:+0.0000;-0.0000}) on {heldOutQueries.Count} queries, qps {heldOut.Qps:F0}"));
        return new CalibrationRun(target, sample, choice.SearchDimensions, choice.Shortlist, choice.Ef, choice.Recall, heldOut.Recall, heldOut.Qps, seconds);
    }

    /// <summary>Builds the graph, or with <c>--graph</c> loads it from that snapshot (written after a build when missing),
    /// so that A/B runs of search changes measure searches on the same graph without rebuilding it.</summary>
    private static HnswIndex BuildOrLoad(RecallOptions options, VectorSet data, TextWriter log, out double buildSeconds)
    {
        if (options.GraphPath is { } path && File.Exists(path))
        {
            using var stream = File.OpenRead(path);
            var loaded = HnswIndex.ReadSnapshot(stream);
            if (loaded.Dimensions != data.Dimensions || loaded.Metric != options.Metric || loaded.AllocatedCount != data.Count || loaded.Parameters.M != options.M || loaded.Parameters.DataType != options.DataType)
            {
                loaded.Dispose();
                throw new ArgumentException($"--graph {path} holds a graph of other data or parameters; delete it to rebuild.");
            }

            buildSeconds = 0;
            log.WriteLine($"graph loaded from {path} (build not timed: build_seconds is 0)");
            return loaded;
        }

        var index = new HnswIndex(data.Dimensions, options.Metric, new HnswParameters { M = options.M, EfConstruction = options.EfConstruction, DataType = options.DataType }, data.Count);
        buildSeconds = Build(index, data, options.Threads);
        log.WriteLine($"build {buildSeconds:F2} s, {index.MemoryBytes / (double)data.Count:F0} bytes/point");
        if (options.GraphPath is { } target)
        {
            using var stream = File.Create(target);
            index.WriteSnapshot(stream);
        }

        return index;
    }

    /// <summary>Reserves rows in order (node id = row), then links them with <paramref name="threads"/> workers.</summary>
    private static double Build(HnswIndex index, VectorSet data, int threads)
    {
        var clock = Stopwatch.StartNew();
        for (int row = 0; row < data.Count; row++)
        {
            index.Reserve(data[row]);
        }

        if (threads <= 1)
        {
            for (int row = 0; row < data.Count; row++)
            {
                index.Link(row);
            }
        }
        else
        {
            int next = -1;
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                int row;
                while ((row = Interlocked.Increment(ref next)) < data.Count)
                {
                    index.Link(row);
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
        }

        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>PCA fitted on up to 20,000 base rows (centred for L2, where only differences matter).</summary>
    private static Adaptive.PcaRotation FitRotation(VectorSet data, DistanceMetric metric, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        int step = Math.Max(1, data.Count / 20_000);
        var sample = Enumerable.Range(0, data.Count / step).Select(i => data[i * step].ToArray()).ToList();
        var rotation = Adaptive.PcaRotation.Fit(sample, data.Dimensions, center: metric is DistanceMetric.Euclid or DistanceMetric.Manhattan);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"PCA fitted in {clock.Elapsed.TotalSeconds:F1} s on {sample.Count} rows; variance in the first 32/64/128/256 dims: {rotation.ExplainedShare(32):P1} / {rotation.ExplainedShare(64):P1} / {rotation.ExplainedShare(128):P1} / {rotation.ExplainedShare(256):P1}"));
        return rotation;
    }

    /// <summary>The rotated copy of a vector set. Rotation keeps L2 distances and dot products, so the ground truth stays valid.</summary>
    private static VectorSet Rotate(Adaptive.PcaRotation rotation, VectorSet set)
    {
        var rotated = new float[set.Count * set.Dimensions];
        Parallel.For(0, set.Count, row => rotation.Rotate(set[row], rotated.AsSpan(row * set.Dimensions, set.Dimensions)));
        return new VectorSet(rotated, set.Dimensions);
    }

    /// <summary>A quantized series' name: x2 for oversampling 2; "bounded" for 0, none asked (binary codes rescore within their error bounds).</summary>
    private static string QuantizedSeries(int? oversampling) => oversampling == 0 ? "bounded" : $"x{oversampling}";

    /// <summary>One ef's pass over the queries; ef = 0 means an exact scan; <paramref name="adaptive"/> walks on a prefix.</summary>
    private static RecallRun MeasureEf(HnswIndex index, VectorSet queries, int[][] truth, int k, int ef, int repeats, (int Dims, int Shortlist)? adaptive = null) =>
        Measure(queries, truth, k, ef, repeats, (q, found) => ef == 0 ? index.ExactSearch(queries[q], k, found)
            : adaptive is var (dims, shortlist) ? index.SearchAdaptive(queries[q], k, ef, dims, shortlist, found)
            : index.Search(queries[q], k, ef, found)) with { SearchDims = adaptive?.Dims };

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(0.5);

    /// <summary>Answers query q into found; returns how many it wrote.</summary>
    private delegate int QueryRunner(int q, Span<Neighbor> found);

    /// <summary>
    /// The timed loop every configuration shares: warm-up passes for at least <see cref="WarmUp"/>, then the best of
    /// <paramref name="repeats"/>. One warm-up pass of a fast configuration is over before the JIT has compiled its
    /// optimised code (it waits ~100 ms after the first calls), and the first configuration measured came out slow.
    /// </summary>
    private static RecallRun Measure(VectorSet queries, int[][] truth, int k, int ef, int repeats, QueryRunner run)
    {
        var found = new Neighbor[k];
        var warmUp = Stopwatch.StartNew();
        do
        {
            for (int q = 0; q < queries.Count; q++)
            {
                run(q, found);
            }
        }
        while (warmUp.Elapsed < WarmUp);

        var latencies = new double[queries.Count];
        var best = new double[queries.Count];
        double bestSeconds = double.MaxValue;
        double recall = 0;
        for (int pass = 1; pass <= repeats; pass++)
        {
            double hits = 0;
            long start = Stopwatch.GetTimestamp();
            for (int q = 0; q < queries.Count; q++)
            {
                long t0 = Stopwatch.GetTimestamp();
                int n = run(q, found);
                latencies[q] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                hits += Overlap(found.AsSpan(0, n), truth[q], k);
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            recall = hits / ((double)k * queries.Count);
            if (seconds < bestSeconds)
            {
                bestSeconds = seconds;
                latencies.CopyTo(best, 0);
            }
        }

        Array.Sort(best);
        return new RecallRun(ef, recall, queries.Count / bestSeconds, Percentile(best, 0.50), Percentile(best, 0.99));
    }

    private static int Overlap(ReadOnlySpan<Neighbor> found, int[] truth, int k)
    {
        var expected = truth.AsSpan(0, Math.Min(k, truth.Length));
        int hits = 0;
        foreach (var neighbor in found)
        {
            if (expected.Contains(neighbor.Id))
            {
                hits++;
            }
        }

        return hits;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static int[][] LoadOrComputeTruth(RecallOptions options, HnswIndex index, VectorSet data, VectorSet queries, TextWriter log)
    {
        bool fullBase = options.MaxBase == int.MaxValue || options.MaxBase >= data.Count;
        if (options.TruthPath is { } path && fullBase)
        {
            var truth = DatasetReader.ReadNeighbors(path, queries.Count);
            if (truth.Length < queries.Count || truth[0].Length < options.K)
            {
                throw new InvalidDataException($"{path} has {truth.Length} rows of {truth[0].Length}; need {queries.Count} of at least {options.K}.");
            }

            return truth;
        }

        string cache = Path.Combine("data", "cache", string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(options.BasePath)}.{data.Count}.{Path.GetFileName(options.QueryPath)}.{queries.Count}.{options.MetricName}.gt{options.K}.ivecs"));
        if (File.Exists(cache))
        {
            return DatasetReader.ReadIvecs(cache);
        }

        log.WriteLine(options.TruthPath is null ? "no ground truth given: computing it exactly" : "base truncated: computing ground truth exactly");
        var computed = new int[queries.Count][];
        Parallel.For(0, queries.Count, q =>
        {
            var found = new Neighbor[options.K];
            int n = index.ExactSearch(queries[q], options.K, found);
            computed[q] = [.. found.AsSpan(0, n).ToArray().Select(f => f.Id)];
        });
        DatasetWriter.WriteIvecs(cache, computed);
        return computed;
    }

    private static VectorSet ReadVectors(string path, int maxRows) => DatasetReader.Read(path, maxRows);
}

/// <summary>One sweep point; <see cref="SearchDims"/> and <see cref="Oversampling"/> are set for adaptive-dimension runs.</summary>
public sealed record RecallRun(int Ef, double Recall, double Qps, double P50Ms, double P99Ms, int? SearchDims = null, int? Oversampling = null, int? BuildDims = null, string? Quantization = null);

public sealed record RecallResult(
    string Dataset,
    string Engine,
    int N,
    int Dims,
    string Metric,
    int K,
    int M,
    int EfConstruction,
    double BuildSeconds,
    int Threads,
    long IndexBytes,
    IReadOnlyList<RecallRun> Runs,
    IReadOnlyList<CalibrationRun>? Calibrations = null,
    [property: JsonIgnore] long? QuantizedIndexBytes = null,
    long? DiskBytes = null);

/// <summary>One auto-calibration: the target, what it measured on (<c>points</c> or <c>queries</c>), what it chose, its recall on the calibration sample and on the held-out queries.</summary>
public sealed record CalibrationRun(double Target, string Sample, int SearchDims, int Shortlist, int Ef, double CalibrationRecall, double HeldOutRecall, double Qps, double CalibrationSeconds);
