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
            var before = items.ToHashSet();
            var expected = items.Select(n => n.Distance).Order().ToArray();

            NearestSelection.Sort(items, width);

            Assert.Equal(expected, items.Select(n => n.Distance));
            Assert.True(before.SetEquals(items));
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void NaN_distances_come_after_every_number(string path)
    {
        var width = Enum.Parse<Width>(path);
        var random = new Random(11);
        foreach (int count in new[] { 20, 50, 70, 130 })
        {
            foreach (int nans in new[] { 1, 3, count / 2, count })
            {
                foreach (int size in new[] { 1, 10, 25, count - nans, count - nans + 1, count, count + 1 }.Where(s => s > 0))
                {
                    // Few distinct values, so the cutoff meets ties and falls back to quickselect too.
                    var input = Make(random, count, Distances.Ties);
                    foreach (int at in Enumerable.Range(0, count).OrderBy(_ => random.Next()).Take(nans))
                    {
                        input[at] = new Neighbor(at, float.NaN);
                    }

                    var items = input.ToArray();
                    int selected = NearestSelection.Select(items, size, width);

                    string shape = $"{count} entries, {nans} NaN, {size} wanted";
                    Assert.True(selected == Math.Min(size, count), shape);
                    Assert.True(input.OrderBy(n => n.Id).SequenceEqual(items.OrderBy(n => n.Id)), $"entries lost or changed: {shape}");
                    var numbers = items.Take(selected).TakeWhile(n => !float.IsNaN(n.Distance)).Select(n => n.Distance).ToArray();
                    Assert.True(items.Take(selected).Skip(numbers.Length).All(n => float.IsNaN(n.Distance)), $"a number after a NaN: {shape}");
                    var expected = input.Select(n => n.Distance).Where(d => !float.IsNaN(d)).Order().Take(selected);
                    Assert.True(expected.SequenceEqual(numbers), shape);
                }
            }
        }
    }

    [Theory]
    [InlineData("spread")]
    [InlineData("negative")]
    [InlineData("magnitudes")] // 1e-30 to 1e30 of both signs, three infinities of each sign
    public void The_cutoff_lands_in_its_window_without_the_fallback(string kind)
    {
        var random = new Random(23);
        foreach (int size in new[] { 4, 10, 20, 40 })
        {
            for (int list = 0; list < 50; list++)
            {
                var items = kind switch
                {
                    "spread" => Make(random, 222, Distances.Spread),
                    "negative" => Enumerable.Range(0, 222).Select(i => new Neighbor(i, (float)((random.NextDouble() * 2) - 1))).ToArray(),
                    _ => Enumerable.Range(0, 222).Select(i => new Neighbor(i, i < 6 ? (i % 2 == 0 ? float.PositiveInfinity : float.NegativeInfinity)
                        : (float)(Math.Pow(10, (random.NextDouble() * 60) - 30) * (random.Next(2) == 0 ? -1 : 1)))).ToArray(),
                };
                int most = size + Math.Max(8, size / 4);

                int count = NearestSelection.CountAtMost(items, NearestSelection.Cutoff(items, size, most, Width.Vector256), Width.Scalar);

                Assert.InRange(count, size, most);
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
