using Qdrant.Client;
using Qdrant.Client.Grpc;
using static Qdrant.Client.Grpc.Conditions;

namespace VectorDb.GrpcExample;

/// <summary>Qdrant's .NET client, unchanged, on VectorDb's gRPC port: create, write, index, search with a filter, page, clean up.</summary>
public static class QdrantClientExample
{
    /// <summary>Runs the example against the server at <paramref name="address"/>; 0 when every step answered as expected.</summary>
    public static async Task<int> RunAsync(Uri address, TextWriter output)
    {
        using var client = new QdrantClient(address); // apiKey: "..." when the server has one
        string collection = $"grpc_example_{Guid.NewGuid():N}";

        await client.CreateCollectionAsync(collection, new VectorParams { Size = 4, Distance = Distance.Cosine });
        await client.CreatePayloadIndexAsync(collection, "city", PayloadSchemaType.Keyword);

        await client.UpsertAsync(collection,
        [
            new() { Id = 1, Vectors = new[] { 0.05f, 0.61f, 0.76f, 0.74f }, Payload = { ["city"] = "Berlin", ["price"] = 1.99 } },
            new() { Id = 2, Vectors = new[] { 0.19f, 0.81f, 0.75f, 0.11f }, Payload = { ["city"] = "London", ["price"] = 2.50 } },
            new() { Id = 3, Vectors = new[] { 0.36f, 0.55f, 0.47f, 0.94f }, Payload = { ["city"] = "London", ["price"] = 0.99 } },
            new() { Id = Guid.Parse("5c56c793-69f3-4fbf-87e6-c4bf54c28c26"), Vectors = new[] { 0.18f, 0.01f, 0.85f, 0.80f }, Payload = { ["city"] = "Moscow" } },
        ]);
        output.WriteLine($"points: {await client.CountAsync(collection)}");

        // The universal query: nearest to a vector, among London's points under 2.60, with payloads.
        var hits = await client.QueryAsync(collection,
            query: new[] { 0.2f, 0.1f, 0.9f, 0.7f },
            filter: MatchKeyword("city", "London") & Range("price", new Qdrant.Client.Grpc.Range { Lt = 2.60 }),
            payloadSelector: true,
            limit: 3);
        foreach (var hit in hits)
        {
            output.WriteLine($"hit {hit.Id.Num}: score {hit.Score:F3}, city {hit.Payload["city"].StringValue}, price {hit.Payload["price"].DoubleValue}");
        }

        var page = await client.ScrollAsync(collection, filter: MatchKeyword("city", "London"), limit: 10);
        output.WriteLine($"London's points: {string.Join(", ", page.Result.Select(p => p.Id.Num))}");

        await client.DeleteCollectionAsync(collection);
        bool ok = hits.Count == 2 && hits[0].Id.Num == 3 && page.Result.Count == 2;
        output.WriteLine(ok ? "done" : "unexpected answers");
        return ok ? 0 : 1;
    }
}
