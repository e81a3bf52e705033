using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using static Qdrant.Client.Grpc.Conditions;

namespace VectorDb.Server.Tests;

using Distance = Qdrant.Client.Grpc.Distance;
using PayloadSchemaType = Qdrant.Client.Grpc.PayloadSchemaType;
using Expression = Qdrant.Client.Grpc.Expression;
using Formula = Qdrant.Client.Grpc.Formula;
using Query = Qdrant.Client.Grpc.Query;
using RecommendStrategy = Qdrant.Client.Grpc.RecommendStrategy;
using ScoredPoint = Qdrant.Client.Grpc.ScoredPoint;
using SparseVector = Qdrant.Client.Grpc.SparseVector;
using VectorInput = Qdrant.Client.Grpc.VectorInput;

/// <summary>
/// Several vectors per point and the universal query over gRPC: named dense, sparse (with server-side BM25) and
/// multivectors, prefetch and fusion, groups, facets, the distance matrix, batched updates, collection changes and
/// snapshots, each answered as over REST.
/// </summary>
public sealed class GrpcQueryTests(GrpcServerFixture fixture) : IClassFixture<GrpcServerFixture>
{
    private const string Hybrid = "grpc_hybrid";

    private readonly QdrantClient _client = fixture.Client;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Named_sparse_and_multivectors_are_written_and_fused_in_one_query()
    {
        await _client.CreateCollectionAsync(Hybrid, new VectorParamsMap
        {
            Map =
            {
                ["text"] = new VectorParams { Size = 3, Distance = Distance.Cosine },
                ["colbert"] = new VectorParams { Size = 2, Distance = Distance.Dot, MultivectorConfig = new MultiVectorConfig { Comparator = MultiVectorComparator.MaxSim } },
            },
        }, sparseVectorsConfig: ("bm25", new SparseVectorParams { Modifier = Modifier.Idf }), cancellationToken: Cancel);

        string[] texts = ["the quick brown fox", "a lazy dog sleeps", "quick quick fox jumps", "nothing to see here"];
        await _client.UpsertAsync(Hybrid, [.. texts.Select((text, i) => new PointStruct
        {
            Id = (ulong)i,
            Vectors = new Dictionary<string, Vector>
            {
                ["text"] = new[] { 1f, i, 0.5f },
                ["colbert"] = new[] { new[] { 1f, i }, new[] { 0.5f, 0.5f } },
                ["bm25"] = new Document { Text = text, Model = "qdrant/bm25" },
            },
            Payload = { ["text"] = text, ["kind"] = i % 2 == 0 ? "even" : "odd" },
        })], cancellationToken: Cancel);

        var info = await _client.GetCollectionInfoAsync(Hybrid, Cancel);
        Assert.Equal(["colbert", "text"], info.Config.Params.VectorsConfig.ParamsMap.Map.Keys.Order());
        Assert.Equal(Modifier.Idf, info.Config.Params.SparseVectorsConfig.Map["bm25"].Modifier);

        var lexical = await _client.QueryAsync(Hybrid, new Document { Text = "quick fox", Model = "qdrant/bm25" }, usingVector: "bm25", limit: 2, cancellationToken: Cancel);
        Assert.Equal([2ul, 0], lexical.Select(hit => hit.Id.Num).ToList());

        // A raw sparse query: point 1's own terms find point 1 first.
        var own = (await _client.RetrieveAsync(Hybrid, [1ul], withPayload: false, withVectors: true, cancellationToken: Cancel)).Single().Vectors.Vectors.Vectors["bm25"].GetSparseVector()!;
        var sparseQuery = new SparseVector();
        sparseQuery.Indices.AddRange(own.Indices);
        sparseQuery.Values.AddRange(own.Values);
        var sparse = await _client.QueryAsync(Hybrid, new Query { Nearest = new VectorInput { Sparse = sparseQuery } }, usingVector: "bm25", cancellationToken: Cancel);
        Assert.Equal(1ul, sparse[0].Id.Num);
        var unknownTerms = await _client.QueryAsync(Hybrid, new Query { Nearest = new VectorInput { Sparse = new SparseVector { Indices = { 1, 2 }, Values = { 0.5f, 0.5f } } } }, usingVector: "bm25", cancellationToken: Cancel);
        Assert.Empty(unknownTerms); // no document holds those term ids

        var multi = await _client.QueryAsync(Hybrid, new[] { new[] { 1f, 3f } }, usingVector: "colbert", limit: 1, cancellationToken: Cancel);
        Assert.Equal(3ul, multi.Single().Id.Num);

        var fused = await _client.QueryAsync(Hybrid, Fusion.Rrf, prefetch:
        [
            new PrefetchQuery { Query = new Document { Text = "quick fox", Model = "qdrant/bm25" }, Using = "bm25", Limit = 3 },
            new PrefetchQuery { Query = new[] { 1f, 2f, 0.5f }, Using = "text", Limit = 3 },
        ], limit: 3, payloadSelector: true, vectorsSelector: new WithVectorsSelector { Include = new VectorsSelector { Names = { "text", "bm25" } } }, cancellationToken: Cancel);
        Assert.Equal(2ul, fused[0].Id.Num); // first in both legs
        var vectors = fused[0].Vectors.Vectors.Vectors;
        Assert.Equal(["bm25", "text"], vectors.Keys.Order());
        var stored = vectors["text"].GetDenseVector()!.Data;
        Assert.All(new[] { 1f, 2f, 0.5f }.Select((x, i) => (Expected: x / MathF.Sqrt(5.25f), Actual: stored[i])), pair => Assert.Equal(pair.Expected, pair.Actual, 1e-5f)); // cosine rows are stored normalised
        Assert.NotEmpty(vectors["bm25"].GetSparseVector()!.Indices);

        var batch = await _client.UpdateBatchAsync(Hybrid,
        [
            new PointsUpdateOperation { SetPayload = new PointsUpdateOperation.Types.SetPayload { Payload = { ["seen"] = true }, PointsSelector = new PointsSelector { Filter = MatchKeyword("kind", "even") } } },
            new PointsUpdateOperation { DeleteVectors = new PointsUpdateOperation.Types.DeleteVectors { PointsSelector = new PointsSelector { Points = new PointsIdsList { Ids = { 1ul } } }, Vectors = new VectorsSelector { Names = { "colbert" } } } },
        ], cancellationToken: Cancel);
        Assert.Equal(2, batch.Count);
        Assert.Equal(2ul, await _client.CountAsync(Hybrid, Match("seen", true), cancellationToken: Cancel));
        var one = (await _client.RetrieveAsync(Hybrid, [1ul], withPayload: false, withVectors: true, cancellationToken: Cancel)).Single();
        Assert.DoesNotContain("colbert", one.Vectors.Vectors.Vectors.Keys);
    }

