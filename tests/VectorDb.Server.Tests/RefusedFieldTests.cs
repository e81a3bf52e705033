using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using VectorDb.Tests;

namespace VectorDb.Server.Tests;

/// <summary>
/// Nothing is accepted and then ignored: every field the server does not implement is a 400 that names it and changes
/// nothing, unknown fields are refused too, and docs/rest.md lists exactly what the code refuses.
/// </summary>
public sealed class RefusedFieldTests : IClassFixture<ServerFactory>
{
    private const string Existing = "refusals";

    // A valid request per endpoint; each refused field is added to it.
    private static readonly Dictionary<string, string?> Templates = new(StringComparer.Ordinal)
    {
        ["PUT /collections/{name}"] = """{"vectors": {"size": 3, "distance": "Cosine"}}""",
        ["PATCH /collections/{name}"] = "{}",
        ["DELETE /collections/{name}"] = null,
        ["PUT /collections/{name}/points"] = """{"points": [{"id": 100, "vector": [1, 2, 3]}]}""",
        ["POST /collections/{name}/points"] = """{"ids": [7]}""",
        ["POST /collections/{name}/points/delete"] = """{"points": [7]}""",
        ["POST /collections/{name}/points/payload"] = """{"payload": {"x": 2}, "points": [7]}""",
        ["PUT /collections/{name}/points/payload"] = """{"payload": {"x": 2}, "points": [7]}""",
        ["POST /collections/{name}/points/payload/delete"] = """{"keys": ["x"], "points": [7]}""",
        ["POST /collections/{name}/points/payload/clear"] = """{"points": [7]}""",
        ["POST /collections/{name}/points/count"] = "{}",
        ["POST /collections/{name}/points/scroll"] = "{}",
        ["POST /collections/{name}/points/search"] = """{"vector": [1, 2, 3]}""",
        ["POST /collections/{name}/points/search/batch"] = """{"searches": [{"vector": [1, 2, 3]}]}""",
        ["POST /collections/{name}/points/query"] = """{"query": [1, 2, 3]}""",
        ["POST /collections/{name}/points/query/batch"] = """{"searches": [{"query": [1, 2, 3]}]}""",
        ["PUT /collections/{name}/index"] = """{"field_name": "f", "field_schema": {"type": "keyword"}}""",
        ["DELETE /collections/{name}/index/{field}"] = null,
        ["GET /metrics"] = null,
        ["PUT /collections/{name}/points/vectors"] = """{"points": [{"id": 7, "vector": [1, 2, 3]}]}""",
        ["POST /collections/{name}/points/vectors/delete"] = """{"points": [7], "vector": ["extra"]}""",
        ["PUT /collections/{name}/vectors/{vector}"] = """{"sparse": {}}""",
        ["DELETE /collections/{name}/vectors/{vector}"] = null,
        ["POST /collections/aliases"] = """{"actions": []}""",
        ["POST /collections/{name}/facet"] = """{"key": "city"}""",
        ["POST /collections/{name}/points/search/matrix/pairs"] = "{}",
        ["POST /collections/{name}/points/search/matrix/offsets"] = "{}",
        ["POST /collections/{name}/points/query/groups"] = """{"query": [1, 2, 3], "group_by": "city"}""",
        ["POST /collections/{name}/points/recommend"] = """{"positive": [[1, 2, 3]]}""",
        ["POST /collections/{name}/points/recommend/batch"] = """{"searches": [{"positive": [[1, 2, 3]]}]}""",
        ["POST /collections/{name}/points/recommend/groups"] = """{"positive": [[1, 2, 3]], "group_by": "city"}""",
        ["POST /collections/{name}/points/discover"] = """{"target": [1, 2, 3]}""",
        ["POST /collections/{name}/points/discover/batch"] = """{"searches": [{"target": [1, 2, 3]}]}""",
        ["POST /collections/{name}/points/search/groups"] = """{"vector": [1, 2, 3], "group_by": "city"}""",

        // Every kind of operation in one item: a refused field is refused before the item is read as one operation.
        ["POST /collections/{name}/points/batch"] = """
            {"operations": [{"upsert": {"points": [{"id": 100, "vector": [1, 2, 3]}]}, "delete": {"points": [7]}, "set_payload": {"payload": {"x": 2}, "points": [7]},
              "overwrite_payload": {"payload": {"x": 2}, "points": [7]}, "delete_payload": {"keys": ["x"], "points": [7]}, "clear_payload": {"points": [7]},
              "update_vectors": {"points": [{"id": 7, "vector": [1, 2, 3]}]}, "delete_vectors": {"points": [7], "vector": ["extra"]}}]}
            """,
    };

