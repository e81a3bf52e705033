using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VectorDb.Distance;

/// <summary>
/// SIMD kernels for the distance metrics on float32 vectors. The widest instruction set the CPU has
/// (AVX-512, AVX2, else scalar) is chosen once: the <c>IsHardwareAccelerated</c> checks are JIT-time
/// constants, so each call compiles to a single path.
/// </summary>
/// <remarks>
/// <para>Prefix variants for adaptive-dimension search need no extra entry points: pass a slice,
/// e.g. <c>Dot(a[..64], b[..64])</c>.</para>
/// <para>Results can differ in the last bits between instruction sets because the summation order
/// differs. NaN inputs give NaN.</para>
/// </remarks>
public static class VectorMath
{
    /// <summary>Dot product Σ aᵢ·bᵢ.</summary>
    /// <exception cref="ArgumentException">The spans have different lengths.</exception>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        CheckLengths(a, b);
        return Aggregate<DotOperator>(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), (nuint)a.Length);
    }

    /// <summary>Squared Euclidean distance Σ (aᵢ−bᵢ)².</summary>
    /// <exception cref="ArgumentException">The spans have different lengths.</exception>
    public static float SquaredEuclidean(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        CheckLengths(a, b);
        return Aggregate<SquaredDifferenceOperator>(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), (nuint)a.Length);
    }

    /// <summary>Manhattan distance Σ |aᵢ−bᵢ|.</summary>
    /// <exception cref="ArgumentException">The spans have different lengths.</exception>
    public static float Manhattan(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        CheckLengths(a, b);
        return Aggregate<AbsoluteDifferenceOperator>(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b), (nuint)a.Length);
    }

    /// <summary>Euclidean norm √(Σ aᵢ²).</summary>
    public static float Norm(ReadOnlySpan<float> a)
    {
        ref float r = ref MemoryMarshal.GetReference(a);
        return MathF.Sqrt(Aggregate<DotOperator>(ref r, ref r, (nuint)a.Length));
    }

    /// <summary>
    /// Scales <paramref name="source"/> to unit length into <paramref name="destination"/> (which may be the
    /// same memory). Returns false, leaving the destination untouched, when the norm is zero or not finite.
    /// </summary>
    public static bool TryNormalize(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("Destination is shorter than source.", nameof(destination));
        }

        float norm = Norm(source);
        if (norm == 0f || !float.IsFinite(norm))
        {
            return false;
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(source, 1f / norm, destination);
        return true;
    }

    /// <summary>
    /// True when the 512-bit path runs. .NET reports <c>Vector512.IsHardwareAccelerated = false</c> on Intel CPUs
    /// whose clock drops under AVX-512, preferring 256-bit code for the process; for these memory-bound kernels
    /// the 512-bit path measured faster anyway (fashion-mnist search +18%, build −8%; docs/benchmarks.md), so it
    /// runs whenever the CPU has AVX-512F. A JIT-time constant, like the checks it combines.
    /// </summary>
    internal static bool Use512 => Vector512.IsHardwareAccelerated || System.Runtime.Intrinsics.X86.Avx512F.IsSupported;

    /// <summary>The reduction driver over float32 rows: picks the widest supported width for the length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Aggregate<TOp>(ref float x, ref float y, nuint length)
        where TOp : struct, IAccumulateOperator =>
        Aggregate<TOp, float, Float32Elements>(ref x, ref y, length);

    /// <summary>
    /// The reduction driver over rows of any element type (<see cref="IRowElements{TElement}"/> widens them to float32):
    /// picks the widest supported width for the length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Aggregate<TOp, TElement, TElements>(ref float x, ref TElement y, nuint length)
        where TOp : struct, IAccumulateOperator
        where TElements : struct, IRowElements<TElement>
    {
        if (Use512 && length >= (nuint)Vector512<float>.Count)
        {
            return Aggregate512<TOp, TElement, TElements>(ref x, ref y, length);
        }

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<float>.Count)
        {
            return Aggregate256<TOp, TElement, TElements>(ref x, ref y, length);
        }

        return AggregateScalar<TOp, TElement, TElements>(ref x, ref y, length);
    }

    /// <summary>
    /// 512-bit path; requires <c>length ≥ 16</c>. Four independent accumulators hide FMA latency over
    /// blocks of 64 elements; the tail reloads the last full vector and masks the lanes already counted,
    /// so no scalar loop runs.
    /// </summary>
    internal static float Aggregate512<TOp, TElement, TElements>(ref float x, ref TElement y, nuint length)
        where TOp : struct, IAccumulateOperator
        where TElements : struct, IRowElements<TElement>
    {
        const int Width = 16;
        System.Diagnostics.Debug.Assert(length >= Width);
        var a0 = Vector512<float>.Zero;
        var a1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero;
        var a3 = Vector512<float>.Zero;
        nuint i = 0;
        for (; i + (4 * Width) <= length; i += 4 * Width)
        {
            a0 = TOp.Invoke(a0, Vector512.LoadUnsafe(ref x, i), TElements.Load512(ref y, i));
            a1 = TOp.Invoke(a1, Vector512.LoadUnsafe(ref x, i + Width), TElements.Load512(ref y, i + Width));
            a2 = TOp.Invoke(a2, Vector512.LoadUnsafe(ref x, i + (2 * Width)), TElements.Load512(ref y, i + (2 * Width)));
            a3 = TOp.Invoke(a3, Vector512.LoadUnsafe(ref x, i + (3 * Width)), TElements.Load512(ref y, i + (3 * Width)));
        }

        for (; i + Width <= length; i += Width)
        {
            a0 = TOp.Invoke(a0, Vector512.LoadUnsafe(ref x, i), TElements.Load512(ref y, i));
        }

        if (i < length)
        {
            var mask = RemainderMask512(length - i);
            a1 = TOp.Invoke(
                a1,
                Vector512.LoadUnsafe(ref x, length - Width) & mask,
                TElements.Load512(ref y, length - Width) & mask);
        }

        return Vector512.Sum((a0 + a1) + (a2 + a3));
    }

    /// <summary>256-bit path; requires <c>length ≥ 8</c>. Same shape as <see cref="Aggregate512"/>.</summary>
    internal static float Aggregate256<TOp, TElement, TElements>(ref float x, ref TElement y, nuint length)
        where TOp : struct, IAccumulateOperator
        where TElements : struct, IRowElements<TElement>
    {
        const int Width = 8;
        System.Diagnostics.Debug.Assert(length >= Width);
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero;
        var a3 = Vector256<float>.Zero;
        nuint i = 0;
        for (; i + (4 * Width) <= length; i += 4 * Width)
        {
            a0 = TOp.Invoke(a0, Vector256.LoadUnsafe(ref x, i), TElements.Load256(ref y, i));
            a1 = TOp.Invoke(a1, Vector256.LoadUnsafe(ref x, i + Width), TElements.Load256(ref y, i + Width));
            a2 = TOp.Invoke(a2, Vector256.LoadUnsafe(ref x, i + (2 * Width)), TElements.Load256(ref y, i + (2 * Width)));
            a3 = TOp.Invoke(a3, Vector256.LoadUnsafe(ref x, i + (3 * Width)), TElements.Load256(ref y, i + (3 * Width)));
        }

        for (; i + Width <= length; i += Width)
        {
            a0 = TOp.Invoke(a0, Vector256.LoadUnsafe(ref x, i), TElements.Load256(ref y, i));
        }

        if (i < length)
        {
            var mask = RemainderMask256(length - i);
            a1 = TOp.Invoke(
                a1,
                Vector256.LoadUnsafe(ref x, length - Width) & mask,
                TElements.Load256(ref y, length - Width) & mask);
        }

        return Vector256.Sum((a0 + a1) + (a2 + a3));
    }

    /// <summary>Scalar path, for short vectors and CPUs without SIMD; also the tests' reference shape.</summary>
    internal static float AggregateScalar<TOp>(ref float x, ref float y, nuint length)
        where TOp : struct, IAccumulateOperator =>
        AggregateScalar<TOp, float, Float32Elements>(ref x, ref y, length);

    private static float AggregateScalar<TOp, TElement, TElements>(ref float x, ref TElement y, nuint length)
        where TOp : struct, IAccumulateOperator
        where TElements : struct, IRowElements<TElement>
    {
        float a0 = 0, a1 = 0;
        nuint i = 0;
        for (; i + 1 < length; i += 2)
        {
            a0 = TOp.Invoke(a0, Unsafe.Add(ref x, i), TElements.Load(ref y, i));
            a1 = TOp.Invoke(a1, Unsafe.Add(ref x, i + 1), TElements.Load(ref y, i + 1));
        }

        if (i < length)
        {
            a0 = TOp.Invoke(a0, Unsafe.Add(ref x, i), TElements.Load(ref y, i));
        }

        return a0 + a1;
    }

    // 16 zero words then 16 all-ones words: loading a vector at offset `remainder` keeps exactly the
    // last `remainder` lanes, i.e. the ones the main loops have not consumed.
    private static ReadOnlySpan<uint> RemainderMaskTable =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u,
    ];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> RemainderMask512(nuint remainder) =>
        Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(RemainderMaskTable), remainder).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> RemainderMask256(nuint remainder) =>
        Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(RemainderMaskTable), 8 + remainder).AsSingle();

    private static void CheckLengths(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"Vectors have different lengths: {a.Length} and {b.Length}.");
        }
    }
}
