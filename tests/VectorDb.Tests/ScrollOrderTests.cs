using System.Text.Json;
using VectorDb.Query;

namespace VectorDb.Tests;

/// <summary>Scrolling in the order of a numeric payload field (Qdrant's scroll <c>order_by</c>).</summary>
public sealed class ScrollOrderTests
{
    [Fact]
    public void Points_come_in_value_order_from_start_from_on_in_either_direction()
    {
        using var database = VectorDatabase.InMemory();
        var points = Priced(database, indexed: true);

        Assert.Equal([5.0, 10, 20, 30, 40], Values(points.ScrollOrdered(new ScrollOrder("price"), limit: 10)));
        Assert.Equal([20.0, 30, 40], Values(points.ScrollOrdered(new ScrollOrder("price", StartFrom: 20), limit: 10)));
        Assert.Equal([30.0, 20, 10], Values(points.ScrollOrdered(new ScrollOrder("price", Descending: true, StartFrom: 30), limit: 3)));
        Assert.Equal([40.0, 30], Values(points.ScrollOrdered(new ScrollOrder("price", Descending: true), limit: 2)));
        Assert.Null(points.ScrollOrdered(new ScrollOrder("price"), limit: 2).NextOffset);
    }

    [Fact]
    public void A_point_with_several_values_appears_once_per_value_and_one_without_none()
    {
        using var database = VectorDatabase.InMemory();
        var points = Priced(database, indexed: true);
        points.Upsert([new Point(9, [9, 9], Payload.Parse("""{"price": [15, 35]}""")), new Point(10, [1, 9], Payload.Parse("""{"other": 1}"""))]);

        var page = points.ScrollOrdered(new ScrollOrder("price"), limit: 100);

        Assert.Equal([5.0, 10, 15, 20, 30, 35, 40], Values(page));
        Assert.Equal(2, page.Points.Count(p => p.Id == new PointId(9)));
        Assert.DoesNotContain(page.Points, p => p.Id == new PointId(10));
    }

    [Fact]
    public void The_order_follows_writes_deletes_and_filters()
    {
        using var database = VectorDatabase.InMemory();
        var points = Priced(database, indexed: true);
        points.Delete([2UL]);
        points.SetPayload([3UL], Payload.Parse("""{"price": 1}"""));
        points.Upsert(new Point(4, [4, 4], Payload.Parse("""{"price": 100, "kind": "b"}""")));

        Assert.Equal([1.0, 5, 30, 100], Values(points.ScrollOrdered(new ScrollOrder("price"), limit: 10)));
        var kindB = new Filter(Must: [new MatchValueCondition("kind", Payload.Parse("""{"v": "b"}""").Root.GetProperty("v"))]);
        Assert.Equal([100.0, 5], Values(points.ScrollOrdered(new ScrollOrder("price", Descending: true), limit: 10, filter: kindB)));
    }

    [Fact]
    public void Pages_continue_across_chunks_of_the_index_and_writes_between_them()
    {
        using var database = VectorDatabase.InMemory();
        var points = database.CreateCollection("many", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
        points.CreatePayloadIndex("rank", PayloadSchemaType.Integer);
        points.Upsert(Enumerable.Range(0, 5_000).Select(i => new Point((ulong)i, [i, 1], Payload.FromObject(new { rank = i % 2_500, rare = i % 997 == 0 }))));
        var rare = new Filter(Must: [new MatchValueCondition("rare", JsonDocument.Parse("true").RootElement)]);

        // The rare points lie far apart in rank, so a page of them reads several chunks of the index.
        var page = points.ScrollOrdered(new ScrollOrder("rank", Descending: true), limit: 6, filter: rare);
        Assert.Equal([.. Enumerable.Range(0, 5_000).Where(i => i % 997 == 0).Select(i => (double)(i % 2_500)).OrderDescending()], Values(page));

        // Each value is held by two points; a write between pages lands in the order too.
        points.Upsert(new Point(9_999, [0, 0], Payload.FromObject(new { rank = 1_000 })));
        var ties = points.ScrollOrdered(new ScrollOrder("rank", StartFrom: 1_000), limit: 3);
        Assert.Equal([1_000.0, 1_000, 1_000], Values(ties));
        Assert.Equal(3, ties.Points.Select(p => p.Id).Distinct().Count());
    }

    [Fact]
    public void Ordering_by_a_key_without_a_numeric_index_is_refused()
    {
        using var database = VectorDatabase.InMemory();
        var points = Priced(database, indexed: false);
        points.CreatePayloadIndex("kind", PayloadSchemaType.Keyword);

        Assert.Contains("No range index", Assert.Throws<InvalidRequestException>(() => points.ScrollOrdered(new ScrollOrder("price"), 10)).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidRequestException>(() => points.ScrollOrdered(new ScrollOrder("kind"), 10));
    }

    /// <summary>Points 1–5 priced 30, 10, 40, 20, 5 (point 5 of kind b, the others a).</summary>
    private static Collection Priced(VectorDatabase database, bool indexed)
    {
        var points = database.CreateCollection("p", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
        double[] prices = [30, 10, 40, 20, 5];
        points.Upsert(prices.Select((price, i) => new Point((ulong)i + 1, [i, (float)price], Payload.FromObject(new { price, kind = i == 4 ? "b" : "a" }))));
        if (indexed)
        {
            points.CreatePayloadIndex("price", PayloadSchemaType.Float);
        }

        return points;
    }

    private static double[] Values(ScrollPage page) => [.. page.Points.Select(p => p.OrderValue!.Value)];
}
