using VectorDb.Persistence;
using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>The PCA axes of a checkpoint: today's format round-trips, format 1 (no header) is read, a newer format is refused.</summary>
public sealed class RotationFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Axes_round_trip_with_their_explained_variance()
    {
        string path = Path.Combine(_directory.Path, "r.rotation");
        RotationFile.Write(path, [0.6f, 0.8f, -0.8f, 0.6f], 0.75);
        var (axes, explained) = RotationFile.Read(path);
        Assert.Equal([0.6f, 0.8f, -0.8f, 0.6f], axes);
        Assert.Equal(0.75, explained);
    }

    [Fact]
    public void A_file_of_format_1_without_a_header_is_read()
    {
        string path = Path.Combine(_directory.Path, "r.rotation");
        Write(path, writer =>
        {
            writer.Write(0.5);
            writer.Write(2);
            writer.Write(1f);
            writer.Write(0f);
        });
        var (axes, explained) = RotationFile.Read(path);
        Assert.Equal([1f, 0f], axes);
        Assert.Equal(0.5, explained);
    }

    [Fact]
    public void A_newer_format_is_refused_not_guessed()
    {
        string path = Path.Combine(_directory.Path, "r.rotation");
        Write(path, writer =>
        {
            writer.Write(0x0003_544F_5242_4456UL); // "VDBROT", format 3
            writer.Write(0.5);
            writer.Write(1);
            writer.Write(1f);
        });
        Assert.Contains("format 3", Assert.Throws<InvalidDataException>(() => RotationFile.Read(path)).Message, StringComparison.Ordinal);
    }

    private static void Write(string path, Action<BinaryWriter> content) => ChecksummedFile.Write(path, stream =>
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        content(writer);
    });
}
