using System.Globalization;

namespace VectorDb.Bench.Recall;

/// <summary>Arguments of the <c>recall</c> command; names match the scripts that call it.</summary>
public sealed record RecallOptions
{
    public required string BasePath { get; init; }

    public required string QueryPath { get; init; }

    public string? TruthPath { get; init; }

    public required DistanceMetric Metric { get; init; }

    public string MetricName { get; init; } = "l2";

    public int M { get; init; } = 16;

    public int EfConstruction { get; init; } = 200;

    public int Threads { get; init; } = 1;

    public int K { get; init; } = 10;

    public IReadOnlyList<int> Ef { get; init; } = [10, 16, 32, 64, 128];

    public int MaxBase { get; init; } = int.MaxValue;

    public int MaxQueries { get; init; } = int.MaxValue;

    public int Repeats { get; init; } = 3;

    /// <summary>
    /// Rounds of the full-dimension and adaptive sweeps (<c>--rounds</c>), their order alternating; each configuration
    /// reports its median round (with one round, its best of <see cref="Repeats"/> passes).
    /// </summary>
    public int Rounds { get; init; } = 1;

    public string? OutPath { get; init; }

    /// <summary>How the index stores vectors (<c>--datatype float32|float16|bfloat16</c>); recall is still against exact float32 truth.</summary>
    public VectorDataType DataType { get; init; }

    /// <summary>A graph snapshot to search instead of building one (written after the build when it does not exist).</summary>
    public string? GraphPath { get; init; }

    /// <summary>Also measure an exact scan (reported as a run with ef = 0), against FAISS IndexFlat.</summary>
    public bool Exact { get; init; }

    /// <summary>
    /// PCA for adaptive runs. <c>true</c>/<c>rotate</c>: rotate base and queries (distances unchanged) before building,
    /// the offline way. <c>index</c>: the collection option's way: build on the vectors as given, keep their rotated
    /// leading coordinates beside them (<c>HnswIndex.KeepRotatedPrefix</c>) and project each query as it is searched.
    /// </summary>
    public PcaMode Pca { get; init; }

    /// <summary>Adaptive-dimension search: prefix lengths to walk the graph with (each gets its own ef sweep).</summary>
    public IReadOnlyList<int> SearchDims { get; init; } = [];

    /// <summary>Adaptive-dimension search: shortlist sizes as multiples of k, rescored with the full vector.</summary>
    public IReadOnlyList<int> Oversampling { get; init; } = [4];

    /// <summary>
    /// <c>--quantization int8|binary|binary1.5|binary2</c> (<c>--query-encoding</c> for binary): after the plain runs, fit codes and
    /// sweep ef for each oversampling, the walk on codes rescoring k × oversampling candidates with the stored rows (a
    /// series of its own per oversampling). Oversampling 0 asks for none: binary codes then rescore the beam's
    /// candidates only while their error bounds leave them a chance (the series "bounded").
    /// </summary>
    public QuantizationOptions? Quantization { get; init; }

    /// <summary>
    /// <c>--on-disk true</c>: before the quantized runs, move the rows into a memory-mapped file (<c>memory: cached</c>), so
    /// <c>index_bytes</c> counts links and codes only and <c>disk_bytes</c> the file (whose pages the OS caches).
    /// </summary>
    public bool OnDisk { get; init; }

    /// <summary>The quantization as result files name it: int8, binary, binary2, with the query encoding when not the default.</summary>
    public string? QuantizationName => Quantization switch
    {
        ScalarQuantizationOptions => "int8",
        BinaryQuantizationOptions binary => binary.Encoding switch { BinaryEncoding.OneBit => "binary", BinaryEncoding.TwoBits => "binary2", _ => "binary1.5" }
            + (binary.QueryEncoding == BinaryQueryEncoding.Default ? "" : "-q" + binary.QueryEncoding.ToString().ToLowerInvariant()),
        _ => null,
    };

    /// <summary>Calibrate adaptive search for each of these recalls (on what <see cref="CalibrateOn"/> says), then measure the choice on the queries.</summary>
    public IReadOnlyList<double> TargetRecall { get; init; } = [];

    /// <summary>
    /// What each target-recall calibration measures on: <c>points</c> (200 base points, as a collection does before it
    /// has served queries) and/or <c>queries</c> (the first 200 queries, as served queries would be).
    /// With <c>queries</c> every choice is measured on the second half only, so that the two compare on the same queries.
    /// </summary>
    public IReadOnlyList<string> CalibrateOn { get; init; } = ["points"];

    /// <summary>Also build graphs on these prefixes only and search them with full-vector rescoring (AdANNS's build_dims).</summary>
    public IReadOnlyList<int> BuildDims { get; init; } = [];

