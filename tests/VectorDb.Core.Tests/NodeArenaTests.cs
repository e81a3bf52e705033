using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

public unsafe class NodeArenaTests
{
    [Theory]
    [InlineData(4_096)]
    [InlineData(3 << 20)]
    public void An_arena_is_aligned_writable_to_its_end_and_huge_page_aligned_when_large(int bytes)
    {
        byte* memory = (byte*)NodeArena.Allocate((nuint)bytes);
        try
        {
            Assert.Equal(0, (long)memory % 64);
            if (bytes >= 2 << 20 && OperatingSystem.IsLinux())
            {
                Assert.Equal(0, (long)memory % (2 << 20));
            }

            var span = new Span<byte>(memory, bytes);
            span.Fill(0xA5);
            Assert.Equal(0xA5, span[^1]);
        }
        finally
        {
            NodeArena.Free(memory);
        }
    }
}
