using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using System.Text.Json;

namespace VectorDb.Server.Tests;

public sealed class RestApiTests : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client;

    public RestApiTests(ServerFactory factory) => _client = factory.CreateClient();

    [Fact]
    public async Task Collection_lifecycle_answers_like_qdrant()
    {
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/life", new { vectors = new { size = 4, distance = "Dot" }, hnsw_config = new { m = 8 } });
        Assert.Equal(200, status);
        Assert.True(body.GetProperty("result").GetBoolean());
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.True(body.GetProperty("time").GetDouble() > 0, "time counts from the request's arrival");

        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/life", new { vectors = new { size = 4, distance = "Dot" } });
        Assert.Equal(409, status);
        Assert.Contains("already exists", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(body.GetProperty("time").GetDouble() > 0, "errors are timed too");

        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/life");
        var config = body.GetProperty("result").GetProperty("config");
        Assert.Equal(4, config.GetProperty("params").GetProperty("vectors").GetProperty("size").GetInt32());
        Assert.Equal("Dot", config.GetProperty("params").GetProperty("vectors").GetProperty("distance").GetString());
        Assert.Equal(8, config.GetProperty("hnsw_config").GetProperty("m").GetInt32());

        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Patch, "/collections/life", "{}")).Status);
        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/life", """{"hnsw_config": {"m": 32}}""");
        Assert.Equal(400, status);
        Assert.Contains("hnsw_config", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);

        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/life/exists");
        Assert.True(body.GetProperty("result").GetProperty("exists").GetBoolean());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections");
        Assert.Contains(body.GetProperty("result").GetProperty("collections").EnumerateArray(), c => c.GetProperty("name").GetString() == "life");

        (status, _) = await _client.SendAsync(HttpMethod.Delete, "/collections/life");
        Assert.Equal(200, status);
        (status, body) = await _client.SendAsync(HttpMethod.Get, "/collections/life");
        Assert.Equal(404, status);
        Assert.Equal("Collection `life` doesn't exist!", body.GetProperty("status").GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_float16_collection_is_described_searched_and_refuses_what_float16_cannot_hold()
    {
        var (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/half", """{"vectors": {"size": 3, "distance": "Euclid", "datatype": "float16"}}""");
        Assert.Equal(200, status);
        var (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/half");
        Assert.Equal("float16", body.GetProperty("result").GetProperty("config").GetProperty("params").GetProperty("vectors").GetProperty("datatype").GetString());

        await _client.SendAsync(HttpMethod.Put, "/collections/half/points?wait=true", """{"points": [{"id": 1, "vector": [0.1, 0.2, 0.3]}, {"id": 2, "vector": [5, 5, 5]}]}""");
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/half/points/search", """{"vector": [0, 0, 0], "limit": 1, "with_vector": true}""");
        var hit = body.GetProperty("result")[0];
        Assert.Equal(1, hit.GetProperty("id").GetInt32());
        Assert.Equal(Math.Sqrt(0.14), hit.GetProperty("score").GetDouble(), 3); // float16 rounding: 3 decimals
        Assert.Equal(0.1, hit.GetProperty("vector")[0].GetDouble(), 4);

        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/half/points?wait=true", """{"points": [{"id": 3, "vector": [1, 70000, 1]}]}""");
        Assert.Equal(400, status);
        Assert.Contains("beyond what float16 stores", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/half/points/count", "{}");
        Assert.Equal(2, body.GetProperty("result").GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Points_upsert_retrieve_search_query_scroll_count_delete()
    {
        await _client.SendAsync(HttpMethod.Put, "/collections/pts", new { vectors = new { size = 3, distance = "Euclid" } });
        var uuid = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26";
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/pts/points?wait=true", $$$"""
            {"points": [
              {"id": 1, "vector": [0, 0, 1], "payload": {"city": "Berlin", "n": 1}},
              {"id": "{{{uuid}}}", "vector": [0, 1, 0], "payload": {"city": "Paris"}}
            ]}
            """);
        Assert.Equal(200, status);
        Assert.Equal("completed", body.GetProperty("result").GetProperty("status").GetString());

        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/pts/points?wait=true", new
        {
            batch = new { ids = new[] { 2, 3 }, vectors = new[] { new[] { 1f, 0, 0 }, new[] { 1f, 1, 1 } }, payloads = new[] { new { city = "Rome" }, new { city = "Oslo" } } },
        });
        Assert.Equal(200, status);

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/pts/points", $$"""{"ids": [1, "{{uuid}}", 99], "with_vector": true}""");
        var records = body.GetProperty("result").EnumerateArray().ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal(1, records[0].GetProperty("id").GetInt32());
        Assert.Equal(uuid, records[1].GetProperty("id").GetString());
        Assert.Equal([0f, 1f, 0f], records[1].GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()));

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/pts/points/search", new { vector = new[] { 0.9f, 0, 0 }, limit = 2, with_payload = true });
        var hits = body.GetProperty("result").EnumerateArray().ToList();
        Assert.Equal(2, hits[0].GetProperty("id").GetInt32());
        Assert.Equal(0.1f, hits[0].GetProperty("score").GetSingle(), 1e-5f);
        Assert.Equal("Rome", hits[0].GetProperty("payload").GetProperty("city").GetString());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/pts/points/query", new { query = new[] { 0f, 0, 1 }, limit = 1, with_payload = new[] { "n" } });
        var point = body.GetProperty("result").GetProperty("points")[0];
        Assert.Equal(1, point.GetProperty("id").GetInt32());
        Assert.Equal(1, point.GetProperty("payload").GetProperty("n").GetInt32());
        Assert.False(point.GetProperty("payload").TryGetProperty("city", out _));

        // A query by point id leaves that point out of its own results, as Qdrant does.
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/pts/points/query", new { query = 1, limit = 10 });
        var neighbors = body.GetProperty("result").GetProperty("points").EnumerateArray().Select(p => p.GetProperty("id").ToString()).ToList();
        Assert.Equal(3, neighbors.Count);
        Assert.DoesNotContain("1", neighbors);

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/pts/points/query", new { query = new { nearest = new[] { 0f, 0, 1 } }, limit = 1, offset = 1, score_threshold = 2.0 });
        Assert.Single(body.GetProperty("result").GetProperty("points").EnumerateArray());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/pts/points/scroll", new { limit = 3 });
        var page = body.GetProperty("result");
        Assert.Equal([1, 2, 3], page.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()));
        Assert.Equal(uuid, page.GetProperty("next_page_offset").GetString());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/pts/points/delete?wait=true", new { points = new[] { 2 } });
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Get, "/collections/pts/points/1")).Status);
        Assert.Equal(404, (await _client.SendAsync(HttpMethod.Get, "/collections/pts/points/2")).Status);
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/pts/points/count", new { exact = true });
        Assert.Equal(3, body.GetProperty("result").GetProperty("count").GetInt32());
    }

    /// <summary>
    /// The requests Qdrant's Python client (1.18+, REST) sends for its minimal calls, as its source builds them (no
    /// PyPI here to run it): it omits fields that are None and sends its defaults explicitly.
    /// </summary>
    [Fact]
    public async Task What_the_python_client_sends_by_default_works()
    {
        (string Method, string Path, string? Body)[] calls =
        [
            ("PUT", "/collections/py", """{"vectors":{"size":4,"distance":"Cosine"}}"""),
            ("PUT", "/collections/py/points?wait=true", """{"points":[{"id":1,"vector":[0.1,0.2,0.3,0.4],"payload":{"city":"Berlin","n":1}},{"id":2,"vector":[0.4,0.3,0.2,0.1],"payload":{"city":"Rome","n":2}}]}"""),
            ("PUT", "/collections/py/points?wait=false", """{"points":[{"id":3,"vector":[0.2,0.2,0.2,0.2]}]}"""),
            ("PUT", "/collections/py/points?wait=true", """{"batch":{"ids":[4],"vectors":[[0.3,0.1,0.3,0.1]],"payloads":[{"city":"Oslo"}]}}"""),
            ("POST", "/collections/py/points/query", """{"query":{"nearest":[0.1,0.2,0.3,0.4]},"limit":10,"with_vector":false,"with_payload":true}"""),
            ("POST", "/collections/py/points/query", """{"query":{"nearest":1},"limit":10,"with_vector":false,"with_payload":true}"""),
            ("POST", "/collections/py/points/scroll", """{"limit":10,"with_payload":true,"with_vector":false}"""),
            ("POST", "/collections/py/points/count", """{"exact":true}"""),
            ("POST", "/collections/py/points", """{"ids":[1,2],"with_payload":true,"with_vector":false}"""),
            ("POST", "/collections/py/points/payload?wait=true", """{"payload":{"visited":true},"points":[1]}"""),
            ("PUT", "/collections/py/points/payload?wait=true", """{"payload":{"city":"Bonn"},"points":[1]}"""),
            ("POST", "/collections/py/points/payload/delete?wait=true", """{"keys":["n"],"points":[2]}"""),
            ("POST", "/collections/py/points/payload/clear?wait=true", """{"points":[3]}"""),
            ("PUT", "/collections/py/index?wait=true", """{"field_name":"city","field_schema":"keyword"}"""),
            ("PUT", "/collections/py/index?wait=true", """{"field_name":"n","field_schema":{"type":"integer","range":true}}"""),
            ("POST", "/collections/py/points/scroll", """{"limit":10,"order_by":{"key":"n","direction":"desc"},"with_payload":true,"with_vector":false}"""),
            ("POST", "/collections/py/points/delete?wait=true", """{"points":[2]}"""),
            ("POST", "/collections/py/points/delete?wait=true", """{"filter":{"must":[{"key":"city","match":{"value":"Oslo"}}]}}"""),
            ("DELETE", "/collections/py/index/city?wait=true", null),
            ("GET", "/collections/py", null),
            ("GET", "/collections/py/exists", null),
            ("GET", "/collections", null),
            ("DELETE", "/collections/py", null),
        ];
        foreach (var (method, path, body) in calls)
        {
            var (status, response) = await _client.SendAsync(new HttpMethod(method), path, body);
            Assert.True(status == 200, $"{method} {path} {body} answered {status}: {response}");
        }
    }

    [Theory]
    [InlineData("PUT", "/collections/bad/points", """{"points": [{"id": 1, "vector": [1, 2]}]}""", "expected dim: 3, got 2")]
    [InlineData("PUT", "/collections/bad/points", """{"points": [{"id": -5, "vector": [1, 2, 3]}]}""", "Point id -5 is invalid")]
    [InlineData("PUT", "/collections/bad/points", """{"points": [{"id": 1, "vector": [1, "x", 3]}]}""", "not a number")]
    [InlineData("PUT", "/collections/bad/points", """{"points": [{"id": 1, "vector": [0, 0, 0]}]}""", "all zeros")]
    [InlineData("PUT", "/collections/bad/points", """{"points": [""", "Format error in JSON body")]
    [InlineData("PUT", "/collections/bad/points", """{"points": [{"id": 1, "vector": [1e39, 1, 1]}]}""", "non-finite")]
    [InlineData("PUT", "/collections/bad/points", """{"points": [{"id": 1, "vector": [1e400, 1, 1]}]}""", "non-finite")]
    [InlineData("PUT", "/collections/bad/points", """{"points": [{"id": 1, "vector": [1, 2, 3]}, {"id": 2, "vector": [[1, 2, 3]]}]}""", "`points[1].vector` is a list of vectors (a multivector)")]
    [InlineData("PUT", "/collections/bad/points", """{"points": [{"id": 1, "vector": [1, 2, 3], "vectors": [1, 2, 3]}]}""", "Give `points[0].vector` or its alias `points[0].vectors`, not both")]
    [InlineData("PUT", "/collections/bad/points", """{"points": [{"id": 1, "vector": [1, 2, null]}]}""", "`points[0].vector[2]` is not a number")]
    [InlineData("PUT", "/collections/bad/points", """{"batch": {"ids": [1, 2], "vectors": [[1, 2, 3], [1, "x", 3]]}}""", "`batch.vectors[1][1]` is not a number")]
    [InlineData("PUT", "/collections/bad/points", """{"batch": {"ids": [1, 2], "vectors": [[1, 2, 3]]}}""", "one vector per id")]
    [InlineData("PUT", "/collections/bad/points", """{"batch": {"ids": [1, 2, 3], "vectors": [1, 2, 3]}}""", "`batch.vectors[0]` is a list of numbers")]
    [InlineData("POST", "/collections/bad/points/search", """{"vector": [1, 2, 3], "limit": 0}""", "limit must be between")]
    [InlineData("POST", "/collections/bad/points/search", """{"vector": [1, 2, 3], "filter": {"must": [{"key": "t", "match": {"text_any": "x"}}]}}""", "needs a full-text (text) payload index")]
    [InlineData("POST", "/collections/bad/points/count", """{"filter": {"must": [{"match": {"value": 1}}]}}""", "Unknown field `filter.must[0].match`")]
    [InlineData("POST", "/collections/bad/points/delete", """{"filter": {"must": [{"key": "a", "range": {"gt": "x"}}]}}""", "must be an RFC 3339 date-time")]
    [InlineData("POST", "/collections/bad/points/count", """{"filter": {"must": [{"key": "a", "range": {"lt": 1e400}}]}}""", "must be a finite number")]
    [InlineData("PUT", "/collections/..%2Fetc", """{"vectors": {"size": 3, "distance": "Cosine"}}""", "is invalid")]
    [InlineData("PUT", "/collections/x", """{"vectors": {"size": 3, "distance": "Hamming"}}""", "Unknown distance")]
    [InlineData("PUT", "/collections/x", """{"vectors": {"size": 0, "distance": "Cosine"}}""", "dimension must be between")]
    [InlineData("PUT", "/collections/x", """{"vectors": {"size": 3, "distance": "Cosine", "datatype": "uint8"}}""", "`vectors.datatype` = \"uint8\" is not supported")]
    public async Task Bad_input_is_a_400_with_a_clear_message_and_changes_nothing(string method, string path, string body, string expected)
    {
        await _client.SendAsync(HttpMethod.Put, "/collections/bad", new { vectors = new { size = 3, distance = "Cosine" } });
        await _client.SendAsync(HttpMethod.Put, "/collections/bad/points?wait=true", new { points = new[] { new { id = 7, vector = new[] { 1f, 1, 1 } } } });

        var (status, response) = await _client.SendAsync(new HttpMethod(method), path, body);

        Assert.Equal(400, status);
        Assert.Contains(expected, response.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        var (_, count) = await _client.SendAsync(HttpMethod.Post, "/collections/bad/points/count", "{}");
        Assert.Equal(1, count.GetProperty("result").GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Vector_components_are_read_as_doubles_rounded_to_float_in_every_shape()
    {
        // Numbers chosen where reading straight to float and rounding a double differ, or that float cannot hold.
        string[] components = ["0.1", "16777217", "0.30000001192092896", "3.5e-46", "-2.5e-40", "1.0000000596046448"];
        float[] expected = [.. components.Select(c => (float)double.Parse(c, System.Globalization.CultureInfo.InvariantCulture))];
        string list = $"[{string.Join(", ", components)}]";
        await _client.SendAsync(HttpMethod.Put, "/collections/rounding", """{"vectors": {"size": 6, "distance": "Euclid"}, "sparse_vectors": {"s": {}}}""");
        var (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/rounding/points?wait=true",
            """{"points": [{"id": 1, "vector": LIST}, {"id": 2, "vector": {"": LIST, "s": {"indices": [1], "values": [1]}}}]}""".Replace("LIST", list, StringComparison.Ordinal));
        Assert.Equal(200, status);
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/rounding/points?wait=true",
            """{"batch": {"ids": [3, 4], "vectors": [LIST, LIST]}}""".Replace("LIST", list, StringComparison.Ordinal));
        Assert.Equal(200, status);
        foreach (int id in new[] { 1, 2, 3, 4 })
        {
            var (_, body) = await _client.SendAsync(HttpMethod.Get, $"/collections/rounding/points/{id}");
            var vector = body.GetProperty("result").GetProperty("vector");
            var unnamed = vector.ValueKind == JsonValueKind.Array ? vector : vector.GetProperty("");
            Assert.Equal(expected, unnamed.EnumerateArray().Select(c => c.GetSingle()).ToArray());
        }
    }

    [Fact]
    public async Task Filters_apply_to_search_query_count_scroll_and_delete()
    {
        await _client.SendAsync(HttpMethod.Put, "/collections/flt", new { vectors = new { size = 2, distance = "Euclid" } });
        await _client.SendAsync(HttpMethod.Put, "/collections/flt/points?wait=true", new
        {
            points = Enumerable.Range(0, 40).Select(i => new { id = i, vector = new[] { (float)i, 0 }, payload = new { color = i % 2 == 0 ? "red" : "blue", n = i } }),
        });
        const string red = """{"must": [{"key": "color", "match": {"value": "red"}}]}""";

        var (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/flt/points/search", $$"""{"vector": [4.9, 0], "limit": 3, "filter": {{red}}}""");
        Assert.Equal([4, 6, 2], body.GetProperty("result").EnumerateArray().Select(h => h.GetProperty("id").GetInt32()));

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/flt/points/query", """{"query": [5, 0], "limit": 2, "filter": {"must_not": [{"key": "n", "range": {"lte": 10}}], "should": [{"has_id": [20, 30]}]}}""");
        Assert.Equal([20, 30], body.GetProperty("result").GetProperty("points").EnumerateArray().Select(h => h.GetProperty("id").GetInt32()));

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/flt/points/count", $$"""{"filter": {{red}}}""");
        Assert.Equal(20, body.GetProperty("result").GetProperty("count").GetInt32());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/flt/points/scroll", $$"""{"limit": 2, "offset": 5, "filter": {{red}}}""");
        Assert.Equal([6, 8], body.GetProperty("result").GetProperty("points").EnumerateArray().Select(h => h.GetProperty("id").GetInt32()));

        await _client.SendAsync(HttpMethod.Post, "/collections/flt/points/delete?wait=true", $$"""{"filter": {{red}}}""");
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/flt/points/count", "{}");
        Assert.Equal(20, body.GetProperty("result").GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Payload_indexes_are_created_reported_used_and_deleted()
    {
        await _client.SendAsync(HttpMethod.Put, "/collections/idx", new { vectors = new { size = 2, distance = "Euclid" } });
        await _client.SendAsync(HttpMethod.Put, "/collections/idx/points?wait=true", new
        {
            points = Enumerable.Range(0, 200).Select(i => new { id = i, vector = new[] { (float)i, 0 }, payload = new { color = i % 4 == 0 ? "red" : "blue", n = i } }),
        });

        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/idx/index?wait=true", """{"field_name": "color", "field_schema": "keyword"}""");
        Assert.Equal(200, status);
        Assert.Equal("completed", body.GetProperty("result").GetProperty("status").GetString());
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/idx/index", """{"field_name": "n", "field_schema": {"type": "integer", "range": true}}""");
        Assert.Equal(200, status);

        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/idx");
        var schema = body.GetProperty("result").GetProperty("payload_schema");
        Assert.Equal("keyword", schema.GetProperty("color").GetProperty("data_type").GetString());
        Assert.Equal(200, schema.GetProperty("color").GetProperty("points").GetInt32());
        Assert.Equal("integer", schema.GetProperty("n").GetProperty("data_type").GetString());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/idx/points/query", """
            {"query": [101, 0], "limit": 2, "params": {"explain": true},
             "filter": {"must": [{"key": "color", "match": {"value": "red"}}, {"key": "n", "range": {"gte": 50}}]}}
            """);
        var result = body.GetProperty("result");
        Assert.Equal([100, 104], result.GetProperty("points").EnumerateArray().Select(h => h.GetProperty("id").GetInt32()));
        var explain = result.GetProperty("explain").GetProperty("search");
        Assert.Equal("ExactScan", explain.GetProperty("strategy").GetString());
        Assert.Equal(37, explain.GetProperty("matches").GetInt32()); // 52, 56, …, 196
        Assert.True(explain.GetProperty("estimate").GetProperty("max").GetInt32() <= 50);

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/idx/points/search", """{"vector": [1, 0], "limit": 1, "params": {"explain": true}}""");
        Assert.Equal("Graph", body.GetProperty("explain").GetProperty("strategy").GetString());

        (status, _) = await _client.SendAsync(HttpMethod.Delete, "/collections/idx/index/color?wait=true");
        Assert.Equal(200, status);
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/idx");
        Assert.False(body.GetProperty("result").GetProperty("payload_schema").TryGetProperty("color", out _));

        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/idx/index", """{"field_name": "loc", "field_schema": "polygon"}""");
        Assert.Equal(400, status);
        Assert.Contains("Unknown payload index schema", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/idx/index", """{"field_schema": "keyword"}""");
        Assert.Equal(400, status);
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/nope/index", """{"field_name": "a", "field_schema": "keyword"}""");
        Assert.Equal(404, status);
    }

    /// <summary>Keyword indexes link each large value's points (Qdrant's payload-aware links) unless <c>payload_m</c> is 0.</summary>
    [Theory]
    [InlineData(-1, true)]
    [InlineData(8, true)]
    [InlineData(0, false)]
    public async Task Payload_m_zero_turns_value_links_off(int payloadM, bool linked)
    {
        string name = $"plinks{payloadM}";
        object hnsw = payloadM < 0 ? new { m = 8 } : new { m = 8, payload_m = payloadM };
        var (status, _) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}", new { vectors = new { size = 4, distance = "Cosine" }, hnsw_config = hnsw });
        Assert.Equal(200, status);
        var random = new Random(7);
        await _client.SendAsync(HttpMethod.Put, $"/collections/{name}/index?wait=true", """{"field_name": "tenant", "field_schema": "keyword"}""");
        await _client.SendAsync(HttpMethod.Put, $"/collections/{name}/points?wait=true", new
        {
            points = Enumerable.Range(0, 2500).Select(i => new
            {
                id = i,
                vector = Enumerable.Range(0, 4).Select(_ => random.NextSingle() + 0.1f).ToArray(),
                payload = new { tenant = i % 2 == 0 ? "even" : "odd" },
            }),
        });

        var (_, body) = await _client.SendAsync(HttpMethod.Get, $"/collections/{name}");
        Assert.Equal(linked ? 8 : 0, body.GetProperty("result").GetProperty("config").GetProperty("hnsw_config").GetProperty("payload_m").GetInt32());
        // A value reaching 1,000 points is linked in the background: the planner offers its links once they are made.
        await WaitUntilGreen(name);
        (_, body) = await _client.SendAsync(HttpMethod.Post, $"/collections/{name}/points/query", """
            {"query": [1, 1, 1, 1], "limit": 5, "params": {"explain": true}, "filter": {"must": [{"key": "tenant", "match": {"value": "even"}}]}}
            """);
        Assert.Equal(5, body.GetProperty("result").GetProperty("points").GetArrayLength());
        Assert.Equal(linked, body.GetProperty("result").GetProperty("explain").GetProperty("search").GetProperty("estimated_cost_us").TryGetProperty("ValueLinks", out _));
    }

    /// <summary>Waits while the collection reads "yellow" (payload indexes building links or value graphs in the background).</summary>
    private async Task<JsonElement> WaitUntilGreen(string collection)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var (_, body) = await _client.SendAsync(HttpMethod.Get, $"/collections/{collection}");
            string? status = body.GetProperty("result").GetProperty("status").GetString();
            if (status == "green")
            {
                return body;
            }

            Assert.Equal("yellow", status);
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), $"{collection} stayed yellow for a minute");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Payload_m_other_than_0_or_m_is_refused()
    {
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/plinks-bad", """{"vectors": {"size": 4, "distance": "Dot"}, "hnsw_config": {"m": 8, "payload_m": 5}}""");
        Assert.Equal(400, status);
        Assert.Contains("payload_m", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(404, (await _client.SendAsync(HttpMethod.Get, "/collections/plinks-bad")).Status);
    }

    [Fact]
    public async Task A_tenant_index_searches_each_large_values_own_graph()
    {
        await _client.SendAsync(HttpMethod.Put, "/collections/ten", new { vectors = new { size = 4, distance = "Cosine" } });
        var random = new Random(5);
        await _client.SendAsync(HttpMethod.Put, "/collections/ten/points?wait=true", new
        {
            points = Enumerable.Range(0, 2500).Select(i => new
            {
                id = i,
                vector = Enumerable.Range(0, 4).Select(_ => random.NextSingle() + 0.1f).ToArray(),
                payload = new { tenant = i < 1600 ? "big" : "small" },
            }),
        });

        var (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/ten/index?wait=true", """{"field_name": "tenant", "field_schema": {"type": "keyword", "is_tenant": true}}""");
        Assert.Equal(200, status);

        // The value's graph is built in the background; the collection reads "yellow" until it is ready.
        var body = await WaitUntilGreen("ten");
        var schema = body.GetProperty("result").GetProperty("payload_schema").GetProperty("tenant");
        Assert.True(schema.GetProperty("params").GetProperty("is_tenant").GetBoolean());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/ten/points/query", """
            {"query": [1, 1, 1, 1], "limit": 5, "with_payload": true, "params": {"explain": true, "hnsw_ef": 16},
             "filter": {"must": [{"key": "tenant", "match": {"value": "big"}}]}}
            """);
        var result = body.GetProperty("result");
        Assert.Equal("TenantGraph", result.GetProperty("explain").GetProperty("search").GetProperty("strategy").GetString());
        Assert.All(result.GetProperty("points").EnumerateArray(), h => Assert.Equal("big", h.GetProperty("payload").GetProperty("tenant").GetString()));
        Assert.Equal(5, result.GetProperty("points").GetArrayLength());

        // 900 points: below a value graph's minimum of 1,000, so no graph of its own.
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/ten/points/query", """
            {"query": [1, 1, 1, 1], "limit": 5, "params": {"explain": true}, "filter": {"must": [{"key": "tenant", "match": {"value": "small"}}]}}
            """);
        Assert.NotEqual("TenantGraph", body.GetProperty("result").GetProperty("explain").GetProperty("search").GetProperty("strategy").GetString());

        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/ten/index", """{"field_name": "n", "field_schema": {"type": "integer", "is_tenant": true}}""");
        Assert.Equal(400, status);
        Assert.Contains("tenant", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/ten/index", """{"field_name": "tenant", "field_schema": {"type": "keyword", "is_tenant": "yes"}}""");
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task Payload_set_overwrite_delete_and_clear()
    {
        await _client.SendAsync(HttpMethod.Put, "/collections/pay", new { vectors = new { size = 2, distance = "Dot" } });
        await _client.SendAsync(HttpMethod.Put, "/collections/pay/points?wait=true", new
        {
            points = Enumerable.Range(0, 4).Select(i => new { id = i, vector = new[] { 1f, i }, payload = new { a = 1, group = i < 2 ? "x" : "y" } }),
        });
        async Task<string> PayloadOf(int id) =>
            (await _client.SendAsync(HttpMethod.Get, $"/collections/pay/points/{id}")).Body.GetProperty("result").GetProperty("payload").GetRawText();

        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Post, "/collections/pay/points/payload?wait=true", """{"payload": {"b": 2}, "points": [0]}""")).Status);
        Assert.Equal("""{"a":1,"group":"x","b":2}""", await PayloadOf(0));
        await _client.SendAsync(HttpMethod.Put, "/collections/pay/points/payload?wait=true", """{"payload": {"only": true}, "points": [1]}""");
        Assert.Equal("""{"only":true}""", await PayloadOf(1));
        await _client.SendAsync(HttpMethod.Post, "/collections/pay/points/payload/delete?wait=true", """{"keys": ["a"], "filter": {"must": [{"key": "group", "match": {"value": "y"}}]}}""");
        Assert.Equal("""{"group":"y"}""", await PayloadOf(2));
        Assert.Equal("""{"group":"y"}""", await PayloadOf(3));
        await _client.SendAsync(HttpMethod.Post, "/collections/pay/points/payload/clear?wait=true", """{"points": [3]}""");
        Assert.Equal("{}", await PayloadOf(3));

        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/pay/points/payload", """{"payload": [1], "points": [0]}""");
        Assert.Equal(400, status);
        Assert.Contains("payload", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adaptive_search_parameters_are_accepted_explained_and_checked()
    {
        await _client.SendAsync(HttpMethod.Put, "/collections/adaptive", new { vectors = new { size = 4, distance = "Euclid" } });
        var points = Enumerable.Range(0, 50).Select(i => new { id = i, vector = new[] { i, i * 0.1f, 0f, 1f } }).ToArray();
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Put, "/collections/adaptive/points?wait=true", new { points })).Status);

        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/adaptive/points/query",
            """{"query": [7, 0.7, 0, 1], "limit": 3, "params": {"explain": true, "adaptive": {"search_dims": 2, "oversampling": 4}}}""");
        Assert.Equal(200, status);
        var result = body.GetProperty("result");
        Assert.Equal(7, result.GetProperty("points")[0].GetProperty("id").GetInt32());
        Assert.Equal(0f, result.GetProperty("points")[0].GetProperty("score").GetSingle());
        Assert.Equal("Adaptive", result.GetProperty("explain").GetProperty("search").GetProperty("strategy").GetString());
        Assert.Equal(2, result.GetProperty("explain").GetProperty("search").GetProperty("search_dims").GetInt32());

        // Under a filter: the planner's plan (here a scan of the few matches) compares the prefix first.
        var (filteredStatus, filtered) = await _client.SendAsync(HttpMethod.Post, "/collections/adaptive/points/query",
            """{"query": [7, 0.7, 0, 1], "limit": 3, "filter": {"must": [{"has_id": [3, 20, 30, 40]}]}, "params": {"explain": true, "adaptive": {"search_dims": 2}}}""");
        Assert.Equal(200, filteredStatus);
        var filteredResult = filtered.GetProperty("result");
        Assert.Equal([3, 20, 30], filteredResult.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()));
        Assert.Equal(2, filteredResult.GetProperty("explain").GetProperty("search").GetProperty("search_dims").GetInt32());
        var (rescoreStatus, rescoreBody) = await _client.SendAsync(HttpMethod.Post, "/collections/adaptive/points/search",
            """{"vector": [1, 0, 0, 1], "filter": {"must": [{"has_id": [3]}]}, "params": {"adaptive": {"search_dims": 2, "rescore_dims": 3}}}""");
        Assert.Equal(400, rescoreStatus);
        Assert.Contains("rescore_dims", rescoreBody.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);

        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Post, "/collections/adaptive/points/search", """{"vector": [1, 0, 0, 1], "params": {"adaptive": {"search_dims": 5}}}""")).Status);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Post, "/collections/adaptive/points/search", """{"vector": [1, 0, 0, 1], "params": {"adaptive": {"oversampling": 2}}}""")).Status);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Post, "/collections/adaptive/points/search", """{"vector": [1, 0, 0, 1], "limit": 5000, "params": {"adaptive": {"search_dims": 2, "oversampling": 100}}}""")).Status);
        var (calibrated, answer) = await _client.SendAsync(HttpMethod.Post, "/collections/adaptive/points/query",
            """{"query": [7, 0.7, 0, 1], "limit": 3, "params": {"explain": true, "adaptive": {"target_recall": 0.95}}}""");
        Assert.Equal(200, calibrated);
        Assert.Contains("calibrated for recall 0.95", answer.GetProperty("result").GetProperty("explain").GetProperty("search").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(7, answer.GetProperty("result").GetProperty("points")[0].GetProperty("id").GetInt32());
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Post, "/collections/adaptive/points/search", """{"vector": [1, 0, 0, 1], "params": {"adaptive": {"target_recall": 1.5}}}""")).Status);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Post, "/collections/adaptive/points/search", """{"vector": [1, 0, 0, 1], "params": {"adaptive": {"target_recall": 0.9, "search_dims": 2}}}""")).Status);
    }

    [Fact]
    public async Task Matryoshka_and_pca_collection_options_are_created_described_fitted_and_checked()
    {
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Put, "/collections/mrl", """{"vectors": {"size": 8, "distance": "Cosine"}, "matryoshka": [2, 4]}""")).Status);
        var (_, mrl) = await _client.SendAsync(HttpMethod.Get, "/collections/mrl/adaptive");
        Assert.Equal([2, 4], mrl.GetProperty("result").GetProperty("matryoshka").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(JsonValueKind.Null, mrl.GetProperty("result").GetProperty("pca").ValueKind);
        var points = Enumerable.Range(0, 60).Select(i => new { id = i, vector = Enumerable.Range(0, 8).Select(d => (float)Math.Sin((i + 1) * (d + 1))).ToArray() }).ToArray();
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Put, "/collections/mrl/points?wait=true", new { points })).Status);
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Post, "/collections/mrl/points/search", new { vector = points[3].vector, limit = 3, @params = new { adaptive = new { search_dims = 4 } } })).Status);
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Post, "/collections/mrl/points/search", new { vector = points[3].vector, limit = 3, @params = new { adaptive = new { search_dims = 2, rescore_dims = 4 } } })).Status);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Post, "/collections/mrl/points/search", new { vector = points[3].vector, limit = 3, @params = new { adaptive = new { search_dims = 4, rescore_dims = 2 } } })).Status);
        var (refused, why) = await _client.SendAsync(HttpMethod.Post, "/collections/mrl/points/search", new { vector = points[3].vector, @params = new { adaptive = new { search_dims = 3 } } });
        Assert.Equal(400, refused);
        Assert.Contains("Matryoshka", why.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Post, "/collections/mrl/adaptive/pca", "{}")).Status);

        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Put, "/collections/rot", """{"vectors": {"size": 8, "distance": "Euclid"}, "pca": {"dims": 2, "fit_at": 0}}""")).Status);
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Put, "/collections/rot/points?wait=true", new { points })).Status);
        var (_, before) = await _client.SendAsync(HttpMethod.Get, "/collections/rot/adaptive");
        Assert.False(before.GetProperty("result").GetProperty("pca").GetProperty("fitted").GetBoolean());
        var (fitStatus, fit) = await _client.SendAsync(HttpMethod.Post, "/collections/rot/adaptive/pca?wait=true", "{}");
        Assert.Equal(200, fitStatus);
        Assert.Equal(2, fit.GetProperty("result").GetProperty("dims").GetInt32());
        Assert.InRange(fit.GetProperty("result").GetProperty("explained_variance").GetDouble(), 0, 1);
        var (_, after) = await _client.SendAsync(HttpMethod.Get, "/collections/rot/adaptive");
        var pca = after.GetProperty("result").GetProperty("pca");
        Assert.True(pca.GetProperty("fitted").GetBoolean());
        Assert.Equal(0, pca.GetProperty("fit_at").GetInt32());
        var (found, hits) = await _client.SendAsync(HttpMethod.Post, "/collections/rot/points/query", new { query = points[3].vector, limit = 1, @params = new { explain = true, adaptive = new { search_dims = 2, oversampling = 8 } } });
        Assert.Equal(200, found);
        Assert.Equal(3, hits.GetProperty("result").GetProperty("points")[0].GetProperty("id").GetInt32());
        Assert.Contains("principal axes", hits.GetProperty("result").GetProperty("explain").GetProperty("search").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Post, "/collections/rot/points/search", new { vector = points[3].vector, @params = new { adaptive = new { search_dims = 3 } } })).Status);

        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Put, "/collections/bad-adaptive", """{"vectors": {"size": 8, "distance": "Manhattan"}, "pca": {}}""")).Status);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Put, "/collections/bad-adaptive", """{"vectors": {"size": 8, "distance": "Dot"}, "matryoshka": [4, 2]}""")).Status);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Put, "/collections/bad-adaptive", """{"vectors": {"size": 8, "distance": "Dot"}, "matryoshka": "4"}""")).Status);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Put, "/collections/bad-adaptive", """{"vectors": {"size": 8, "distance": "Dot"}, "pca": {"dims": 9}}""")).Status);
        Assert.Equal(404, (await _client.SendAsync(HttpMethod.Get, "/collections/bad-adaptive/adaptive")).Status);
        Assert.Equal(404, (await _client.SendAsync(HttpMethod.Post, "/collections/bad-adaptive/adaptive/pca", "{}")).Status);
    }

    [Fact]
    public async Task Health_and_root_answer_and_unknown_routes_are_404()
    {
        var (status, body) = await _client.SendAsync(HttpMethod.Get, "/");
        Assert.Equal(200, status);
        Assert.StartsWith("1.", body.GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, (await _client.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode is System.Net.HttpStatusCode.OK ? 200 : 0);
        (status, body) = await _client.SendAsync(HttpMethod.Get, "/nowhere");
        Assert.Equal(404, status);
        Assert.Equal(JsonValueKind.String, body.GetProperty("status").GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Metrics_count_requests_per_route_and_points_per_collection()
    {
        await _client.SendAsync(HttpMethod.Put, "/collections/met", new { vectors = new { size = 2, distance = "Dot" } });
        await _client.SendAsync(HttpMethod.Put, "/collections/met/points?wait=true", new { points = new[] { new { id = 1, vector = new[] { 1f, 0 } } } });
        await _client.SendAsync(HttpMethod.Post, "/collections/met/points/query", new { query = new[] { 1f, 0 } });

        string text = await _client.GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Contains("vectordb_http_requests_total{method=\"POST\",route=\"/collections/{name}/points/query\",status=\"200\"}", text, StringComparison.Ordinal);
        Assert.Contains("vectordb_http_request_duration_seconds_count{method=\"POST\",route=\"/collections/{name}/points/query\"}", text, StringComparison.Ordinal);
        Assert.Contains("vectordb_collection_points{collection=\"met\"} 1", text, StringComparison.Ordinal);
        Assert.Matches("vectordb_vector_memory_bytes\\{collection=\"met\",vector=\"\",component=\"rows\"\\} [1-9]", text);
        Assert.Contains("vectordb_vector_memory_bytes{collection=\"met\",vector=\"\",component=\"codes\"} 0", text, StringComparison.Ordinal);
        Assert.Contains("vectordb_vector_disk_bytes{collection=\"met\",vector=\"\"} 0", text, StringComparison.Ordinal);
        Assert.Matches("vectordb_process_resident_bytes [1-9]", text);
    }

    [Fact]
    public async Task Interactive_docs_are_served()
    {
        using var response = await _client.GetAsync(new Uri("/docs", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET /docs answered {(int)response.StatusCode}");
        Assert.Contains("scalar", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task OpenApi_document_lists_the_endpoints()
    {
        var (status, body) = await _client.SendAsync(HttpMethod.Get, "/openapi/v1.json");
        Assert.Equal(200, status);
        var paths = body.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/collections/{name}/points/query", out _));
        Assert.True(paths.TryGetProperty("/collections/{name}", out _));
        Assert.True(paths.TryGetProperty("/collections/{name}/index", out _));
        Assert.True(paths.TryGetProperty("/collections/{name}/index/{field}", out _));

        // Responses are declared in Qdrant's envelope, with the endpoint's result inside.
        string? reference = paths.GetProperty("/collections/{name}/points/query").GetProperty("post").GetProperty("responses").GetProperty("200")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString();
        Assert.Equal("#/components/schemas/QdrantResponseOfQueryResponse", reference);
        var envelope = body.GetProperty("components").GetProperty("schemas").GetProperty("QdrantResponseOfQueryResponse").GetProperty("properties");
        Assert.All(new[] { "result", "status", "time" }, field => Assert.True(envelope.TryGetProperty(field, out _), field));
    }
}

public sealed class ApiKeyTests : IDisposable
{
    private readonly ServerFactory _factory = new() { ApiKey = "s3cret", ReadOnlyApiKey = "reader" };

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Every_endpoint_but_health_requires_the_key()
    {
        var client = _factory.CreateClient();
        var (status, body) = await client.SendAsync(HttpMethod.Get, "/collections");
        Assert.Equal(401, status);
        Assert.Contains("API key", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, (await client.SendAsync(HttpMethod.Get, "/")).Status);

        // Claiming to be a gRPC call does not get a REST request past the key check (gRPC methods are checked by their interceptor).
        using (var disguised = new HttpRequestMessage(HttpMethod.Delete, "/collections/ro") { Content = new ByteArrayContent([]) })
        {
            disguised.Content.Headers.ContentType = new("application/grpc");
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await client.SendAsync(disguised, TestContext.Current.CancellationToken)).StatusCode);
        }

        client.DefaultRequestHeaders.Add("api-key", "wrong");
        Assert.Equal(401, (await client.SendAsync(HttpMethod.Get, "/collections")).Status);
        client.DefaultRequestHeaders.Remove("api-key");
        client.DefaultRequestHeaders.Add("api-key", "s3cret");
        Assert.Equal(200, (await client.SendAsync(HttpMethod.Get, "/collections")).Status);

        Assert.Equal(200, (await client.SendAsync(HttpMethod.Put, "/collections/ro", new { vectors = new { size = 2, distance = "Dot" } })).Status);
        var reader = _factory.CreateClient();
        reader.DefaultRequestHeaders.Add("api-key", "reader");
        Assert.Equal(200, (await reader.SendAsync(HttpMethod.Get, "/collections/ro")).Status);
        Assert.Equal(200, (await reader.SendAsync(HttpMethod.Post, "/collections/ro/points/query", new { query = new[] { 1f, 0 } })).Status);
        Assert.Equal(200, (await reader.SendAsync(HttpMethod.Post, "/collections/ro/points/count", new { })).Status);
        var (forbidden, error) = await reader.SendAsync(HttpMethod.Put, "/collections/ro/points", new { points = new[] { new { id = 1, vector = new[] { 1f, 0 } } } });
        Assert.Equal(403, forbidden);
        Assert.Contains("read-only", error.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(403, (await reader.SendAsync(HttpMethod.Delete, "/collections/ro")).Status);
        Assert.Equal(403, (await reader.SendAsync(HttpMethod.Post, "/collections/ro/points/delete", new { points = new[] { 1 } })).Status);

        var bearer = _factory.CreateClient();
        bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
        Assert.Equal(200, (await bearer.SendAsync(HttpMethod.Get, "/collections")).Status);
    }

    [Fact]
    public async Task Every_route_checks_the_key_and_only_reads_pass_with_the_read_only_key()
    {
        string[] open = ["/", "/healthz", "/livez", "/readyz"];
        string[] readingPosts = ["/points", "/points/search", "/points/search/batch", "/points/query", "/points/query/batch", "/points/query/groups", "/points/scroll", "/points/count",
            "/facet", "/points/search/matrix/pairs", "/points/search/matrix/offsets",
            "/points/recommend", "/points/recommend/batch", "/points/recommend/groups", "/points/discover", "/points/discover/batch", "/points/search/groups"];
        var routes = _factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.Contains('*', StringComparison.Ordinal))
            .Where(e => e.Metadata.GetMetadata<global::Grpc.AspNetCore.Server.GrpcMethodMetadata>() is null) // gRPC methods: GrpcApiKeyTests
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => (Method: method, Path: Concrete(e.RoutePattern.RawText!))))
            .Distinct().ToList();
        Assert.True(routes.Count >= 25, $"only {routes.Count} routes found");

        var anonymous = _factory.CreateClient();
        var wrong = _factory.CreateClient();
        wrong.DefaultRequestHeaders.Add("api-key", "s3cret-but-wrong");
        var reader = _factory.CreateClient();
        reader.DefaultRequestHeaders.Add("api-key", "reader");
        var admin = _factory.CreateClient();
        admin.DefaultRequestHeaders.Add("api-key", "s3cret");
        foreach (var (method, path) in routes)
        {
            bool isOpen = open.Contains(path);
            bool isRead = method is "GET" or "HEAD" || (method == "POST" && readingPosts.Any(suffix => path.EndsWith(suffix, StringComparison.Ordinal)));
            int withoutKey = await StatusOf(anonymous, method, path);
            int withWrongKey = await StatusOf(wrong, method, path);
            int asReader = await StatusOf(reader, method, path);
            int asAdmin = await StatusOf(admin, method, path);
            Assert.True(isOpen ? withoutKey != 401 : withoutKey == 401, $"{method} {path} without a key: {withoutKey}");
            Assert.True(isOpen ? withWrongKey != 401 : withWrongKey == 401, $"{method} {path} with a wrong key: {withWrongKey}");
            Assert.True(isRead || isOpen ? asReader is not (401 or 403) : asReader == 403, $"{method} {path} with the read-only key: {asReader}");
            Assert.True(asAdmin is not (401 or 403), $"{method} {path} with the key: {asAdmin}");
        }

        static async Task<int> StatusOf(HttpClient client, string method, string path)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            return (int)response.StatusCode;
        }

        static string Concrete(string pattern) =>
            "/" + string.Join('/', pattern.Trim('/').Split('/').Select(part => part.StartsWith('{') ? "ro" : part)).TrimEnd('/');
    }
}

public sealed class LimitTests : IDisposable
{
    private readonly ServerFactory _factory = new()
    {
        Settings = new Dictionary<string, string> { ["MaxBatchPoints"] = "3", ["MaxLimit"] = "5", ["MaxEf"] = "50", ["MaxDimensions"] = "8" },
    };

    public void Dispose() => _factory.Dispose();

    [Theory]
    [InlineData("PUT", "/collections/big", """{"vectors": {"size": 9, "distance": "Cosine"}}""", "MaxDimensions")]
    [InlineData("PUT", "/collections/lim/points", """{"points": [{"id": 1, "vector": [1, 2]}, {"id": 2, "vector": [1, 2]}, {"id": 3, "vector": [1, 2]}, {"id": 4, "vector": [1, 2]}]}""", "MaxBatchPoints")]
    [InlineData("POST", "/collections/lim/points/search", """{"vector": [1, 2], "limit": 4, "offset": 2}""", "MaxLimit")]
    [InlineData("POST", "/collections/lim/points/query", """{"query": [1, 2], "limit": 1, "params": {"hnsw_ef": 51}}""", "MaxEf")]
    [InlineData("POST", "/collections/lim/points/scroll", """{"limit": 6}""", "MaxLimit")]
    public async Task Each_limit_is_a_400_naming_its_setting(string method, string path, string body, string setting)
    {
        using var client = _factory.CreateClient();
        await client.SendAsync(HttpMethod.Put, "/collections/lim", new { vectors = new { size = 2, distance = "Euclid" } });

        var (status, response) = await client.SendAsync(new HttpMethod(method), path, body);

        Assert.Equal(400, status);
        Assert.Contains(setting, response.ToString(), StringComparison.Ordinal);
        var (_, count) = await client.SendAsync(HttpMethod.Post, "/collections/lim/points/count", "{}");
        Assert.Equal(0, count.GetProperty("result").GetProperty("count").GetInt32());
    }
}

public sealed class QueryTimeoutTests : IDisposable
{
    private readonly ServerFactory _factory = new() { Settings = new Dictionary<string, string> { ["QueryTimeoutSeconds"] = "0.002" } };

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task A_search_past_the_time_limit_is_a_408_and_bad_timeouts_are_400()
    {
        using var client = _factory.CreateClient();
        await client.SendAsync(HttpMethod.Put, "/collections/slow", new { vectors = new { size = 64, distance = "Euclid" } });
        var random = new Random(3);
        var points = Enumerable.Range(0, 4000).Select(i => new { id = i, vector = Enumerable.Range(0, 64).Select(_ => random.NextSingle()).ToArray() }).ToArray();
        Assert.Equal(200, (await client.SendAsync(HttpMethod.Put, "/collections/slow/points?wait=true", new { points })).Status);

        // 500 exact scans of 4,000 vectors take far longer than 2 ms.
        var searches = Enumerable.Range(0, 500).Select(_ => new { vector = points[random.Next(points.Length)].vector, limit = 10, @params = new { exact = true } }).ToArray();
        var (status, body) = await client.SendAsync(HttpMethod.Post, "/collections/slow/points/search/batch", new { searches });
        Assert.Equal(408, status);
        Assert.Contains("QueryTimeoutSeconds", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);

        Assert.Equal(400, (await client.SendAsync(HttpMethod.Post, "/collections/slow/points/search?timeout=0", new { vector = points[0].vector })).Status);
        Assert.Equal(400, (await client.SendAsync(HttpMethod.Post, "/collections/slow/points/count?timeout=soon", new { })).Status);
        Assert.Equal(200, (await client.SendAsync(HttpMethod.Get, "/collections/slow")).Status);
    }
}
