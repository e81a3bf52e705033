using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Numerics.Tensors;

namespace VectorDb.Distance;

/// <summary>
/// How a stored row's elements are laid out (see <see cref="VectorDataType"/>): the distance kernels against a
/// float32 query, specialised per format by the JIT like the metrics are.
/// </summary>
internal interface IRowFormat
{
    /// <summary>Bytes per stored element.</summary>
    static abstract int ElementBytes { get; }

    /// <summary>Σ over the first <paramref name="length"/> elements of <typeparamref name="TOp"/>(query, row).</summary>
    static abstract float Aggregate<TOp>(ref float query, ref byte row, nuint length)
        where TOp : struct, IAccumulateOperator;
}

/// <summary>
/// Widens stored elements to float32 for the kernels in <see cref="VectorMath"/>: 16 (or 8) at a time, or one.
/// Struct implementations with static members, so each kernel is specialised per element type.
/// </summary>
internal interface IRowElements<TElement>
{
    static abstract Vector512<float> Load512(ref TElement row, nuint index);

    static abstract Vector256<float> Load256(ref TElement row, nuint index);

    static abstract float Load(ref TElement row, nuint index);
}

/// <summary>float32 elements: plain loads.</summary>
internal readonly struct Float32Elements : IRowElements<float>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ref float row, nuint index) => Vector512.LoadUnsafe(ref row, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ref float row, nuint index) => Vector256.LoadUnsafe(ref row, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load(ref float row, nuint index) => Unsafe.Add(ref row, index);
}

/// <summary>Rows of float32: the plain kernels.</summary>
internal readonly struct Float32Rows : IRowFormat
{
    public static int ElementBytes => sizeof(float);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Aggregate<TOp>(ref float query, ref byte row, nuint length)
        where TOp : struct, IAccumulateOperator =>
        VectorMath.Aggregate<TOp>(ref query, ref Unsafe.As<byte, float>(ref row), length);
}

/// <summary>
/// Rows of IEEE float16. Each element is widened into the top half of a 32-bit lane (sign, 5-bit exponent,
/// mantissa); an arithmetic shift by 3 puts exponent and mantissa in float32's places, smearing the sign over the
/// exponent's top three bits, which the mask clears; the multiply by 2¹¹² turns the exponent bias 15 into 127.
/// Exact, because stored values are zero or normal (subnormals are flushed on encoding).
/// </summary>
internal readonly struct Float16Rows : IRowFormat, IRowElements<ushort>
{
    private const float BiasScale = 5.192296858534828e33f; // 2^112

    public static int ElementBytes => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Aggregate<TOp>(ref float query, ref byte row, nuint length)
        where TOp : struct, IAccumulateOperator =>
        VectorMath.Aggregate<TOp, ushort, Float16Rows>(ref query, ref Unsafe.As<byte, ushort>(ref row), length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ref ushort row, nuint index)
    {
        var top = HalfWidthLanes.Top512(ref row, index);
        return (Vector512.ShiftRightArithmetic(top.AsInt32(), 3).AsUInt32() & Vector512.Create(0x8FFF_FFFFu)).AsSingle() * Vector512.Create(BiasScale);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ref ushort row, nuint index)
    {
        var top = HalfWidthLanes.Top256(ref row, index);
        return (Vector256.ShiftRightArithmetic(top.AsInt32(), 3).AsUInt32() & Vector256.Create(0x8FFF_FFFFu)).AsSingle() * Vector256.Create(BiasScale);
    }

    public static float Load(ref ushort row, nuint index) => (float)BitConverter.UInt16BitsToHalf(Unsafe.Add(ref row, index));
}

/// <summary>Rows of bfloat16: the top half of a float32's bits, so widening is all there is to decoding.</summary>
internal readonly struct BFloat16Rows : IRowFormat, IRowElements<ushort>
{
    public static int ElementBytes => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Aggregate<TOp>(ref float query, ref byte row, nuint length)
        where TOp : struct, IAccumulateOperator =>
        VectorMath.Aggregate<TOp, ushort, BFloat16Rows>(ref query, ref Unsafe.As<byte, ushort>(ref row), length);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(ref ushort row, nuint index) => HalfWidthLanes.Top512(ref row, index).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(ref ushort row, nuint index) => HalfWidthLanes.Top256(ref row, index).AsSingle();

    public static float Load(ref ushort row, nuint index) => BitConverter.Int32BitsToSingle(Unsafe.Add(ref row, index) << 16);
}

