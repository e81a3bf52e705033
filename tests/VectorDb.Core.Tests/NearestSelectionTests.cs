using VectorDb.Hnsw;
using Width = VectorDb.Hnsw.NearestSelection.Width;

namespace VectorDb.Core.Tests;

public class NearestSelectionTests
{
    // Every path, by name (the enum is internal). Vectors a machine lacks run emulated, so all paths run everywhere.
    public static TheoryData<string> Widths() => [nameof(Width.Scalar), nameof(Width.Vector256), nameof(Width.Vector512)];

    [Theory]
    [MemberData(nameof(Widths))]
    public void Select_keeps_every_entry_and_puts_the_nearest_first_in_order(string path)
    {
        var width = Enum.Parse<Width>(path);
        var random = new Random(17);
        foreach (int count in new[] { 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100, 222, 296, 1_000 })
        {
            foreach (int size in new[] { 0, 1, 3, 10, 20, 40, 64, 65, 200, count - 1, count, count + 5 }.Where(s => s >= 0))
            {
                foreach (var kind in Enum.GetValues<Distances>())
                {
                    var input = Make(random, count, kind);
                    var items = input.ToArray();

                    int selected = NearestSelection.Select(items, size, width);

                    string shape = $"{count} entries, {size} wanted, {kind} distances, {width}";
                    Assert.True(selected == Math.Min(size, count), shape);
                    Assert.True(input.OrderBy(n => n.Id).SequenceEqual(items.OrderBy(n => n.Id)), $"entries lost or changed: {shape}");
                    var expected = input.Select(n => n.Distance).Order().Take(selected);
                    Assert.True(expected.SequenceEqual(items.Take(selected).Select(n => n.Distance)), shape);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Sort_orders_ties_and_infinities_like_a_general_sort(string path)
    {
        var width = Enum.Parse<Width>(path);
        var random = new Random(5);
        foreach (int count in new[] { 0, 1, 5, 8, 9, 40, 64, 65, 130 })
        {
            var items = Make(random, count, Distances.Ties).Concat([new Neighbor(count, float.PositiveInfinity), new Neighbor(count + 1, -0f), new Neighbor(count + 2, 0f)]).ToArray();
            var expected = items.Select(n => n.Distance).Order().ToArray();

            NearestSelection.Sort(items, width);

            Assert.Equal(expected, items.Select(n => n.Distance));
            Assert.Equal(items.Length, items.Select(n => n.Id).Distinct().Count());
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void A_NaN_distance_is_never_selected_while_enough_others_are_numbers(string path)
    {
        var width = Enum.Parse<Width>(path);
        for (int at = 0; at < 50; at++)
        {
            foreach (int size in new[] { 1, 10, 25, 49 })
            {
                var items = Enumerable.Range(0, 50).Select(i => new Neighbor(i, i == at ? float.NaN : 50 - i)).ToArray();

                int selected = NearestSelection.Select(items, size, width);

                Assert.Equal(size, selected);
                Assert.Equal(Enumerable.Range(0, 50), items.Select(n => n.Id).Order());
                var expected = Enumerable.Range(0, 50).Where(i => i != at).Select(i => (float)(50 - i)).Order().Take(size);
                Assert.True(expected.SequenceEqual(items.Take(size).Select(n => n.Distance)), $"NaN at {at}, {size} wanted");
            }
        }
    }

    private enum Distances
    {
        Spread,   // distinct, skewed towards the far end, as a walk's are
        Ties,     // few distinct values: ties at the cut are the norm
        Equal,    // all alike: the cutoff cannot separate any
        Negative, // negated dot products, around zero, with both zeros
        Extreme,  // tiny and huge magnitudes of both signs
        Infinite, // some infinities of both signs among ordinary values
    }

    private static Neighbor[] Make(Random random, int count, Distances kind) =>
        Enumerable.Range(0, count).Select(i => new Neighbor(i, kind switch
        {
            Distances.Spread => (float)(1 + (10 * Math.Sqrt(random.NextDouble()))),
            Distances.Ties => random.Next(Math.Max(1, count / 8)),
            Distances.Equal => 3f,
            Distances.Negative => random.Next(10) switch
            {
                0 => -0f,
                1 => 0f,
                _ => (float)((random.NextDouble() * 2) - 1),
            },
            Distances.Extreme => random.Next(5) switch
            {
                0 => -(float)random.NextDouble() * 1e30f,
                1 => (float)random.NextDouble() * 1e-30f,
                2 => float.MaxValue,
                3 => -float.MaxValue,
                _ => (float)random.NextDouble(),
            },
            _ => random.Next(12) switch
            {
                0 => float.PositiveInfinity,
                1 => float.NegativeInfinity,
                _ => (float)random.NextDouble(),
            },
        })).ToArray();
}
