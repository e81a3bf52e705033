using System.Globalization;
using System.Text.Json;
using VectorDb.Datasets;
using VectorDb.Query;

namespace VectorDb.Bench.Filtered;

/// <summary>A query with its filter and the case it belongs to.</summary>
internal sealed record BenchQuery(int Index, string Case, float[] Vector, Filter? Filter);

/// <summary>Points to load, indexes to create, queries to run, and ground truth when the dataset ships it.</summary>
internal sealed record Workload(
    string Name,
    List<Point> Points,
    IReadOnlyList<(string Key, PayloadSchemaType Schema)> Indexes,
    List<BenchQuery> Queries,
    IReadOnlyDictionary<int, ulong[]>? Truth,
    int K = 10);

internal static class Workloads
{
    /// <summary>
    /// fashion-mnist: the real class label (keyword) — correlated with the images — and a uniform integer
    /// <c>u</c> in [0, 1000) for range filters of chosen selectivity. Every query runs under every case.
    /// </summary>
    public static Workload FashionMnist(string folder, int maxQueries)
    {
        var vectors = DatasetReader.ReadIdxImages(Path.Combine(folder, "train-images-idx3-ubyte.gz"));
        var labels = DatasetReader.ReadIdxLabels(Path.Combine(folder, "train-labels-idx1-ubyte.gz"));
        var queryVectors = DatasetReader.ReadIdxImages(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), maxQueries);
        var queryLabels = DatasetReader.ReadIdxLabels(Path.Combine(folder, "t10k-labels-idx1-ubyte.gz"), maxQueries);
        var random = new Random(42);
        var points = Enumerable.Range(0, vectors.Count)
            .Select(i => new Point((ulong)i, vectors[i].ToArray(), Payload.FromObject(new { label = Label(labels[i]), u = random.Next(1000) })))
            .ToList();

        var cases = new (string Name, Func<int, Filter?> Filter)[]
        {
            ("unfiltered", _ => null),
            ("0.1% (u < 1)", _ => Below(1)),
            ("1% (u < 10)", _ => Below(10)),
            ("10% (u < 100)", _ => Below(100)),
            ("10% (label = own label)", q => new Filter(Must: [Conditions.Match("label", Label(queryLabels[q]))])),
            ("10% (label = q mod 10)", q => new Filter(Must: [Conditions.Match("label", Label((byte)(q % 10)))])),
            ("50% (u < 500)", _ => Below(500)),
            ("100% (u < 1000)", _ => Below(1000)),
            ("90% anti (label != own label)", q => new Filter(MustNot: [Conditions.Match("label", Label(queryLabels[q]))])),
            ("90% anti as match.except", q => new Filter(Must: [new MatchExceptCondition("label", [JsonSerializer.SerializeToElement(Label(queryLabels[q]))])])),
            ("90% (label != q mod 10)", q => new Filter(MustNot: [Conditions.Match("label", Label((byte)(q % 10)))])), // mostly a class away from the query
            ("1% (label = own and u < 100)", q => new Filter(Must: [Conditions.Match("label", Label(queryLabels[q])), Conditions.Range("u", lt: 100)])),
        };

        var queries = new List<BenchQuery>();
        foreach (var (name, filter) in cases)
        {
            for (int q = 0; q < queryVectors.Count; q++)
            {
                queries.Add(new BenchQuery(queries.Count, name, queryVectors[q].ToArray(), filter(q)));
            }
        }

        return new Workload("fashion-mnist-784", points, [("label", PayloadSchemaType.Keyword), ("u", PayloadSchemaType.Integer)], queries, null);

        static Filter Below(int bound) => new(Must: [Conditions.Range("u", lt: bound)]);
    }

    /// <summary>
    /// SIGMOD 2024 contest dummy set: category <c>c</c> (integer) and timestamp <c>t</c> (float); query types
    /// 0 plain, 1 c = v, 2 l ≤ t ≤ r, 3 both. Ground truth is the dataset's own (filtered, k = 100).
    /// </summary>
    public static Workload Sigmod(string folder, int maxQueries)
    {
        var data = ReadRows(Path.Combine(folder, "dummy-data.bin"), 102, int.MaxValue);
        var rawQueries = ReadRows(Path.Combine(folder, "dummy-queries.bin"), 104, maxQueries);
        var truthRows = DatasetReader.ReadIvecs(Path.Combine(folder, "gt100-filtered.ivecs"), maxQueries);
        var points = data.Select((row, i) => new Point((ulong)i, row[2..], Payload.FromObject(new { c = (int)row[0], t = (double)row[1] }))).ToList();
        string[] names = ["type 0 (plain)", "type 1 (c = v)", "type 2 (l <= t <= r)", "type 3 (c = v and l <= t <= r)"];
        var queries = new List<BenchQuery>();
        var truth = new Dictionary<int, ulong[]>();
        for (int q = 0; q < rawQueries.Length; q++)
        {
            var row = rawQueries[q];
            int type = (int)row[0];
            var conditions = new List<Condition>();
            if (type is 1 or 3)
            {
                conditions.Add(Conditions.Match("c", (long)row[1]));
            }

            if (type is 2 or 3)
            {
                conditions.Add(Conditions.Range("t", gte: row[2], lte: row[3]));
            }

            queries.Add(new BenchQuery(q, names[type], row[4..], conditions.Count == 0 ? null : new Filter(Must: conditions)));
            truth[q] = [.. truthRows[q].Where(id => id >= 0).Take(10).Select(id => (ulong)id)];
        }

        return new Workload("sigmod2024-yfcc-clip-pca100", points, [("c", PayloadSchemaType.Integer), ("t", PayloadSchemaType.Float)], queries, truth);
    }

    private static string Label(byte label) => label.ToString(CultureInfo.InvariantCulture);

    /// <summary>The contest's binary format: uint32 row count, then rows of float32.</summary>
    private static float[][] ReadRows(string path, int width, int maxRows)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int count = (int)Math.Min(reader.ReadUInt32(), (uint)maxRows);
        var rows = new float[count][];
        for (int i = 0; i < count; i++)
        {
            rows[i] = new float[width];
            for (int j = 0; j < width; j++)
            {
                rows[i][j] = reader.ReadSingle();
            }
        }

        return rows;
    }
}
