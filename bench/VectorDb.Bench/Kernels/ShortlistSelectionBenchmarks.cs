using BenchmarkDotNet.Attributes;
using VectorDb.Hnsw;

namespace VectorDb.Bench.Kernels;

/// <summary>
/// Selecting an adaptive walk's shortlist: the nearest few of the nodes a walk computed a prefix distance for, nearest
/// first (<see cref="Shape"/> "count/size": 20 of 222 and 40 of 296, shortlists of ×2 and ×4 at k = 10 from about as many
/// nodes as walks at ef 10–20 see). Quickselect with an insertion sort, the way before, against the vector-compare
/// selection at each width. Each call selects from another of 2,048 lists: a walk never sees the same list twice, and
/// over 64 lists this machine's branch predictor learned quickselect's branches (300 ns instead of 2,300 for 20 of 222).
/// Copying the list in is part of every case.
/// </summary>
[BenchmarkCategory(BenchmarkCategories.Kernels)]
public class ShortlistSelectionBenchmarks
{
    private const int Lists = 2048;
    private Neighbor[][] _lists = [];
    private Neighbor[] _work = [];

    [Params("222/20", "296/40")]
    public string Shape { get; set; } = "222/20";

    private int Count => int.Parse(Shape.Split('/')[0], System.Globalization.CultureInfo.InvariantCulture);

    private int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        Size = int.Parse(Shape.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture);

        // Skewed towards the far end, as a walk's distances are: few near the query, many around it.
        _lists = [.. Enumerable.Range(0, Lists).Select(_ => Enumerable.Range(0, Count).Select(i => new Neighbor(i, (float)(1 + (10 * Math.Sqrt(random.NextDouble()))))).ToArray())];
        _work = new Neighbor[Count];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Lists)]
    public float QuickselectThenInsertionSort()
    {
        float sum = 0;
        foreach (var list in _lists)
        {
            list.CopyTo(_work, 0);
            NearestSelection.PartitionNearest(_work, Size);
            NearestSelection.InsertionSort(_work.AsSpan(0, Size));
            sum += _work[Size - 1].Distance;
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Lists)]
    public float Scalar() => Select(NearestSelection.Width.Scalar);

    [Benchmark(OperationsPerInvoke = Lists)]
    public float Vector256() => Select(NearestSelection.Width.Vector256);

    [Benchmark(OperationsPerInvoke = Lists)]
    public float Vector512() => Select(NearestSelection.Width.Vector512);

    private float Select(NearestSelection.Width width)
    {
        float sum = 0;
        foreach (var list in _lists)
        {
            list.CopyTo(_work, 0);
            int selected = NearestSelection.Select(_work, Size, width);
            sum += _work[selected - 1].Distance;
        }

        return sum;
    }
}
