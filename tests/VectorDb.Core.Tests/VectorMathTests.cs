using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using VectorDb.Distance;

namespace VectorDb.Core.Tests;

/// <summary>
/// Every kernel path (512-bit, 256-bit, scalar) against a double-precision reference, for every length
/// 0..300 and unaligned starts, so the unrolled loops, the masked tail and the short-vector fallbacks are
/// all exercised.
/// </summary>
public class VectorMathTests
{
    public enum Path { Scalar, V256, V512, Dispatch }

    public static TheoryData<Path> Paths => [Path.Scalar, Path.V256, Path.V512, Path.Dispatch];

    [Theory]
    [MemberData(nameof(Paths))]
    public void Dot_matches_double_reference(Path path) =>
        CheckAllLengths<DotOperator>(path, static (x, y) => (double)x * y);

    [Theory]
    [MemberData(nameof(Paths))]
    public void SquaredEuclidean_matches_double_reference(Path path) =>
        CheckAllLengths<SquaredDifferenceOperator>(path, static (x, y) => ((double)x - y) * ((double)x - y));

    [Theory]
    [MemberData(nameof(Paths))]
    public void Manhattan_matches_double_reference(Path path) =>
        CheckAllLengths<AbsoluteDifferenceOperator>(path, static (x, y) => Math.Abs((double)x - y));

    [Fact]
    public void Public_entry_points_agree_with_reference_and_reject_length_mismatch()
    {
        var random = new Random(7);
        var a = RandomVector(random, 784);
        var b = RandomVector(random, 784);
        AssertClose(Reference(a, b, static (x, y) => (double)x * y), VectorMath.Dot(a, b), a, b);
        AssertClose(Reference(a, b, static (x, y) => ((double)x - y) * ((double)x - y)), VectorMath.SquaredEuclidean(a, b), a, b);
        AssertClose(Reference(a, b, static (x, y) => Math.Abs((double)x - y)), VectorMath.Manhattan(a, b), a, b);
        Assert.Throws<ArgumentException>(() => VectorMath.Dot(a, b.AsSpan(1)));
    }

    [Fact]
    public void Prefix_of_a_vector_is_the_distance_over_the_first_dims()
    {
        var random = new Random(11);
        var a = RandomVector(random, 768);
        var b = RandomVector(random, 768);
        foreach (int dims in new[] { 1, 64, 100, 256, 768 })
        {
            AssertClose(Reference(a.AsSpan(0, dims), b.AsSpan(0, dims), static (x, y) => (double)x * y), VectorMath.Dot(a.AsSpan(0, dims), b.AsSpan(0, dims)), a, b);
        }
    }

    [Fact]
    public void Normalize_gives_unit_length_and_rejects_zero()
    {
        float[] v = [3, 4, 0];
        Assert.True(VectorMath.TryNormalize(v, v));
        Assert.Equal(1f, VectorMath.Norm(v), 1e-6f);
        Assert.Equal(0.6f, v[0], 1e-6f);
        float[] zero = [0, 0, 0];
        Assert.False(VectorMath.TryNormalize(zero, zero));
    }

    [Fact]
    public void NaN_input_propagates()
    {
        float[] a = [1, float.NaN, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
        Assert.True(float.IsNaN(VectorMath.Dot(a, a)));
    }

    private static void CheckAllLengths<TOp>(Path path, Func<float, float, double> term)
        where TOp : struct, IAccumulateOperator
    {
        if ((path == Path.V512 && !VectorMath.Use512) || (path == Path.V256 && !Vector256.IsHardwareAccelerated))
        {
            Assert.Skip($"{path} is not accelerated on this CPU.");
        }

        int minimum = path switch { Path.V512 => 16, Path.V256 => 8, _ => 0 };
        var random = new Random(12345);
        var a = RandomVector(random, 303);
        var b = RandomVector(random, 303);
        for (int offset = 0; offset < 3; offset++)
        {
            for (int length = minimum; length <= 300; length++)
            {
                var x = a.AsSpan(offset, length);
                var y = b.AsSpan(offset, length);
                ref float rx = ref MemoryMarshal.GetReference(x);
                ref float ry = ref MemoryMarshal.GetReference(y);
                float actual = path switch
                {
                    Path.Scalar => VectorMath.AggregateScalar<TOp>(ref rx, ref ry, (nuint)length),
                    Path.V256 => VectorMath.Aggregate256<TOp, float, Float32Elements>(ref rx, ref ry, (nuint)length),
                    Path.V512 => VectorMath.Aggregate512<TOp, float, Float32Elements>(ref rx, ref ry, (nuint)length),
                    _ => VectorMath.Aggregate<TOp>(ref rx, ref ry, (nuint)length),
                };
                AssertClose(Reference(x, y, term), actual, x, y, $"{path} length {length} offset {offset}");
            }
        }
    }

    private static double Reference(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Func<float, float, double> term)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += term(x[i], y[i]);
        }

        return sum;
    }

    /// <summary>Float32 summation error grows with the magnitudes summed, so the tolerance scales with Σ|terms|.</summary>
    private static void AssertClose(double expected, float actual, ReadOnlySpan<float> x, ReadOnlySpan<float> y, string? context = null)
    {
        double scale = 0;
        for (int i = 0; i < x.Length; i++)
        {
            scale += Math.Abs((double)x[i] * y[i]) + ((double)x[i] * x[i]) + ((double)y[i] * y[i]);
        }

        double tolerance = 1e-5 * (scale + 1);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{context}: expected {expected}, got {actual} (tolerance {tolerance})");
    }

    private static float[] RandomVector(Random random, int length)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++)
        {
            v[i] = (float)((random.NextDouble() * 4) - 2);
        }

        return v;
    }
}