    public static RecallOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"Expected --name value pairs, got '{args[i]}'.");
            }

            values[args[i][2..]] = args[++i];
        }

        string Required(string name) => values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required.");
        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        IReadOnlyList<int> Ints(string name, IReadOnlyList<int> fallback) =>
            values.TryGetValue(name, out var v) ? [.. v.Split(',').Select(e => int.Parse(e, CultureInfo.InvariantCulture))] : fallback;

        if (values.ContainsKey("search-dims") && Ints("oversampling", [4]).Contains(0))
        {
            throw new ArgumentException("--oversampling 0 (none asked) is for --quantization; adaptive search needs a shortlist of k × oversampling.");
        }

        string metric = values.GetValueOrDefault("metric", "l2");
        var known = new HashSet<string> { "base", "query", "truth", "metric", "m", "ef-construction", "threads", "k", "ef", "max-base", "max-queries", "repeats", "rounds", "out", "exact", "pca", "search-dims", "oversampling", "target-recall", "calibrate-on", "build-dims", "graph", "datatype", "quantization", "quantile", "query-encoding", "on-disk" };
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            throw new ArgumentException($"Unknown option --{unknown}.");
        }

        return new RecallOptions
        {
            BasePath = Required("base"),
            QueryPath = Required("query"),
            TruthPath = values.GetValueOrDefault("truth"),
            MetricName = metric,
            Metric = metric switch
            {
                "l2" or "euclidean" => DistanceMetric.Euclid,
                "ip" or "dot" => DistanceMetric.Dot,
                "cosine" or "angular" => DistanceMetric.Cosine,
                "l1" or "manhattan" => DistanceMetric.Manhattan,
                _ => throw new ArgumentException($"Unknown metric '{metric}' (l2, ip, cosine, l1)."),
            },
            M = Int("m", 16),
            EfConstruction = Int("ef-construction", 200),
            Threads = Int("threads", 1),
            K = Int("k", 10),
            Ef = Ints("ef", [10, 16, 32, 64, 128]),
            MaxBase = Int("max-base", int.MaxValue),
            MaxQueries = Int("max-queries", int.MaxValue),
            Repeats = Int("repeats", 3),
            Rounds = Int("rounds", 1) is >= 1 and var rounds ? rounds : throw new ArgumentException("--rounds must be at least 1"),
            Exact = values.TryGetValue("exact", out var exact) && bool.Parse(exact),
            Pca = values.GetValueOrDefault("pca", "false") switch
            {
                "false" => PcaMode.None,
                "true" or "rotate" => PcaMode.Rotate,
                "index" => PcaMode.Index,
                var other => throw new ArgumentException($"--pca takes false, true (rotate) or index, not {other}"),
            },
            OnDisk = values.TryGetValue("on-disk", out var onDisk) && bool.Parse(onDisk),
            SearchDims = Ints("search-dims", []),
            Oversampling = Ints("oversampling", [4]),
            BuildDims = Ints("build-dims", []),
            TargetRecall = values.TryGetValue("target-recall", out var targets) ? [.. targets.Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture))] : [],
            CalibrateOn = values.TryGetValue("calibrate-on", out var on) ? CalibrationSamples(on) : ["points"],
            OutPath = values.GetValueOrDefault("out"),
            GraphPath = values.GetValueOrDefault("graph"),
            Quantization = values.GetValueOrDefault("quantization", "none") switch
            {
                "none" => null,
                "int8" => new ScalarQuantizationOptions { Quantile = values.TryGetValue("quantile", out var quantile) ? float.Parse(quantile, CultureInfo.InvariantCulture) : null },
                "binary" or "binary2" or "binary1.5" => new BinaryQuantizationOptions
                {
                    Encoding = values["quantization"] switch { "binary" => BinaryEncoding.OneBit, "binary2" => BinaryEncoding.TwoBits, _ => BinaryEncoding.OneAndHalfBits },
                    QueryEncoding = values.GetValueOrDefault("query-encoding", "default") switch
                    {
                        "default" => BinaryQueryEncoding.Default,
                        "binary" => BinaryQueryEncoding.Binary,
                        "scalar4bits" => BinaryQueryEncoding.Scalar4Bits,
                        "scalar8bits" => BinaryQueryEncoding.Scalar8Bits,
                        var other => throw new ArgumentException($"--query-encoding takes default, binary, scalar4bits or scalar8bits, not {other}"),
                    },
                },
                var other => throw new ArgumentException($"--quantization takes none, int8, binary, binary1.5 or binary2, not {other}"),
            },
            DataType = values.GetValueOrDefault("datatype", "float32") switch
            {
                "float32" => VectorDataType.Float32,
                "float16" => VectorDataType.Float16,
                "bfloat16" => VectorDataType.BFloat16,
                var other => throw new ArgumentException($"--datatype takes float32, float16 or bfloat16, not {other}"),
            },
        };
    }

    private static string[] CalibrationSamples(string value)
    {
        string[] samples = [.. value.Split(',')];
        return samples.All(sample => sample is "points" or "queries")
            ? samples
            : throw new ArgumentException($"--calibrate-on takes points and/or queries, not {value}.");
    }
}

/// <summary>How a recall run uses PCA (see <see cref="RecallOptions.Pca"/>).</summary>
public enum PcaMode
{
    None,
    Rotate,
    Index,
}
