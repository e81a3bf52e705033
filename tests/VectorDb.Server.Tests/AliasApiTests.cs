using System.Text.Json;

namespace VectorDb.Server.Tests;

/// <summary>Qdrant's alias API, and aliases used wherever a collection name is.</summary>
public sealed class AliasApiTests(ServerFactory factory) : IClassFixture<ServerFactory>
{
    private readonly HttpClient _client = factory.CreateClient();

    private static string Error(JsonElement body) => body.GetProperty("status").GetProperty("error").GetString()!;

    private static List<(string Alias, string Collection)> Aliases(JsonElement body) =>
        [.. body.GetProperty("result").GetProperty("aliases").EnumerateArray().Select(a => (a.GetProperty("alias_name").GetString()!, a.GetProperty("collection_name").GetString()!))];

    [Fact]
    public async Task Aliases_are_created_listed_used_switched_and_deleted()
    {
        foreach (string name in new[] { "alias-blue", "alias-green" })
        {
            await _client.SendAsync(HttpMethod.Delete, $"/collections/{name}");
            await _client.SendAsync(HttpMethod.Put, $"/collections/{name}", """{"vectors": {"size": 2, "distance": "Dot"}}""");
        }

        await _client.SendAsync(HttpMethod.Put, "/collections/alias-green/points?wait=true", """{"points": [{"id": 9, "vector": [1, 0]}]}""");
        var (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/aliases", """{"actions": [{"create_alias": {"collection_name": "alias-blue", "alias_name": "alias-live"}}]}""");
        Assert.True(status == 200, body.ToString());
        Assert.True(body.GetProperty("result").GetBoolean());

        // Writes and reads through the alias reach the collection.
        (status, _) = await _client.SendAsync(HttpMethod.Put, "/collections/alias-live/points?wait=true", """{"points": [{"id": 1, "vector": [1, 0]}]}""");
        Assert.Equal(200, status);
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/alias-blue/points/count", "{}");
        Assert.Equal(1, body.GetProperty("result").GetProperty("count").GetInt32());

        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/aliases", """
            {"actions": [{"delete_alias": {"alias_name": "alias-live"}}, {"create_alias": {"collection_name": "alias-green", "alias_name": "alias-live"}},
                         {"create_alias": {"collection_name": "alias-blue", "alias_name": "alias-old"}}, {"rename_alias": {"old_alias_name": "alias-old", "new_alias_name": "alias-previous"}}]}
            """);
        Assert.True(status == 200, body.ToString());
        (_, body) = await _client.SendAsync(HttpMethod.Post, "/collections/alias-live/points/query", """{"query": [1, 0]}""");
        Assert.Equal(9, body.GetProperty("result").GetProperty("points")[0].GetProperty("id").GetInt32());
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/collections/alias-blue/aliases");
        Assert.Equal([("alias-previous", "alias-blue")], Aliases(body));
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/aliases");
        Assert.Contains(("alias-live", "alias-green"), Aliases(body));

        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/aliases", """{"actions": [{"delete_alias": {"alias_name": "alias-live"}}, {"create_alias": {"collection_name": "nowhere", "alias_name": "alias-live"}}]}""");
        Assert.Equal(404, status);
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/aliases");
        Assert.Contains(("alias-live", "alias-green"), Aliases(body)); // the batch changed nothing

        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/aliases", """{"actions": [{"create_alias": {"collection_name": "alias-green", "alias_name": "alias-blue"}}]}""");
        Assert.Equal(400, status);
        Assert.Contains("alias-blue", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Put, "/collections/alias-live", """{"vectors": {"size": 2, "distance": "Dot"}}""");
        Assert.Equal(400, status);
        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/aliases", """{"actions": [{"create_alias": {"collection_name": "alias-green"}}]}""");
        Assert.Equal(400, status);
        Assert.Contains("actions[0].create_alias.alias_name", Error(body), StringComparison.Ordinal);
        (status, body) = await _client.SendAsync(HttpMethod.Post, "/collections/aliases", """{"actions": [{"create_alias": {"collection_name": "alias-green", "alias_name": "a"}, "delete_alias": {"alias_name": "b"}}]}""");
        Assert.Equal(400, status);

        await _client.SendAsync(HttpMethod.Delete, "/collections/alias-green");
        (_, body) = await _client.SendAsync(HttpMethod.Get, "/aliases");
        Assert.DoesNotContain(Aliases(body), a => a.Collection == "alias-green");
    }
}