    private readonly ServerFactory _factory;
    private readonly HttpClient _client;

    public RefusedFieldTests(ServerFactory factory)
    {
        _factory = factory;
        _client = factory.CreateClient();
    }

    [Fact]
    public async Task Every_refused_field_and_parameter_is_a_400_naming_it_and_changes_nothing()
    {
        await SetUpAsync();
        var refusals = Catalogue();
        Assert.NotEmpty(refusals);
        foreach (var refusal in refusals)
        {
            string key = $"{refusal.Method} {refusal.Route}";
            Assert.True(Templates.TryGetValue(key, out string? template), $"No template request for {key}: add one.");
            string path = refusal.Route.Replace("{name}", refusal.Method == "PUT" && refusal.Route == "/collections/{name}" ? "refused-new" : Existing, StringComparison.Ordinal)
                .Replace("{field}", "city", StringComparison.Ordinal).Replace("{vector}", "new-vector", StringComparison.Ordinal);
            string? body = template;
            if (refusal.IsQueryParameter)
            {
                path += $"?{refusal.Field}=1";
            }
            else
            {
                var root = JsonNode.Parse(template!)!;
                Set(root, refusal.Field, JsonSerializer.SerializeToNode(refusal.Example));
                body = root.ToJsonString();
            }

            string before = await ChecksumAsync();
            var (status, response) = await _client.SendAsync(new HttpMethod(refusal.Method), path, body);

            string error = response.ValueKind == JsonValueKind.Object ? response.GetProperty("status").GetProperty("error").GetString()! : "";
            Assert.True(status == 400, $"{refusal.Method} {path} {body} answered {status}: {error}");
            Assert.Contains($"`{refusal.Field}`", error, StringComparison.Ordinal);
            Assert.Contains("not supported", error, StringComparison.Ordinal);
            Assert.Equal(before, await ChecksumAsync());
        }
    }

    [Theory]
    [InlineData("PUT", "/collections/refused-new", """{"vectors": {"size": 3, "distance": "Cosine"}, "bogus_field": 1}""", "bogus_field")]
    [InlineData("PUT", "/collections/refused-new", """{"vectors": {"size": 3, "distance": "Cosine", "sise": 4}}""", "vectors.sise")]
    [InlineData("PUT", "/collections/refused-new", """{"vectors": {"size": 3, "distance": "Cosine"}, "hnsw_config": {"ef": 4}}""", "hnsw_config.ef")]
    [InlineData("PUT", "/collections/refused-new", """{"vectors": {"size": 3, "distance": "Cosine"}, "init_from": {"collection": "x"}}""", "init_from")]
    [InlineData("PUT", "/collections/refused-new", """{"Vectors": {"size": 3, "distance": "Cosine"}}""", "Vectors")]
    [InlineData("PUT", "/collections/refusals/points", """{"points": [{"id": 100, "vector": [1, 2, 3], "bogus": {}}]}""", "points[0].bogus")]
    [InlineData("PUT", "/collections/refusals/points", """{"batch": {"ids": [100], "vectors": [[1, 2, 3]], "extra": []}}""", "batch.extra")]
    [InlineData("POST", "/collections/refusals/points/search", """{"vector": [1, 2, 3], "params": {"hnsw_ef": 8, "ef": 8}}""", "params.ef")]
    [InlineData("POST", "/collections/refusals/points/query/batch", """{"searches": [{"query": [1, 2, 3], "params": {"adaptive": {"dims": 2}}}]}""", "searches[0].params.adaptive.dims")]
    [InlineData("POST", "/collections/refusals/points/count", """{"filter": {"must": [{"key": "city", "match": {"value": "x"}, "boost": 2}]}}""", "filter.must[0].boost")]
    [InlineData("POST", "/collections/refusals/points/scroll", """{"with_payload": {"include": ["city"], "also": ["x"]}}""", "with_payload")]
    [InlineData("POST", "/collections/refusals/points/scroll", """{"order_by": {"key": "n", "sort": "desc"}}""", "order_by.sort")]
    [InlineData("PUT", "/collections/refusals/index", """{"field_name": "f", "field_schema": {"type": "keyword", "tenant": true}}""", "field_schema.tenant")]
    [InlineData("POST", "/collections/refusals/points/count?limit=3", "{}", "limit")]
    [InlineData("GET", "/collections/refusals?verbose=true", null, "verbose")]
    [InlineData("DELETE", "/collections/refusals", """{"force": true}""", "force")]
    [InlineData("POST", "/collections/refusals/adaptive/pca", """{"dims": 8}""", "dims")]
    public async Task Unknown_fields_and_parameters_are_a_400_naming_them_and_change_nothing(string method, string path, string? body, string field)
    {
        await SetUpAsync();
        string before = await ChecksumAsync();

        var (status, response) = await _client.SendAsync(new HttpMethod(method), path, body);

        Assert.Equal(400, status);
        Assert.Contains($"`{field}", response.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await ChecksumAsync());
    }

