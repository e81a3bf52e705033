using VectorDb.Query;

namespace VectorDb.Tests;

/// <summary>Explain reports the work every kind of search did: it is how users compare plans.</summary>
public sealed class ExplainTests
{
    private const int Points = 2_000;

    [Fact]
    public void An_unfiltered_graph_search_counts_its_distances_and_nodes()
    {
        using var database = VectorDatabase.InMemory();
        var points = Filled(database);

        var explain = points.Search(Query(), 10, new SearchOptions { Explain = true }).Explain!;

        Assert.Equal(SearchStrategy.Graph, explain.Strategy);
        Assert.InRange(explain.NodesVisited, 10, Points);
        Assert.InRange(explain.DistanceComputations, explain.NodesVisited, Points);
    }

    [Fact]
    public void A_full_scan_threshold_makes_searches_within_it_exact()
    {
        using var database = VectorDatabase.InMemory();
        var points = Filled(database); // 2,000 × 32 float32 rows: 250 KB
        var filter = FilterJson.Parse("""{"must": [{"key": "n", "range": {"lt": 200}}]}""");
        points.CreatePayloadIndex("n", PayloadSchemaType.Integer);

        points.UpdateSettings(new CollectionSettingsChange { FullScanThreshold = 300 });
        var unfiltered = points.Search(Query(), 10, new SearchOptions { Explain = true }).Explain!;
        Assert.Equal(SearchStrategy.Exact, unfiltered.Strategy);
        Assert.Contains("full_scan_threshold", unfiltered.Reason, StringComparison.Ordinal);

        points.UpdateSettings(new CollectionSettingsChange { FullScanThreshold = 100 });
        Assert.Equal(SearchStrategy.Graph, points.Search(Query(), 10, new SearchOptions { Explain = true }).Explain!.Strategy);
        var filtered = points.Search(Query(), 10, new SearchOptions { Explain = true, Filter = filter }).Explain!; // a tenth of the points: 25 KB
        Assert.Equal(SearchStrategy.ExactScan, filtered.Strategy);
        Assert.Contains("full_scan_threshold", filtered.Reason, StringComparison.Ordinal);
        Assert.Equal(100, points.Options.FullScanThreshold);
    }

    [Fact]
    public void A_search_of_one_point_counts_the_one_distance_it_computed()
    {
        using var database = VectorDatabase.InMemory();
        var points = database.CreateCollection("one", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Euclid });
        points.Upsert(new Point(1, [1, 2, 3, 4]));

        var explain = points.Search([1, 1, 1, 1], 1, new SearchOptions { Explain = true }).Explain!;

        Assert.Equal(1, explain.DistanceComputations);
        Assert.Equal(1, explain.NodesVisited);
    }

    [Fact]
    public void Exact_and_adaptive_searches_count_their_work()
    {
        using var database = VectorDatabase.InMemory();
        var points = Filled(database);

        var exact = points.Search(Query(), 10, new SearchOptions { Explain = true, Exact = true }).Explain!;
        var adaptive = points.Search(Query(), 10, new SearchOptions { Explain = true, Adaptive = new AdaptiveSearch { SearchDimensions = 8 } }).Explain!;

        Assert.Equal(Points, exact.DistanceComputations);
        Assert.Equal(SearchStrategy.Adaptive, adaptive.Strategy);
        Assert.True(adaptive.DistanceComputations > 0 && adaptive.NodesVisited > 0, $"{adaptive}");
    }

    [Fact]
    public void Exact_scans_count_the_distances_they_computed_not_the_rows_they_passed()
    {
        using var database = VectorDatabase.InMemory();
        var points = Filled(database);
        points.Delete([.. Enumerable.Range(0, 500).Select(i => new PointId((ulong)i))]);
        var unindexed = new Filter(Must: [new RangeCondition("n", Gte: 1_500)]);

        var exact = points.Search(Query(), 10, new SearchOptions { Explain = true, Exact = true }).Explain!;
        var filtered = points.Search(Query(), 10, new SearchOptions { Explain = true, Filter = unindexed, Strategy = SearchStrategy.ExactScan }).Explain!;

        Assert.Equal(Points - 500, exact.DistanceComputations);
        Assert.Equal(Points, exact.NodesVisited);
        Assert.Equal(500, filtered.DistanceComputations);
    }

    [Theory]
    [InlineData(SearchStrategy.ExactScan)]
    [InlineData(SearchStrategy.FilteredGraph)]
    [InlineData(SearchStrategy.TwoHopGraph)]
    [InlineData(SearchStrategy.PostFilter)]
    public void Every_filtered_strategy_counts_its_work(SearchStrategy strategy)
    {
        using var database = VectorDatabase.InMemory();
        var points = Filled(database);
        var even = new Filter(Must: [new RangeCondition("n", Lt: Points / 2)]);

        var explain = points.Search(Query(), 10, new SearchOptions { Explain = true, Filter = even, Strategy = strategy }).Explain!;

        Assert.True(explain.DistanceComputations > 0 && explain.NodesVisited > 0, $"{strategy}: {explain}");
    }

    [Fact]
    public void A_filtered_search_is_explained_only_when_asked_and_then_with_its_reason_and_costs()
    {
        using var database = VectorDatabase.InMemory();
        var points = Filled(database);
        points.CreatePayloadIndex("n", PayloadSchemaType.Integer);
        var filter = FilterJson.Parse("""{"must": [{"key": "n", "range": {"lt": 1000}}]}""");

        var quiet = points.Search(Query(), 10, new SearchOptions { Filter = filter, Ef = 64 });
        var explained = points.Search(Query(), 10, new SearchOptions { Filter = filter, Ef = 64, Explain = true });

        Assert.Null(quiet.Explain);
        Assert.Equal(quiet.Select(h => h.Id), explained.Select(h => h.Id));
        Assert.Contains("points match", explained.Explain!.Reason, StringComparison.Ordinal);
        Assert.NotEmpty(explained.Explain.EstimatedCostMicroseconds);
    }

    private static Collection Filled(VectorDatabase database)
    {
        var points = database.CreateCollection("c", new CollectionOptions { Dimensions = 32, Distance = DistanceMetric.Euclid });
        var random = new Random(7);
        points.Upsert(Enumerable.Range(0, Points).Select(i => new Point((ulong)i, [.. Enumerable.Range(0, 32).Select(_ => random.NextSingle())], Payload.FromObject(new { n = i }))));
        return points;
    }

    private static float[] Query() => [.. Enumerable.Range(0, 32).Select(i => i / 32f)];
}