/// <summary>16-bit elements, each widened into the top half of a 32-bit lane: where both half-width formats start decoding.</summary>
internal static class HalfWidthLanes
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Top512(ref ushort row, nuint index) =>
        Vector512.ShiftLeft(Vector512.WidenLower(Vector256.LoadUnsafe(ref row, index).ToVector512Unsafe()), 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Top256(ref ushort row, nuint index) =>
        Vector256.ShiftLeft(Vector256.WidenLower(Vector128.LoadUnsafe(ref row, index).ToVector256Unsafe()), 16);
}

/// <summary>Converts whole rows between float32 and a <see cref="VectorDataType"/>, off the hot path (inserts, copies, snapshots).</summary>
internal static class RowCodec
{
    private const float Float16Max = 65504f;
    private const float BFloat16Max = 3.3895314e38f; // larger floats round up to infinity

    public static int ElementBytes(VectorDataType type) => type == VectorDataType.Float32 ? sizeof(float) : sizeof(ushort);

    /// <summary>The largest magnitude the type stores finitely.</summary>
    internal static float MaxMagnitude(VectorDataType type) => type switch
    {
        VectorDataType.Float16 => Float16Max,
        VectorDataType.BFloat16 => BFloat16Max,
        _ => float.MaxValue,
    };

    /// <summary>Encodes <paramref name="source"/> into <paramref name="row"/>; false (row untouched) when a value is out of the type's range.</summary>
    public static bool TryEncode(VectorDataType type, ReadOnlySpan<float> source, Span<byte> row)
    {
        switch (type)
        {
            case VectorDataType.Float32:
                MemoryMarshal.AsBytes(source).CopyTo(row);
                return true;
            case VectorDataType.Float16:
                if (!(MathF.Abs(TensorPrimitives.MaxMagnitude(source)) <= Float16Max))
                {
                    return false;
                }

                var halves = MemoryMarshal.Cast<byte, Half>(row)[..source.Length];
                TensorPrimitives.ConvertToHalf(source, halves);
                foreach (ref var half in halves)
                {
                    if (Half.IsSubnormal(half))
                    {
                        half = Half.IsNegative(half) ? Half.NegativeZero : Half.Zero;
                    }
                }

                return true;
            default:
                if (!(MathF.Abs(TensorPrimitives.MaxMagnitude(source)) <= BFloat16Max))
                {
                    return false;
                }

                var words = MemoryMarshal.Cast<byte, ushort>(row)[..source.Length];
                for (int i = 0; i < source.Length; i++)
                {
                    uint bits = BitConverter.SingleToUInt32Bits(source[i]);
                    words[i] = (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1)) >> 16); // round to nearest, ties to even
                }

                return true;
        }
    }

    /// <summary>Decodes the first <paramref name="destination"/>.Length elements of a row.</summary>
    public static void Decode(VectorDataType type, ReadOnlySpan<byte> row, Span<float> destination)
    {
        switch (type)
        {
            case VectorDataType.Float32:
                MemoryMarshal.Cast<byte, float>(row)[..destination.Length].CopyTo(destination);
                break;
            case VectorDataType.Float16:
                Decode<Float16Rows>(MemoryMarshal.Cast<byte, ushort>(row), destination);
                break;
            default:
                Decode<BFloat16Rows>(MemoryMarshal.Cast<byte, ushort>(row), destination);
                break;
        }
    }

    // Decoded while linking, once per candidate of the neighbor heuristic (TensorPrimitives' float16 conversion has
    // no hardware path here and measured 30 % slower builds): the kernels' widening, stored.
    private static void Decode<TElements>(ReadOnlySpan<ushort> words, Span<float> destination)
        where TElements : struct, IRowElements<ushort>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(words.Length, destination.Length);
        ref ushort source = ref MemoryMarshal.GetReference(words);
        ref float target = ref MemoryMarshal.GetReference(destination);
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= (nuint)destination.Length; i += 8)
            {
                TElements.Load256(ref source, i).StoreUnsafe(ref target, i);
            }
        }

        for (; i < (nuint)destination.Length; i++)
        {
            Unsafe.Add(ref target, i) = TElements.Load(ref source, i);
        }
    }
}
