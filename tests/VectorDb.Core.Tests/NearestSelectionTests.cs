using System.Runtime.Intrinsics;
using VectorDb.Hnsw;
using Width = VectorDb.Hnsw.NearestSelection.Width;

namespace VectorDb.Core.Tests;

public class NearestSelectionTests
{
    // Every path this machine runs, by name (the enum is internal).
    public static TheoryData<string> Widths()
    {
        var widths = new TheoryData<string> { nameof(Width.Scalar) };
        if (Vector256.IsHardwareAccelerated)
        {
            widths.Add(nameof(Width.Vector256));
        }

        if (Vector512.IsHardwareAccelerated)
        {
            widths.Add(nameof(Width.Vector512));
        }

        return widths;
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Select_keeps_every_entry_and_puts_the_nearest_first_in_order(string path)
    {
        var width = Enum.Parse<Width>(path);
        var random = new Random(17);
        foreach (int count in new[] { 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100, 222, 296, 1_000 })
        {
            foreach (int size in new[] { 1, 3, 10, 20, 40, 64, 65, 200, count - 1, count }.Where(s => s >= 1 && s <= count + 1))
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
    public void Sort_orders_ties_infinities_and_negative_zero_like_a_general_sort(string path)
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
    public void A_NaN_distance_costs_no_entry(string path)
    {
        var width = Enum.Parse<Width>(path);
        var items = Enumerable.Range(0, 50).Select(i => new Neighbor(i, i == 7 ? float.NaN : 50 - i)).ToArray();

        int selected = NearestSelection.Select(items, 10, width);

        Assert.Equal(10, selected);
        Assert.Equal(Enumerable.Range(0, 50), items.Select(n => n.Id).Order());
        Assert.DoesNotContain(items.Take(selected), n => float.IsNaN(n.Distance));
    }

    private enum Distances
    {
        Spread,  // distinct, skewed towards the far end, as a walk's are
        Ties,    // few distinct values: ties at the cut are the norm
        Equal,   // all alike: the cutoff cannot separate any
        Extreme, // tiny and huge magnitudes, negatives (dot products), infinities
    }

    private static Neighbor[] Make(Random random, int count, Distances kind) =>
        Enumerable.Range(0, count).Select(i => new Neighbor(i, kind switch
        {
            Distances.Spread => (float)(1 + (10 * Math.Sqrt(random.NextDouble()))),
            Distances.Ties => random.Next(Math.Max(1, count / 8)),
            Distances.Equal => 3f,
            _ => random.Next(6) switch
            {
                0 => float.PositiveInfinity,
                1 => -(float)random.NextDouble() * 1e30f,
                2 => (float)random.NextDouble() * 1e-30f,
                3 => float.MaxValue,
                _ => (float)random.NextDouble(),
            },
        })).ToArray();
}
