using System.Runtime.Intrinsics.X86;
using VectorDb.Distance;

namespace VectorDb.Core.Tests;

/// <summary>
/// Every byte-code kernel path the machine can run (AVX-512BW, AVX-VNNI, AVX2, SSSE3/SSE2, portable) against a plain
/// integer reference, for every code-row length 16..1,040 (each tail of 16, 32 and 48 bytes after the wide steps) and
/// for codes at the ends of their range, where <c>vpmaddubsw</c> would saturate if codes had 8 bits.
/// </summary>
public class CodeMathTests
{
    public enum Path { Portable, V128, V256, Vnni, V512, Dispatch }

    public static TheoryData<Path> Paths => [Path.Portable, Path.V128, Path.V256, Path.Vnni, Path.V512, Path.Dispatch];

    [Theory]
    [MemberData(nameof(Paths))]
    public void Dot7_matches_the_reference_for_every_length(Path path)
    {
        if (!Supported(path))
        {
            return;
        }

        var random = new Random(3);
        for (int length = 16; length <= 1040; length += 16)
        {
            foreach (var (a, b) in Inputs(random, length, CodeMath.MaxCode, signedB: true))
            {
                long expected = 0;
                for (int i = 0; i < length; i++)
                {
                    expected += a[i] * (sbyte)b[i];
                }

                Assert.True(expected == Dot7(path, a, b), $"length {length}, path {path}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void AbsoluteDifference_matches_the_reference_for_every_length(Path path)
    {
        if (!Supported(path) || path == Path.Vnni)
        {
            return;
        }

        var random = new Random(5);
        for (int length = 16; length <= 1040; length += 16)
        {
            foreach (var (a, b) in Inputs(random, length, byte.MaxValue))
            {
                long expected = 0;
                for (int i = 0; i < length; i++)
                {
                    expected += Math.Abs(a[i] - b[i]);
                }

                Assert.True(expected == AbsoluteDifference(path, a, b), $"length {length}, path {path}");
            }
        }
    }

    private static bool Supported(Path path) => path switch
    {
        Path.V128 => Ssse3.IsSupported,
        Path.V256 => Avx2.IsSupported,
        Path.Vnni => AvxVnni.IsSupported,
        Path.V512 => Avx512BW.IsSupported,
        _ => true,
    };

    /// <summary>Random codes, the largest codes against each other (and against the most negative), and the largest against zero.</summary>
    private static IEnumerable<(byte[] A, byte[] B)> Inputs(Random random, int length, int max, bool signedB = false)
    {
        var a = new byte[length];
        var b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            a[i] = (byte)random.Next(max + 1);
            b[i] = signedB ? (byte)(sbyte)random.Next(-max, max + 1) : (byte)random.Next(max + 1);
        }

        yield return (a, b);
        yield return (Enumerable.Repeat((byte)max, length).ToArray(), Enumerable.Repeat((byte)max, length).ToArray());
        yield return (Enumerable.Repeat((byte)max, length).ToArray(), new byte[length]);
        if (signedB)
        {
            yield return (Enumerable.Repeat((byte)max, length).ToArray(), Enumerable.Repeat((byte)(sbyte)-max, length).ToArray());
        }
    }

    private static int Dot7(Path path, byte[] a, byte[] b)
    {
        ref byte x = ref a[0];
        ref byte y = ref b[0];
        nuint n = (nuint)a.Length;
        return path switch
        {
            Path.Portable => CodeMath.Dot7Scalar(ref x, ref y, n),
            Path.V128 => CodeMath.Dot7V128(ref x, ref y, 0, n, default),
            Path.V256 => n >= 32 ? CodeMath.Dot7V256(ref x, ref y, n) : CodeMath.Dot7V128(ref x, ref y, 0, n, default),
            Path.Vnni => n >= 32 ? CodeMath.Dot7Vnni(ref x, ref y, n) : CodeMath.Dot7V128(ref x, ref y, 0, n, default),
            Path.V512 => n >= 64 ? CodeMath.Dot7V512(ref x, ref y, n) : CodeMath.Dot7V128(ref x, ref y, 0, n, default),
            _ => CodeMath.Dot7(ref x, ref y, n),
        };
    }

    private static int AbsoluteDifference(Path path, byte[] a, byte[] b)
    {
        ref byte x = ref a[0];
        ref byte y = ref b[0];
        nuint n = (nuint)a.Length;
        return path switch
        {
            Path.Portable => CodeMath.AbsoluteDifferenceScalar(ref x, ref y, n),
            Path.V128 => CodeMath.AbsoluteDifferenceV128(ref x, ref y, 0, n, default),
            Path.V256 => n >= 32 ? CodeMath.AbsoluteDifferenceV256(ref x, ref y, n) : CodeMath.AbsoluteDifferenceV128(ref x, ref y, 0, n, default),
            Path.V512 => n >= 64 ? CodeMath.AbsoluteDifferenceV512(ref x, ref y, n) : CodeMath.AbsoluteDifferenceV128(ref x, ref y, 0, n, default),
            _ => CodeMath.AbsoluteDifference(ref x, ref y, n),
        };
    }
}
