using VectorDb.Distance;
using VectorDb.Query;
using VectorDb.Querying;
using VectorDb.Sparse;

namespace VectorDb.Tests;

/// <summary>
/// The universal query against brute-force references on small data: prefetch and fusion (RRF, DBSF), rescoring,
/// MMR, recommend, discover, context, relevance feedback, order by, sample, and the stages' errors.
/// </summary>
public sealed class UniversalQueryTests
{
    private const int Points = 300;

    private static CollectionOptions Options() => new()
    {
        Dimensions = 6,
        Distance = DistanceMetric.Euclid,
        NamedVectors = new Dictionary<string, DenseVectorOptions> { ["text"] = new() { Dimensions = 8, Distance = DistanceMetric.Cosine } },
        SparseVectors = new Dictionary<string, SparseVectorOptions> { ["words"] = new() },
    };

    private static float[] Dense(Random random, int length) => [.. Enumerable.Range(0, length).Select(_ => (float)random.NextDouble() - 0.5f)];

    private static Point PointFor(int i)
    {
        var random = new Random(i);
        var words = SparseVector.Create([(uint)(i % 13), (uint)(20 + (i % 7)), 99], [1f + (i % 3), 0.5f + (i % 2), i / 300f]);
        return new Point((ulong)i, Dense(random, 6), Payload.Parse($$"""{"group": {{i % 4}}, "rank": {{(i * 7) % 50}}}"""))
        {
            NamedVectors = new Dictionary<string, float[]> { ["text"] = Dense(random, 8) },
            SparseVectors = new Dictionary<string, SparseVector> { ["words"] = words },
        };
    }

    private static (VectorDatabase Database, Collection Collection, List<Point> Points) Create()
    {
        var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("q", Options());
        var points = Enumerable.Range(0, Points).Select(PointFor).ToList();
        collection.Upsert(points);
        return (database, collection, points);
    }

    private static float Cosine(float[] a, float[] b) => VectorMath.Dot(a, b) / (VectorMath.Norm(a) * VectorMath.Norm(b));

    private static float NegativeSquaredL2(float[] a, float[] b) => -VectorMath.SquaredEuclidean(a, b);

    private static PointQuery Nearest(float[] vector, string vector_name = "", int limit = 10, Filter? filter = null) =>
        new() { Query = new NearestQuery(VectorInput.Of(vector)), Using = vector_name, Limit = limit, Filter = filter, Exact = true };

    private static PointQuery Sparse(SparseVector vector, int limit = 10) => new() { Query = new NearestQuery(VectorInput.Of(vector)), Using = "words", Limit = limit };

    [Fact]
    public void Rrf_matches_qdrants_worked_example()
    {
        List<Hit> List(params int[] nodes) => [.. nodes.Select(n => new Hit(n, 0))];
        var fused = Fusion.Rrf([List(2, 1), List(1, 2, 3), List(5, 3, 1)], Fusion.DefaultRrfK, null);

        Assert.Equal([1, 2, 3, 5], fused.Select(h => h.Node));
        Assert.Equal([1.0833334f, 0.8333334f, 0.5833334f, 0.5f], fused.Select(h => h.Score));
    }

    [Fact]
    public void Dbsf_maps_three_sigma_to_the_unit_range_and_a_single_hit_to_a_half()
    {
        var fused = Fusion.Dbsf([[new Hit(1, 3), new Hit(2, 1), new Hit(3, 2)], [new Hit(2, 10)]]);

        // mean 2, sample σ 1: 3 → (3 − (−1)) / 6, 1 → 2/6, 2 → 3/6; the lone hit of the second list adds 0.5.
        Assert.Equal([2, 1, 3], fused.Select(h => h.Node));
        Assert.Equal(2f / 6 + 0.5f, fused[0].Score, 5);
        Assert.Equal(4f / 6, fused[1].Score, 5);
        Assert.Equal(3f / 6, fused[2].Score, 5);
    }

