using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Body of <c>POST …/points/recommend</c> (and of each of <c>/recommend/batch</c>'s searches); <c>top</c> is an alias of <c>limit</c>, as in Qdrant.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record RecommendPointsRequest(
    JsonElement[]? Positive, JsonElement[]? Negative, string? Strategy, JsonElement? Filter, SearchParams? Params, int? Limit, int? Offset,
    JsonElement? WithPayload, JsonElement? WithVector, float? ScoreThreshold, string? Using, LookupLocation? LookupFrom) : RequestBody
{
    public int? Top { get; init; }

    public JsonElement? WithVectors { get; init; }

    public RecommendRequest ToRecommend() => new(Positive, Negative, Strategy);
}

/// <summary>Body of <c>POST …/points/recommend/groups</c>.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record RecommendGroupsRequest(
    JsonElement[]? Positive, JsonElement[]? Negative, string? Strategy, JsonElement? Filter, SearchParams? Params, int? Limit,
    JsonElement? WithPayload, JsonElement? WithVector, float? ScoreThreshold, string? Using, LookupLocation? LookupFrom,
    string? GroupBy, int? GroupSize, [property: ReadAs(typeof(WithLookup))] JsonElement? WithLookup) : RequestBody
{
    public JsonElement? WithVectors { get; init; }

    public RecommendRequest ToRecommend() => new(Positive, Negative, Strategy);
}

/// <summary>Body of <c>POST …/points/discover</c>: without a <c>target</c>, a context search; <c>top</c> is an alias of <c>limit</c>.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record DiscoverPointsRequest(
    JsonElement? Target, JsonElement? Context, JsonElement? Filter, SearchParams? Params, int? Limit, int? Offset,
    JsonElement? WithPayload, JsonElement? WithVector, string? Using, LookupLocation? LookupFrom) : RequestBody
{
    public int? Top { get; init; }

    public JsonElement? WithVectors { get; init; }
}

/// <summary>Body of <c>POST …/points/search/groups</c>.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record SearchGroupsRequest(
    JsonElement Vector, JsonElement? Filter, SearchParams? Params, int? Limit, JsonElement? WithPayload, JsonElement? WithVector, float? ScoreThreshold,
    string? GroupBy, int? GroupSize, [property: ReadAs(typeof(WithLookup))] JsonElement? WithLookup) : RequestBody
{
    public JsonElement? WithVectors { get; init; }
}

internal sealed record RecommendBatchRequest(IReadOnlyList<RecommendPointsRequest?>? Searches) : RequestBody;

internal sealed record DiscoverBatchRequest(IReadOnlyList<DiscoverPointsRequest?>? Searches) : RequestBody;

