using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VectorDb.Distance;

/// <summary>
/// Kernels over byte codes (scalar quantization): Σ aᵢ·bᵢ of unsigned 7-bit codes aᵢ (0..127) and signed codes bᵢ
/// (−127..127), and Σ |aᵢ − bᵢ| of unsigned byte codes. Lengths are
/// multiples of 16 (code rows are padded with zero codes, which add nothing to either sum), so every SIMD path ends
/// in whole 16-byte steps and none runs a scalar loop.
/// </summary>
/// <remarks>
/// The dot product multiplies unsigned by signed bytes (<c>vpmaddubsw</c>, AVX2 and AVX-512BW) and adds adjacent
/// products into int16 with saturation: codes of at most 7 bits on both sides keep every pair within 2·127² = 32,258,
/// so it never saturates, and that is why scalar codes are 7-bit. Where the CPU has AVX-VNNI (<c>vpdpbusd</c>) the
/// products go straight into int32. The sums fit an int32 up to 65,536 dimensions (65,536 · 127² &lt; 2³¹).
/// </remarks>
internal static class CodeMath
{
    /// <summary>Largest 7-bit code.</summary>
    public const int MaxCode = 127;

    /// <summary>Σ aᵢ·bᵢ, aᵢ in 0..127 and bᵢ (read as signed bytes) in −127..127; <paramref name="length"/> a multiple of 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot7(ref byte a, ref byte b, nuint length)
    {
        if (Avx512BW.IsSupported && length >= 64)
        {
            return Dot7V512(ref a, ref b, length);
        }

        if (AvxVnni.IsSupported && length >= 32)
        {
            return Dot7Vnni(ref a, ref b, length);
        }

        if (Avx2.IsSupported && length >= 32)
        {
            return Dot7V256(ref a, ref b, length);
        }

        return Ssse3.IsSupported ? Dot7V128(ref a, ref b, 0, length, Vector128<int>.Zero) : Dot7Scalar(ref a, ref b, length);
    }

    /// <summary>Σ |aᵢ − bᵢ| over byte codes; <paramref name="length"/> a multiple of 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int AbsoluteDifference(ref byte a, ref byte b, nuint length)
    {
        if (Avx512BW.IsSupported && length >= 64)
        {
            return AbsoluteDifferenceV512(ref a, ref b, length);
        }

        if (Avx2.IsSupported && length >= 32)
        {
            return AbsoluteDifferenceV256(ref a, ref b, length);
        }

        return Sse2.IsSupported ? AbsoluteDifferenceV128(ref a, ref b, 0, length, Vector128<ulong>.Zero) : AbsoluteDifferenceScalar(ref a, ref b, length);
    }