    [Fact]
    public void Hybrid_rrf_of_a_dense_and_a_sparse_prefetch_fuses_the_ranks_of_their_own_results()
    {
        var (database, collection, _) = Create();
        using var _ = database;
        var probe = PointFor(10_000);
        var dense = Nearest(probe.NamedVectors!["text"], "text", limit: 20);
        var sparse = Sparse(probe.SparseVectors!["words"], limit: 20);

        var denseHits = collection.Query(dense).Select(h => h.Id).ToList();
        var sparseHits = collection.Query(sparse).Select(h => h.Id).ToList();
        var fused = collection.Query(new PointQuery { Prefetch = [dense, sparse], Query = new FusionQuery(FusionMethod.Rrf, K: 60, Weights: [1f, 2f]), Limit = 10 });

        var expected = denseHits.Select((id, rank) => (id, score: 1f / (((rank + 1) / 1f) + 59)))
            .Concat(sparseHits.Select((id, rank) => (id, score: 1f / (((rank + 1) / 2f) + 59))))
            .GroupBy(x => x.id).Select(g => (g.Key, Score: g.Sum(x => x.score))).OrderByDescending(x => x.Score).Take(10).ToList();
        Assert.Equal(expected.Select(x => x.Score), fused.Select(h => h.Score), new ToleranceComparer(1e-6f));
        Assert.Equal(expected.Select(x => x.Key).ToHashSet(), fused.Select(h => h.Id).ToHashSet());
    }

    [Fact]
    public void Dbsf_ranks_euclid_distances_the_right_way_round()
    {
        var (database, collection, points) = Create();
        using var _ = database;
        var query = points[17].Vector!;

        // One leg, on a Euclid vector: the point itself (distance 0) must come first after fusion.
        var fused = collection.Query(new PointQuery { Prefetch = [Nearest(query, limit: 5), Nearest(query, limit: 5)], Query = new FusionQuery(FusionMethod.Dbsf), Limit = 5 });

        Assert.Equal(new PointId(17), fused[0].Id);
        Assert.True(fused[0].Score >= fused[^1].Score);
    }

    [Fact]
    public void A_nearest_query_over_prefetches_rescores_only_their_points_exactly()
    {
        var (database, collection, points) = Create();
        using var _ = database;
        var probe = PointFor(20_000);
        var prefetch = Sparse(probe.SparseVectors!["words"], limit: 40);
        var candidates = collection.Query(prefetch).Select(h => h.Id).ToHashSet();

        var hits = collection.Query(new PointQuery { Prefetch = [prefetch], Query = new NearestQuery(VectorInput.Of(probe.Vector!)), Limit = 7 });

        var expected = points.Where(p => candidates.Contains(p.Id))
            .Select(p => (p.Id, Distance: MathF.Sqrt(VectorMath.SquaredEuclidean(p.Vector!, probe.Vector!)))).OrderBy(x => x.Distance).Take(7).ToList();
        Assert.Equal(expected.Select(x => x.Id), hits.Select(h => h.Id));
        Assert.Equal(expected.Select(x => x.Distance), hits.Select(h => h.Score), new ToleranceComparer(1e-4f));
    }

    [Fact]
    public void An_outer_filter_applies_to_every_prefetch_and_its_threshold_to_its_own_scores()
    {
        var (database, collection, _) = Create();
        using var _ = database;
        var probe = PointFor(30_000);
        var group2 = new Filter(Must: [new MatchValueCondition("group", System.Text.Json.JsonDocument.Parse("2").RootElement)]);
        var query = new PointQuery { Prefetch = [Sparse(probe.SparseVectors!["words"], limit: 50)], Query = new NearestQuery(VectorInput.Of(probe.Vector!)), Filter = group2, Limit = 50 };

        var hits = collection.Query(query, new QueryOptions { WithPayload = true });

        Assert.NotEmpty(hits);
        Assert.All(hits, h => Assert.Equal(2, h.Payload!.Root.GetProperty("group").GetInt32()));
        float threshold = hits[hits.Count / 2].Score;
        var kept = collection.Query(query with { ScoreThreshold = threshold });
        Assert.All(kept, h => Assert.True(h.Score <= threshold)); // Euclid: a ceiling
        Assert.Equal(hits.Count(h => h.Score <= threshold), kept.Count);
    }

