using System.Buffers.Binary;
using System.Numerics;

namespace VectorDb.Query.Text;

/// <summary>MurmurHash3's x86 32-bit variant (Austin Appleby's public-domain specification).</summary>
internal static class Murmur3
{
    private const uint C1 = 0xcc9e2d51;
    private const uint C2 = 0x1b873593;

    /// <summary>The 32-bit hash of <paramref name="data"/> with <paramref name="seed"/>.</summary>
    public static uint Hash32(ReadOnlySpan<byte> data, uint seed = 0)
    {
        uint hash = seed;
        int blocks = data.Length / 4;
        for (int i = 0; i < blocks; i++)
        {
            hash ^= Scramble(BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4)));
            hash = (BitOperations.RotateLeft(hash, 13) * 5) + 0xe6546b64;
        }

        var tail = data[(blocks * 4)..];
        uint last = 0;
        for (int i = tail.Length - 1; i >= 0; i--)
        {
            last = (last << 8) | tail[i];
        }

        if (tail.Length > 0)
        {
            hash ^= Scramble(last);
        }

        hash ^= (uint)data.Length;
        hash ^= hash >> 16;
        hash *= 0x85ebca6b;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35;
        hash ^= hash >> 16;
        return hash;
    }

    private static uint Scramble(uint block) => BitOperations.RotateLeft(block * C1, 15) * C2;
}
