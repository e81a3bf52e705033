using System.Text.Json;

namespace VectorDb.Server.Tests;

/// <summary>
/// The endpoints the universal query replaced — recommend, discover, their batches, search and recommend groups — answer
/// exactly what the universal query that replaced each answers, and refuse what it refuses, naming the body's own fields.
/// </summary>
public sealed class OlderQueryApiTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static string Error(JsonElement body) => body.GetProperty("status").GetProperty("error").GetString()!;

    /// <summary>Twelve points on a circle in "text", each with a kind to group by.</summary>
    private async Task CreateAsync(string name)
    {
        await _client.SendAsync(HttpMethod.Delete, $"/collections/{name}");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}", """{"vectors": {"text": {"size": 3, "distance": "Cosine"}}}""");
        Assert.True(status == 200, body.ToString());
        var points = Enumerable.Range(1, 12).Select(i => new
        {
            id = i,
            vector = new Dictionary<string, float[]> { ["text"] = [MathF.Cos(i * 0.5f), MathF.Sin(i * 0.5f), 0.05f * i] },
            payload = new { kind = $"k{i % 3}" },
        });
        (status, body) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}/points?wait=true", JsonSerializer.Serialize(new { points }));
        Assert.True(status == 200, body.ToString());
        (status, _) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}/index?wait=true", """{"field_name": "kind", "field_schema": "keyword"}""");
        Assert.Equal(200, status);
    }

    private async Task<JsonElement> OkAsync(string path, string body)
    {
        var (status, response) = await _client.SendAsync(HttpMethod.Post, path, body);
        Assert.True(status == 200, $"{path}: {response}");
        return response.GetProperty("result");
    }

    private static List<(int Id, float Score)> Hits(JsonElement points) =>
        [.. points.EnumerateArray().Select(p => (p.GetProperty("id").GetInt32(), p.GetProperty("score").GetSingle()))];

    [Theory]
    [InlineData("average_vector")]
    [InlineData("best_score")]
    [InlineData("sum_scores")]
    public async Task Recommend_answers_as_the_recommend_query(string strategy)
    {
        await CreateAsync("old-recommend");
        string examples = $$$"""{"positive": [1, [0.9, 0.5, 0.1]], "negative": [7], "strategy": "{{{strategy}}}"}""";
        var query = await OkAsync("/collections/old-recommend/points/query", $$$"""{"query": {"recommend": {{{examples}}}}, "using": "text", "limit": 4, "offset": 1, "filter": {"must_not": [{"has_id": [2]}]}}""");
        var old = await OkAsync("/collections/old-recommend/points/recommend", $$$"""{{{examples[..^1]}}}, "using": "text", "limit": 4, "offset": 1, "filter": {"must_not": [{"has_id": [2]}]}}""");

        Assert.Equal(4, old.GetArrayLength());
        Assert.Equal(Hits(query.GetProperty("points")), Hits(old));
        Assert.DoesNotContain(old.EnumerateArray(), p => p.GetProperty("id").GetInt32() is 1 or 7 or 2);

        var batch = await OkAsync("/collections/old-recommend/points/recommend/batch", $$$"""
            {"searches": [{{{examples[..^1]}}}, "using": "text", "limit": 4, "offset": 1, "filter": {"must_not": [{"has_id": [2]}]}}, {"positive": [3], "using": "text", "limit": 2, "with_payload": true}]}
            """);
        Assert.Equal(Hits(old), Hits(batch[0]));
        Assert.Equal(2, batch[1].GetArrayLength());
        Assert.True(batch[1][0].TryGetProperty("payload", out _));
    }

    [Fact]
    public async Task Discover_answers_as_discover_and_without_a_target_as_context()
    {
        await CreateAsync("old-discover");
        const string Context = """[{"positive": 2, "negative": 9}, {"positive": [1, 0.2, 0], "negative": 5}]""";
        const string Shape = """ "using": "text", "limit": 4, "offset": 1, "params": {"hnsw_ef": 16}, "filter": {"must_not": [{"key": "kind", "match": {"value": "k0"}}]}""";
        var query = await OkAsync("/collections/old-discover/points/query", $$$"""{"query": {"discover": {"target": 4, "context": {{{Context}}}}}, {{{Shape}}}}""");
        var old = await OkAsync("/collections/old-discover/points/discover", $$$"""{"target": 4, "context": {{{Context}}}, {{{Shape}}}}""");
        Assert.Equal(4, old.GetArrayLength());
        Assert.Equal(Hits(query.GetProperty("points")), Hits(old));
        var top = await OkAsync("/collections/old-discover/points/discover", $$$"""{"target": 4, "context": {{{Context}}}, "using": "text", "top": 2}""");
        Assert.Equal(2, top.GetArrayLength());

        query = await OkAsync("/collections/old-discover/points/query", $$$"""{"query": {"context": {{{Context}}}}, "using": "text", "limit": 5}""");
        old = await OkAsync("/collections/old-discover/points/discover", $$$"""{"context": {{{Context}}}, "using": "text", "limit": 5}""");
        Assert.Equal(Hits(query.GetProperty("points")), Hits(old));

        var batch = await OkAsync("/collections/old-discover/points/discover/batch", $$$"""{"searches": [{"context": {{{Context}}}, "using": "text", "limit": 5}, {"target": [0, 1, 0], "context": [], "using": "text", "limit": 1}]}""");
        Assert.Equal(Hits(old), Hits(batch[0]));
        Assert.Single(batch[1].EnumerateArray());
    }

    [Fact]
    public async Task Search_and_recommend_groups_answer_as_query_groups()
    {
        await CreateAsync("old-groups");
        const string Shape = """ "group_by": "kind", "group_size": 2, "limit": 3, "with_payload": ["kind"], "score_threshold": 0.5, "params": {"exact": true}, "filter": {"must_not": [{"has_id": [1]}]}, "with_lookup": "old-groups" """;
        var query = await OkAsync("/collections/old-groups/points/query/groups", $$"""{"query": [1, 0.3, 0], "using": "text", {{Shape}}}""");
        var old = await OkAsync("/collections/old-groups/points/search/groups", $$"""{"vector": {"name": "text", "vector": [1, 0.3, 0]}, {{Shape}}}""");
        Assert.Equal(query.ToString(), old.ToString());
        Assert.Equal(2, old.GetProperty("groups").GetArrayLength()); // as query/groups: fewer than `limit` groups pass the threshold and filter

        query = await OkAsync("/collections/old-groups/points/query/groups", """{"query": {"recommend": {"positive": [1, 2], "strategy": "best_score"}}, "using": "text", "group_by": "kind", "group_size": 3, "limit": 2, "filter": {"must_not": [{"has_id": [5]}]}, "score_threshold": 0.1}""");
        old = await OkAsync("/collections/old-groups/points/recommend/groups", """{"positive": [1, 2], "strategy": "best_score", "using": "text", "group_by": "kind", "group_size": 3, "limit": 2, "filter": {"must_not": [{"has_id": [5]}]}, "score_threshold": 0.1}""");
        Assert.Equal(query.ToString(), old.ToString());
    }

    [Theory]
    [InlineData("recommend", """{"positive": [1], "strategy": "best", "using": "text"}""", "`strategy`")]
    [InlineData("recommend", """{"positive": [1, true], "using": "text"}""", "positive[1]")]
    [InlineData("recommend", """{"negative": [1], "using": "text"}""", "positive example")]
    [InlineData("recommend", """{"positive": [1], "using": "text", "params": {"explain": true}}""", "params.explain")]
    [InlineData("recommend", """{"positive": [1], "using": "text", "shard_key": "a"}""", "shard_key")]
    [InlineData("recommend", """{"positive": [1], "using": "text", "boost": 2}""", "boost")]
    [InlineData("recommend/batch", """{"searches": [{"positive": [1], "using": "text"}, {"positive": [true], "using": "text"}]}""", "searches[1].positive[0]")]
    [InlineData("discover", """{"target": 1, "context": [{"positive": 2}], "using": "text"}""", "context[0].negative")]
    [InlineData("discover", """{"target": 1, "using": "text", "score_threshold": 0.5}""", "score_threshold")]
    [InlineData("discover/batch", """{"searches": [{"target": true, "using": "text"}]}""", "searches[0].target")]
    [InlineData("search/groups", """{"vector": {"name": "text", "vector": [1, 0, 0]}, "limit": 2}""", "group_by")]
    [InlineData("recommend/groups", """{"positive": [1], "using": "text", "group_by": "kind", "with_lookup": {"collection": "old-bad", "shard_key": 1}}""", "with_lookup.shard_key")]
    public async Task Malformed_requests_are_a_400_naming_the_field(string endpoint, string body, string expected)
    {
        await CreateAsync("old-bad");
        var (status, response) = await _client.SendAsync(HttpMethod.Post, $"/collections/old-bad/points/{endpoint}", body);
        Assert.True(status == 400, response.ToString());
        Assert.Contains(expected, Error(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Examples_named_by_id_must_exist()
    {
        await CreateAsync("old-missing");
        var (status, response) = await _client.SendAsync(HttpMethod.Post, "/collections/old-missing/points/recommend", """{"positive": [404], "using": "text"}""");
        Assert.Equal(404, status);
        Assert.Contains("404", Error(response), StringComparison.Ordinal);
    }
}