    [Fact]
    public async Task Groups_facets_and_the_distance_matrix_answer_as_over_rest()
    {
        const string name = "grpc_explore";
        await _client.CreateCollectionAsync(name, new VectorParams { Size = 2, Distance = Distance.Euclid }, cancellationToken: Cancel);
        await _client.UpsertAsync(name, [.. Enumerable.Range(0, 12).Select(i => new PointStruct
        {
            Id = (ulong)i,
            Vectors = new[] { (float)i, 0f },
            Payload = { ["team"] = $"t{i % 3}" },
        })], cancellationToken: Cancel);
        await _client.CreatePayloadIndexAsync(name, "team", PayloadSchemaType.Keyword, cancellationToken: Cancel);

        var groups = await _client.QueryGroupsAsync(name, "team", new[] { 0f, 0f }, limit: 3, groupSize: 2, cancellationToken: Cancel);
        Assert.Equal(["t0", "t1", "t2"], groups.Select(g => g.Id.StringValue).ToList());
        Assert.All(groups, group => Assert.Equal(2, group.Hits.Count));
        Assert.Equal([0ul, 3], groups[0].Hits.Select(hit => hit.Id.Num).ToList());

        var facets = await _client.FacetAsync(name, "team", cancellationToken: Cancel);
        Assert.Equal(["t0", "t1", "t2"], facets.Hits.Select(hit => hit.Value.StringValue).Order().ToList());
        Assert.All(facets.Hits, hit => Assert.Equal(4ul, hit.Count));

        // A formula over a prefetch: points of team t1 boosted by 100, scored as over REST.
        var boost = new Formula
        {
            Expression = new Expression
            {
                Sum = new SumExpression
                {
                    Sum =
                    {
                        new Expression { Variable = "$score" },
                        new Expression { Mult = new MultExpression { Mult = { new Expression { Constant = 100 }, new Expression { Condition = MatchKeyword("team", "t1") } } } },
                    },
                },
            },
        };
        var boosted = await _client.QueryAsync(name, boost, prefetch: [new PrefetchQuery { Query = new[] { 0f, 0f }, Limit = 6 }], limit: 3, cancellationToken: Cancel);
        Assert.Equal([1ul, 4], boosted.Take(2).Select(hit => hit.Id.Num).Order().ToList());
        using var http = fixture.Server.CreateClient();
        var rest = await (await http.PostAsJsonAsync($"/collections/{name}/points/query", new
        {
            prefetch = new { query = new[] { 0f, 0f }, limit = 6 },
            query = new { formula = new { sum = new object[] { "$score", new { mult = new object[] { 100, new { key = "team", match = new { value = "t1" } } } } } } },
            limit = 3,
        }, Cancel)).Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(
            rest.GetProperty("result").GetProperty("points").EnumerateArray().Select(p => (p.GetProperty("id").GetUInt64(), p.GetProperty("score").GetSingle())).ToList(),
            boosted.Select(hit => (hit.Id.Num, hit.Score)).ToList());

        var pairs = await _client.SearchMatrixPairsAsync(name, sample: 12, limit: 1, cancellationToken: Cancel);
        Assert.Equal(12, pairs.Pairs.Count);
        var offsets = await _client.SearchMatrixOffsetsAsync(name, sample: 12, limit: 1, cancellationToken: Cancel);
        Assert.Equal(12, offsets.Ids.Count);
        Assert.Equal(12, offsets.Scores.Count);
    }

