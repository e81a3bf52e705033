using System.Text.Json;
using VectorDb.Query;

namespace VectorDb.Tests;

/// <summary>
/// Payload indexes must answer exactly what reading the payloads answers: a collection with indexes on every
/// field and one without receive the same random writes, and every filter must find the same points in both.
/// </summary>
public sealed class PayloadIndexTests : IDisposable
{
    private static readonly string[] Colors = ["red", "green", "blue", "Red", ""];
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Indexed_and_unindexed_collections_agree_on_every_filter_under_random_writes()
    {
        using var database = VectorDatabase.InMemory();
        var plain = database.CreateCollection("plain", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Euclid });
        var indexed = database.CreateCollection("indexed", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Euclid });
        CreateIndexes(indexed);
        var random = new Random(11);

        for (int round = 0; round < 40; round++)
        {
            foreach (var collection in new[] { plain, indexed })
            {
                Apply(collection, new Random(round), round);
            }

            if (round % 8 == 7)
            {
                foreach (var filter in RandomFilters(random, 30))
                {
                    var expected = plain.FindIds(filter).Order().ToList();
                    Assert.Equal(expected, indexed.FindIds(filter).Order().ToList());
                    Assert.Equal(expected.Count, indexed.Count(filter));
                    var query = new float[] { random.NextSingle() * 10, random.NextSingle() * 10, 0, 0 };
                    var exact = plain.Search(query, 5, new SearchOptions { Filter = filter, Exact = true });
                    var planned = indexed.Search(query, 5, new SearchOptions { Filter = filter, Ef = 200 });
                    Assert.Equal(exact.Count, planned.Count);
                }
            }
        }
    }

    [Fact]
    public void Match_except_is_answered_by_a_keyword_index_while_the_field_holds_only_strings()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
        collection.CreatePayloadIndex("label", PayloadSchemaType.Keyword);
        collection.Upsert(Enumerable.Range(0, 3000).Select(i => new Point(
            (ulong)i, [i % 50, i / 50], i % 10 == 9 ? Payload.FromObject(new { other = 1 }) : Payload.FromObject(new { label = $"{i % 3}" }))));
        var notZero = new Filter(Must: [new MatchExceptCondition("label", [JsonSerializer.SerializeToElement("0"), JsonSerializer.SerializeToElement(5)])]);
        int expected = Enumerable.Range(0, 3000).Count(i => i % 10 != 9 && i % 3 != 0);

        // Counted from the postings: exact, where the payload scan an unindexed condition takes estimates from a sample.
        var explain = collection.Search([0, 0], 10, new SearchOptions { Filter = notZero, Explain = true }).Explain!;
        Assert.Equal(Cardinality.Exactly(expected), explain.Estimate);
        Assert.Equal(expected, collection.Count(notZero));

        // A number is "none of" the strings listed, and the index does not hold numbers: the payloads answer instead.
        collection.Upsert([new Point(5000UL, [0, 0], Payload.FromObject(new { label = 7 }))]);
        Assert.Equal(expected + 1, collection.Count(notZero));
        explain = collection.Search([0, 0], 10, new SearchOptions { Filter = notZero, Explain = true }).Explain!;
        Assert.False(explain.Estimate!.Value.IsExact);

        collection.Delete([new PointId(5000UL)]);
        explain = collection.Search([0, 0], 10, new SearchOptions { Filter = notZero, Explain = true }).Explain!;
        Assert.Equal(Cardinality.Exactly(expected), explain.Estimate);
    }

    [Fact]
    public void Indexes_describe_their_coverage_and_can_be_replaced_and_dropped()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
        collection.Upsert([
            new Point(1, [1, 0], Payload.FromObject(new { tag = "a", n = 1 })),
            new Point(2, [0, 1], Payload.FromObject(new { tag = 5, n = 2.5 })),
            new Point(3, [1, 1], Payload.FromObject(new { other = true })),
        ]);

        Assert.True(collection.CreatePayloadIndex("tag", PayloadSchemaType.Keyword));
        Assert.False(collection.CreatePayloadIndex("tag", PayloadSchemaType.Keyword));
        Assert.True(collection.CreatePayloadIndex("n", PayloadSchemaType.Float));
        Assert.Equal([new PayloadIndexInfo("n", PayloadSchemaType.Float, 2), new PayloadIndexInfo("tag", PayloadSchemaType.Keyword, 1)], collection.PayloadIndexes);

        Assert.True(collection.CreatePayloadIndex("tag", PayloadSchemaType.Integer));
        Assert.Equal(PayloadSchemaType.Integer, collection.PayloadIndexes.Single(i => i.Key == "tag").Schema);
        Assert.True(collection.DeletePayloadIndex("tag"));
        Assert.False(collection.DeletePayloadIndex("tag"));
        Assert.Equal(1, collection.Count(new Filter(Must: [Conditions.Match("tag", 5)])));
        Assert.Throws<InvalidRequestException>(() => collection.CreatePayloadIndex(" ", PayloadSchemaType.Keyword));
        Assert.Throws<InvalidRequestException>(() => collection.CreatePayloadIndex("x", (PayloadSchemaType)42));
    }

    [Fact]
    public void Numbers_beyond_double_range_match_nothing_and_break_nothing()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
        collection.CreatePayloadIndex("n", PayloadSchemaType.Integer);
        collection.Upsert([
            new Point(1, [1, 0], Payload.Parse("""{"n": 1e400}""")),
            new Point(2, [0, 1], Payload.Parse("""{"n": [5, -1e400]}""")),
        ]);

        Assert.Equal([new PointId(2)], collection.FindIds(new Filter(Must: [Conditions.Range("n", gt: 1)])));
        Assert.Equal([new PointId(2)], collection.FindIds(new Filter(Must: [Conditions.Match("n", 5)])));
        Assert.Empty(collection.FindIds(new Filter(Must: [new MatchValueCondition("n", JsonDocument.Parse("1e400").RootElement)])));
        collection.DeletePayloadIndex("n");
        Assert.Equal([new PointId(2)], collection.FindIds(new Filter(Must: [Conditions.Range("n", gt: 1)])));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Index_definitions_survive_reopen_from_checkpoint_or_log(bool checkpoint)
    {
        var options = new Storage.StorageOptions { CheckpointOnDispose = checkpoint };
        var filter = new Filter(Must: [Conditions.Match("color", "red"), Conditions.Range("size", gte: 5)]);
        int expected;
        using (var database = VectorDatabase.Open(_directory.Path, options))
        {
            var collection = database.CreateCollection("c", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Euclid });
            Apply(collection, new Random(3), 0);
            collection.CreatePayloadIndex("color", PayloadSchemaType.Keyword);
            collection.CreatePayloadIndex("size", PayloadSchemaType.Integer);
            collection.CreatePayloadIndex("gone", PayloadSchemaType.Bool);
            collection.DeletePayloadIndex("gone");
            Apply(collection, new Random(4), 1);
            expected = collection.Count(filter);
            Assert.True(expected > 0);
        }

        using (var database = VectorDatabase.Open(_directory.Path, options))
        {
            var collection = database.GetCollection("c");
            Assert.Equal(["color", "size"], collection.PayloadIndexes.Select(i => i.Key));
            Assert.Equal(expected, collection.Count(filter));
            var explain = collection.Search([0, 0, 0, 0], 3, new SearchOptions { Filter = filter, Explain = true }).Explain!;
            Assert.True(explain.Estimate!.Value.Max <= collection.Count(new Filter(Must: [Conditions.Match("color", "red")])));
        }
    }

    private static void CreateIndexes(Collection collection)
    {
        collection.CreatePayloadIndex("color", PayloadSchemaType.Keyword);
        collection.CreatePayloadIndex("size", PayloadSchemaType.Integer);
        collection.CreatePayloadIndex("weight", PayloadSchemaType.Float);
        collection.CreatePayloadIndex("ok", PayloadSchemaType.Bool);
        collection.CreatePayloadIndex("tags", PayloadSchemaType.Keyword);
        collection.CreatePayloadIndex("meta.kind", PayloadSchemaType.Keyword);
    }

    /// <summary>One round of upserts, deletes and payload changes, the same for the same seed.</summary>
    private static void Apply(Collection collection, Random random, int round)
    {
        collection.Upsert(Enumerable.Range(0, 60).Select(_ => new Point(
            (ulong)random.Next(300),
            [random.NextSingle() * 10, random.NextSingle() * 10, round, 1],
            RandomPayload(random))));
        collection.Delete(Enumerable.Range(0, 10).Select(_ => new PointId((ulong)random.Next(300))));
        var some = Enumerable.Range(0, 10).Select(_ => new PointId((ulong)random.Next(300))).ToList();
        switch (round % 4)
        {
            case 0:
                collection.SetPayload(some, RandomPayload(random));
                break;
            case 1:
                collection.OverwritePayload(some, RandomPayload(random));
                break;
            case 2:
                collection.DeletePayloadKeys(some, ["color", "size"]);
                break;
            default:
                collection.ClearPayload(some);
                break;
        }
    }

    /// <summary>Payloads with the awkward cases: missing keys, wrong types, arrays, nulls, fractions, nesting.</summary>
    private static Payload RandomPayload(Random random)
    {
        var fields = new Dictionary<string, object?>();
        if (random.Next(5) > 0)
        {
            fields["color"] = random.Next(8) switch
            {
                0 => 7,
                1 => null,
                2 => new[] { Colors[random.Next(Colors.Length)], Colors[random.Next(Colors.Length)] },
                _ => Colors[random.Next(Colors.Length)],
            };
        }

        if (random.Next(5) > 0)
        {
            fields["size"] = random.Next(6) switch
            {
                0 => random.Next(10) + 0.5,
                1 => "big",
                2 => new[] { random.Next(10), random.Next(10) },
                _ => random.Next(10),
            };
        }

        fields["weight"] = random.NextDouble() * 100;
        if (random.Next(3) > 0)
        {
            fields["ok"] = random.Next(4) == 0 ? new[] { true, false } : random.Next(2) == 0;
        }

        fields["tags"] = Enumerable.Range(0, random.Next(3)).Select(_ => Colors[random.Next(3)]).ToArray();
        fields["meta"] = new Dictionary<string, object?> { ["kind"] = random.Next(2) == 0 ? "x" : "y" };
        return Payload.From(fields);
    }

    private static IEnumerable<Filter> RandomFilters(Random random, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var conditions = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => RandomCondition(random)).ToList();
            yield return random.Next(4) switch
            {
                0 => new Filter(Must: conditions),
                1 => new Filter(Should: conditions, MustNot: [RandomCondition(random)]),
                // An OR of ANDs: each AND intersects its listed parts without dropping what the others listed.
                2 => new Filter(Should: [new Filter(Must: conditions), new Filter(Must: [RandomCondition(random), RandomCondition(random)])]),
                _ => new Filter(Must: [conditions[0]], MustNot: conditions.Skip(1).ToList()),
            };
        }
    }

    private static Condition RandomCondition(Random random) => random.Next(12) switch
    {
        11 => new MatchExceptCondition("tags", [JsonSerializer.SerializeToElement(Colors[random.Next(3)]), JsonSerializer.SerializeToElement(Colors[random.Next(3)])]),
        0 => Conditions.Match("color", Colors[random.Next(Colors.Length)]),
        1 => Conditions.MatchAny("color", Colors[random.Next(Colors.Length)], Colors[random.Next(Colors.Length)]),
        2 => new MatchExceptCondition("color", [JsonSerializer.SerializeToElement(Colors[random.Next(Colors.Length)])]),
        3 => Conditions.Range("size", gte: random.Next(10), lt: random.Next(10) + 2),
        4 => Conditions.Match("size", random.Next(10)),
        5 => Conditions.Range("weight", gt: random.NextDouble() * 100),
        6 => Conditions.Match("ok", random.Next(2) == 0),
        7 => Conditions.Match("tags", Colors[random.Next(3)]),
        8 => Conditions.Match("meta.kind", "x"),
        9 => new IsEmptyCondition("color"),
        _ => new HasIdCondition(Enumerable.Range(0, 40).Select(_ => new PointId((ulong)random.Next(300))).ToHashSet()),
    };
}
