using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>
/// Files a checkpoint captures in memory while writers wait and writes once they are back: the same bytes as a file
/// written at once, within the budget or past it, and nothing left behind when never completed.
/// </summary>
public sealed class CapturedFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(0)] // no memory: straight to the file
    [InlineData(4 << 20)] // the first chunk in memory, the rest spilled
    [InlineData(64 << 20)] // all in memory
    public void A_captured_file_is_written_as_a_checksummed_file_is(long budgetBytes)
    {
        byte[] content = new byte[(9 << 20) + 12_345];
        new Random(3).NextBytes(content);
        string direct = Path.Combine(_directory.Path, "direct");
        string captured = Path.Combine(_directory.Path, "captured");
        ChecksummedFile.Write(direct, stream => WriteInPieces(stream, content));

        var budget = new CaptureBudget(budgetBytes);
        using (var file = CapturedFile.Capture(captured, stream => WriteInPieces(stream, content), budget))
        {
            Assert.Equal(budgetBytes >= 32 << 20 ? content.Length : 0, file.CapturedBytes); // spilling hands its chunks back
            Assert.False(File.Exists(captured));
            file.Complete();
        }

        Assert.Equal(budgetBytes, budget.Remaining); // the memory went back
        Assert.Equal(File.ReadAllBytes(direct), File.ReadAllBytes(captured));
        using var verified = ChecksummedFile.OpenVerified(captured);
        using var copy = new MemoryStream();
        verified.CopyTo(copy);
        Assert.Equal(content, copy.ToArray());
        Assert.Empty(Directory.EnumerateFiles(_directory.Path, "*.tmp"));
    }

    [Fact]
    public void A_capture_never_completed_leaves_no_file_and_gives_its_memory_back()
    {
        var budget = new CaptureBudget(8 << 20);
        string path = Path.Combine(_directory.Path, "abandoned");
        using (CapturedFile.Capture(path, stream => stream.Write(new byte[5 << 20]), budget))
        {
            Assert.Equal((8 << 20) - ((64 + 256 + 1024 + 4096) << 10), budget.Remaining); // chunks growing ×4 from 64 KiB
        }

        Assert.Equal(8 << 20, budget.Remaining);
        using (CapturedFile.Capture(path, stream => stream.Write(new byte[20 << 20]), budget))
        {
            Assert.Single(Directory.EnumerateFiles(_directory.Path, "*.tmp")); // spilled into its temporary file
        }

        Assert.Equal(8 << 20, budget.Remaining);
        Assert.Empty(Directory.EnumerateFiles(_directory.Path));
        Assert.Throws<InvalidOperationException>(() => CapturedFile.Capture(path, _ => throw new InvalidOperationException("fails"), budget));
        Assert.Empty(Directory.EnumerateFiles(_directory.Path));
    }

    private static void WriteInPieces(Stream stream, byte[] content)
    {
        var random = new Random(5);
        for (int at = 0; at < content.Length;)
        {
            int length = Math.Min(content.Length - at, random.Next(1, 3 << 20));
            stream.Write(content, at, length);
            at += length;
        }
    }
}
