using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using static Qdrant.Client.Grpc.Conditions;

namespace VectorDb.Server.Tests;

// Inside the namespace, so that the client's types win over the engine's of the same names.
using Distance = Qdrant.Client.Grpc.Distance;
using PayloadSchemaType = Qdrant.Client.Grpc.PayloadSchemaType;
using PointId = Qdrant.Client.Grpc.PointId;
using Range = Qdrant.Client.Grpc.Range;

/// <summary>
/// The official .NET client, <c>Qdrant.Client</c> 1.20.0, against a server process over gRPC, as .NET users and
/// Semantic Kernel's Qdrant connector call it: collections, writes by int and UUID ids, reads, searches, queries,
/// payloads, indexes, deletes, and the errors they get.
/// </summary>
public sealed class GrpcApiTests(GrpcServerFixture fixture) : IClassFixture<GrpcServerFixture>
{
    private static readonly Guid Uuid = Guid.Parse("5c56c793-69f3-4fbf-87e6-c4bf54c28c26");

    private readonly QdrantClient _client = fixture.Client;
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_documented_example_runs_against_the_server()
    {
        using var output = new StringWriter();
        int exit = await VectorDb.GrpcExample.QdrantClientExample.RunAsync(fixture.Server.GrpcAddress, output);
        Assert.True(exit == 0, output.ToString());
        Assert.Contains("hit 3: score", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_check_reports_the_same_version_as_rest()
    {
        var health = await _client.HealthAsync(Cancel);
        using var http = fixture.Server.CreateClient();
        var root = await http.GetFromJsonAsync<JsonElement>("/", Cancel);
        Assert.Equal(root.GetProperty("version").GetString(), health.Version);
        Assert.Equal(root.GetProperty("title").GetString(), health.Title);
    }

    [Fact]
    public async Task Points_written_over_grpc_are_read_searched_and_queried_over_grpc_and_rest()
    {
        const string name = "grpc_points";
        await _client.CreateCollectionAsync(name, new VectorParams { Size = 4, Distance = Distance.Cosine }, cancellationToken: Cancel);
        Assert.True(await _client.CollectionExistsAsync(name, Cancel));
        Assert.Contains(name, await _client.ListCollectionsAsync(Cancel));

        var points = Enumerable.Range(1, 20).Select(i => new PointStruct
        {
            Id = (ulong)i,
            Vectors = new[] { 1f, i, i % 3, 0.5f },
            Payload = { ["city"] = i % 2 == 0 ? "London" : "Paris", ["rank"] = i, ["score"] = i / 4.0 },
        }).ToList();
        points.Add(new PointStruct { Id = Uuid, Vectors = new[] { 0.1f, 0.2f, 0.3f, 0.4f }, Payload = { ["city"] = "Berlin", ["tags"] = new[] { "a", "b" } } });
        var upsert = await _client.UpsertAsync(name, points, cancellationToken: Cancel);
        Assert.Equal(UpdateStatus.Completed, upsert.Status);

        var info = await _client.GetCollectionInfoAsync(name, Cancel);
        Assert.Equal(21ul, info.PointsCount);
        Assert.Equal(4ul, info.Config.Params.VectorsConfig.Params.Size);
        Assert.Equal(Distance.Cosine, info.Config.Params.VectorsConfig.Params.Distance);

        var retrieved = await _client.RetrieveAsync(name, [new PointId { Num = 2 }, new PointId { Uuid = Uuid.ToString() }], withPayload: true, withVectors: true, cancellationToken: Cancel);
        Assert.Equal(2, retrieved.Count);
        var two = retrieved.Single(p => p.Id.HasNum && p.Id.Num == 2);
        Assert.Equal("London", two.Payload["city"].StringValue);
        Assert.Equal(2, two.Payload["rank"].IntegerValue);
        Assert.Equal(0.5, two.Payload["score"].DoubleValue);
        var four = (await _client.RetrieveAsync(name, 16ul, cancellationToken: Cancel)).Single();
        Assert.Equal(Value.KindOneofCase.DoubleValue, four.Payload["score"].KindCase); // 16 / 4.0 = 4.0 stays a double
        Assert.Equal(4.0, four.Payload["score"].DoubleValue);
        Assert.Equal(4, two.Vectors.Vector.GetDenseVector()!.Data.Count);
        var berlin = retrieved.Single(p => p.Id.HasUuid);
        Assert.Equal(Uuid.ToString(), berlin.Id.Uuid);
        Assert.Equal(["a", "b"], berlin.Payload["tags"].ListValue.Values.Select(v => v.StringValue));

#pragma warning disable CS0618 // Search is the older RPC, still used by clients and connectors
        var hits = await _client.SearchAsync(name, new[] { 1f, 10, 1, 0.5f }, filter: MatchKeyword("city", "London"), limit: 5, payloadSelector: false, cancellationToken: Cancel);
        Assert.Equal(5, hits.Count);
        Assert.Equal(10ul, hits[0].Id.Num);
        Assert.All(hits, hit => Assert.Equal(0, (int)hit.Id.Num % 2));
        Assert.Empty(hits[0].Payload);
#pragma warning restore CS0618

        var queried = await _client.QueryAsync(name, new[] { 1f, 10, 1, 0.5f }, filter: Range("rank", new Range { Gte = 5, Lte = 8 }), payloadSelector: true, limit: 10, cancellationToken: Cancel);
        Assert.Equal([5ul, 6, 7, 8], queried.Select(p => p.Id.Num).Order().ToList());
        Assert.All(queried, hit => Assert.True(hit.Payload.ContainsKey("city")));

        // The same query over REST gives the same hits and scores.
        using var http = fixture.Server.CreateClient();
        var rest = await (await http.PostAsJsonAsync($"/collections/{name}/points/query", new
        {
            query = new[] { 1f, 10, 1, 0.5f },
            filter = new { must = new[] { new { key = "rank", range = new { gte = 5, lte = 8 } } } },
            limit = 10,
        }, Cancel)).Content.ReadFromJsonAsync<JsonElement>(Cancel);
        var restHits = rest.GetProperty("result").GetProperty("points").EnumerateArray().Select(p => (p.GetProperty("id").GetUInt64(), p.GetProperty("score").GetSingle())).ToList();
        Assert.Equal(restHits, queried.Select(p => (p.Id.Num, p.Score)).ToList());

        var batch = await _client.QueryBatchAsync(name, [
            new QueryPoints { CollectionName = name, Query = new[] { 1f, 3, 0, 0.5f }, Limit = 2 },
            new QueryPoints { CollectionName = name, Query = new PointId { Num = 7 }, Limit = 3, Filter = MatchKeyword("city", "Paris") },
        ], cancellationToken: Cancel);
        Assert.Equal(2, batch.Count);
        Assert.Equal(2, batch[0].Result.Count);
        Assert.Equal(3, batch[1].Result.Count);
        Assert.DoesNotContain(batch[1].Result, hit => hit.Id.Num == 7); // a query by id leaves that point out

        Assert.Equal(10ul, await _client.CountAsync(name, MatchKeyword("city", "London"), cancellationToken: Cancel));
        Assert.Equal(21ul, await _client.CountAsync(name, cancellationToken: Cancel));

        var seen = new List<PointId>();
        PointId? offset = null;
        do
        {
            var page = await _client.ScrollAsync(name, limit: 6, offset: offset, cancellationToken: Cancel);
            Assert.InRange(page.Result.Count, 1, 6);
            seen.AddRange(page.Result.Select(p => p.Id));
            offset = page.NextPageOffset;
        }
        while (offset is not null);
        Assert.Equal(21, seen.Distinct().Count());
    }

    [Fact]
    public async Task Payloads_indexes_and_deletes_change_what_reads_see()
    {
        const string name = "grpc_writes";
        await _client.CreateCollectionAsync(name, new VectorParams { Size = 2, Distance = Distance.Euclid }, cancellationToken: Cancel);
        await _client.UpsertAsync(name, [.. Enumerable.Range(0, 10).Select(i => new PointStruct
        {
            Id = (ulong)i,
            Vectors = new[] { i, 0f },
            Payload = { ["group"] = i < 5 ? "low" : "high", ["n"] = i },
        })], cancellationToken: Cancel);

        await _client.CreatePayloadIndexAsync(name, "group", PayloadSchemaType.Keyword, cancellationToken: Cancel);
        var info = await _client.GetCollectionInfoAsync(name, Cancel);
        Assert.Equal(PayloadSchemaType.Keyword, info.PayloadSchema["group"].DataType);
        Assert.Equal(10ul, info.PayloadSchema["group"].Points);

        await _client.SetPayloadAsync(name, new Dictionary<string, Value> { ["flag"] = true }, MatchKeyword("group", "high"), cancellationToken: Cancel);
        Assert.Equal(5ul, await _client.CountAsync(name, Match("flag", true), cancellationToken: Cancel));

        await _client.OverwritePayloadAsync(name, new Dictionary<string, Value> { ["only"] = "this" }, 9ul, cancellationToken: Cancel);
        var nine = (await _client.RetrieveAsync(name, 9ul, cancellationToken: Cancel)).Single();
        Assert.Equal(["only"], nine.Payload.Keys);

        await _client.DeletePayloadAsync(name, ["n"], 0ul, cancellationToken: Cancel);
        Assert.False((await _client.RetrieveAsync(name, 0ul, cancellationToken: Cancel)).Single().Payload.ContainsKey("n"));

        await _client.ClearPayloadAsync(name, 1ul, cancellationToken: Cancel);
        Assert.Empty((await _client.RetrieveAsync(name, 1ul, cancellationToken: Cancel)).Single().Payload);

        await _client.UpdateVectorsAsync(name, [new PointVectors { Id = 2ul, Vectors = new[] { 100f, 100f } }], cancellationToken: Cancel);
        var moved = await _client.QueryAsync(name, new[] { 100f, 100f }, limit: 1, cancellationToken: Cancel);
        Assert.Equal(2ul, moved.Single().Id.Num);

        await _client.DeleteAsync(name, 3ul, cancellationToken: Cancel);
        await _client.DeleteAsync(name, MatchKeyword("group", "high"), cancellationToken: Cancel);
        Assert.Equal([0ul, 1, 2, 4, 9], (await _client.ScrollAsync(name, cancellationToken: Cancel)).Result.Select(p => p.Id.Num).ToList()); // 9 lost its group

        await _client.DeletePayloadIndexAsync(name, "group", cancellationToken: Cancel);
        Assert.Empty((await _client.GetCollectionInfoAsync(name, Cancel)).PayloadSchema);

        await _client.CreateAliasAsync("grpc_alias", name, cancellationToken: Cancel);
        Assert.Contains(await _client.ListAliasesAsync(Cancel), alias => alias.AliasName == "grpc_alias" && alias.CollectionName == name);
        Assert.Equal(5ul, await _client.CountAsync("grpc_alias", cancellationToken: Cancel));
        await _client.DeleteAliasAsync("grpc_alias", cancellationToken: Cancel);

        await _client.DeleteCollectionAsync(name, cancellationToken: Cancel);
        Assert.False(await _client.CollectionExistsAsync(name, Cancel));
    }

    [Fact]
    public async Task Errors_come_back_as_grpc_statuses_with_qdrants_messages_and_change_nothing()
    {
        const string name = "grpc_errors";
        await _client.CreateCollectionAsync(name, new VectorParams { Size = 3, Distance = Distance.Dot }, cancellationToken: Cancel);

        var missing = await Assert.ThrowsAsync<RpcException>(() => _client.CountAsync("no_such_collection", cancellationToken: Cancel));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no_such_collection", missing.Status.Detail, StringComparison.Ordinal);

        var exists = await Assert.ThrowsAsync<RpcException>(() => _client.CreateCollectionAsync(name, new VectorParams { Size = 3, Distance = Distance.Dot }, cancellationToken: Cancel));
        Assert.Equal(StatusCode.AlreadyExists, exists.StatusCode);

        var wrongSize = await Assert.ThrowsAsync<RpcException>(() => _client.UpsertAsync(name, [new PointStruct { Id = 1ul, Vectors = new[] { 1f, 2f } }], cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, wrongSize.StatusCode);
        Assert.StartsWith("Wrong input:", wrongSize.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0ul, await _client.CountAsync(name, cancellationToken: Cancel));

        var shards = await Assert.ThrowsAsync<RpcException>(() => _client.CreateCollectionAsync("grpc_sharded", new VectorParams { Size = 3, Distance = Distance.Dot }, shardNumber: 3, cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, shards.StatusCode);
        Assert.Contains("shard_number", shards.Status.Detail, StringComparison.Ordinal);
        Assert.False(await _client.CollectionExistsAsync("grpc_sharded", Cancel));

#pragma warning disable CS0618 // the older Search RPC
        var refused = await Assert.ThrowsAsync<RpcException>(() => _client.SearchAsync(name, new[] { 1f, 2f, 3f }, searchParams: new SearchParams { Acorn = new AcornSearchParams { Enable = true } }, cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("params.acorn", refused.Status.Detail, StringComparison.Ordinal);
#pragma warning restore CS0618
    }
}
