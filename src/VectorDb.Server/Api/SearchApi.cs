using System.Diagnostics;
using System.Text.Json;

namespace VectorDb.Server.Api;

internal sealed record SearchParams(int? HnswEf, bool? Exact);

/// <summary>Body of the older <c>POST …/points/search</c>.</summary>
internal sealed record SearchRequest(
    JsonElement Vector, int? Limit, int? Offset, float? ScoreThreshold, JsonElement? Filter,
    JsonElement? WithPayload, JsonElement? WithVector, SearchParams? Params);

/// <summary>Body of <c>POST …/points/query</c>: <c>query</c> is a vector, a point id, or {"nearest": vector-or-id}.</summary>
internal sealed record QueryRequest(
    JsonElement? Query, int? Limit, int? Offset, float? ScoreThreshold, JsonElement? Filter,
    JsonElement? WithPayload, JsonElement? WithVector, SearchParams? Params);

internal sealed record SearchBatchRequest(IReadOnlyList<SearchRequest> Searches);

internal sealed record QueryBatchRequest(IReadOnlyList<QueryRequest> Searches);

/// <summary>Similarity search: <c>points/search</c>, <c>points/query</c> and their batch forms.</summary>
internal static class SearchApi
{
    public static RouteGroupBuilder MapSearchApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}/points").WithTags("Search");
        group.MapPost("/search", (string name, SearchRequest request, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            return QdrantResults.Ok(Search(db.GetCollection(name), request), start);
        });
        group.MapPost("/search/batch", (string name, SearchBatchRequest request, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            var collection = db.GetCollection(name);
            return QdrantResults.Ok(request.Searches.Select(s => Search(collection, s)).ToList(), start);
        });
        group.MapPost("/query", (string name, QueryRequest request, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            return QdrantResults.Ok(new { points = Query(db.GetCollection(name), request) }, start);
        });
        group.MapPost("/query/batch", (string name, QueryBatchRequest request, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            var collection = db.GetCollection(name);
            return QdrantResults.Ok(request.Searches.Select(q => new { points = Query(collection, q) }).ToList(), start);
        });
        return group;
    }

    private static List<object> Search(Collection collection, SearchRequest request) =>
        Run(collection, RequestParsing.Vector(request.Vector), request.Limit, request.Offset, request.ScoreThreshold,
            request.Filter, RequestParsing.PayloadSelector(request.WithPayload, defaultValue: false), request.WithVector, request.Params);

    private static List<object> Query(Collection collection, QueryRequest request)
    {
        var payload = RequestParsing.PayloadSelector(request.WithPayload, defaultValue: false);
        if (request.Query is not { ValueKind: not JsonValueKind.Null } query)
        {
            throw new InvalidRequestException("`query` is required; queries without one (plain scroll) are not supported yet.");
        }

        if (query.ValueKind == JsonValueKind.Object)
        {
            query = query.TryGetProperty("nearest", out var nearest)
                ? nearest
                : throw new InvalidRequestException("Only `nearest` queries (or a bare vector or point id) are supported.");
        }

        float[] vector = query.ValueKind == JsonValueKind.Array
            ? RequestParsing.Vector(query)
            : collection.Get(RequestParsing.PointId(query))?.Vector
                ?? throw new NotFoundException($"No point with id {query.GetRawText()} found");
        return Run(collection, vector, request.Limit, request.Offset, request.ScoreThreshold, request.Filter, payload, request.WithVector, request.Params);
    }

    private static List<object> Run(
        Collection collection, float[] vector, int? limit, int? offset, float? scoreThreshold, JsonElement? filter,
        PayloadSelector payload, JsonElement? withVector, SearchParams? parameters)
    {
        int k = limit ?? 10;
        int skip = offset ?? 0;
        if (skip < 0)
        {
            throw new InvalidRequestException($"offset must not be negative, got {skip}.");
        }

        var options = new SearchOptions
        {
            Ef = parameters?.HnswEf,
            Exact = parameters?.Exact ?? false,
            WithPayload = payload.WantsPayload,
            WithVector = RequestParsing.WithVector(withVector),
            Filter = FilterParsing.Parse(filter),
        };
        var hits = collection.Search(vector, k + skip, options).Skip(skip);
        if (scoreThreshold is float threshold)
        {
            // Qdrant's threshold is a floor for similarities and a ceiling for distances.
            bool higherIsBetter = collection.Options.Distance is DistanceMetric.Cosine or DistanceMetric.Dot;
            hits = hits.Where(h => higherIsBetter ? h.Score >= threshold : h.Score <= threshold);
        }

        return [.. hits.Select(h => (object)new
        {
            id = PointsApi.IdJson(h.Id),
            version = 0,
            score = h.Score,
            payload = payload.Apply(h.Payload),
            vector = h.Vector,
        })];
    }
}