    [Fact]
    public void Mmr_matches_a_brute_force_greedy_selection()
    {
        var (database, collection, points) = Create();
        using var _ = database;
        var query = PointFor(40_000).NamedVectors!["text"];
        var stage = Nearest(query, "text", limit: 8) with { Query = new NearestQuery(VectorInput.Of(query)) { Mmr = new MmrOptions(0.6f, 40) } };

        var hits = collection.Query(stage);

        var unit = points.ToDictionary(p => p.Id, p => p.NamedVectors!["text"]);
        var candidates = unit.OrderByDescending(p => Cosine(p.Value, query)).Take(40).Select(p => p.Key).ToList();
        var picked = new List<PointId>();
        while (picked.Count < 8)
        {
            var next = candidates.Where(c => !picked.Contains(c))
                .MaxBy(c => picked.Count == 0 ? Cosine(unit[c], query) : (0.4f * Cosine(unit[c], query)) - (0.6f * picked.Max(p => Cosine(unit[c], unit[p]))));
            picked.Add(next);
        }

        Assert.Equal(picked, hits.Select(h => h.Id));
        Assert.Equal(picked.Select(id => Cosine(unit[id], query)), hits.Select(h => h.Score), new ToleranceComparer(1e-4f));
    }

    [Fact]
    public void Coverage_selection_matches_a_brute_force_greedy_facility_location()
    {
        var (database, collection, points) = Create();
        using var _ = database;
        var query = PointFor(45_000).NamedVectors!["text"];
        var stage = Nearest(query, "text", limit: 6) with { Query = new NearestQuery(VectorInput.Of(query)) { Coverage = new CoverageOptions(30) } };

        var hits = collection.Query(stage);

        var unit = points.ToDictionary(p => p.Id, p => p.NamedVectors!["text"]);
        var candidates = unit.OrderByDescending(p => Cosine(p.Value, query)).Take(30).Select(p => p.Key).ToList();
        var picked = new List<PointId>();
        while (picked.Count < 6)
        {
            picked.Add(candidates.Where(c => !picked.Contains(c))
                .MaxBy(x => candidates.Sum(c => Math.Max(picked.Count == 0 ? -1e9 : picked.Max(p => Cosine(unit[c], unit[p])), Cosine(unit[c], unit[x])))));
        }

        Assert.Equal(picked, hits.Select(h => h.Id));
        Assert.Equal(picked.Select(id => Cosine(unit[id], query)), hits.Select(h => h.Score), new ToleranceComparer(1e-4f));
        Assert.Throws<InvalidRequestException>(() => collection.Query(stage with { Query = new NearestQuery(VectorInput.Of(query)) { Coverage = new(), Mmr = new() } }));
    }

    [Fact]
    public void Recommend_strategies_match_brute_force_and_leave_their_examples_out()
    {
        var (database, collection, points) = Create();
        using var _ = database;
        PointId[] positive = [3, 50], negative = [7];
        var text = points.ToDictionary(p => p.Id, p => p.NamedVectors!["text"]);

        foreach (var strategy in new[] { RecommendStrategy.BestScore, RecommendStrategy.SumScores })
        {
            var query = new RecommendQuery([.. positive.Select(VectorInput.Of)], [.. negative.Select(VectorInput.Of)], strategy);
            var hits = collection.Query(new PointQuery { Query = query, Using = "text", Exact = true, Limit = 10 });

            float Score(float[] v)
            {
                float[] p = [.. positive.Select(id => Cosine(text[id], v))], n = [.. negative.Select(id => Cosine(text[id], v))];
                return strategy == RecommendStrategy.BestScore
                    ? (p.Max() > n.Max() ? 0.5f * ((p.Max() / (1 + MathF.Abs(p.Max()))) + 1) : -0.5f * ((n.Max() / (1 + MathF.Abs(n.Max()))) + 1))
                    : p.Sum() - n.Sum();
            }

            var expected = text.Where(p => !positive.Contains(p.Key) && !negative.Contains(p.Key)).Select(p => (p.Key, Score: Score(p.Value)))
                .OrderByDescending(x => x.Score).Take(10).ToList();
            Assert.Equal(expected.Select(x => x.Key), hits.Select(h => h.Id));
            Assert.Equal(expected.Select(x => x.Score), hits.Select(h => h.Score), new ToleranceComparer(1e-4f));

            // Without `exact`, candidates come from the positive examples' neighbourhoods: on 300 points they hold the top.
            var approximate = collection.Query(new PointQuery { Query = query, Using = "text", Limit = 10, Ef = 300 });
            Assert.Equal(expected.Select(x => x.Key), approximate.Select(h => h.Id));
        }

        var average = collection.Query(new PointQuery { Query = new RecommendQuery([.. positive.Select(VectorInput.Of)], [.. negative.Select(VectorInput.Of)]), Using = "text", Exact = true, Limit = 5 });
        float[] target = [.. Enumerable.Range(0, 8).Select(d => (2 * (Normal(text[3])[d] + Normal(text[50])[d]) / 2) - Normal(text[7])[d])];
        var reference = collection.Query(Nearest(target, "text", limit: 8)).Where(h => !positive.Contains(h.Id) && !negative.Contains(h.Id)).Take(5);
        Assert.Equal(reference.Select(h => h.Id), average.Select(h => h.Id));
    }