    [Fact]
    public async Task Older_recommend_discover_and_group_rpcs_answer_as_the_universal_query()
    {
        const string name = "grpc_older";
        await _client.CreateCollectionAsync(name, new VectorParams { Size = 3, Distance = Distance.Cosine }, cancellationToken: Cancel);
        await _client.UpsertAsync(name, [.. Enumerable.Range(1, 12).Select(i => new PointStruct
        {
            Id = (ulong)i,
            Vectors = new[] { MathF.Cos(i * 0.5f), MathF.Sin(i * 0.5f), 0.05f * i },
            Payload = { ["kind"] = $"k{i % 3}" },
        })], cancellationToken: Cancel);
        await _client.CreatePayloadIndexAsync(name, "kind", PayloadSchemaType.Keyword, cancellationToken: Cancel);
        static List<(ulong, float)> Hits(IEnumerable<ScoredPoint> points) => [.. points.Select(p => (p.Id.Num, p.Score))];

#pragma warning disable CS0618 // the older RPCs, served for the clients that still call them
        var recommendInput = new RecommendInput { Positive = { 1ul, 2ul }, Negative = { 7ul }, Strategy = RecommendStrategy.BestScore };
        recommendInput.Positive.Add(new[] { 0.9f, 0.5f, 0.1f });
        var query = await _client.QueryAsync(name, new Query { Recommend = recommendInput }, limit: 4, offset: 1, cancellationToken: Cancel);
        var old = await _client.RecommendAsync(
            name, [1ul, 2ul], [7ul], positiveVectors: new Vector[] { new[] { 0.9f, 0.5f, 0.1f } }, strategy: RecommendStrategy.BestScore, limit: 4, offset: 1, cancellationToken: Cancel);
        Assert.Equal(4, old.Count);
        Assert.Equal(Hits(query), Hits(old));

        var batch = await _client.RecommendBatchAsync(name, [new RecommendPoints { CollectionName = name, Positive = { 3ul }, Limit = 2 }, new RecommendPoints { CollectionName = name, Positive = { 5ul }, Limit = 1 }], cancellationToken: Cancel);
        Assert.Equal([2, 1], batch.Select(b => b.Result.Count).ToList());
        Assert.Equal(Hits(await _client.QueryAsync(name, new Query { Recommend = new RecommendInput { Positive = { 3ul } } }, limit: 2, cancellationToken: Cancel)), Hits(batch[0].Result));

        var pairs = new[]
        {
            new ContextExamplePair { Positive = new VectorExample { Id = 2ul }, Negative = new VectorExample { Id = 9ul } },
            new ContextExamplePair { Positive = new VectorExample { Vector = new[] { 1f, 0.2f, 0f } }, Negative = new VectorExample { Id = 5ul } },
        };
        var contextInput = new ContextInput
        {
            Pairs =
            {
                new ContextInputPair { Positive = 2ul, Negative = 9ul },
                new ContextInputPair { Positive = new[] { 1f, 0.2f, 0f }, Negative = 5ul },
            },
        };
        var notK0 = new Filter { MustNot = { MatchKeyword("kind", "k0") } };
        query = await _client.QueryAsync(name, new Query { Discover = new DiscoverInput { Target = 4ul, Context = contextInput } }, filter: notK0, limit: 4, offset: 1, cancellationToken: Cancel);
        old = await _client.DiscoverAsync(name, new TargetVector { Single = new VectorExample { Id = 4ul } }, pairs, filter: notK0, limit: 4, offset: 1, cancellationToken: Cancel);
        Assert.Equal(4, old.Count);
        Assert.Equal(Hits(query), Hits(old));
        query = await _client.QueryAsync(name, new Query { Context = contextInput }, limit: 5, cancellationToken: Cancel);
        old = await _client.DiscoverAsync(name, pairs, limit: 5, cancellationToken: Cancel);
        Assert.Equal(Hits(query), Hits(old));
        var discoverBatch = await _client.DiscoverBatchAsync(name, [new DiscoverPoints { CollectionName = name, Context = { pairs }, Limit = 5 }], cancellationToken: Cancel);
        Assert.Equal(Hits(old), Hits(discoverBatch[0].Result));

        var queryGroups = await _client.QueryGroupsAsync(name, "kind", new[] { 1f, 0.3f, 0f }, limit: 3, groupSize: 2, cancellationToken: Cancel);
        var searchGroups = await _client.SearchGroupsAsync(name, new[] { 1f, 0.3f, 0f }, "kind", limit: 3, groupSize: 2, cancellationToken: Cancel);
        Assert.Equal(queryGroups.ToString(), searchGroups.ToString());
        Assert.Equal(3, searchGroups.Count);
        queryGroups = await _client.QueryGroupsAsync(
            name, "kind", new Query { Recommend = new RecommendInput { Positive = { 1ul, 2ul }, Strategy = RecommendStrategy.SumScores } }, filter: notK0, scoreThreshold: 0.1f, limit: 2, groupSize: 3, cancellationToken: Cancel);
        var recommendGroups = await _client.RecommendGroupsAsync(name, "kind", [1ul, 2ul], strategy: RecommendStrategy.SumScores, filter: notK0, scoreThreshold: 0.1f, limit: 2, groupSize: 3, cancellationToken: Cancel);
        Assert.All(recommendGroups, group => Assert.NotEqual("k0", group.Id.StringValue));
        Assert.Equal(queryGroups.ToString(), recommendGroups.ToString());

        var sharded = await Assert.ThrowsAsync<RpcException>(() => _client.RecommendAsync(name, [1ul], shardKeySelector: new ShardKeySelector { ShardKeys = { new ShardKey { Keyword = "a" } } }, cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, sharded.StatusCode);
        Assert.Contains("shard_key_selector", sharded.Status.Detail, StringComparison.Ordinal);
        var memberTimeout = await Assert.ThrowsAsync<RpcException>(() => _client.RecommendBatchAsync(name, [new RecommendPoints { CollectionName = name, Positive = { 1ul }, Limit = 1, Timeout = 5 }], cancellationToken: Cancel));
        Assert.Contains("recommend_points[0].timeout", memberTimeout.Status.Detail, StringComparison.Ordinal);
        var noPositive = await Assert.ThrowsAsync<RpcException>(() => _client.RecommendAsync(name, [], [1ul], cancellationToken: Cancel));
        Assert.Equal(StatusCode.InvalidArgument, noPositive.StatusCode);
        var missing = await Assert.ThrowsAsync<RpcException>(() => _client.RecommendAsync(name, [404ul], cancellationToken: Cancel));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        var noGroupSize = await Assert.ThrowsAsync<RpcException>(() => _client.SearchGroupsAsync(name, new[] { 1f, 0f, 0f }, "kind", groupSize: 0, cancellationToken: Cancel));
        Assert.Contains("group_size", noGroupSize.Status.Detail, StringComparison.Ordinal);
#pragma warning restore CS0618
    }

    [Fact]
    public async Task Snapshots_are_taken_listed_and_deleted()
    {
        using var root = new VectorDb.Tests.TempDirectory();
        await using var server = await ServerProcess.StartAsync("--data-dir", Path.Combine(root.Path, "data"));
        using var client = new QdrantClient(server.GrpcAddress);
        await client.CreateCollectionAsync("snapped", new VectorParams { Size = 2, Distance = Distance.Dot }, cancellationToken: Cancel);
        await client.UpsertAsync("snapped", [new PointStruct { Id = 1ul, Vectors = new[] { 1f, 2f } }], cancellationToken: Cancel);

        var snapshot = await client.CreateSnapshotAsync("snapped", Cancel);
        Assert.True(snapshot.Size > 0);
        Assert.Equal(64, snapshot.Checksum.Length);
        Assert.Equal([snapshot.Name], (await client.ListSnapshotsAsync("snapped", Cancel)).Select(s => s.Name));

        using var http = server.CreateClient(); // the same snapshot over REST, downloadable
        Assert.Equal(snapshot.Size, (await http.GetByteArrayAsync(new Uri($"/collections/snapped/snapshots/{snapshot.Name}", UriKind.Relative), Cancel)).LongLength);

        await client.DeleteSnapshotAsync("snapped", snapshot.Name, Cancel);
        Assert.Empty(await client.ListSnapshotsAsync("snapped", Cancel));
        var missing = await Assert.ThrowsAsync<RpcException>(() => client.DeleteSnapshotAsync("snapped", snapshot.Name, Cancel));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Empty(await client.ListFullSnapshotsAsync(Cancel));
        var full = await client.CreateFullSnapshotAsync(Cancel);
        Assert.StartsWith("full-snapshot-", full.Name, StringComparison.Ordinal);
        Assert.Equal([full.Name], (await client.ListFullSnapshotsAsync(Cancel)).Select(s => s.Name));
        Assert.Equal(full.Size, (await http.GetByteArrayAsync(new Uri($"/snapshots/{full.Name}", UriKind.Relative), Cancel)).LongLength);
        await client.DeleteFullSnapshotAsync(full.Name, Cancel);
        Assert.Empty(await client.ListFullSnapshotsAsync(Cancel));
        missing = await Assert.ThrowsAsync<RpcException>(() => client.DeleteFullSnapshotAsync(full.Name, Cancel));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Collection_settings_and_vectors_change_over_grpc()
    {
        const string name = "grpc_settings";
        await _client.CreateCollectionAsync(name, new VectorParams { Size = 2, Distance = Distance.Cosine }, hnswConfig: new HnswConfigDiff { M = 8 }, cancellationToken: Cancel);
        await _client.UpdateCollectionAsync(name, hnswConfig: new HnswConfigDiff { EfConstruct = 64 }, cancellationToken: Cancel);
        var hnsw = (await _client.GetCollectionInfoAsync(name, Cancel)).Config.HnswConfig;
        Assert.Equal(8ul, hnsw.M);
        Assert.Equal(64ul, hnsw.EfConstruct);

        await _client.CreateVectorNameAsync(new CreateVectorNameRequest
        {
            CollectionName = name,
            VectorName = "image",
            DenseConfig = new DenseVectorCreationConfig { Size = 3, Distance = Distance.Dot },
            Wait = true,
        }, Cancel);
        Assert.Equal(3ul, (await _client.GetCollectionInfoAsync(name, Cancel)).Config.Params.VectorsConfig.ParamsMap.Map["image"].Size);
        await _client.DeleteVectorNameAsync(new DeleteVectorNameRequest { CollectionName = name, VectorName = "image", Wait = true }, Cancel);
        Assert.Equal(VectorsConfig.ConfigOneofCase.Params, (await _client.GetCollectionInfoAsync(name, Cancel)).Config.Params.VectorsConfig.ConfigCase);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _client.UpdateCollectionAsync(name, optimizersConfig: new OptimizersConfigDiff { IndexingThreshold = 10 }, cancellationToken: Cancel));
        Assert.Contains("optimizers_config", refused.Status.Detail, StringComparison.Ordinal);
    }
}
