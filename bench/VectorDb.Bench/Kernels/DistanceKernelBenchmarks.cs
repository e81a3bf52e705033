using BenchmarkDotNet.Attributes;
using System.Numerics.Tensors;
using VectorDb.Distance;

namespace VectorDb.Bench.Kernels;

/// <summary>
/// Our kernels against System.Numerics.Tensors.TensorPrimitives on L1-resident vectors, at the dimensions
/// of common datasets (96 Deep1B, 128 SIFT, 768 BERT, 784 MNIST, 1536 OpenAI). Cosine is compared as
/// we compute it (dot over stored unit vectors) against TensorPrimitives.CosineSimilarity on raw vectors;
/// L2 against TensorPrimitives.Distance (which adds one square root).
/// </summary>
[BenchmarkCategory(BenchmarkCategories.Kernels)]
public class DistanceKernelBenchmarks
{
    private float[] _x = [];
    private float[] _y = [];
    private float[] _scratch = [];

    [Params(96, 128, 768, 784, 1536)]
    public int Dims { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _x = [.. Enumerable.Range(0, Dims).Select(_ => (float)random.NextDouble() - 0.5f)];
        _y = [.. Enumerable.Range(0, Dims).Select(_ => (float)random.NextDouble() - 0.5f)];
        _scratch = new float[Dims];
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Dot")]
    public float Dot_VectorDb() => VectorMath.Dot(_x, _y);

    [Benchmark]
    [BenchmarkCategory("Dot")]
    public float Dot_TensorPrimitives() => TensorPrimitives.Dot(_x, _y);

    [Benchmark]
    [BenchmarkCategory("L2")]
    public float L2_VectorDb() => VectorMath.SquaredEuclidean(_x, _y);

    [Benchmark]
    [BenchmarkCategory("L2")]
    public float L2_TensorPrimitives() => TensorPrimitives.Distance(_x, _y);

    [Benchmark]
    [BenchmarkCategory("L1")]
    public float Manhattan_VectorDb() => VectorMath.Manhattan(_x, _y);

    [Benchmark]
    [BenchmarkCategory("L1")]
    public float Manhattan_TensorPrimitives()
    {
        // TensorPrimitives has no L1 distance: subtract, then sum magnitudes (two passes).
        TensorPrimitives.Subtract(_x, _y, _scratch);
        return TensorPrimitives.SumOfMagnitudes(_scratch);
    }

    [Benchmark]
    [BenchmarkCategory("Cosine")]
    public float Cosine_VectorDb_DotOfUnitVectors() => VectorMath.Dot(_x, _y);

    [Benchmark]
    [BenchmarkCategory("Cosine")]
    public float Cosine_TensorPrimitives() => TensorPrimitives.CosineSimilarity(_x, _y);
}