/// <summary>
/// The endpoints Qdrant had before the universal query — <c>points/recommend</c>, <c>points/discover</c> (and their
/// batches), <c>points/search/groups</c>, <c>points/recommend/groups</c> — served as the universal queries that replaced
/// them, with the same results, limits and errors. Older clients (and code written against them) keep working.
/// </summary>
internal static class OlderQueryApi
{
    public static RouteGroupBuilder MapOlderQueryApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}/points").WithTags("Search").AddEndpointFilter<RequestValidationFilter>();
        group.MapPost("/recommend", (string name, RecommendPointsRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            strict.Read(collection, context);
            return Qdrant.Ok(QueryTimeout.Run(context, limits, cancellation => Recommend(db, collection, request, "", limits, cancellation)).Points);
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/recommend/batch", (string name, RecommendBatchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            var outcomes = SearchApi.RunBatch(collection, request.Searches, context, limits, strict, (r, path, cancellation) => Recommend(db, collection, r, path, limits, cancellation));
            return Qdrant.Ok(outcomes.Select(o => o.Points).ToList());
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/recommend/groups", (string name, RecommendGroupsRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            strict.Read(collection, context);
            return Qdrant.Ok(QueryTimeout.Run(context, limits, cancellation => GroupsApi.Grouped(
                db, collection,
                new QueryJson(db, collection).ExampleStage(
                    (reader, vector, lookup) => reader.Recommend(request.ToRecommend(), vector, lookup, ""),
                    request.Using, request.Filter, request.Params, request.ScoreThreshold, request.Limit, request.LookupFrom, ""),
                new Grouping(request.GroupBy, request.GroupSize, request.WithLookup),
                request.WithPayload, WithVector(request.WithVector, request.WithVectors), request.Params, limits, cancellation)));
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/discover", (string name, DiscoverPointsRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            strict.Read(collection, context);
            return Qdrant.Ok(QueryTimeout.Run(context, limits, cancellation => Discover(db, collection, request, "", limits, cancellation)).Points);
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/discover/batch", (string name, DiscoverBatchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            var outcomes = SearchApi.RunBatch(collection, request.Searches, context, limits, strict, (r, path, cancellation) => Discover(db, collection, r, path, limits, cancellation));
            return Qdrant.Ok(outcomes.Select(o => o.Points).ToList());
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/search/groups", (string name, SearchGroupsRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            strict.Read(collection, context);
            return Qdrant.Ok(QueryTimeout.Run(context, limits, cancellation => GroupsApi.Grouped(
                db, collection,
                SearchApi.VectorStage(db, collection, request.Vector, request.Filter, request.Params, request.Limit, request.ScoreThreshold),
                new Grouping(request.GroupBy, request.GroupSize, request.WithLookup),
                request.WithPayload, WithVector(request.WithVector, request.WithVectors), request.Params, limits, cancellation)));
        }).WithMetadata(QueryParameters.Read);
        return group;
    }

    private static SearchOutcome Recommend(VectorDatabase database, Collection collection, RecommendPointsRequest request, string path, ServerOptions limits, CancellationToken cancellation)
    {
        NoExplain(request.Params, path);
        var stage = new QueryJson(database, collection).ExampleStage(
            (reader, vector, lookup) => reader.Recommend(request.ToRecommend(), vector, lookup, path),
            request.Using, request.Filter, request.Params, request.ScoreThreshold, Limit(request.Limit, request.Top, path), request.LookupFrom, path);
        return SearchApi.Run(collection, stage, request.Offset, request.WithPayload, WithVector(request.WithVector, request.WithVectors), explain: false, limits, cancellation);
    }

    private static SearchOutcome Discover(VectorDatabase database, Collection collection, DiscoverPointsRequest request, string path, ServerOptions limits, CancellationToken cancellation)
    {
        NoExplain(request.Params, path);
        var stage = new QueryJson(database, collection).ExampleStage(
            (reader, vector, lookup) => request.Target is null or { ValueKind: JsonValueKind.Null }
                ? reader.Context(request.Context, vector, lookup, Join(path, "context"))
                : reader.Discover(request.Target, request.Context, vector, lookup, path),
            request.Using, request.Filter, request.Params, threshold: null, Limit(request.Limit, request.Top, path), request.LookupFrom, path);
        return SearchApi.Run(collection, stage, request.Offset, request.WithPayload, WithVector(request.WithVector, request.WithVectors), explain: false, limits, cancellation);
    }

    /// <summary>These endpoints return bare lists, with no room for an explain: points/query explains the same query.</summary>
    private static void NoExplain(SearchParams? parameters, string path)
    {
        if (parameters?.Explain is not null)
        {
            throw new InvalidRequestException($"`{Join(path, "params.explain")}` is not supported here: explain the same query through points/query.");
        }
    }

    private static JsonElement? WithVector(JsonElement? withVector, JsonElement? withVectors) => RequestParsing.Alias(withVector, "with_vector", withVectors, "with_vectors");

    private static int? Limit(int? limit, int? top, string path) => RequestParsing.Alias(limit, Join(path, "limit"), top, Join(path, "top"));

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
