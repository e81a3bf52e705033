using System.Text.Json;

namespace VectorDb.Server.Tests;

/// <summary>Named dense vectors, sparse vectors and server-side BM25 through Qdrant's REST shapes.</summary>
public sealed class NamedVectorApiTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static string Error(JsonElement body) => body.GetProperty("status").GetProperty("error").GetString()!;

    private async Task CreateHybridAsync(string name)
    {
        await _client.SendAsync(HttpMethod.Delete, $"/collections/{name}");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}", """
            {"vectors": {"text": {"size": 3, "distance": "Cosine"}, "image": {"size": 2, "distance": "Euclid", "datatype": "float16"}},
             "sparse_vectors": {"bm25": {"modifier": "idf"}, "splade": {"index": {"on_disk": false, "datatype": "float32"}}}}
            """);
        Assert.True(status == 200, body.ToString());
        (status, body) = await _client.SendAsync(HttpMethod.Put, $"/collections/{name}/points?wait=true", """
            {"points": [
              {"id": 1, "vector": {"text": [1, 0, 0], "image": [0, 0], "bm25": {"text": "Recipe for baking chocolate chip cookies", "model": "qdrant/bm25"}}, "payload": {"kind": "recipe"}},
              {"id": 2, "vector": {"text": [0, 1, 0], "bm25": {"text": "Chocolate cake with cherries", "model": "Qdrant/BM25"}, "splade": {"indices": [7, 3], "values": [0.5, 2]}}, "payload": {"kind": "recipe"}},
              {"id": 3, "vector": {"text": [0, 0, 1], "image": [5, 5], "bm25": {"text": "How to change a bicycle tyre", "model": "bm25"}}, "payload": {"kind": "howto"}},
              {"id": 4, "vector": {}, "payload": {"kind": "empty"}}
            ]}
            """);
        Assert.True(status == 200, body.ToString());
    }

    [Fact]
    public async Task A_hybrid_collection_is_created_described_filled_and_searched_by_each_vector()
    {
        await CreateHybridAsync("hybrid");
        var (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/hybrid");
        var parameters = body.GetProperty("result").GetProperty("config").GetProperty("params");
        Assert.Equal(3, parameters.GetProperty("vectors").GetProperty("text").GetProperty("size").GetInt32());
        Assert.Equal("float16", parameters.GetProperty("vectors").GetProperty("image").GetProperty("datatype").GetString());
        Assert.Equal("idf", parameters.GetProperty("sparse_vectors").GetProperty("bm25").GetProperty("modifier").GetString());
        Assert.Equal(4, body.GetProperty("result").GetProperty("points_count").GetInt32());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/hybrid/points/query", """{"query": [0.1, 0.9, 0], "using": "text", "limit": 1, "with_vector": ["text", "splade"]}""");
        var hit = body.GetProperty("result").GetProperty("points")[0];
        Assert.Equal(2, hit.GetProperty("id").GetInt32());
        Assert.Equal(3, hit.GetProperty("vector").GetProperty("text").GetArrayLength());
        Assert.Equal([3, 7], hit.GetProperty("vector").GetProperty("splade").GetProperty("indices").EnumerateArray().Select(i => i.GetInt32()));
        Assert.False(hit.GetProperty("vector").TryGetProperty("bm25", out _));

        // BM25 as Qdrant's server does it: the query's terms weigh 1 each, times IDF over the collection.
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/hybrid/points/query", """{"query": {"text": "chocolate cookies", "model": "qdrant/bm25"}, "using": "bm25", "with_payload": true}""");
        var hits = body.GetProperty("result").GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([1, 2], hits.Select(h => h.GetProperty("id").GetInt32()));
        float idf(int n, int df) => MathF.Log(((n - df + 0.5f) / (df + 0.5f)) + 1f);
        Assert.Equal((idf(3, 2) * 1.6697302f) + (idf(3, 1) * 1.6697302f), hits[0].GetProperty("score").GetSingle(), 1e-4);

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/hybrid/points/search", """{"vector": {"name": "splade", "vector": {"indices": [3], "values": [1]}}, "limit": 5}""");
        Assert.Equal(2f, body.GetProperty("result")[0].GetProperty("score").GetSingle());
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/hybrid/points/search", """{"vector": {"name": "image", "vector": [4, 4]}, "limit": 5, "filter": {"must": [{"key": "kind", "match": {"value": "recipe"}}]}}""");
        Assert.Equal([1], body.GetProperty("result").EnumerateArray().Select(h => h.GetProperty("id").GetInt32())); // point 2 has no image

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/hybrid/points/query", """{"query": 3, "using": "image", "limit": 5}""");
        Assert.Equal([1], body.GetProperty("result").GetProperty("points").EnumerateArray().Select(h => h.GetProperty("id").GetInt32()));

        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/hybrid/points/4");
        Assert.Empty(body.GetProperty("result").GetProperty("vector").EnumerateObject());
    }

    [Fact]
    public async Task Vectors_are_updated_and_deleted_without_touching_payloads_and_named_vectors_come_and_go()
    {
        await CreateHybridAsync("updates");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/updates/points/vectors?wait=true", """{"points": [{"id": 3, "vector": {"text": [0, 1, 0.1], "splade": {"indices": [1], "values": [1]}}}, {"id": 99, "vector": {"text": [1, 1, 1]}}]}""");
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/updates/points", """{"ids": [3], "with_vector": true}""");
        var point = body.GetProperty("result")[0];
        Assert.Equal("howto", point.GetProperty("payload").GetProperty("kind").GetString());
        Assert.Equal(2, point.GetProperty("vector").GetProperty("image").GetArrayLength());
        Assert.Equal([1], point.GetProperty("vector").GetProperty("splade").GetProperty("indices").EnumerateArray().Select(i => i.GetInt32()));

        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/updates/points/vectors/delete?wait=true", """{"filter": {"must": [{"key": "kind", "match": {"value": "recipe"}}]}, "vector": ["bm25"]}""");
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/updates/points/query", """{"query": {"text": "chocolate", "model": "bm25"}, "using": "bm25"}""");
        Assert.Empty(body.GetProperty("result").GetProperty("points").EnumerateArray());

        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/updates/vectors/v2?wait=true", """{"dense": {"size": 2, "distance": "Dot"}}""");
        Assert.True(status == 200, body.ToString());
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/updates/points/vectors?wait=true", """{"points": [{"id": 1, "vector": {"v2": [1, 2]}}]}""");
        Assert.Equal(200, status);
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/updates/points/query", """{"query": [1, 1], "using": "v2"}""");
        Assert.Equal(3f, body.GetProperty("result").GetProperty("points")[0].GetProperty("score").GetSingle());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/updates");
        Assert.Equal("Dot", body.GetProperty("result").GetProperty("config").GetProperty("params").GetProperty("vectors").GetProperty("v2").GetProperty("distance").GetString());

        Assert.Equal(200, (await _client.SendAsync(HttpMethod.Delete, "/collections/updates/vectors/v2?wait=true")).Status);
        Assert.Equal(404, (await _client.SendAsync(HttpMethod.Delete, "/collections/updates/vectors/v2")).Status);
        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/updates/points/query", """{"query": [1, 1], "using": "v2"}""");
        Assert.Equal(400, status);
        Assert.Contains("v2", Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"points": [{"id": 9, "vector": {"nope": [1, 2, 3]}}]}""", "nope")]
    [InlineData("""{"points": [{"id": 9, "vector": {"text": [1, 2]}}]}""", "dim")]
    [InlineData("""{"points": [{"id": 9, "vector": {"text": {"indices": [1], "values": [1]}}}]}""", "points[0].vector.text")]
    [InlineData("""{"points": [{"id": 9, "vector": {"splade": [1, 2]}}]}""", "points[0].vector.splade")]
    [InlineData("""{"points": [{"id": 9, "vector": {"splade": {"indices": [1, 1], "values": [1, 2]}}}]}""", "more than once")]
    [InlineData("""{"points": [{"id": 9, "vector": {"splade": {"indices": [-1], "values": [1]}}}]}""", "indices[0]")]
    [InlineData("""{"points": [{"id": 9, "vector": {"splade": {"indices": [1, 2], "values": [1]}}}]}""", "as many values")]
    [InlineData("""{"points": [{"id": 9, "vector": {"splade": {"indices": [1], "values": [1], "extra": 1}}}]}""", "extra")]
    [InlineData("""{"points": [{"id": 9, "vector": {"bm25": {"text": "x", "model": "qdrant/bm25", "options": {"language": "german"}}}}]}""", "language")]
    [InlineData("""{"points": [{"id": 9, "vector": {"bm25": {"text": "x", "model": "qdrant/bm25", "options": {"k": -1}}}}]}""", "options.k")]
    [InlineData("""{"points": [{"id": 9, "vector": {"bm25": {"text": "x", "model": "qdrant/bm25", "options": {"kk": 1}}}}]}""", "options.kk")]
    [InlineData("""{"points": [{"id": 9, "vector": {"text": {"text": "x", "model": "sentence-transformers/all-minilm-l6-v2"}}}]}""", "not supported")]
    [InlineData("""{"points": [{"id": 9, "vector": [1, 2, 3]}]}""", "unnamed")]
    [InlineData("""{"points": [{"id": 9, "vector": {"text": [1, 0, 0]}}, {"id": 10, "vector": {"text": [[1, 0, 0]]}}]}""", "a multivector")]
    public async Task Malformed_vectors_are_a_400_naming_them_and_write_nothing(string body, string expected)
    {
        await CreateHybridAsync("bad-input");
        var (status, response) = await _client.SendAsync(HttpMethod.Put, "/collections/bad-input/points?wait=true", body);
        Assert.Equal(400, status);
        Assert.Contains(expected, Error(response), StringComparison.Ordinal);
        (_, response) = await _client.SendAsync(HttpMethod.Post, "/collections/bad-input/points/count", "{}");
        Assert.Equal(4, response.GetProperty("result").GetProperty("count").GetInt32());
    }

    [Theory]
    [InlineData("""{"query": [1, 0, 0], "using": "nope"}""", "nope")]
    [InlineData("""{"query": [1, 0, 0]}""", "no unnamed vector")]
    [InlineData("""{"query": {"indices": [1], "values": [1]}, "using": "text"}""", "is sparse")]
    [InlineData("""{"query": [1, 0, 0], "using": "splade"}""", "must be a sparse vector")]
    [InlineData("""{"query": [1, 0, 0], "using": "text", "with_vector": ["nope"]}""", "nope")]
    [InlineData("""{"query": {"indices": [1], "values": [1]}, "using": "splade", "params": {"adaptive": {"search_dims": 2}}}""", "adaptive")]
    public async Task Queries_naming_the_wrong_vector_are_a_400(string body, string expected)
    {
        await CreateHybridAsync("bad-queries");
        var (status, response) = await _client.SendAsync(HttpMethod.Post, "/collections/bad-queries/points/query", body);
        Assert.Equal(400, status);
        Assert.Contains(expected, Error(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_multivector_is_given_as_a_list_of_vectors_and_scored_by_MaxSim()
    {
        await _client.SendAsync(HttpMethod.Delete, "/collections/colbert");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/colbert",
            """{"vectors": {"colbert": {"size": 2, "distance": "Dot", "multivector_config": {"comparator": "max_sim"}}, "plain": {"size": 2, "distance": "Dot"}}}""");
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/colbert");
        Assert.Equal("max_sim", body.GetProperty("result").GetProperty("config").GetProperty("params").GetProperty("vectors").GetProperty("colbert").GetProperty("multivector_config").GetProperty("comparator").GetString());
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/colbert/points?wait=true", """
            {"points": [{"id": 1, "vector": {"colbert": [[1, 0], [0, 1]], "plain": [1, 1]}}, {"id": 2, "vector": {"colbert": [[2, 0]]}}]}
            """);
        Assert.True(status == 200, body.ToString());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/colbert/points/query", """{"query": [[1, 0], [0, 1]], "using": "colbert", "with_vector": true}""");
        var hits = body.GetProperty("result").GetProperty("points").EnumerateArray().ToList();
        Assert.Equal([(1, 2f), (2, 2f)], hits.Select(h => (h.GetProperty("id").GetInt32(), h.GetProperty("score").GetSingle())));
        Assert.Equal(2, hits[0].GetProperty("vector").GetProperty("colbert").GetArrayLength());
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/colbert/points/query", """{"query": 2, "using": "colbert", "params": {"exact": true}}""");
        Assert.Equal(2f, body.GetProperty("result").GetProperty("points")[0].GetProperty("score").GetSingle());

        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/colbert/points", """{"points": [{"id": 3, "vector": {"colbert": [1, 0]}}]}""");
        Assert.Equal(400, status);
        Assert.Contains("multivector", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/colbert/points", """{"points": [{"id": 3, "vector": {"plain": [[1, 0]]}}]}""");
        Assert.Equal(400, status);
        Assert.Contains("one vector per point", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/colbert/points", """{"points": [{"id": 3, "vector": {"colbert": []}}]}""");
        Assert.Equal(400, status);
        Assert.Contains("empty", Error(body), StringComparison.Ordinal);
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/colbert/points", """{"points": [{"id": 3, "vector": {"colbert": [[1, 0, 0]]}}]}""");
        Assert.Equal(400, status);
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/colbert-euclid", """{"vectors": {"m": {"size": 2, "distance": "Euclid", "multivector_config": {"comparator": "max_sim"}}}}""");
        Assert.Equal(400, status);
        Assert.Contains("Cosine or Dot", Error(body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"must": [{"has_vector": "image"}]}""", 2)]
    [InlineData("""{"must_not": [{"has_vector": "splade"}]}""", 3)]
    [InlineData("""{"must": [{"key": "kind", "values_count": {"gte": 1}}]}""", 4)]
    [InlineData("""{"min_should": {"conditions": [{"has_vector": "image"}, {"has_vector": "splade"}, {"key": "kind", "match": {"value": "recipe"}}], "min_count": 2}}""", 2)]
    public async Task Has_vector_values_count_and_min_should_filter_points(string filter, int expected)
    {
        await CreateHybridAsync("conditions");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/conditions/points/count", $$"""{"filter": {{filter}}, "exact": true}""");
        Assert.True(status == 200, body.ToString());
        Assert.Equal(expected, body.GetProperty("result").GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_text_index_is_created_with_its_parameters_described_and_used_by_text_conditions()
    {
        await CreateHybridAsync("fulltext");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/fulltext/index?wait=true",
            """{"field_name": "kind", "field_schema": {"type": "text", "tokenizer": "word", "lowercase": true, "phrase_matching": true, "stopwords": {"languages": ["english"], "custom": ["HOWTO"]}, "stemmer": {"type": "snowball", "language": "english"}}}""");
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/fulltext");
        var schema = body.GetProperty("result").GetProperty("payload_schema").GetProperty("kind");
        Assert.Equal("text", schema.GetProperty("data_type").GetString());
        Assert.True(schema.GetProperty("params").GetProperty("phrase_matching").GetBoolean());
        Assert.Contains("howto", schema.GetProperty("params").GetProperty("stopwords").GetProperty("custom").EnumerateArray().Select(w => w.GetString()));
        Assert.Equal("snowball", schema.GetProperty("params").GetProperty("stemmer").GetProperty("type").GetString());

        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/fulltext/points/count", """{"filter": {"must": [{"key": "kind", "match": {"text": "RECIPES"}}]}}""");
        Assert.Equal(2, body.GetProperty("result").GetProperty("count").GetInt32());
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/fulltext/points/count", """{"filter": {"must": [{"key": "kind", "match": {"text_any": "howto recipe"}}]}}""");
        Assert.Equal(2, body.GetProperty("result").GetProperty("count").GetInt32());

        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/fulltext/points/count", """{"filter": {"must": [{"key": "other", "match": {"phrase": "a b"}}]}}""");
        Assert.Equal(400, status);
        Assert.Contains("text", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/fulltext/index", """{"field_name": "x", "field_schema": {"type": "text", "tokenizer": "multilingual"}}""");
        Assert.Equal(400, status);
        Assert.Contains("tokenizer", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/fulltext/index", """{"field_name": "x", "field_schema": {"type": "keyword", "lowercase": true}}""");
        Assert.Equal(400, status);
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/fulltext/index", """{"field_name": "x", "field_schema": {"type": "text", "stemmer": {"type": "snowball", "language": "german"}}}""");
        Assert.Equal(400, status);
        Assert.Contains("german", Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Geo_and_datetime_conditions_work_with_and_without_their_indexes()
    {
        await _client.SendAsync(HttpMethod.Delete, "/collections/places");
        await _client.SendAsync(HttpMethod.Put, "/collections/places", """{"vectors": {"size": 2, "distance": "Euclid"}}""");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/places/points?wait=true", """
            {"points": [
              {"id": 1, "vector": [0, 0], "payload": {"at": {"lon": 13.405, "lat": 52.52}, "when": "2024-05-01T12:00:00Z"}},
              {"id": 2, "vector": [1, 0], "payload": {"at": [{"lon": 2.35, "lat": 48.86}, {"lon": 13.06, "lat": 52.39}], "when": "2024-05-02"}},
              {"id": 3, "vector": [2, 0], "payload": {"at": {"lon": 37.62, "lat": 55.76}, "when": "2023-01-01T00:00:00+05:00"}}]}
            """);
        Assert.True(status == 200, body.ToString());
        const string Near = """{"filter": {"must": [{"key": "at", "geo_radius": {"center": {"lon": 13.405, "lat": 52.52}, "radius": 30000}}]}}""";
        const string Recent = """{"filter": {"must": [{"key": "when", "range": {"gte": "2024-05-01T00:00:00Z"}}]}}""";
        foreach (bool indexed in new[] { false, true })
        {
            if (indexed)
            {
                Assert.Equal(200, (await _client.SendAsync(HttpMethod.Put, "/collections/places/index?wait=true", """{"field_name": "at", "field_schema": "geo"}""")).Status);
                Assert.Equal(200, (await _client.SendAsync(HttpMethod.Put, "/collections/places/index?wait=true", """{"field_name": "when", "field_schema": {"type": "datetime"}}""")).Status);
            }

            (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/places/points/count", Near);
            Assert.Equal(2, body.GetProperty("result").GetProperty("count").GetInt32());
            (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/places/points/count", Recent);
            Assert.Equal(2, body.GetProperty("result").GetProperty("count").GetInt32());
        }

        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/places");
        Assert.Equal("geo", body.GetProperty("result").GetProperty("payload_schema").GetProperty("at").GetProperty("data_type").GetString());
        Assert.Equal("datetime", body.GetProperty("result").GetProperty("payload_schema").GetProperty("when").GetProperty("data_type").GetString());
    }

    [Fact]
    public async Task A_vector_may_set_its_own_graph_parameters()
    {
        await _client.SendAsync(HttpMethod.Delete, "/collections/graphs");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/graphs",
            """{"vectors": {"small": {"size": 2, "distance": "Dot", "hnsw_config": {"m": 8, "ef_construct": 40}}, "plain": {"size": 2, "distance": "Dot"}}, "hnsw_config": {"m": 24}}""");
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/graphs");
        var vectors = body.GetProperty("result").GetProperty("config").GetProperty("params").GetProperty("vectors");
        Assert.Equal(8, vectors.GetProperty("small").GetProperty("hnsw_config").GetProperty("m").GetInt32());
        Assert.Equal(40, vectors.GetProperty("small").GetProperty("hnsw_config").GetProperty("ef_construct").GetInt32());
        Assert.False(vectors.GetProperty("plain").TryGetProperty("hnsw_config", out _));
        Assert.Equal(24, body.GetProperty("result").GetProperty("config").GetProperty("hnsw_config").GetProperty("m").GetInt32());

        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/graphs-bad", """{"vectors": {"v": {"size": 2, "distance": "Dot", "hnsw_config": {"payload_m": 16}}}}""");
        Assert.Equal(400, status);
        Assert.Contains("vectors.v.hnsw_config.payload_m", Error(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_named_vector_with_matryoshka_prefixes_takes_adaptive_searches()
    {
        await _client.SendAsync(HttpMethod.Delete, "/collections/mrl");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/mrl", """{"vectors": {"mrl": {"size": 4, "distance": "Euclid", "matryoshka": [2, 4]}}}""");
        Assert.True(status == 200, body.ToString());
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/mrl/points?wait=true",
            """{"points": [{"id": 1, "vector": {"mrl": [0, 0, 0, 0]}}, {"id": 2, "vector": {"mrl": [1, 1, 0, 0]}}, {"id": 3, "vector": {"mrl": [5, 5, 5, 5]}}]}""");
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/mrl");
        Assert.Equal([2, 4], body.GetProperty("result").GetProperty("config").GetProperty("params").GetProperty("vectors").GetProperty("mrl").GetProperty("matryoshka").EnumerateArray().Select(d => d.GetInt32()));

        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/mrl/points/query", """{"query": [1, 1, 0, 0], "using": "mrl", "limit": 2, "params": {"adaptive": {"search_dims": 2, "oversampling": 2}}}""");
        Assert.True(status == 200, body.ToString());
        Assert.Equal([2, 1], body.GetProperty("result").GetProperty("points").EnumerateArray().Select(p => p.GetProperty("id").GetInt32()));
        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/mrl/points/query", """{"query": [1, 1, 0, 0], "using": "mrl", "params": {"adaptive": {"search_dims": 3}}}""");
        Assert.Equal(400, status);
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/mrl-bad", """{"vectors": {"size": 4, "distance": "Euclid", "matryoshka": [2]}}""");
        Assert.Equal(400, status);
    }

    [Fact]
    public async Task The_batch_form_takes_a_map_of_named_vector_columns()
    {
        await CreateHybridAsync("batch");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/batch/points?wait=true", """
            {"batch": {"ids": [10, 11], "vectors": {"text": [[1, 1, 0], [0, 1, 1]], "bm25": [{"text": "red apple", "model": "bm25"}, {"text": "green apple", "model": "bm25"}]}}}
            """);
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/batch/points/query", """{"query": {"text": "green", "model": "bm25"}, "using": "bm25"}""");
        Assert.Equal([11], body.GetProperty("result").GetProperty("points").EnumerateArray().Select(h => h.GetProperty("id").GetInt32()));
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/batch/points?wait=true", """{"batch": {"ids": [12, 13], "vectors": {"text": [[1, 1, 0]]}}}""");
        Assert.Equal(400, status);
    }
}