    // Refusals made while reading fields that take several shapes (filters, queries, vectors): not declared by
    // attributes, so docs/rest.md lists them by hand and this table proves each one.
    public static TheoryData<string, string, string, string> ShapeRefusals => new()
    {
        { "vectors.datatype", "PUT", "/collections/refused-new", """{"vectors": {"size": 3, "distance": "Cosine", "datatype": "uint8"}}""" },
        { "filter.…slice", "POST", "/collections/refusals/points/count", """{"filter": {"must": [{"slice": {"total": 2, "index": 0}}]}}""" },
        { "query (inference object)", "POST", "/collections/refusals/points/query", """{"query": {"text": "hello", "model": "sentence-transformers/all-minilm-l6-v2"}}""" },
        { "vectors.multivector_config", "PUT", "/collections/refused-new", """{"vectors": {"size": 3, "distance": "Cosine", "multivector_config": {"comparator": "max_sim"}}}""" },
        { "order_by.start_from", "POST", "/collections/refusals/points/scroll", """{"order_by": {"key": "n", "start_from": "2024-01-01T00:00:00Z"}}""" },
    };

    [Theory]
    [MemberData(nameof(ShapeRefusals))]
    public async Task Shapes_not_built_yet_are_a_400_saying_so_and_change_nothing(string field, string method, string path, string body)
    {
        await SetUpAsync();
        string before = await ChecksumAsync();

        var (status, response) = await _client.SendAsync(new HttpMethod(method), path, body);

        string error = response.GetProperty("status").GetProperty("error").GetString()!;
        Assert.True(status == 400, $"{field}: {status} {error}");
        Assert.Contains("not supported", error, StringComparison.Ordinal);
        Assert.Equal(before, await ChecksumAsync());
    }

    [Fact]
    public void Docs_list_exactly_the_refused_fields()
    {
        string docs = File.ReadAllText(Path.Combine(Repository.Root, "docs", "rest.md"));
        string declared = Section(docs, "refused-fields");
        string expected = RefusedFieldCatalogue.Table(Catalogue());
        Assert.True(declared == expected, $"docs/rest.md's refused-fields table is out of date; it should read:\n{expected}");

        var documentedShapes = Section(docs, "refused-shapes").Split('\n')
            .Where(line => line.StartsWith("| `", StringComparison.Ordinal))
            .Select(line => line.Split('`')[1])
            .ToHashSet();
        Assert.Equal(ShapeRefusals.Select(row => row.Data.Item1).ToHashSet(), documentedShapes);
    }

