using System.Runtime.InteropServices;

using VectorDb.Storage;

namespace VectorDb.Persistence;

/// <summary>
/// A collection's fitted PCA axes in a checkpoint, in a checksummed file: a header ("VDBROT" and the format version,
/// u16), the explained variance (f64), the value count (i32), then the axes as little-endian f32. Files of format 1
/// have no header: they start with the explained variance, which is never the subnormal double the header reads as.
/// </summary>
internal static class RotationFile
{
    private const ulong HeaderMagic = 0x0000_544F_5242_4456; // "VDBROT", little-endian
    private const ulong MagicMask = 0x0000_FFFF_FFFF_FFFF;
    private const ushort FormatVersion = 2;

    public static void Write(string path, float[] axes, double explainedVariance) =>
        ChecksummedFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(HeaderMagic | ((ulong)FormatVersion << 48));
            writer.Write(explainedVariance);
            writer.Write(axes.Length);
            writer.Write(MemoryMarshal.AsBytes(axes.AsSpan()));
        });

    /// <exception cref="InvalidDataException">Missing, damaged, malformed or of a newer format.</exception>
    public static (float[] Axes, double ExplainedVariance) Read(string path)
    {
        using var content = ChecksummedFile.OpenVerified(path);
        using var reader = new BinaryReader(content);
        ulong first = reader.ReadUInt64();
        double explained;
        if ((first & MagicMask) == HeaderMagic)
        {
            int version = (int)(first >> 48);
            if (version > FormatVersion)
            {
                throw new InvalidDataException($"rotation file {path} has format {version}, newer than this build reads ({FormatVersion})");
            }

            explained = reader.ReadDouble();
        }
        else
        {
            explained = BitConverter.UInt64BitsToDouble(first); // format 1
        }

        int count = reader.ReadInt32();
        if (count is < 1 or > 1 << 24)
        {
            throw new InvalidDataException($"rotation file {path} claims {count} values");
        }

        var axes = new float[count];
        content.ReadExactly(MemoryMarshal.AsBytes(axes.AsSpan()));
        return (axes, explained);
    }
}
