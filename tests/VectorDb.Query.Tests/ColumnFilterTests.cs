using System.Text.Json;
using VectorDb.Hnsw;
using VectorDb.Query.PayloadIndexing;

namespace VectorDb.Query.Tests;

/// <summary>A column filter must accept exactly the nodes its predicate matches, whatever the payloads hold.</summary>
public sealed class ColumnFilterTests
{
    private static readonly string[] Labels = ["a", "b", "c", "d"];

    [Fact]
    public void Keyword_and_range_columns_agree_with_their_predicates_on_every_node()
    {
        using var graph = new HnswIndex(2, DistanceMetric.Euclid);
        using var indexes = new PayloadIndexSet(graph);
        indexes.Create("label", PayloadSchemaType.Keyword, []);
        indexes.Create("n", PayloadSchemaType.Integer, []);
        indexes.Create("x", PayloadSchemaType.Float, []);
        var random = new Random(11);
        var payloads = new List<Payload>();
        AddPoints(indexes, payloads, random, 400);

        Condition[] conditions =
        [
            Match("label", "a"),
            new MatchAnyCondition("label", [Json("\"b\""), Json("\"d\"")]),
            new MatchValueCondition("n", Json("3")),
            new RangeCondition("n", Gt: 2, Lt: 6),
            new RangeCondition("n", Gte: 2, Lte: 6),
            new RangeCondition("x", Gt: 0),
            new RangeCondition("x", Lte: -0.0),
            new RangeCondition("x", Gte: 0.25, Lt: 0.5),
        ];

        foreach (var condition in conditions)
        {
            var predicate = Compile(indexes, condition);
            foreach (var tested in new NodePredicate[] { predicate, new NotPredicate(predicate) })
            {
                var column = tested.AsColumnFilter();
                Assert.True(column.HasValue, $"{condition} has no column filter");

                // Values changed after the column was read are seen, and points added after it (the column may grow
                // into a new array) are answered too.
                for (int node = 0; node < 40; node++)
                {
                    var next = RandomPayload(random);
                    indexes.Update(node, payloads[node], next);
                    payloads[node] = next;
                }

                AddPoints(indexes, payloads, random, 300);

                for (int node = 0; node < payloads.Count; node++)
                {
                    Assert.True(tested.Matches(node) == column.Value.Accept(node), $"{condition}, negated: {tested is NotPredicate}, node {node}: {payloads[node]}");
                }
            }
        }
    }

    [Fact]
    public void Keyword_values_are_checked_in_a_window_of_64_ids()
    {
        using var graph = new HnswIndex(2, DistanceMetric.Euclid);
        using var indexes = new PayloadIndexSet(graph);
        indexes.Create("label", PayloadSchemaType.Keyword, []);
        for (int node = 0; node < 200; node++)
        {
            indexes.Add(node, Payload.FromObject(new { label = $"v{node % 150}" }));
        }

        NodePredicate[] windowed =
        [
            Compile(indexes, Match("label", "v140")),
            Compile(indexes, new MatchAnyCondition("label", [Json("\"v70\""), Json("\"v133\""), Json("\"v71\"")])),
            new NotPredicate(Compile(indexes, Match("label", "v99"))),
        ];
        foreach (var predicate in windowed)
        {
            var column = predicate.AsColumnFilter();
            Assert.True(column.HasValue);
            for (int node = 0; node < 200; node++)
            {
                Assert.Equal(predicate.Matches(node), column.Value.Accept(node));
            }
        }

        Assert.Null(Compile(indexes, new MatchAnyCondition("label", [Json("\"v0\""), Json("\"v64\"")])).AsColumnFilter());
    }

    private static void AddPoints(PayloadIndexSet indexes, List<Payload> payloads, Random random, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var payload = RandomPayload(random);
            indexes.Add(payloads.Count, payload);
            payloads.Add(payload);
        }
    }

    /// <summary>Single values, several values, none, null, wrong types, and the boundaries of the ranges tested.</summary>
    private static Payload RandomPayload(Random random)
    {
        object Label() => random.Next(8) switch
        {
            0 => new[] { Labels[random.Next(4)], Labels[random.Next(4)] },
            1 => 5,
            _ => Labels[random.Next(4)],
        };

        object? Number() => random.Next(8) switch
        {
            0 => new[] { random.Next(8), random.Next(8) },
            1 => "3",
            2 => null,
            _ => random.Next(8),
        };

        object? Float() => random.Next(8) switch
        {
            0 => new[] { random.NextDouble() - 0.5, 0.25 },
            1 => -0.0,
            2 => 0.0,
            3 => 0.25,
            4 => 0.5,
            _ => random.NextDouble() - 0.5,
        };

        var fields = new Dictionary<string, object?>();
        if (random.Next(10) > 0)
        {
            fields["label"] = Label();
        }

        if (random.Next(10) > 0)
        {
            fields["n"] = Number();
        }

        if (random.Next(10) > 0)
        {
            fields["x"] = Float();
        }

        return Payload.FromObject(fields);
    }

    private static IndexedPredicate Compile(PayloadIndexSet indexes, Condition condition) =>
        indexes.Find(condition switch { MatchValueCondition c => c.Key, MatchAnyCondition c => c.Key, RangeCondition c => c.Key, _ => "" })!.TryCompile(condition)!;

    private static MatchValueCondition Match(string key, string value) => new(key, Json(JsonSerializer.Serialize(value)));

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
