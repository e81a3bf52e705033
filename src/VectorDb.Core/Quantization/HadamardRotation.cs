using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VectorDb.Quantization;

/// <summary>
/// A random orthogonal map from d dimensions into <see cref="PaddedDimensions"/> (the power of two at or above d, at
/// least 128): the vector is zero-padded, then each round flips the signs of a random set of components and applies
/// the normalised Walsh–Hadamard transform. After it a vector's energy is spread evenly over the components, so one
/// or two bits per component lose about as much everywhere, whatever the data's own axes. O(n log n) per vector
/// instead of a dense matrix's n², which would cost a 384-d query more than its walk saves.
/// </summary>
internal sealed class HadamardRotation
{
    /// <summary>Rounds of sign flips and transform new rotations get: two mix as well as three on text embeddings (recall of the codes equal within 0.002).</summary>
    public const int DefaultRounds = 2;

    private const int MaxRounds = 8;

    private readonly float[] _signs; // Rounds × PaddedDimensions, each ±1
    private readonly float _scale; // (1/√n)^Rounds, applied once at the end

    private HadamardRotation(int dimensions, int rounds, float[] signs)
    {
        Dimensions = dimensions;
        PaddedDimensions = PaddedSize(dimensions);
        Rounds = rounds;
        if (rounds is < 1 or > MaxRounds || signs.Length != rounds * PaddedDimensions || signs.Any(s => s is not (1f or -1f)))
        {
            throw new InvalidDataException("Binary quantization rotation is invalid.");
        }

        _signs = signs;
        _scale = MathF.Pow(PaddedDimensions, -rounds / 2f);
    }

    /// <summary>Rounds of sign flips and transform.</summary>
    public int Rounds { get; }

    public int Dimensions { get; }

    /// <summary>Components of a rotated vector: the power of two at or above <see cref="Dimensions"/>, at least 128 (so that half of them fill whole 64-bit words).</summary>
    public int PaddedDimensions { get; }

    public static int PaddedSize(int dimensions) => (int)Math.Max(128, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)dimensions));

    /// <summary>A rotation of <see cref="DefaultRounds"/> with signs drawn from <paramref name="seed"/>.</summary>
    public static HadamardRotation Random(int dimensions, int seed)
    {
        var random = new Random(seed);
        var signs = new float[DefaultRounds * PaddedSize(dimensions)];
        for (int i = 0; i < signs.Length; i++)
        {
            signs[i] = random.Next(2) == 0 ? -1f : 1f;
        }

        return new HadamardRotation(dimensions, DefaultRounds, signs);
    }

    /// <summary>Writes the rounds (a byte), then the signs, a bit each (1: flipped), in <see cref="Rounds"/> × <see cref="PaddedDimensions"/> / 8 bytes.</summary>
    public void Write(Stream stream)
    {
        stream.WriteByte((byte)Rounds);
        var bits = new byte[_signs.Length / 8];
        for (int i = 0; i < _signs.Length; i++)
        {
            bits[i >> 3] |= (byte)(_signs[i] < 0 ? 1 << (i & 7) : 0);
        }

        stream.Write(bits);
    }

    /// <summary>Reads what <see cref="Write"/> saved.</summary>
    public static HadamardRotation Read(Stream stream, int dimensions)
    {
        int rounds = stream.ReadByte();
        if (rounds is < 1 or > MaxRounds)
        {
            throw new InvalidDataException($"Binary quantization rotation of {rounds} rounds.");
        }

        var bits = new byte[rounds * PaddedSize(dimensions) / 8];
        stream.ReadExactly(bits);
        var signs = new float[bits.Length * 8];
        for (int i = 0; i < signs.Length; i++)
        {
            signs[i] = ((bits[i >> 3] >> (i & 7)) & 1) != 0 ? -1f : 1f;
        }

        return new HadamardRotation(dimensions, rounds, signs);
    }

    /// <summary>Rotates <paramref name="vector"/> (d components) into <paramref name="rotated"/> (<see cref="PaddedDimensions"/>).</summary>
    public void Rotate(ReadOnlySpan<float> vector, Span<float> rotated)
    {
        int n = PaddedDimensions;
        rotated = rotated[..n];
        vector[..Dimensions].CopyTo(rotated);
        rotated[Dimensions..].Clear();
        for (int round = 0; round < Rounds; round++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(rotated, _signs.AsSpan(round * n, n), rotated);
            Transform(rotated);
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(rotated, _scale, rotated);
    }

    /// <summary>The unnormalised Walsh–Hadamard transform in place; the length is a power of two of at least 8.</summary>
    internal static void Transform(Span<float> values)
    {
        ref float first = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        for (int i = 0; i < n; i += 8)
        {
            Butterflies8(ref Unsafe.Add(ref first, i));
        }

        for (int h = 8; h < n; h *= 2)
        {
            for (int block = 0; block < n; block += 2 * h)
            {
                for (int j = block; j < block + h; j += Vector256<float>.Count)
                {
                    var a = Vector256.LoadUnsafe(ref first, (nuint)j);
                    var b = Vector256.LoadUnsafe(ref first, (nuint)(j + h));
                    (a + b).StoreUnsafe(ref first, (nuint)j);
                    (a - b).StoreUnsafe(ref first, (nuint)(j + h));
                }
            }
        }
    }

    /// <summary>The first three stages (spans 1, 2, 4) on eight consecutive values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Butterflies8(ref float v)
    {
        float a0 = v, a1 = Unsafe.Add(ref v, 1), a2 = Unsafe.Add(ref v, 2), a3 = Unsafe.Add(ref v, 3);
        float a4 = Unsafe.Add(ref v, 4), a5 = Unsafe.Add(ref v, 5), a6 = Unsafe.Add(ref v, 6), a7 = Unsafe.Add(ref v, 7);
        float b0 = a0 + a1, b1 = a0 - a1, b2 = a2 + a3, b3 = a2 - a3, b4 = a4 + a5, b5 = a4 - a5, b6 = a6 + a7, b7 = a6 - a7;
        float c0 = b0 + b2, c1 = b1 + b3, c2 = b0 - b2, c3 = b1 - b3, c4 = b4 + b6, c5 = b5 + b7, c6 = b4 - b6, c7 = b5 - b7;
        v = c0 + c4;
        Unsafe.Add(ref v, 1) = c1 + c5;
        Unsafe.Add(ref v, 2) = c2 + c6;
        Unsafe.Add(ref v, 3) = c3 + c7;
        Unsafe.Add(ref v, 4) = c0 - c4;
        Unsafe.Add(ref v, 5) = c1 - c5;
        Unsafe.Add(ref v, 6) = c2 - c6;
        Unsafe.Add(ref v, 7) = c3 - c7;
    }
}
