using System.Text.Json;
using VectorDb.Distance;
using VectorDb.Query;

namespace VectorDb.Tests;

/// <summary>Facet counts and the distance matrix of a sample, against counting and brute force.</summary>
public sealed class ExploreTests
{
    private static (VectorDatabase Database, Collection Collection, List<Point> Points) Create()
    {
        var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("e", new CollectionOptions { Dimensions = 3, Distance = DistanceMetric.Euclid });
        var points = Enumerable.Range(0, 200).Select(i =>
        {
            var random = new Random(i);
            string tags = i % 5 == 0 ? """["a", "b", "a"]""" : i % 3 == 0 ? """["b"]""" : "\"c\"";
            return new Point((ulong)i, [(float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble()],
                Payload.Parse($$"""{"tag": {{tags}}, "n": {{i % 7}}, "even": {{(i % 2 == 0 ? "true" : "false")}}}"""));
        }).ToList();
        collection.Upsert(points);
        return (database, collection, points);
    }

    [Fact]
    public void Facets_count_points_per_value_under_a_filter()
    {
        var (database, collection, points) = Create();
        using var _ = database;
        Assert.Contains("faceting", Assert.Throws<InvalidRequestException>(() => collection.Facet("tag")).Message, StringComparison.Ordinal);
        collection.CreatePayloadIndex("tag", PayloadSchemaType.Keyword);
        collection.CreatePayloadIndex("n", PayloadSchemaType.Integer);
        collection.CreatePayloadIndex("even", PayloadSchemaType.Bool);

        var tags = collection.Facet("tag");
        var expected = points.SelectMany(p => PayloadValues(p, "tag").Distinct()).GroupBy(v => v)
            .Select(g => (g.Key, Count: (long)g.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, tags.Select(h => (h.Value.Text!, h.Count)));

        var even = new Filter(Must: [new MatchValueCondition("even", JsonDocument.Parse("true").RootElement)]);
        var numbers = collection.Facet("n", limit: 3, even);
        var expectedNumbers = points.Where(p => p.Id.Number % 2 == 0).GroupBy(p => (long)(p.Id.Number % 7))
            .Select(g => (g.Key, Count: (long)g.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Key).Take(3).ToList();
        Assert.Equal(expectedNumbers, numbers.Select(h => (h.Value.Number!.Value, h.Count)));
        Assert.Equal([(false, 100L), (true, 100L)], collection.Facet("even").Select(h => (h.Value.Flag!.Value, h.Count)));
    }

    private static IEnumerable<string> PayloadValues(Point point, string key)
    {
        var value = point.Payload!.Root.GetProperty(key);
        return value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Select(e => e.GetString()!) : [value.GetString()!];
    }

    [Fact]
    public void Payload_bytes_follow_upserts_payload_updates_and_deletes()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("bytes", new CollectionOptions { Dimensions = 2 });
        collection.Upsert([new Point(1, [1, 0], Payload.Parse("""{"a": 1}""")), new Point(2, [0, 1], Payload.Parse("""{"bb": "xyz"}""")), new Point(3, [1, 1])]);
        Assert.Equal("""{"a": 1}""".Length + """{"bb": "xyz"}""".Length, collection.PayloadBytes); // as given

        collection.SetPayload([1], Payload.Parse("""{"c": true}"""));
        collection.Upsert(new Point(2, [0, 1], Payload.Parse("""{"é": 1}""")));
        collection.Delete([3]);
        Assert.Equal("""{"a":1,"c":true}""".Length + System.Text.Encoding.UTF8.GetByteCount("""{"é": 1}"""), collection.PayloadBytes);

        collection.ClearPayload([1, 2]);
        Assert.Equal(4, collection.PayloadBytes); // two empty objects
        collection.Delete([1, 2]);
        Assert.Equal(0, collection.PayloadBytes);
    }

    [Fact]
    public void The_matrix_gives_each_sampled_point_its_nearest_among_the_sample()
    {
        var (database, collection, points) = Create();
        using var _ = database;

        var matrix = collection.SearchMatrix(sample: 30, limit: 4);

        Assert.Equal(30, matrix.Ids.Count);
        Assert.Equal(matrix.Ids.Order(), matrix.Ids);
        var vectors = points.ToDictionary(p => p.Id, p => p.Vector!);
        for (int row = 0; row < matrix.Ids.Count; row++)
        {
            var expected = matrix.Ids.Where(id => id != matrix.Ids[row])
                .Select(id => (Id: id, Distance: MathF.Sqrt(VectorMath.SquaredEuclidean(vectors[id], vectors[matrix.Ids[row]])))).OrderBy(x => x.Distance).Take(4).ToList();
            // Distances, not ids: near-equal distances may swap places between float32 kernels and this reference.
            var entries = matrix.Entries.Where(e => e.Row == row).ToList();
            Assert.Equal(4, entries.Count);
            Assert.All(entries.Zip(expected), pair => Assert.Equal(pair.Second.Distance, pair.First.Score, 4));
            Assert.All(entries, e => Assert.Equal(MathF.Sqrt(VectorMath.SquaredEuclidean(vectors[matrix.Ids[e.Column]], vectors[matrix.Ids[row]])), e.Score, 4));
        }

        Assert.Throws<InvalidRequestException>(() => collection.SearchMatrix(sample: 1));
    }
}