    private static float[] Normal(float[] v)
    {
        float norm = VectorMath.Norm(v);
        return [.. v.Select(x => x / norm)];
    }

    [Fact]
    public void Discover_and_context_match_brute_force()
    {
        var (database, collection, points) = Create();
        using var _ = database;
        var v = points.ToDictionary(p => p.Id, p => p.Vector!);
        (PointId Positive, PointId Negative)[] pairs = [(1, 2), (30, 40)];
        var contextPairs = pairs.Select(p => new ContextPair(VectorInput.Of(p.Positive), VectorInput.Of(p.Negative))).ToList();
        var examples = pairs.SelectMany(p => new[] { p.Positive, p.Negative }).Append(new PointId(9)).ToHashSet();
        var others = v.Where(p => !examples.Contains(p.Key)).ToList();

        var discover = collection.Query(new PointQuery { Query = new DiscoverQuery(VectorInput.Of(new PointId(9)), contextPairs), Exact = true, Limit = 10 });
        var expected = others.Select(p => (p.Key, Score: pairs.Sum(pair => Math.Sign(NegativeSquaredL2(v[pair.Positive], p.Value).CompareTo(NegativeSquaredL2(v[pair.Negative], p.Value))))
                + ExampleScores.ScaledFastSigmoid(NegativeSquaredL2(v[9], p.Value))))
            .OrderByDescending(x => x.Score).ThenBy(x => x.Key).Take(10).ToList();
        Assert.Equal(expected.Select(x => x.Score), discover.Select(h => h.Score), new ToleranceComparer(1e-4f));

        var context = collection.Query(new PointQuery { Query = new ContextQuery(contextPairs), Exact = true, Limit = 300 });
        var expectedContext = v.Where(p => !pairs.Any(pair => pair.Positive == p.Key || pair.Negative == p.Key))
            .Select(p => pairs.Sum(pair => ExampleScores.FastSigmoid(MathF.Min(NegativeSquaredL2(v[pair.Positive], p.Value) - NegativeSquaredL2(v[pair.Negative], p.Value) - float.Epsilon, 0f))))
            .OrderByDescending(s => s).ToList();
        Assert.Equal(expectedContext, context.Select(h => h.Score), new ToleranceComparer(1e-4f));
    }

    [Fact]
    public void Relevance_feedback_scores_pairs_of_judged_examples()
    {
        var (database, collection, points) = Create();
        using var _ = database;
        var v = points.ToDictionary(p => p.Id, p => p.NamedVectors!["text"]);
        var hits = collection.Query(new PointQuery
        {
            Query = new RelevanceFeedbackQuery(VectorInput.Of(new PointId(5)), [new(VectorInput.Of(new PointId(6)), 0.9f), new(VectorInput.Of(new PointId(8)), 0.1f)], 1f, 2f, 0.5f),
            Using = "text",
            Exact = true,
            Limit = 5,
        });

        var expected = v.Where(p => p.Key.Number is not (5 or 6 or 8))
            .Select(p => (p.Key, Score: Cosine(v[5], p.Value) + (MathF.Pow(0.8f, 2f) * 0.5f * (Cosine(v[6], p.Value) - Cosine(v[8], p.Value)))))
            .OrderByDescending(x => x.Score).Take(5).ToList();
        Assert.Equal(expected.Select(x => x.Key), hits.Select(h => h.Id));
    }

