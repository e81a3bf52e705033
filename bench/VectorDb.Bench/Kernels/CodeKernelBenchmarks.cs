using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using VectorDb.Distance;
using VectorDb.Quantization;

namespace VectorDb.Bench.Kernels;

/// <summary>
/// Code distances at 384 dimensions (arctic-embed-xs, the binary target's set), each over 64 different rows in L1 so
/// that no call can reuse another's result: scalar int8 codes against one- and two-bit binary codes with a 4-bit
/// query; and what encoding a query costs each (binary codes rotate it first).
/// </summary>
[BenchmarkCategory(BenchmarkCategories.Kernels)]
public class CodeKernelBenchmarks
{
    private const int Dimensions = 384;
    private const int Rows = 64;
    private float[] _query = [];
    private Encoded _scalar = null!;
    private Encoded _oneBit = null!;
    private Encoded _twoBits = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var sample = new float[256 * Dimensions];
        for (int i = 0; i < sample.Length; i++)
        {
            sample[i] = (float)random.NextDouble() - 0.5f;
        }

        _query = sample[..Dimensions];
        _scalar = new Encoded(CodeBook.Fit(new ScalarQuantizationOptions(), DistanceMetric.Dot, Dimensions, sample.ToArray()), _query, sample);
        _oneBit = new Encoded(BinaryCodes.Fit(DistanceMetric.Dot, Dimensions, new BinaryQuantizationOptions { QueryEncoding = BinaryQueryEncoding.Scalar4Bits }, sample), _query, sample);
        _twoBits = new Encoded(BinaryCodes.Fit(DistanceMetric.Dot, Dimensions, new BinaryQuantizationOptions { Encoding = BinaryEncoding.TwoBits, QueryEncoding = BinaryQueryEncoding.Scalar4Bits }, sample), _query, sample);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows)]
    [BenchmarkCategory("Distance")]
    public float ScalarCodes7Bit() => _scalar.Sum<ScalarDotCodeDistance>();

    [Benchmark(OperationsPerInvoke = Rows)]
    [BenchmarkCategory("Distance")]
    public float OneBit_Query4Bits() => _oneBit.Sum<BinaryCodeDistance<OnePlane, FourPlanes>>();

    [Benchmark(OperationsPerInvoke = Rows)]
    [BenchmarkCategory("Distance")]
    public float TwoBits_Query4Bits() => _twoBits.Sum<BinaryCodeDistance<TwoPlanes, FourPlanes>>();

    [Benchmark]
    [BenchmarkCategory("EncodeQuery")]
    public void EncodeQuery_Int8() => _scalar.Book.EncodeQuery(_query, _scalar.Query);

    [Benchmark]
    [BenchmarkCategory("EncodeQuery")]
    public void EncodeQuery_OneBit_Query4Bits() => _oneBit.Book.EncodeQuery(_query, _oneBit.Query);

    /// <summary>A book's query row and <see cref="Rows"/> code rows back to back.</summary>
    private sealed class Encoded
    {
        public Encoded(CodeBook book, float[] query, float[] sample)
        {
            Book = book;
            Query = new byte[book.QueryBytes];
            RowCodes = new byte[Rows * book.RowBytes];
            book.EncodeQuery(query, Query);
            for (int r = 0; r < Rows; r++)
            {
                book.EncodeRow(sample.AsSpan((r + 1) * Dimensions, Dimensions), RowCodes.AsSpan(r * book.RowBytes, book.RowBytes));
            }
        }

        public CodeBook Book { get; }

        public byte[] Query { get; }

        public byte[] RowCodes { get; }

        public float Sum<TDistance>()
            where TDistance : struct, IDistanceFunction
        {
            float sum = 0;
            int rowBytes = Book.RowBytes;
            ref float query = ref Unsafe.As<byte, float>(ref Query[0]);
            ref byte rows = ref RowCodes[0];
            for (int r = 0; r < Rows; r++)
            {
                sum += TDistance.Compute(ref query, ref Unsafe.Add(ref rows, r * rowBytes), Dimensions);
            }

            return sum;
        }
    }
}
