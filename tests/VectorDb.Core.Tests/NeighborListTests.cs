using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

public class NeighborListTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 0, 10, 1 },     // empty
        { 7, 40, 2 },     // fewer than asked for: all of them, sorted
        { 40, 40, 3 },    // exactly as many
        { 296, 40, 4 },   // an adaptive walk's usual shape
        { 300, 1, 5 },
        { 1_000, 999, 6 },
        { 5_000, 300, 7 }, // a selection long enough for the general sort
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SelectNearest_returns_the_nearest_in_order_like_a_full_sort(int count, int size, int seed)
    {
        var random = new Random(seed);
        var list = new NeighborList();
        var all = new List<Neighbor>();
        for (int i = 0; i < count; i++)
        {
            // Few distinct distances, so ties at the cut and around pivots are the norm.
            float distance = random.Next(count / 4 + 1);
            list.Add(i, distance);
            all.Add(new Neighbor(i, distance));
        }

        var selected = list.SelectNearest(size).ToArray();

        var expected = all.Select(n => n.Distance).Order().Take(size).ToArray();
        Assert.Equal(expected, selected.Select(n => n.Distance));
        Assert.Equal(selected.Length, selected.Select(n => n.Id).Distinct().Count());
        Assert.All(selected, n => Assert.Equal(all[n.Id].Distance, n.Distance));
    }

    [Fact]
    public void A_cleared_list_is_reused_and_grows_past_its_first_capacity()
    {
        var list = new NeighborList();
        for (int i = 0; i < 1_000; i++)
        {
            list.Add(i, 1_000 - i);
        }

        list.Clear();
        list.Add(5, 2f);
        list.Add(6, 1f);

        Assert.Equal(2, list.Count);
        Assert.Equal([6, 5], list.SelectNearest(10).ToArray().Select(n => n.Id));
    }
}
