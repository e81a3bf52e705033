using System.Globalization;
using System.Text;
using System.Text.Json;

namespace VectorDb.Server.Tests;

/// <summary><c>quantization_config</c> at creation, per vector and by PATCH; search params <c>quantization</c>; bad input refused by name.</summary>
public sealed class QuantizationApiTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static string Error(JsonElement body) => body.GetProperty("status").GetProperty("error").GetString()!;

    private static string Points(int count)
    {
        var random = new Random(1);
        var text = new StringBuilder("""{"points": [""");
        for (int i = 0; i < count; i++)
        {
            string Vector(int length) => "[" + string.Join(",", Enumerable.Range(0, length).Select(_ => random.NextDouble().ToString("F4", CultureInfo.InvariantCulture))) + "]";
            text.Append(CultureInfo.InvariantCulture, $$$"""{{{(i > 0 ? "," : "")}}}{"id": {{{i}}}, "vector": {"": {{{Vector(8)}}}, "own": {{{Vector(4)}}}}}""");
        }

        return text.Append("]}").ToString();
    }

    [Fact]
    public async Task A_quantized_collection_is_created_described_searched_and_changed()
    {
        await _client.SendAsync(HttpMethod.Delete, "/collections/int8");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/int8", """
            {"vectors": {"": {"size": 8, "distance": "Euclid"}, "own": {"size": 4, "distance": "Dot", "quantization_config": {"scalar": {"type": "int8", "quantile": 0.9}}}},
             "quantization_config": {"scalar": {"type": "int8", "always_ram": true}}}
            """);
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/int8");
        var config = body.GetProperty("result").GetProperty("config");
        Assert.Equal("""{"scalar":{"type":"int8","always_ram":true}}""", config.GetProperty("quantization_config").GetRawText());
        Assert.Equal("""{"scalar":{"type":"int8","quantile":0.9}}""", config.GetProperty("params").GetProperty("vectors").GetProperty("own").GetProperty("quantization_config").GetRawText());

        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/int8/points?wait=true", Points(1200));
        Assert.True(status == 200, body.ToString());
        string[] parameters =
        [
            """{"quantization": {"rescore": true, "oversampling": 2.5}}""",
            """{"quantization": {"rescore": false}}""",
            """{"quantization": {"ignore": true}, "hnsw_ef": 64}""",
        ];
        foreach (string given in parameters)
        {
            (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/int8/points/query", $$"""{"query": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], "limit": 5, "params": {{given}}}""");
            Assert.True(status == 200, body.ToString());
            Assert.Equal(5, body.GetProperty("result").GetProperty("points").GetArrayLength());
        }

        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/int8/points/search", """{"vector": {"name": "own", "vector": [1, 0, 0, 0]}, "limit": 3, "params": {"quantization": {"oversampling": 3}}}""");
        Assert.True(status == 200, body.ToString());

        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/int8", """{"quantization_config": {"scalar": {"type": "int8", "quantile": 0.95}}}""");
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/int8");
        Assert.Equal(0.95, body.GetProperty("result").GetProperty("config").GetProperty("quantization_config").GetProperty("scalar").GetProperty("quantile").GetDouble(), 1e-6);
        (status, body) = await _client.SendAsync(HttpMethod.Patch, "/collections/int8", """{"quantization_config": "Disabled"}""");
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/int8");
        Assert.False(body.GetProperty("result").GetProperty("config").TryGetProperty("quantization_config", out _));
        Assert.True(body.GetProperty("result").GetProperty("config").GetProperty("params").GetProperty("vectors").GetProperty("own").TryGetProperty("quantization_config", out _));
    }

    [Fact]
    public async Task Binary_searches_explain_the_rows_they_rescored()
    {
        await _client.SendAsync(HttpMethod.Delete, "/collections/binary");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/binary", """
            {"vectors": {"": {"size": 8, "distance": "Euclid"}, "own": {"size": 4, "distance": "Dot"}},
             "quantization_config": {"binary": {"encoding": "one_and_half_bits", "query_encoding": "scalar4bits"}}}
            """);
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/binary");
        Assert.Equal("""{"binary":{"encoding":"one_and_half_bits","query_encoding":"scalar4bits"}}""", body.GetProperty("result").GetProperty("config").GetProperty("quantization_config").GetRawText());
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/binary/points?wait=true", Points(1200));
        Assert.True(status == 200, body.ToString());

        // Without an oversampling the beam's candidates are rescored while their error bounds leave them a chance; with one, limit × oversampling.
        const string query = """{"query": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], "limit": 5, "params": {"explain": true, "hnsw_ef": 40""";
        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/binary/points/query", query + "}}");
        Assert.True(status == 200, body.ToString());
        long bounded = body.GetProperty("result").GetProperty("explain").GetProperty("search").GetProperty("rescored").GetInt64();
        Assert.InRange(bounded, 5, 40);
        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/binary/points/query", query + """, "quantization": {"oversampling": 2}}}""");
        Assert.True(status == 200, body.ToString());
        Assert.Equal(10, body.GetProperty("result").GetProperty("explain").GetProperty("search").GetProperty("rescored").GetInt64());
        Assert.Equal(5, body.GetProperty("result").GetProperty("points").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot"}, "quantization_config": {"scalar": {"quantile": 0.99}}}""", "quantization_config.scalar.type")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot"}, "quantization_config": {"scalar": {"type": "uint4"}}}""", "quantization_config.scalar.type")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot"}, "quantization_config": {"scalar": {"type": "int8", "quantile": 0.3}}}""", "quantile")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot"}, "quantization_config": {"product": {"compression": "x16"}}}""", "quantization_config.product")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot"}, "quantization_config": {"binary": {"encoding": "three_bits"}}}""", "quantization_config.binary.encoding")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot"}, "quantization_config": {"binary": {"query_encoding": "scalar2bits"}}}""", "quantization_config.binary.query_encoding")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Manhattan"}, "quantization_config": {"binary": {}}}""", "Manhattan")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot"}, "quantization_config": {"binary": {}, "scalar": {"type": "int8"}}}""", "not both")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot"}, "quantization_config": {}}""", "quantization_config")]
    [InlineData("""{"vectors": {"m": {"size": 4, "distance": "Dot", "multivector_config": {"comparator": "max_sim"}, "quantization_config": {"scalar": {"type": "int8"}}}}}""", "multivector")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot", "memory": "warm"}}""", "vectors.memory")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot", "memory": "cold", "on_disk": false}}""", "disagree")]
    [InlineData("""{"vectors": {"size": 4, "distance": "Dot", "on_disk": true}}""", "directory")] // this server's database is in memory
    [InlineData("""{"vectors": {"m": {"size": 4, "distance": "Dot", "memory": "cached", "multivector_config": {"comparator": "max_sim"}}}}""", "multivector")]
    public async Task Bad_quantization_settings_are_refused_by_name(string request, string named)
    {
        await _client.SendAsync(HttpMethod.Delete, "/collections/bad-int8");
        var (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/bad-int8", request);
        Assert.Equal(400, status);
        Assert.Contains(named, Error(body), StringComparison.Ordinal);
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/bad-int8/exists");
        Assert.False(body.GetProperty("result").GetProperty("exists").GetBoolean());
    }

    [Fact]
    public async Task Bad_quantization_params_are_refused_by_name()
    {
        await _client.SendAsync(HttpMethod.Delete, "/collections/params-int8");
        await _client.SendAsync(HttpMethod.Put, "/collections/params-int8", """{"vectors": {"size": 2, "distance": "Dot"}, "sparse_vectors": {"words": {}}, "quantization_config": {"scalar": {"type": "int8"}}}""");
        (string Body, string Named)[] cases =
        [
            ("""{"query": [1, 0], "params": {"quantization": {"oversampling": 0.5}}}""", "oversampling"),
            ("""{"query": [1, 0], "params": {"quantization": {"rescore": true, "bogus": 1}}}""", "bogus"),
            ("""{"query": {"indices": [1], "values": [1]}, "using": "words", "params": {"quantization": {"rescore": false}}}""", "params.quantization"),
            ("""{"query": [1, 0], "limit": 100, "params": {"quantization": {"oversampling": 1000000}}}""", "oversampling"),
            ("""{"prefetch": {"query": [1, 0]}, "query": [1, 0], "params": {"quantization": {"ignore": true}}}""", "params.quantization"),
        ];
        foreach (var (request, named) in cases)
        {
            var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/params-int8/points/query", request);
            Assert.True(status == 400, $"{request}: {body}");
            Assert.Contains(named, Error(body), StringComparison.Ordinal);
        }

        var (patched, error) = await _client.SendAsync(HttpMethod.Patch, "/collections/params-int8", """{"quantization_config": "Enabled"}""");
        Assert.Equal(400, patched);
        Assert.Contains("quantization_config", Error(error), StringComparison.Ordinal);
    }
}
