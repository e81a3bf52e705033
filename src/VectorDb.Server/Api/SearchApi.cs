using System.Diagnostics;
using System.Text.Json;

namespace VectorDb.Server.Api;

/// <summary><c>params</c> of a search; <c>explain</c> is ours (Qdrant clients never send it).</summary>
internal sealed record SearchParams(int? HnswEf, bool? Exact, bool? Explain, AdaptiveParams? Adaptive);

/// <summary><c>params.adaptive</c> (ours): walk the graph on a prefix, rescore a shortlist with the whole vector.</summary>
internal sealed record AdaptiveParams(int? SearchDims, int? Oversampling, double? TargetRecall, int? RescoreDims = null)
{
    public AdaptiveSearch ToOptions() => new() { SearchDimensions = SearchDims, Oversampling = Oversampling ?? 4, TargetRecall = TargetRecall, RescoreDimensions = RescoreDims };
}

/// <summary>Hits as Qdrant returns them, and our explain when asked for.</summary>
internal sealed record SearchOutcome(List<object> Points, object? Explain);

/// <summary>Body of the older <c>POST …/points/search</c>.</summary>
internal sealed record SearchRequest(
    JsonElement Vector, int? Limit, int? Offset, float? ScoreThreshold, JsonElement? Filter,
    JsonElement? WithPayload, JsonElement? WithVector, SearchParams? Params);

/// <summary>Body of <c>POST …/points/query</c>: <c>query</c> is a vector, a point id, or {"nearest": vector-or-id}.</summary>
internal sealed record QueryRequest(
    JsonElement? Query, int? Limit, int? Offset, float? ScoreThreshold, JsonElement? Filter,
    JsonElement? WithPayload, JsonElement? WithVector, SearchParams? Params);

internal sealed record SearchBatchRequest(IReadOnlyList<SearchRequest?>? Searches);

internal sealed record QueryBatchRequest(IReadOnlyList<QueryRequest?>? Searches);

