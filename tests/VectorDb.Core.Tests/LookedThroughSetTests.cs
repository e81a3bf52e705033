using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

public class LookedThroughSetTests
{
    [Fact]
    public void A_node_is_remembered_with_its_count_until_the_next_reset_across_epoch_wraps()
    {
        var set = new LookedThroughSet();
        for (int walk = 0; walk < 600; walk++) // the 8-bit epoch wraps twice
        {
            set.Reset(100);
            Assert.False(set.TryGet(walk % 100, out _));
            set.Add(walk % 100, walk % 33);
            Assert.True(set.TryGet(walk % 100, out int accepted));
            Assert.Equal(walk % 33, accepted);
            Assert.False(set.TryGet((walk + 1) % 100, out _));
        }
    }

    [Fact]
    public void Counts_above_255_are_kept_as_255_and_ids_beyond_the_room_are_never_remembered()
    {
        var set = new LookedThroughSet();
        set.Reset(10);
        set.Add(3, 256);
        Assert.True(set.TryGet(3, out int accepted));
        Assert.Equal(255, accepted);

        set.Add(10, 1);
        Assert.False(set.TryGet(10, out _));
        Assert.False(set.TryGet(-1, out _));
    }
}
