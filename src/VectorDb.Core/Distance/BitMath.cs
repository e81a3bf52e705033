using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace VectorDb.Distance;

/// <summary>A number of bit planes known when a kernel is compiled, so that its loops over planes unroll away.</summary>
internal interface IPlaneCount
{
    static abstract int Count { get; }
}

/// <summary>One bit plane.</summary>
internal readonly struct OnePlane : IPlaneCount
{
    public static int Count => 1;
}

/// <summary>Two bit planes.</summary>
internal readonly struct TwoPlanes : IPlaneCount
{
    public static int Count => 2;
}

/// <summary>Four bit planes.</summary>
internal readonly struct FourPlanes : IPlaneCount
{
    public static int Count => 4;
}

/// <summary>Eight bit planes.</summary>
internal readonly struct EightPlanes : IPlaneCount
{
    public static int Count => 8;
}

/// <summary>
/// The kernel of binary codes: Σₚ Σⱼ 2ᵖ⁺ʲ·popcount(Xₚ ∧ Uⱼ) over a row's bit planes Xₚ and a query's bit planes Uⱼ,
/// each <c>words</c> 64-bit words long: Σᵢ xᵢ·uᵢ for a row of multi-bit levels xᵢ and a query of levels uᵢ.
/// </summary>
/// <remarks>
/// .NET exposes no vector popcount (AVX-512 VPOPCNTQ), so the SIMD paths count bits per byte with two 16-entry table
/// lookups (<c>vpshufb</c> on the row's low and high nibbles, masked by the query plane's), add up to four query
/// planes' counts, each doubled by its plane's place, in the bytes (at most 8·15 = 120), and sum the bytes with
/// <c>vpsadbw</c>. The plane counts are type parameters: written as loops over runtime counts the same kernel ran a
/// third slower inside a walk (two-bit rows, 4-bit query), more than its cost alone accounts for.
/// </remarks>
internal static class BitMath
{
    // Bits set in each nibble, in every 128-bit lane (vpshufb looks up within lanes). Static readonly, so that tiered
    // code embeds them as constants: built inline, the 512-bit table was assembled and spilled on every distance.
    private static readonly Vector512<byte> BitCounts512 = Vector512.Create(Vector128.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
    private static readonly Vector256<byte> BitCounts256 = Vector256.Create(Vector128.Create((byte)0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));

    /// <summary>The weighted popcount described on <see cref="BitMath"/>; <paramref name="words"/> is a power of two.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WeightedPopCount<TRow, TQuery>(ref ulong row, ref ulong query, nuint words)
        where TRow : struct, IPlaneCount
        where TQuery : struct, IPlaneCount =>
        WeightedPopCount<TRow, TQuery>(ref row, words, ref query, words, words);

    /// <summary>
    /// The weighted popcount over the first <paramref name="words"/> (a power of two) of planes that lie
    /// <paramref name="rowStride"/> and <paramref name="queryStride"/> words apart: a part of longer planes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WeightedPopCount<TRow, TQuery>(ref ulong row, nuint rowStride, ref ulong query, nuint queryStride, nuint words)
        where TRow : struct, IPlaneCount
        where TQuery : struct, IPlaneCount
    {
        if (Avx512BW.IsSupported && words % 8 == 0)
        {
            return WeightedPopCountV512<TRow, TQuery>(ref row, rowStride, ref query, queryStride, words);
        }

        if (Avx2.IsSupported && words % 4 == 0)
        {
            return WeightedPopCountV256<TRow, TQuery>(ref row, rowStride, ref query, queryStride, words);
        }

        return WeightedPopCountScalar(ref row, TRow.Count, rowStride, ref query, TQuery.Count, queryStride, words);
    }

    internal static long WeightedPopCountScalar(ref ulong row, int rowPlanes, ref ulong query, int queryPlanes, nuint words) =>
        WeightedPopCountScalar(ref row, rowPlanes, words, ref query, queryPlanes, words, words);

    internal static long WeightedPopCountScalar(ref ulong row, int rowPlanes, nuint rowStride, ref ulong query, int queryPlanes, nuint queryStride, nuint words)
    {
        long weighted = 0;
        for (int p = 0; p < rowPlanes; p++)
        {
            ref ulong plane = ref Unsafe.Add(ref row, (nuint)p * rowStride);
            for (int j = 0; j < queryPlanes; j++)
            {
                ref ulong queryPlane = ref Unsafe.Add(ref query, (nuint)j * queryStride);
                long count = 0;
                for (nuint w = 0; w < words; w++)
                {
                    count += BitOperations.PopCount(Unsafe.Add(ref queryPlane, w) & Unsafe.Add(ref plane, w));
                }

                weighted += count << (p + j);
            }
        }

        return weighted;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long WeightedPopCountV512<TRow, TQuery>(ref ulong row, ref ulong query, nuint words)
        where TRow : struct, IPlaneCount
        where TQuery : struct, IPlaneCount =>
        WeightedPopCountV512<TRow, TQuery>(ref row, words, ref query, words, words);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long WeightedPopCountV512<TRow, TQuery>(ref ulong row, nuint rowStride, ref ulong query, nuint queryStride, nuint words)
        where TRow : struct, IPlaneCount
        where TQuery : struct, IPlaneCount
    {
        var total = Vector512<ulong>.Zero;
        for (nuint w = 0; w < words; w += 8)
        {
            total += PlaneSums<TQuery>(Vector512.LoadUnsafe(ref row, w).AsByte(), ref Unsafe.Add(ref query, w), queryStride);
            if (TRow.Count == 2)
            {
                total += PlaneSums<TQuery>(Vector512.LoadUnsafe(ref row, rowStride + w).AsByte(), ref Unsafe.Add(ref query, w), queryStride) << 1;
            }
        }

        return (long)Vector512.Sum(total);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long WeightedPopCountV256<TRow, TQuery>(ref ulong row, ref ulong query, nuint words)
        where TRow : struct, IPlaneCount
        where TQuery : struct, IPlaneCount =>
        WeightedPopCountV256<TRow, TQuery>(ref row, words, ref query, words, words);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long WeightedPopCountV256<TRow, TQuery>(ref ulong row, nuint rowStride, ref ulong query, nuint queryStride, nuint words)
        where TRow : struct, IPlaneCount
        where TQuery : struct, IPlaneCount
    {
        var total = Vector256<ulong>.Zero;
        for (nuint w = 0; w < words; w += 4)
        {
            total += PlaneSums<TQuery>(Vector256.LoadUnsafe(ref row, w).AsByte(), ref Unsafe.Add(ref query, w), queryStride);
            if (TRow.Count == 2)
            {
                total += PlaneSums<TQuery>(Vector256.LoadUnsafe(ref row, rowStride + w).AsByte(), ref Unsafe.Add(ref query, w), queryStride) << 1;
            }
        }

        return (long)Vector256.Sum(total);
    }

    /// <summary>Σⱼ 2ʲ·popcount(bits ∧ Uⱼ) per 64-bit lane, for the query planes at <paramref name="query"/> (plane j at j·words).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> PlaneSums<TQuery>(Vector512<byte> bits, ref ulong query, nuint words)
        where TQuery : struct, IPlaneCount
    {
        var nibble = Vector512.Create((byte)0x0F);
        var low = bits & nibble;
        var high = (bits.AsUInt16() >>> 4).AsByte() & nibble;
        var sums = ByteSums(Count(low, high, ref query, 0, words) + (TQuery.Count > 1 ? Count(low, high, ref query, 1, words) << 1 : default)
            + (TQuery.Count > 2 ? (Count(low, high, ref query, 2, words) << 2) + (Count(low, high, ref query, 3, words) << 3) : default));
        return TQuery.Count > 4
            ? sums + (ByteSums(Count(low, high, ref query, 4, words) + (Count(low, high, ref query, 5, words) << 1)
                + (Count(low, high, ref query, 6, words) << 2) + (Count(low, high, ref query, 7, words) << 3)) << 4)
            : sums;

        static Vector512<ulong> ByteSums(Vector512<ushort> counts) => Avx512BW.SumAbsoluteDifferences(counts.AsByte(), Vector512<byte>.Zero).AsUInt64();
    }

    /// <summary>popcount(bits ∧ Uⱼ) per byte, in 16-bit lanes (a byte's count ≤ 8 shifts by ≤ 3 without leaving it), from the bits' nibbles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> Count(Vector512<byte> low, Vector512<byte> high, ref ulong query, int j, nuint words)
    {
        var table = BitCounts512;
        var plane = Vector512.LoadUnsafe(ref query, (nuint)j * words).AsByte();
        return (Avx512BW.Shuffle(table, low & plane) + Avx512BW.Shuffle(table, high & (plane.AsUInt16() >>> 4).AsByte())).AsUInt16();
    }

    /// <summary>The 256-bit <see cref="PlaneSums{TQuery}(Vector512{byte}, ref ulong, nuint)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> PlaneSums<TQuery>(Vector256<byte> bits, ref ulong query, nuint words)
        where TQuery : struct, IPlaneCount
    {
        var nibble = Vector256.Create((byte)0x0F);
        var low = bits & nibble;
        var high = (bits.AsUInt16() >>> 4).AsByte() & nibble;
        var sums = ByteSums(Count(low, high, ref query, 0, words) + (TQuery.Count > 1 ? Count(low, high, ref query, 1, words) << 1 : default)
            + (TQuery.Count > 2 ? (Count(low, high, ref query, 2, words) << 2) + (Count(low, high, ref query, 3, words) << 3) : default));
        return TQuery.Count > 4
            ? sums + (ByteSums(Count(low, high, ref query, 4, words) + (Count(low, high, ref query, 5, words) << 1)
                + (Count(low, high, ref query, 6, words) << 2) + (Count(low, high, ref query, 7, words) << 3)) << 4)
            : sums;

        static Vector256<ulong> ByteSums(Vector256<ushort> counts) => Avx2.SumAbsoluteDifferences(counts.AsByte(), Vector256<byte>.Zero).AsUInt64();
    }

    /// <summary>popcount(bits ∧ Uⱼ) per byte, in 16-bit lanes (a byte's count ≤ 8 shifts by ≤ 3 without leaving it), from the bits' nibbles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ushort> Count(Vector256<byte> low, Vector256<byte> high, ref ulong query, int j, nuint words)
    {
        var table = BitCounts256;
        var plane = Vector256.LoadUnsafe(ref query, (nuint)j * words).AsByte();
        return (Avx2.Shuffle(table, low & plane) + Avx2.Shuffle(table, high & (plane.AsUInt16() >>> 4).AsByte())).AsUInt16();
    }
}