    /// <summary>AVX-512BW: 64 codes per step, two accumulators; the rest in 32- and 16-byte steps.</summary>
    internal static int Dot7V512(ref byte a, ref byte b, nuint length)
    {
        var ones = Vector512.Create((short)1);
        var s0 = Vector512<int>.Zero;
        var s1 = Vector512<int>.Zero;
        nuint i = 0;
        for (; i + 128 <= length; i += 128)
        {
            s0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i).AsSByte()), ones);
            s1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref a, i + 64), Vector512.LoadUnsafe(ref b, i + 64).AsSByte()), ones);
        }

        if (i + 64 <= length)
        {
            s0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i).AsSByte()), ones);
            i += 64;
        }

        var sum = s0 + s1;
        var rest = sum.GetLower() + sum.GetUpper();
        if (i + 32 <= length)
        {
            rest += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i).AsSByte()), Vector256.Create((short)1));
            i += 32;
        }

        return Dot7V128(ref a, ref b, i, length, rest.GetLower() + rest.GetUpper());
    }

    /// <summary>AVX-VNNI: <c>vpdpbusd</c> adds the four products of each int32 lane into it, no int16 step.</summary>
    internal static int Dot7Vnni(ref byte a, ref byte b, nuint length)
    {
        var s0 = Vector256<int>.Zero;
        var s1 = Vector256<int>.Zero;
        nuint i = 0;
        for (; i + 64 <= length; i += 64)
        {
            s0 = AvxVnni.MultiplyWideningAndAdd(s0, Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i).AsSByte());
            s1 = AvxVnni.MultiplyWideningAndAdd(s1, Vector256.LoadUnsafe(ref a, i + 32), Vector256.LoadUnsafe(ref b, i + 32).AsSByte());
        }

        if (i + 32 <= length)
        {
            s0 = AvxVnni.MultiplyWideningAndAdd(s0, Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i).AsSByte());
            i += 32;
        }

        var sum = s0 + s1;
        return Dot7V128(ref a, ref b, i, length, sum.GetLower() + sum.GetUpper());
    }

    /// <summary>AVX2: 64 codes per step in two accumulators; the rest in a 32- and 16-byte step.</summary>
    internal static int Dot7V256(ref byte a, ref byte b, nuint length)
    {
        var ones = Vector256.Create((short)1);
        var s0 = Vector256<int>.Zero;
        var s1 = Vector256<int>.Zero;
        nuint i = 0;
        for (; i + 64 <= length; i += 64)
        {
            s0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i).AsSByte()), ones);
            s1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref a, i + 32), Vector256.LoadUnsafe(ref b, i + 32).AsSByte()), ones);
        }

        if (i + 32 <= length)
        {
            s0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i).AsSByte()), ones);
            i += 32;
        }

        var sum = s0 + s1;
        return Dot7V128(ref a, ref b, i, length, sum.GetLower() + sum.GetUpper());
    }

    /// <summary>SSSE3: 16 codes per step from <paramref name="start"/>, added to <paramref name="sum"/>; the wider paths' tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Dot7V128(ref byte a, ref byte b, nuint start, nuint length, Vector128<int> sum)
    {
        for (nuint i = start; i + 16 <= length; i += 16)
        {
            sum += Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(Vector128.LoadUnsafe(ref a, i), Vector128.LoadUnsafe(ref b, i).AsSByte()), Vector128.Create((short)1));
        }

        return Vector128.Sum(sum);
    }

    /// <summary>Portable path, and the shape of the tests' reference.</summary>
    internal static int Dot7Scalar(ref byte a, ref byte b, nuint length)
    {
        int sum = 0;
        for (nuint i = 0; i < length; i++)
        {
            sum += Unsafe.Add(ref a, i) * (sbyte)Unsafe.Add(ref b, i);
        }

        return sum;
    }

    /// <summary>AVX-512BW <c>vpsadbw</c>: eight 64-bit sums per step.</summary>
    internal static int AbsoluteDifferenceV512(ref byte a, ref byte b, nuint length)
    {
        var sum = Vector512<ulong>.Zero;
        nuint i = 0;
        for (; i + 64 <= length; i += 64)
        {
            sum += Avx512BW.SumAbsoluteDifferences(Vector512.LoadUnsafe(ref a, i), Vector512.LoadUnsafe(ref b, i)).AsUInt64();
        }

        var rest = sum.GetLower() + sum.GetUpper();
        if (i + 32 <= length)
        {
            rest += Avx2.SumAbsoluteDifferences(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i)).AsUInt64();
            i += 32;
        }

        return AbsoluteDifferenceV128(ref a, ref b, i, length, rest.GetLower() + rest.GetUpper());
    }

    /// <summary>AVX2 <c>vpsadbw</c>.</summary>
    internal static int AbsoluteDifferenceV256(ref byte a, ref byte b, nuint length)
    {
        var sum = Vector256<ulong>.Zero;
        nuint i = 0;
        for (; i + 32 <= length; i += 32)
        {
            sum += Avx2.SumAbsoluteDifferences(Vector256.LoadUnsafe(ref a, i), Vector256.LoadUnsafe(ref b, i)).AsUInt64();
        }

        return AbsoluteDifferenceV128(ref a, ref b, i, length, sum.GetLower() + sum.GetUpper());
    }

    /// <summary>SSE2 <c>psadbw</c>, 16 codes per step from <paramref name="start"/>; the wider paths' tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int AbsoluteDifferenceV128(ref byte a, ref byte b, nuint start, nuint length, Vector128<ulong> sum)
    {
        for (nuint i = start; i + 16 <= length; i += 16)
        {
            sum += Sse2.SumAbsoluteDifferences(Vector128.LoadUnsafe(ref a, i), Vector128.LoadUnsafe(ref b, i)).AsUInt64();
        }

        return (int)(sum.GetElement(0) + sum.GetElement(1));
    }

    /// <summary>Portable path, and the shape of the tests' reference.</summary>
    internal static int AbsoluteDifferenceScalar(ref byte a, ref byte b, nuint length)
    {
        int sum = 0;
        for (nuint i = 0; i < length; i++)
        {
            sum += Math.Abs(Unsafe.Add(ref a, i) - Unsafe.Add(ref b, i));
        }

        return sum;
    }
}