/// <summary>Similarity search: <c>points/search</c>, <c>points/query</c> and their batch forms.</summary>
internal static class SearchApi
{
    public static RouteGroupBuilder MapSearchApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}/points").WithTags("Search");
        // The search endpoints return a bare list, so explain goes into the envelope; query results are objects
        // and carry it next to `points`.
        group.MapPost("/search", (string name, SearchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits) =>
        {
            long start = Stopwatch.GetTimestamp();
            var collection = db.GetCollection(name);
            var outcome = QueryTimeout.Run(context, limits, cancellation => Search(collection, request, limits, cancellation));
            return QdrantResults.Ok(outcome.Points, start, outcome.Explain);
        });
        group.MapPost("/search/batch", (string name, SearchBatchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits) =>
        {
            long start = Stopwatch.GetTimestamp();
            var collection = db.GetCollection(name);
            var outcomes = QueryTimeout.Run(context, limits, cancellation => RequestParsing.Items(request.Searches, "searches").Select(s => Search(collection, s, limits, cancellation)).ToList());
            var explains = outcomes.Any(o => o.Explain is not null) ? outcomes.Select(o => o.Explain).ToList() : null;
            return QdrantResults.Ok(outcomes.Select(o => o.Points).ToList(), start, explains);
        });
        group.MapPost("/query", (string name, QueryRequest request, HttpContext context, VectorDatabase db, ServerOptions limits) =>
        {
            long start = Stopwatch.GetTimestamp();
            var collection = db.GetCollection(name);
            return QdrantResults.Ok(QueryResult(QueryTimeout.Run(context, limits, cancellation => Query(collection, request, limits, cancellation))), start);
        });
        group.MapPost("/query/batch", (string name, QueryBatchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits) =>
        {
            long start = Stopwatch.GetTimestamp();
            var collection = db.GetCollection(name);
            var outcomes = QueryTimeout.Run(context, limits, cancellation => RequestParsing.Items(request.Searches, "searches").Select(q => Query(collection, q, limits, cancellation)).ToList());
            return QdrantResults.Ok(outcomes.Select(QueryResult).ToList(), start);
        });
        return group;
    }

    private static object QueryResult(SearchOutcome outcome) =>
        outcome.Explain is null ? new { points = outcome.Points } : new { points = outcome.Points, explain = outcome.Explain };

    private static SearchOutcome Search(Collection collection, SearchRequest request, ServerOptions limits, CancellationToken cancellation) =>
        Run(collection, RequestParsing.Vector(request.Vector), request.Limit, request.Offset, request.ScoreThreshold,
            request.Filter, RequestParsing.PayloadSelector(request.WithPayload, defaultValue: false), request.WithVector, request.Params, limits, cancellation);

    private static SearchOutcome Query(Collection collection, QueryRequest request, ServerOptions limits, CancellationToken cancellation)
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
        return Run(collection, vector, request.Limit, request.Offset, request.ScoreThreshold, request.Filter, payload, request.WithVector, request.Params, limits, cancellation);
    }

    private static SearchOutcome Run(
        Collection collection, float[] vector, int? limit, int? offset, float? scoreThreshold, JsonElement? filter,
        PayloadSelector payload, JsonElement? withVector, SearchParams? parameters, ServerOptions limits, CancellationToken cancellation)
    {
        int k = limit ?? 10;
        int skip = offset ?? 0;
        if (skip < 0)
        {
            throw new InvalidRequestException($"offset must not be negative, got {skip}.");
        }

        ServerOptions.Check("limit + offset", (long)k + skip, limits.MaxLimit, nameof(limits.MaxLimit));
        ServerOptions.Check("hnsw_ef", parameters?.HnswEf ?? 0, limits.MaxEf, nameof(limits.MaxEf));
        ServerOptions.Check("limit × adaptive.oversampling (the shortlist it keeps)", parameters?.Adaptive is { } adaptive ? (long)k * (adaptive.Oversampling ?? 4) : 0, limits.MaxEf, nameof(limits.MaxEf));

        var options = new SearchOptions
        {
            Ef = parameters?.HnswEf,
            Exact = parameters?.Exact ?? false,
            WithPayload = payload.WantsPayload,
            WithVector = RequestParsing.WithVector(withVector),
            Filter = VectorDb.Query.FilterJson.Parse(filter),
            Explain = parameters?.Explain ?? false,
            Adaptive = parameters?.Adaptive?.ToOptions(),
        };
        var results = collection.Search(vector, k + skip, options, cancellation);
        var hits = results.Skip(skip);
        if (scoreThreshold is float threshold)
        {
            // Qdrant's threshold is a floor for similarities and a ceiling for distances.
            bool higherIsBetter = collection.Options.Distance is DistanceMetric.Cosine or DistanceMetric.Dot;
            hits = hits.Where(h => higherIsBetter ? h.Score >= threshold : h.Score <= threshold);
        }

        List<object> points = [.. hits.Select(h => (object)new
        {
            id = PointsApi.IdJson(h.Id),
            version = 0,
            score = h.Score,
            payload = payload.Apply(h.Payload),
            vector = h.Vector,
        })];
        return new SearchOutcome(points, results.Explain is { } explain ? Explain(explain) : null);
    }

    private static object Explain(Query.SearchExplain explain) => new
    {
        strategy = explain.Strategy.ToString(),
        reason = explain.Reason,
        estimate = explain.Estimate is { } estimate ? new { min = estimate.Min, expected = estimate.Expected, max = estimate.Max } : null,
        matches = explain.Matches,
        estimated_cost_us = explain.EstimatedCostMicroseconds.ToDictionary(c => c.Key.ToString(), c => c.Value),
        distance_computations = explain.DistanceComputations,
        nodes_visited = explain.NodesVisited,
        fallback_from = explain.FallbackFrom?.ToString(),
        ef = explain.Ef,
    };
}
