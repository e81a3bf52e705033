using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using VectorDb.Distance;

namespace VectorDb.Bench.Kernels;

/// <summary>
/// The L2 kernel against rows stored as float32, float16 and bfloat16 (<see cref="VectorDataType"/>), on L1-resident
/// rows: what widening costs in compute, which a graph walk pays back only where fetching the row from memory costs
/// more (docs/benchmarks.md, "Half-width rows").
/// </summary>
[BenchmarkCategory(BenchmarkCategories.Kernels)]
public class RowFormatBenchmarks
{
    private float[] _query = [];
    private byte[] _float32 = [];
    private byte[] _float16 = [];
    private byte[] _bfloat16 = [];

    [Params(100, 784)]
    public int Dims { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _query = [.. Enumerable.Range(0, Dims).Select(_ => (float)random.NextDouble() - 0.5f)];
        float[] row = [.. Enumerable.Range(0, Dims).Select(_ => (float)random.NextDouble() - 0.5f)];
        _float32 = Encode(VectorDataType.Float32, row);
        _float16 = Encode(VectorDataType.Float16, row);
        _bfloat16 = Encode(VectorDataType.BFloat16, row);
    }

    [Benchmark(Baseline = true)]
    public float L2_RowsOfFloat32() => Compute<NonNegativeSumDistance<Float32Rows, SquaredDifferenceOperator>>(_float32);

    [Benchmark]
    public float L2_RowsOfFloat16() => Compute<NonNegativeSumDistance<Float16Rows, SquaredDifferenceOperator>>(_float16);

    [Benchmark]
    public float L2_RowsOfBFloat16() => Compute<NonNegativeSumDistance<BFloat16Rows, SquaredDifferenceOperator>>(_bfloat16);

    private float Compute<TDistance>(byte[] row)
        where TDistance : struct, IDistanceFunction =>
        TDistance.Compute(ref MemoryMarshal.GetArrayDataReference(_query), ref MemoryMarshal.GetArrayDataReference(row), (nuint)Dims);

    private static byte[] Encode(VectorDataType type, float[] row)
    {
        var bytes = new byte[row.Length * RowCodec.ElementBytes(type)];
        RowCodec.TryEncode(type, row, bytes);
        return bytes;
    }
}
