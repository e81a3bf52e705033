using System.Runtime.InteropServices;

using VectorDb.Storage;

namespace VectorDb.Persistence;

/// <summary>
/// A collection's fitted PCA axes in a checkpoint: the explained variance (f64), the value count (i32), then the
/// axes as little-endian f32, in a checksummed file.
/// </summary>
internal static class RotationFile
{
    public static void Write(string path, float[] axes, double explainedVariance) =>
        ChecksummedFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(explainedVariance);
            writer.Write(axes.Length);
            writer.Write(MemoryMarshal.AsBytes(axes.AsSpan()));
        });

    /// <exception cref="InvalidDataException">Missing, damaged or malformed.</exception>
    public static (float[] Axes, double ExplainedVariance) Read(string path)
    {
        using var content = ChecksummedFile.OpenVerified(path);
        using var reader = new BinaryReader(content);
        double explained = reader.ReadDouble();
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