    [Fact]
    public void Order_by_sample_and_no_query_return_points_scored_one()
    {
        var (database, collection, _) = Create();
        using var _ = database;
        collection.CreatePayloadIndex("rank", PayloadSchemaType.Integer);

        var ordered = collection.Query(new PointQuery { Query = new OrderByQuery(new ScrollOrder("rank", Descending: true)), Limit = 20 }, new QueryOptions { WithPayload = true });
        Assert.Equal(20, ordered.Count);
        Assert.All(ordered, h => Assert.Equal(1f, h.Score));
        Assert.Equal(ordered.Select(h => h.OrderValue!.Value).OrderDescending(), ordered.Select(h => h.OrderValue!.Value));
        Assert.Equal(49, ordered[0].OrderValue);

        var byId = collection.Query(new PointQuery { Limit = 5 }, new QueryOptions { Offset = 3 });
        Assert.Equal([3UL, 4, 5, 6, 7], byId.Select(h => h.Id.Number));

        var sample = collection.Query(new PointQuery { Query = new SampleQuery(), Limit = 50 });
        Assert.Equal(50, sample.Select(h => h.Id).Distinct().Count());

        // Ordered among a prefetch's points only: points 0…11, ranks (7i) mod 50, highest first, ties by lower point.
        var orderedAmong = collection.Query(new PointQuery { Prefetch = [new PointQuery { Limit = 12 }], Query = new OrderByQuery(new ScrollOrder("rank", Descending: true)), Limit = 4 });
        var expectedOrder = Enumerable.Range(0, 12).Select(i => (Id: (ulong)i, Rank: (7 * i) % 50)).OrderByDescending(x => x.Rank).ThenBy(x => x.Id).Take(4).ToList();
        Assert.Equal(expectedOrder.Select(x => x.Id), orderedAmong.Select(h => h.Id.Number));
        Assert.Equal(expectedOrder.Select(x => (double)x.Rank), orderedAmong.Select(h => h.OrderValue!.Value));

        // Sampled among a prefetch's points only.
        var prefetch = new PointQuery { Limit = 12 };
        var sampledAmong = collection.Query(new PointQuery { Prefetch = [prefetch], Query = new SampleQuery(), Limit = 30 });
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (ulong)i).ToHashSet(), sampledAmong.Select(h => h.Id.Number).ToHashSet());
    }

    [Fact]
    public void Groups_hold_the_best_hits_per_value_and_come_by_their_best_hit()
    {
        var (database, collection, points) = Create();
        using var _ = database;
        var query = PointFor(60_000).NamedVectors!["text"];
        var stage = Nearest(query, "text", limit: 3);
        Assert.Contains("group_by", Assert.Throws<InvalidRequestException>(() => collection.QueryGroups(stage, "group", 2)).Message, StringComparison.Ordinal);
        collection.CreatePayloadIndex("group", PayloadSchemaType.Integer);

        var groups = collection.QueryGroups(stage, "group", 2);

        var ranked = points.OrderByDescending(p => Cosine(p.NamedVectors!["text"], query)).ToList();
        var expected = ranked.GroupBy(p => (long)(p.Id.Number % 4)).Take(3).Select(g => (g.Key, Ids: g.Take(2).Select(p => p.Id).ToList())).ToList();
        Assert.Equal(expected.Select(g => g.Key), groups.Select(g => g.Id.Number));
        Assert.Equal(expected.Select(g => g.Ids), groups.Select(g => g.Hits.Select(h => h.Id).ToList()));

        // Groups that a first round cannot fill are filled by wider ones: 4 groups of 40 need most of the 300 points.
        var large = collection.QueryGroups(stage with { Limit = 4 }, "group", 40);
        Assert.Equal(4, large.Count);
        Assert.All(large, g => Assert.Equal(40, g.Hits.Count));
    }

    [Fact]
    public void A_relevance_cutoff_keeps_the_hits_among_the_fraction_of_the_collection_nearest_the_query()
    {
        var (database, collection, _) = Create();
        using var _ = database;
        var query = PointFor(70_000).NamedVectors!["text"];

        // 300 points fit in the sample, so the estimate is exact: 10 % of 300 points is 30.
        var hits = collection.Query(Nearest(query, "text", limit: 300) with { Cutoff = new RelevanceCutoff(0.1) }, new QueryOptions { Explain = true });
        Assert.Equal(30, hits.Count);
        Assert.Equal(collection.Query(Nearest(query, "text", limit: 30)).Select(h => h.Id), hits.Select(h => h.Id));
        Assert.Contains("cut off at", hits.Explain!.Stage, StringComparison.Ordinal);
        Assert.Equal(5, collection.Query(Nearest(query, "text", limit: 5) with { Cutoff = new RelevanceCutoff(1) }).Count);

        Assert.Throws<InvalidRequestException>(() => collection.Query(Nearest(query, "text") with { Cutoff = new RelevanceCutoff(0) }));
        Assert.Throws<InvalidRequestException>(() => collection.Query(new PointQuery { Prefetch = [Nearest(query, "text")], Query = new FusionQuery(FusionMethod.Rrf), Cutoff = new RelevanceCutoff(0.5) }));
    }

    [Fact]
    public void A_formula_rescores_prefetched_points_by_scores_payload_values_and_conditions()
    {
        var (database, collection, points) = Create();
        using var _ = database;
        var query = PointFor(80_000).NamedVectors!["text"];
        var dense = Nearest(query, "text", limit: 40);
        var sparse = Sparse(PointFor(80_000).SparseVectors!["words"], limit: 40);
        var denseScores = collection.Query(dense).ToDictionary(h => h.Id, h => (double)h.Score);
        var sparseScores = collection.Query(sparse).ToDictionary(h => h.Id, h => (double)h.Score);

        // $score + 0.1 · rank + (group = 2) · 0.5 + exp_decay(rank; target 20, scale 10) − $score[1]
        var formula = new OperationTerm(FormulaOperator.Sum,
        [
            new VariableTerm("$score"),
            new OperationTerm(FormulaOperator.Mult, [new ConstantTerm(0.1), new VariableTerm("rank")]),
            new OperationTerm(FormulaOperator.Mult, [new ConditionTerm(new MatchValueCondition("group", System.Text.Json.JsonDocument.Parse("2").RootElement)), new ConstantTerm(0.5)]),
            new DecayTerm(DecayKind.Exponential, new VariableTerm("rank"), new ConstantTerm(20), Scale: 10),
            new OperationTerm(FormulaOperator.Neg, [new VariableTerm("$score[1]")]),
        ]);
        var hits = collection.Query(new PointQuery { Prefetch = [dense, sparse], Query = new FormulaQuery(formula), Limit = 300 });

        var payloads = points.ToDictionary(p => p.Id, p => p.Payload!.Root);
        var expected = denseScores.Keys.Union(sparseScores.Keys).Select(id =>
        {
            int rank = payloads[id].GetProperty("rank").GetInt32();
            double score = denseScores.GetValueOrDefault(id) + (0.1 * rank) + (payloads[id].GetProperty("group").GetInt32() == 2 ? 0.5 : 0)
                + Math.Exp(Math.Log(0.5) / 10 * Math.Abs(rank - 20)) - sparseScores.GetValueOrDefault(id);
            return (Id: id, Score: (float)score);
        }).OrderByDescending(x => x.Score).ToList();
        Assert.Equal(expected.Select(x => x.Score), hits.Select(h => h.Score), new ToleranceComparer(1e-5f));

        var missing = new PointQuery { Prefetch = [dense], Query = new FormulaQuery(new VariableTerm("nope")) };
        Assert.Contains("nope", Assert.Throws<InvalidRequestException>(() => collection.Query(missing)).Message, StringComparison.Ordinal);
        var defaulted = collection.Query(missing with { Query = new FormulaQuery(new VariableTerm("nope"), new Dictionary<string, System.Text.Json.JsonElement> { ["nope"] = System.Text.Json.JsonDocument.Parse("3").RootElement }) });
        Assert.All(defaulted, h => Assert.Equal(3f, h.Score));
        Assert.Throws<InvalidRequestException>(() => collection.Query(missing with { Query = new FormulaQuery(new OperationTerm(FormulaOperator.Div, [new ConstantTerm(1), new ConstantTerm(0)])) }));
        Assert.All(collection.Query(missing with { Query = new FormulaQuery(new OperationTerm(FormulaOperator.Div, [new ConstantTerm(1), new ConstantTerm(0)], ByZeroDefault: 7)) }), h => Assert.Equal(7f, h.Score));
        Assert.Throws<InvalidRequestException>(() => collection.Query(missing with { Query = new FormulaQuery(new VariableTerm("$score[3]")) }));
        Assert.Throws<InvalidRequestException>(() => collection.Query(new PointQuery { Query = new FormulaQuery(new ConstantTerm(1)) }));
    }

    [Fact]
    public void Explain_shows_every_stage_and_its_plan()
    {
        var (database, collection, _) = Create();
        using var _ = database;
        var probe = PointFor(50_000);
        var results = collection.Query(
            new PointQuery { Prefetch = [Nearest(probe.NamedVectors!["text"], "text", limit: 20) with { Exact = false }, Sparse(probe.SparseVectors!["words"], limit: 20)], Query = new FusionQuery(FusionMethod.Rrf), Limit = 5 },
            new QueryOptions { Explain = true });

        var explain = results.Explain!;
        Assert.Equal("rrf k=2", explain.Stage);
        Assert.Equal(5, explain.Returned);
        Assert.Equal(2, explain.Prefetch.Count);
        Assert.Equal("text", explain.Prefetch[0].Using);
        Assert.NotNull(explain.Prefetch[0].Search);
        Assert.Equal(20, explain.Prefetch[1].Returned);
    }

    [Fact]
    public void Malformed_stages_are_refused_by_name()
    {
        var (database, collection, _) = Create();
        using var _ = database;
        var leg = Nearest([1, 0, 0, 0, 0, 0]);

        void Refused(PointQuery query, string expected) =>
            Assert.Contains(expected, Assert.Throws<InvalidRequestException>(() => collection.Query(query)).Message, StringComparison.Ordinal);

        Refused(new PointQuery { Query = new FusionQuery(FusionMethod.Rrf) }, "at least one `prefetch`");
        Refused(new PointQuery { Prefetch = [leg] }, "A query is needed");
        Refused(new PointQuery { Prefetch = [leg, leg], Query = new FusionQuery(FusionMethod.Rrf, Weights: [1f]) }, "rrf.weights");
        Refused(new PointQuery { Prefetch = [leg], Query = new FusionQuery(FusionMethod.Rrf), Using = "text" }, "using");
        Refused(new PointQuery { Query = new RecommendQuery([], [VectorInput.Of(new PointId(1))]) }, "positive example");
        Refused(new PointQuery { Query = new SampleQuery(), ScoreThreshold = 0.5f }, "score_threshold");
        Refused(new PointQuery { Prefetch = [leg], Query = new NearestQuery(VectorInput.Of(new float[6])), Ef = 64 }, "hnsw_ef");
        Refused(Nearest([1, 2, 3, 4, 5, 6]) with { Query = new NearestQuery(VectorInput.Of(new float[] { 1, 2, 3, 4, 5, 6 })) { Mmr = new MmrOptions(1.5f) } }, "diversity");

        Refused(new PointQuery { Query = new SampleQuery(), Exact = true }, "params");
        Refused(new PointQuery { Query = new OrderByQuery(new ScrollOrder("rank")), Using = "text" }, "using");
        Assert.Throws<InvalidRequestException>(() => collection.Query(leg with { Limit = 9_000 }, new QueryOptions { Offset = 2_000 }));
        Refused(new PointQuery { Query = new RelevanceFeedbackQuery(VectorInput.Of(new float[] { 1, 0, 0, 0, 0, 0 }), [new(VectorInput.Of(new float[] { 0, 1, 0, 0, 0, 0 }), 1), new(VectorInput.Of(new float[] { 0, 0, 1, 0, 0, 0 }), 0)], float.PositiveInfinity, 1, 1) }, "finite");

        var deep = leg;
        for (int i = 0; i < Collection.MaxPrefetchDepth; i++)
        {
            deep = new PointQuery { Prefetch = [deep], Query = new NearestQuery(VectorInput.Of(new float[] { 1, 0, 0, 0, 0, 0 })) };
        }

        Refused(deep, "at most 64 levels");
        Assert.Throws<NotFoundException>(() => collection.Query(new PointQuery { Query = new NearestQuery(VectorInput.Of(new PointId(99_999))) }));
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => MathF.Abs(x - y) <= tolerance * Math.Max(1f, MathF.Abs(x));

        public int GetHashCode(float obj) => 0;
    }
}
