using System.Text.Json;
using VectorDb.Query;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Body of <c>POST …/facet</c>. Counts are always exact, which <c>exact: false</c> allows too.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record FacetRequest(string? Key, int? Limit, JsonElement? Filter, bool? Exact) : RequestBody;

internal sealed record FacetHitResponse(object Value, long Count);

internal sealed record FacetResponse(IReadOnlyList<FacetHitResponse> Hits);

/// <summary>Body of <c>POST …/points/search/matrix/pairs</c> and <c>/offsets</c>.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record SearchMatrixRequest(JsonElement? Filter, int? Sample, int? Limit, string? Using) : RequestBody;

internal sealed record MatrixPair(PointId A, PointId B, float Score);

internal sealed record MatrixPairsResponse(IReadOnlyList<MatrixPair> Pairs);

internal sealed record MatrixOffsetsResponse(IReadOnlyList<int> OffsetsRow, IReadOnlyList<int> OffsetsCol, IReadOnlyList<float> Scores, IReadOnlyList<PointId> Ids);

/// <summary>Exploring a collection: facet counts and the distance matrix of a sample.</summary>
internal static class ExploreApi
{
    public static void MapExploreApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}").WithTags("Explore").AddEndpointFilter<RequestValidationFilter>();
        group.MapPost("/facet", (string name, FacetRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            string key = string.IsNullOrEmpty(request.Key) ? throw new InvalidRequestException("`key` (a payload key) is required.") : request.Key;
            var filter = FilterJson.Parse(request.Filter);
            StrictMode.Limit(collection, request.Limit ?? 10);
            StrictMode.Filter(collection, filter, update: false);
            strict.Read(collection, context);
            var hits = QueryTimeout.Run(context, limits, cancellation => collection.Facet(key, request.Limit ?? 10, filter, cancellation));
            return Qdrant.Ok(new FacetResponse([.. hits.Select(hit => new FacetHitResponse(hit.Value.Value, hit.Count))]));
        }).WithMetadata(QueryParameters.Read).WithSummary("Count the points holding each value of an indexed payload key");
        group.MapPost("/points/search/matrix/pairs", (string name, SearchMatrixRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var matrix = Matrix(db.GetCollection(name), request, context, limits, strict);
            return Qdrant.Ok(new MatrixPairsResponse([.. matrix.Entries.Select(entry => new MatrixPair(matrix.Ids[entry.Row], matrix.Ids[entry.Column], entry.Score))]));
        }).WithMetadata(QueryParameters.Read).WithSummary("Each sampled point's nearest among the others, as pairs");
        group.MapPost("/points/search/matrix/offsets", (string name, SearchMatrixRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var matrix = Matrix(db.GetCollection(name), request, context, limits, strict);
            return Qdrant.Ok(new MatrixOffsetsResponse(
                [.. matrix.Entries.Select(entry => entry.Row)], [.. matrix.Entries.Select(entry => entry.Column)], [.. matrix.Entries.Select(entry => entry.Score)], matrix.Ids));
        }).WithMetadata(QueryParameters.Read).WithSummary("Each sampled point's nearest among the others, as a sparse matrix");
    }

    private static DistanceMatrix Matrix(Collection collection, SearchMatrixRequest request, HttpContext context, ServerOptions limits, StrictMode strict)
    {
        int sample = request.Sample ?? 10;
        ServerOptions.Check("sample", sample, limits.MaxLimit, nameof(limits.MaxLimit));
        var filter = FilterJson.Parse(request.Filter);
        StrictMode.Limit(collection, sample, "sample");
        StrictMode.Limit(collection, request.Limit ?? 3);
        StrictMode.Filter(collection, filter, update: false);
        strict.Read(collection, context, sample);
        return QueryTimeout.Run(context, limits, cancellation => collection.SearchMatrix(sample, request.Limit ?? 3, filter, request.Using ?? "", cancellation));
    }
}