    [Fact]
    public async Task An_endpoint_that_takes_no_body_accepts_none_or_an_empty_object_and_refuses_any_other()
    {
        await SetUpAsync();
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Get, $"/collections/{Existing}", "{}")).Status);
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Get, $"/collections/{Existing}/exists", "null")).Status);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Get, $"/collections/{Existing}", "[1]")).Status);
        Assert.Equal(400, (await _client.SendAsync(HttpMethod.Delete, $"/collections/{Existing}/index/city", "not json")).Status);
        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Get, $"/collections/{Existing}")).Status);
    }

    [Theory]
    [InlineData("POST", "/collections/refusals/points/delete", """{"filter": {"must": [{"key": "city", "match": {"value": "Oslo"}}], "must": null}}""")]
    [InlineData("POST", "/collections/refusals/points/search", """{"vector": [1, 2, 3], "limit": 1, "limit": 500}""")]
    [InlineData("PUT", "/collections/refusals/points", """{"points": [{"id": 100, "vector": [1, 2, 3], "payload": {"a": 1, "a": 2}}]}""")]
    public async Task A_field_given_twice_is_a_400_not_the_last_one_winning(string method, string path, string body)
    {
        await SetUpAsync();
        string before = await ChecksumAsync();

        var (status, response) = await _client.SendAsync(new HttpMethod(method), path, body);

        Assert.True(status == 400, $"{status} {response}");
        Assert.Equal(before, await ChecksumAsync());
    }

    /// <summary>
    /// LangChain's Python store names Qdrant's unnamed vector by its name, <c>""</c>: a map of that one vector at
    /// creation, with an empty map of sparse vectors, and points whose vectors are such maps.
    /// </summary>
    [Fact]
    public async Task The_unnamed_vector_may_be_named_by_its_name_the_empty_string()
    {
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/unnamed", """{"vectors": {"": {"size": 3, "distance": "Cosine"}}, "sparse_vectors": {}}""");
        Assert.True(status == 200, body.ToString());
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/unnamed/points?wait=true", """{"points": [{"id": 1, "vector": {"": [1, 0, 0]}}, {"id": 2, "vector": [0, 1, 0]}]}""");
        Assert.True(status == 200, body.ToString());
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/unnamed/points?wait=true", """{"batch": {"ids": [3], "vectors": {"": [[0, 0, 1]]}}}""");
        Assert.True(status == 200, body.ToString());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/unnamed/points/query", """{"query": [1, 0.1, 0], "using": "", "limit": 1, "with_vector": [""]}""");
        var hit = body.GetProperty("result").GetProperty("points")[0];
        Assert.Equal(1, hit.GetProperty("id").GetInt32());
        Assert.Equal(3, hit.GetProperty("vector").GetArrayLength());
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/unnamed/points/search", """{"vector": {"name": "", "vector": [0, 0.1, 1]}, "limit": 1}""");
        Assert.Equal(3, body.GetProperty("result")[0].GetProperty("id").GetInt32());

        (status, _) = await _client.SendAsync(HttpMethod.Post, "/collections/unnamed/points/search", """{"vector": {"name": "text", "vector": [0, 0.1, 1]}, "limit": 1}""");
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task A_field_given_as_null_counts_as_absent()
    {
        await SetUpAsync();
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/refusals/points?wait=true",
            """{"points": [{"id": 8, "vector": [3, 2, 1], "payload": null, "vectors": null}], "shard_key": null, "update_filter": null, "update_mode": null, "bogus": null}""");
        Assert.True(status == 200, body.ToString());
        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/refusals/points/query",
            """{"query": [1, 2, 3], "prefetch": null, "lookup_from": null, "using": null, "filter": {"must": null, "min_should": null}, "params": {"quantization": null, "acorn": null}, "with_payload": {"include": ["city"], "exclude": null}}""");
        Assert.True(status == 200, body.ToString());
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/nulls",
            """{"vectors": {"size": 3, "distance": "Dot", "multivector_config": null, "on_disk": null}, "strict_mode_config": null, "quantization_config": null, "sparse_vectors": null, "metadata": null}""");
        Assert.True(status == 200, body.ToString());
    }

    [Fact]
    public async Task Aliases_qdrant_accepts_work_and_both_spellings_at_once_are_refused()
    {
        await SetUpAsync();
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/refusals/points?wait=true", """{"points": [{"id": 9, "vectors": [1, 1, 2]}]}""");
        Assert.Equal(200, status);
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/refusals/points", """{"ids": [9], "with_vectors": true}""");
        Assert.Equal(3, body.GetProperty("result")[0].GetProperty("vector").GetArrayLength());
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/refusals/points/search", """{"vector": [1, 1, 2], "top": 1}""");
        Assert.Single(body.GetProperty("result").EnumerateArray());

        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/refusals/points/scroll", """{"with_vector": true, "with_vectors": true}""");
        Assert.Equal(400, status);
        Assert.Contains("`with_vectors`", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Single_node_values_of_cluster_settings_and_read_and_write_parameters_are_accepted()
    {
        await SetUpAsync();
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/single-node",
            """{"vectors": {"size": 3, "distance": "Cosine", "on_disk": false}, "shard_number": 1, "sharding_method": "auto", "replication_factor": 1, "write_consistency_factor": 1, "on_disk_payload": false, "hnsw_config": {"max_indexing_threads": 0, "on_disk": false}}""");
        Assert.True(status == 200, body.ToString());
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/refusals/points?wait=true&ordering=strong", """{"points": [{"id": 10, "vector": [1, 0, 0]}]}""");
        Assert.Equal(200, status);
        (status, _) = await _client.SendAsync(HttpMethod.Post, "/collections/refusals/points/count?consistency=majority&timeout=5", "{}");
        Assert.Equal(200, status);
        (status, _) = await _client.SendAsync(HttpMethod.Post, "/collections/refusals/points/count?consistency=2", """{"exact": false}""");
        Assert.Equal(200, status);
        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/refusals/points/count?consistency=some", "{}");
        Assert.Equal(400, status);
        Assert.Contains("consistency", body.GetProperty("status").GetProperty("error").GetString(), StringComparison.Ordinal);
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/refusals/points?ordering=fast", """{"points": [{"id": 10, "vector": [1, 0, 0]}]}""");
        Assert.Equal(400, status);
    }

    private List<RefusedFieldCatalogue.Refusal> Catalogue() =>
        RefusedFieldCatalogue.From(_factory.Services.GetRequiredService<EndpointDataSource>());

    private async Task SetUpAsync()
    {
        await _client.SendAsync(HttpMethod.Put, $"/collections/{Existing}", """{"vectors": {"size": 3, "distance": "Cosine"}}""");
        await _client.SendAsync(HttpMethod.Put, $"/collections/{Existing}/points?wait=true", """{"points": [{"id": 7, "vector": [1, 2, 3], "payload": {"city": "Oslo", "x": 1}}]}""");
        await _client.SendAsync(HttpMethod.Put, $"/collections/{Existing}/index?wait=true", """{"field_name": "city", "field_schema": "keyword"}""");
    }

    /// <summary>SHA-256 of the collection list and of each collection's description and points.</summary>
    private async Task<string> ChecksumAsync()
    {
        var text = new StringBuilder();
        var (_, list) = await _client.SendAsync(HttpMethod.Get, "/collections");
        foreach (var name in list.GetProperty("result").GetProperty("collections").EnumerateArray().Select(c => c.GetProperty("name").GetString()).Order(StringComparer.Ordinal))
        {
            var (_, info) = await _client.SendAsync(HttpMethod.Get, $"/collections/{name}");
            var (_, points) = await _client.SendAsync(HttpMethod.Post, $"/collections/{name}/points/scroll", """{"limit": 10000, "with_vector": true}""");
            text.Append(name).Append(info.GetProperty("result").GetRawText()).Append(points.GetProperty("result").GetRawText());
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Sets a field at a path such as <c>searches[0].params.quantization</c>, creating the objects it needs.</summary>
    private static void Set(JsonNode root, string path, JsonNode? value)
    {
        var node = root;
        string[] segments = path.Split('.');
        for (int i = 0; i < segments.Length; i++)
        {
            string segment = segments[i];
            int bracket = segment.IndexOf('[', StringComparison.Ordinal);
            string name = bracket < 0 ? segment : segment[..bracket];
            if (i == segments.Length - 1 && bracket < 0)
            {
                node[name] = value;
                return;
            }

            node = node[name] ??= new JsonObject();
            if (bracket >= 0)
            {
                node = node[int.Parse(segment[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture)]!;
            }
        }
    }

    private static string Section(string docs, string name)
    {
        string begin = $"<!-- {name}:begin -->\n", end = $"<!-- {name}:end -->";
        int start = docs.IndexOf(begin, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/rest.md has no {begin.Trim()} marker");
        start += begin.Length;
        return docs[start..docs.IndexOf(end, start, StringComparison.Ordinal)];
    }
}
