using System.Text.Json;

namespace VectorDb.Server.Tests;

/// <summary>Qdrant's universal query over REST: prefetch trees, fusion, every kind of query, lookup_from and their errors.</summary>
public sealed class UniversalQueryApiTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static string Error(JsonElement body) => body.GetProperty("status").GetProperty("error").GetString()!;

    private static List<int> Ids(JsonElement body) =>
        [.. body.GetProperty("result").GetProperty("points").EnumerateArray().Select(p => p.GetProperty("id").GetInt32())];

    /// <summary>Eight recipes and how-tos with a text vector, a BM25 gloss and a rank.</summary>
    private async Task CreateAsync(string name)
    {
        await _client.SendAsync(HttpMethod.Delete, $"/collections/{name}");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}", """
            {"vectors": {"text": {"size": 3, "distance": "Cosine"}, "pos": {"size": 2, "distance": "Euclid"}}, "sparse_vectors": {"bm25": {"modifier": "idf"}}}
            """);
        Assert.True(status == 200, body.ToString());
        string[] glosses = ["chocolate chip cookies", "chocolate cake with cherries", "change a bicycle tyre", "bake bread at home", "fix a flat tyre fast", "cherry pie recipe", "oil a bicycle chain", "cookies without sugar"];
        var points = glosses.Select((gloss, i) => new
        {
            id = i + 1,
            vector = new Dictionary<string, object>
            {
                ["text"] = new[] { MathF.Cos(i * 0.4f), MathF.Sin(i * 0.4f), 0.1f * i },
                ["pos"] = new[] { (float)i, 0f },
                ["bm25"] = new { text = gloss, model = "qdrant/bm25" },
            },
            payload = new { kind = i % 2 == 0 ? "recipe" : "howto", rank = 10 * ((i * 3) % 8) },
        });
        (status, body) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}/points?wait=true", JsonSerializer.Serialize(new { points }));
        Assert.True(status == 200, body.ToString());
        (status, _) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}/index?wait=true", """{"field_name": "rank", "field_schema": "integer"}""");
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Hybrid_search_fuses_a_dense_and_a_bm25_prefetch()
    {
        await CreateAsync("uq-hybrid");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-hybrid/points/query", """
            {"prefetch": [
               {"query": [1, 0.2, 0], "using": "text", "limit": 4},
               {"query": {"text": "bicycle tyre", "model": "qdrant/bm25"}, "using": "bm25", "limit": 4}],
             "query": {"fusion": "rrf"}, "limit": 3, "params": {"explain": true}}
            """);
        Assert.True(status == 200, body.ToString());
        var ids = Ids(body);
        Assert.Equal(3, ids.Count);
        Assert.Contains(1, ids); // the dense leg's best
        Assert.Contains(3, ids); // the lexical leg's best ("change a bicycle tyre")
        var explain = body.GetProperty("result").GetProperty("explain");
        Assert.Equal("rrf k=2", explain.GetProperty("stage").GetString());
        Assert.Equal(2, explain.GetProperty("prefetch").GetArrayLength());
        Assert.Equal("bm25", explain.GetProperty("prefetch")[1].GetProperty("using").GetString());

        // Weighted RRF with Qdrant's formula: first places of weight 1 and 3 score 1/(1 + 1) and 1/(1/3 + 1).
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-hybrid/points/query", """
            {"prefetch": [{"query": [1, 0, 0], "using": "text", "limit": 1}, {"query": [7, 0], "using": "pos", "limit": 1}],
             "query": {"rrf": {"k": 2, "weights": [1, 3]}}}
            """);
        var hits = body.GetProperty("result").GetProperty("points");
        Assert.Equal(8, hits[0].GetProperty("id").GetInt32());
        Assert.Equal(0.75f, hits[0].GetProperty("score").GetSingle(), 5);
        Assert.Equal(0.5f, hits[1].GetProperty("score").GetSingle(), 5);

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-hybrid/points/query", """
            {"prefetch": [{"query": [1, 0, 0], "using": "text"}, {"query": [0, 0], "using": "pos"}], "query": {"fusion": "dbsf"}, "limit": 1}
            """);
        Assert.Equal([1], Ids(body)); // first of both legs (Euclid distance 0 fuses as the best, not the worst)
    }

    [Fact]
    public async Task Nested_prefetches_rescore_filter_and_threshold_as_qdrant()
    {
        await CreateAsync("uq-nested");
        // The outer filter reaches the prefetch; the outer query rescores its points by another vector.
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-nested/points/query", """
            {"prefetch": {"prefetch": {"query": [1, 0, 0], "using": "text", "limit": 6}, "query": [0, 1, 0], "using": "text", "limit": 4},
             "query": [0, 0], "using": "pos", "filter": {"must": [{"key": "kind", "match": {"value": "recipe"}}]}, "with_payload": true, "score_threshold": 4.5}
            """);
        Assert.True(status == 200, body.ToString());
        var points = body.GetProperty("result").GetProperty("points").EnumerateArray().ToList();
        Assert.NotEmpty(points);
        Assert.All(points, p => Assert.Equal("recipe", p.GetProperty("payload").GetProperty("kind").GetString()));
        Assert.All(points, p => Assert.True(p.GetProperty("score").GetSingle() <= 4.5f));
        Assert.Equal(points.Select(p => p.GetProperty("score").GetSingle()).Order(), points.Select(p => p.GetProperty("score").GetSingle()));
    }

    [Fact]
    public async Task Recommend_discover_context_and_feedback_leave_their_examples_out()
    {
        await CreateAsync("uq-examples");
        foreach (string strategy in new[] { "average_vector", "best_score", "sum_scores" })
        {
            var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-examples/points/query",
                $$$"""{"query": {"recommend": {"positive": [1, [1, 0.1, 0]], "negative": [5], "strategy": "{{{strategy}}}"}}, "using": "text", "limit": 3}""");
            Assert.True(status == 200, body.ToString());
            var ids = Ids(body);
            Assert.Equal(3, ids.Count);
            Assert.DoesNotContain(1, ids);
            Assert.DoesNotContain(5, ids);
        }

        var (_, discover) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-examples/points/query", """
            {"query": {"discover": {"target": [7, 0], "context": [{"positive": 6, "negative": 2}]}}, "using": "pos", "limit": 2}
            """);
        Assert.Equal([8, 7], Ids(discover)); // beyond 6 (away from 2), nearest to 7
        Assert.Equal(1.5f, discover.GetProperty("result").GetProperty("points")[0].GetProperty("score").GetSingle(), 4);

        var (_, context) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-examples/points/query", """
            {"query": {"context": {"positive": 8, "negative": 1}}, "using": "pos", "limit": 8}
            """);
        var scores = context.GetProperty("result").GetProperty("points").EnumerateArray().ToDictionary(p => p.GetProperty("id").GetInt32(), p => p.GetProperty("score").GetSingle());
        Assert.Equal(0f, scores[7]);
        Assert.True(scores[2] < 0);
        Assert.False(scores.ContainsKey(8));

        var (status2, feedback) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-examples/points/query", """
            {"query": {"relevance_feedback": {"target": [1, 0, 0], "feedback": [{"example": 2, "score": 1}, {"example": 6, "score": 0}], "strategy": {"naive": {"a": 1, "b": 1, "c": 1}}}}, "using": "text", "limit": 3}
            """);
        Assert.True(status2 == 200, feedback.ToString());
        Assert.DoesNotContain(2, Ids(feedback));
    }

    [Fact]
    public async Task Order_by_sample_mmr_and_no_query()
    {
        await CreateAsync("uq-order");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-order/points/query", """{"query": {"order_by": {"key": "rank", "direction": "desc"}}, "limit": 3}""");
        Assert.True(status == 200, body.ToString());
        var points = body.GetProperty("result").GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([70.0, 60, 50], points.Select(p => p.GetProperty("order_value").GetDouble()));
        Assert.All(points, p => Assert.Equal(1f, p.GetProperty("score").GetSingle()));

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-order/points/query", """{"query": {"sample": "random"}, "limit": 8}""");
        Assert.Equal(Enumerable.Range(1, 8), Ids(body).Order());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-order/points/query", """{"limit": 3, "offset": 2}""");
        Assert.Equal([3, 4, 5], Ids(body));

        // Full diversity picks the nearest first, then the candidate least like it.
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-order/points/query", """
            {"query": {"nearest": [0, 0], "mmr": {"diversity": 1, "candidates_limit": 8}}, "using": "pos", "limit": 2}
            """);
        Assert.Equal([1, 8], Ids(body));

        // A relevance cut-off (ours): the 8 points are the whole sample, so a quarter of them is exactly the nearest 2.
        (var cutoffStatus, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-order/points/query", """{"query": [0, 0], "using": "pos", "limit": 8, "params": {"cutoff": {"fraction": 0.25}}}""");
        Assert.True(cutoffStatus == 200, body.ToString());
        Assert.Equal([1, 2], Ids(body));

        // Coverage (ours): two picks that leave every one of the 8 points a close representative.
        (var status2, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-order/points/query", """
            {"query": [0, 0], "using": "pos", "limit": 2, "params": {"coverage": {"candidates_limit": 8}}}
            """);
        Assert.True(status2 == 200, body.ToString());
        // First the point most like all (x = 3: by negated squared distance it ties with x = 4, and the nearer wins), then
        // the one that most raises every point's best similarity to a pick (x = 6).
        Assert.Equal([4, 7], Ids(body));
        (status2, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-order/points/query", """{"query": {"sample": "random"}, "params": {"coverage": {}}}""");
        Assert.Equal(400, status2);
    }

    [Fact]
    public async Task Lookup_from_reads_examples_from_another_collection_and_keeps_them_eligible()
    {
        await CreateAsync("uq-lookup");
        await _client.SendAsync(HttpMethod.Delete, "/collections/uq-source");
        await _client.SendAsync(HttpMethod.Put, "/collections/uq-source", """{"vectors": {"size": 2, "distance": "Euclid"}}""");
        await _client.SendAsync(HttpMethod.Put, "/collections/uq-source/points?wait=true", """{"points": [{"id": 1, "vector": [2, 0]}]}""");

        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-lookup/points/query", """
            {"query": 1, "using": "pos", "lookup_from": {"collection": "uq-source", "vector": ""}, "limit": 2}
            """);
        Assert.True(status == 200, body.ToString());
        Assert.Equal(2, Ids(body).Count);
        Assert.Equal(3, Ids(body)[0]); // pos [2, 0] is point 3's; ids looked up elsewhere are not left out
    }

    [Fact]
    public async Task Query_groups_group_by_a_keyword_and_look_up_each_groups_point()
    {
        await CreateAsync("uq-groups");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-groups/points/query/groups", """{"query": [0, 0], "using": "pos", "group_by": "kind"}""");
        Assert.Equal(400, status);
        Assert.Contains("group_by", Error(body), StringComparison.Ordinal);
        await _client.SendAsync(HttpMethod.Put, "/collections/uq-groups/index?wait=true", """{"field_name": "kind", "field_schema": "keyword"}""");
        await _client.SendAsync(HttpMethod.Delete, "/collections/uq-kinds");
        await _client.SendAsync(HttpMethod.Put, "/collections/uq-kinds", """{"vectors": {"size": 1, "distance": "Dot"}}""");
        await _client.SendAsync(HttpMethod.Put, "/collections/uq-kinds/points?wait=true", """{"points": [{"id": "00000000-0000-0000-0000-000000000001", "vector": [1], "payload": {"title": "not a kind"}}]}""");

        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-groups/points/query/groups", """
            {"query": [2.2, 0], "using": "pos", "group_by": "kind", "group_size": 2, "limit": 2, "with_payload": ["kind"], "with_lookup": "uq-kinds"}
            """);
        Assert.True(status == 200, body.ToString());
        var groups = body.GetProperty("result").GetProperty("groups").EnumerateArray().ToList();
        Assert.Equal(["recipe", "howto"], groups.Select(g => g.GetProperty("id").GetString()));
        Assert.Equal([3, 5], groups[0].GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetInt32()));
        Assert.Equal([4, 2], groups[1].GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("id").GetInt32()));
        Assert.False(groups[0].TryGetProperty("lookup", out _)); // "recipe" is no point id of uq-kinds
    }

    [Fact]
    public async Task Facets_and_the_distance_matrix()
    {
        await CreateAsync("uq-explore");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-explore/facet", """{"key": "kind"}""");
        Assert.Equal(400, status);
        Assert.Contains("kind", Error(body), StringComparison.Ordinal);
        await _client.SendAsync(HttpMethod.Put, "/collections/uq-explore/index?wait=true", """{"field_name": "kind", "field_schema": "keyword"}""");
        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-explore/facet", """
            {"key": "kind", "exact": true, "filter": {"must_not": [{"has_id": [1]}]}}
            """);
        Assert.True(status == 200, body.ToString());
        var hits = body.GetProperty("result").GetProperty("hits").EnumerateArray().Select(h => (h.GetProperty("value").GetString(), h.GetProperty("count").GetInt32())).ToList();
        Assert.Equal([("howto", 4), ("recipe", 3)], hits);
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-explore/facet", """{"key": "rank", "limit": 2}""");
        Assert.Equal(2, body.GetProperty("result").GetProperty("hits").GetArrayLength());

        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-explore/points/search/matrix/pairs", """{"sample": 8, "limit": 1, "using": "pos"}""");
        Assert.True(status == 200, body.ToString());
        var pairs = body.GetProperty("result").GetProperty("pairs").EnumerateArray().ToList();
        Assert.Equal(8, pairs.Count);
        Assert.Equal((1, 2, 1f), (pairs[0].GetProperty("a").GetInt32(), pairs[0].GetProperty("b").GetInt32(), pairs[0].GetProperty("score").GetSingle()));
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-explore/points/search/matrix/offsets", """{"sample": 3, "limit": 2, "using": "pos", "filter": {"must": [{"has_id": [1, 2, 8]}]}}""");
        var offsets = body.GetProperty("result");
        Assert.Equal([1, 2, 8], offsets.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal([0, 0, 1, 1, 2, 2], offsets.GetProperty("offsets_row").EnumerateArray().Select(i => i.GetInt32()));
        Assert.Equal([1, 2, 0, 2, 1, 0], offsets.GetProperty("offsets_col").EnumerateArray().Select(i => i.GetInt32()));
        (status, _) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-explore/points/search/matrix/pairs", """{"sample": 1}""");
        Assert.Equal(400, status);
    }

    [Theory]
    [InlineData("""{"query": {"fusion": "rrf"}}""", "prefetch")]
    [InlineData("""{"prefetch": {"query": [1, 0, 0], "using": "text"}}""", "A query is needed")]
    [InlineData("""{"prefetch": [{"query": [1, 0, 0], "using": "text"}], "query": {"rrf": {"weights": [1, 2]}}}""", "rrf.weights")]
    [InlineData("""{"prefetch": [{"query": [1, 0, 0], "using": "text"}], "query": {"fusion": "rrf"}, "using": "text"}""", "using")]
    [InlineData("""{"prefetch": [{"query": [1, 0, 0], "using": "text", "params": {"explain": true}}], "query": {"fusion": "rrf"}}""", "prefetch[0].params.explain")]
    [InlineData("""{"prefetch": [{"query": [1, 0, 0], "using": "text", "boost": 2}], "query": {"fusion": "rrf"}}""", "prefetch[0].boost")]
    [InlineData("""{"query": {"recommend": {"negative": [1]}}, "using": "text"}""", "positive example")]
    [InlineData("""{"query": {"recommend": {"positive": [1], "strategy": "best"}}, "using": "text"}""", "query.recommend.strategy")]
    [InlineData("""{"query": {"nearest": [1, 0, 0], "mmr": {"diversity": 2}}, "using": "text"}""", "mmr.diversity")]
    [InlineData("""{"query": {"formula": {"sum": ["$score"]}}}""", "prefetch")]
    [InlineData("""{"prefetch": {"query": [0, 0], "using": "pos"}, "query": {"formula": {"div": {"left": 1}}}}""", "query.formula.div.right")]
    [InlineData("""{"prefetch": {"query": [0, 0], "using": "pos"}, "query": {"formula": {"exp_decay": {"x": "rank", "midpoint": 2}}}}""", "midpoint")]
    [InlineData("""{"prefetch": {"query": [0, 0], "using": "pos"}, "query": {"formula": "$score", "extra": 1}}""", "query.extra")]    [InlineData("""{"query": {"nearest": [1, 0, 0], "recommend": {}}, "using": "text"}""", "two kinds of query")]
    [InlineData("""{"query": {"order_by": "kind"}}""", "No range index")]
    [InlineData("""{"query": {"sample": "random"}, "score_threshold": 1}""", "score_threshold")]
    [InlineData("""{"query": [1, 0, 0], "using": "text", "params": {"cutoff": {"fraction": 1.5}}}""", "cutoff.fraction")]
    [InlineData("""{"query": [1, 0, 0], "using": "text", "params": {"cutoff": {}}}""", "params.cutoff.fraction")]
    [InlineData("""{"query": {"relevance_feedback": {"target": [1, 0, 0], "feedback": [null], "strategy": {"naive": {"a": 1, "b": 1, "c": 1}}}}, "using": "text"}""", "feedback")]
    [InlineData("""{"query": {"sample": "random"}, "params": {"hnsw_ef": 10}}""", "params")]
    [InlineData("""{"limit": 2, "using": "text"}""", "using")]
    [InlineData("""{"query": 1, "using": "pos", "lookup_from": {"collection": "uq-bad", "shard_key": "a"}}""", "lookup_from.shard_key")]
    public async Task Malformed_queries_are_a_400_naming_the_field(string body, string expected)
    {
        await CreateAsync("uq-bad");
        var (status, response) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-bad/points/query", body);
        Assert.True(status == 400, response.ToString());
        Assert.Contains(expected, Error(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_formula_boosts_by_payload_and_condition()
    {
        await CreateAsync("uq-formula");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-formula/points/query", """
            {"prefetch": {"query": [0, 0], "using": "pos", "limit": 8},
             "query": {"formula": {"sum": [{"neg": "$score"}, {"mult": [10, {"key": "kind", "match": {"value": "howto"}}]}, {"div": {"left": "rank", "right": 100}}]}},
             "limit": 3, "with_payload": true}
            """);
        Assert.True(status == 200, body.ToString());
        var points = body.GetProperty("result").GetProperty("points").EnumerateArray().ToList();
        Assert.All(points, p => Assert.Equal("howto", p.GetProperty("payload").GetProperty("kind").GetString()));
        // howtos are ids 2, 4, 6, 8 at x = 1, 3, 5, 7; score = −x + 10 + rank/100 with ranks 30, 10, 20, 50.
        Assert.Equal([2, 4, 6], points.Select(p => p.GetProperty("id").GetInt32()));
        Assert.Equal(9.3f, points[0].GetProperty("score").GetSingle(), 4);
    }

    [Fact]
    public async Task Points_named_by_id_must_exist()
    {
        await CreateAsync("uq-missing");
        var (status, response) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-missing/points/query", """{"query": {"recommend": {"positive": [404]}}, "using": "text"}""");
        Assert.Equal(404, status);
        Assert.Contains("404", Error(response), StringComparison.Ordinal);
        (status, _) = await _client.SendAsync(HttpMethod.Post, "/collections/uq-missing/points/query", """{"query": 1, "using": "pos", "lookup_from": {"collection": "nowhere"}}""");
        Assert.Equal(404, status);
    }
}
