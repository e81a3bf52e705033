using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary><c>params</c> of a search; <c>explain</c> and <c>adaptive</c> are ours (Qdrant clients never send them).</summary>
/// <remarks><c>indexed_only</c> is accepted and met: every point is in the graph by the time its write returns.</remarks>
[Refused("quantization", CreateCollectionRequest.Unquantized)]
[Refused("acorn", "the query planner chooses two-hop (ACORN-1) traversal by its cost model; see `explain` (docs/planner.md)")]
[Refused("idf", CreateCollectionRequest.SingleVector)]
internal sealed record SearchParams(int? HnswEf, bool? Exact, bool? Explain, AdaptiveParams? Adaptive, bool? IndexedOnly = null) : RequestBody;

/// <summary><c>params.adaptive</c> (ours): walk the graph on a prefix, rescore a shortlist with the whole vector.</summary>
internal sealed record AdaptiveParams(int? SearchDims, int? Oversampling, double? TargetRecall, int? RescoreDims = null) : RequestBody
{
    public AdaptiveSearch ToOptions() => new() { SearchDimensions = SearchDims, Oversampling = Oversampling ?? 4, TargetRecall = TargetRecall, RescoreDimensions = RescoreDims };
}

/// <summary>Hits as Qdrant returns them, and our explain when asked for.</summary>
internal sealed record SearchOutcome(List<ScoredPointResponse> Points, ExplainInfo? Explain)
{
    public QueryResponse ToQueryResponse() => new(Points) { Explain = Explain };
}

/// <summary>Body of the older <c>POST …/points/search</c>; <c>top</c> and <c>with_vectors</c> are aliases Qdrant accepts too.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record SearchRequest(
    JsonElement Vector, int? Limit, int? Offset, float? ScoreThreshold, JsonElement? Filter,
    JsonElement? WithPayload, JsonElement? WithVector, SearchParams? Params) : RequestBody
{
    public int? Top { get; init; }

    public JsonElement? WithVectors { get; init; }
}

/// <summary>Body of <c>POST …/points/query</c>: <c>query</c> is a vector, a point id, or {"nearest": vector-or-id}.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
[Refused("prefetch", QueryNotBuilt)]
[Refused("lookup_from", "a point id is looked up in the collection queried")]
internal sealed record QueryRequest(
    JsonElement? Query, int? Limit, int? Offset, float? ScoreThreshold, JsonElement? Filter,
    JsonElement? WithPayload, JsonElement? WithVector, SearchParams? Params) : RequestBody
{
    internal const string QueryNotBuilt = "only `nearest` queries (a vector or a point id) are built so far";

    /// <summary>The vector to search: only the collection's one unnamed vector (<c>""</c>) exists.</summary>
    public string? Using { get; init; }

    public JsonElement? WithVectors { get; init; }
}

internal sealed record SearchBatchRequest(IReadOnlyList<SearchRequest?>? Searches) : RequestBody;

internal sealed record QueryBatchRequest(IReadOnlyList<QueryRequest?>? Searches) : RequestBody;

/// <summary>Similarity search: <c>points/search</c>, <c>points/query</c> and their batch forms.</summary>
internal static class SearchApi
{
    public static RouteGroupBuilder MapSearchApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}/points").WithTags("Search").AddEndpointFilter<RequestValidationFilter>();
        // The search endpoints return a bare list, so explain goes into the envelope; query results are objects
        // and carry it next to `points`.
        group.MapPost("/search", (string name, SearchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits) =>
        {
            var collection = db.GetCollection(name);
            var outcome = QueryTimeout.Run(context, limits, cancellation => Search(collection, request, limits, cancellation));
            return Qdrant.Ok(outcome.Points, outcome.Explain);
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/search/batch", (string name, SearchBatchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits) =>
        {
            var collection = db.GetCollection(name);
            var outcomes = QueryTimeout.Run(context, limits, cancellation => RequestParsing.Items(request.Searches, "searches").Select(s => Search(collection, s, limits, cancellation)).ToList());
            var explains = outcomes.Any(o => o.Explain is not null) ? outcomes.Select(o => o.Explain).ToList() : null;
            return Qdrant.Ok(outcomes.Select(o => o.Points).ToList(), explains);
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/query", (string name, QueryRequest request, HttpContext context, VectorDatabase db, ServerOptions limits) =>
        {
            var collection = db.GetCollection(name);
            return Qdrant.Ok(QueryTimeout.Run(context, limits, cancellation => Query(collection, request, limits, cancellation)).ToQueryResponse());
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/query/batch", (string name, QueryBatchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits) =>
        {
            var collection = db.GetCollection(name);
            var outcomes = QueryTimeout.Run(context, limits, cancellation => RequestParsing.Items(request.Searches, "searches").Select(q => Query(collection, q, limits, cancellation)).ToList());
            return Qdrant.Ok(outcomes.Select(o => o.ToQueryResponse()).ToList());
        }).WithMetadata(QueryParameters.Read);
        return group;
    }

    private static SearchOutcome Search(Collection collection, SearchRequest request, ServerOptions limits, CancellationToken cancellation)
    {
        return Run(collection, RequestParsing.Vector(request.Vector), excluded: null, RequestParsing.Alias(request.Limit, "limit", request.Top, "top"), request.Offset, request.ScoreThreshold,
            request.Filter, RequestParsing.PayloadSelector(request.WithPayload, defaultValue: false),
            RequestParsing.Alias(request.WithVector, "with_vector", request.WithVectors, "with_vectors"), request.Params, limits, cancellation);
    }

    private static SearchOutcome Query(Collection collection, QueryRequest request, ServerOptions limits, CancellationToken cancellation)
    {
        var payload = RequestParsing.PayloadSelector(request.WithPayload, defaultValue: false);
        if (request.Using is { Length: > 0 } name)
        {
            throw new InvalidRequestException($"`using` = \"{name}\" is not supported yet: {CreateCollectionRequest.SingleVector}.");
        }

        if (request.Query is not { ValueKind: not JsonValueKind.Null } query)
        {
            throw new InvalidRequestException("`query` is required; queries without one (plain scroll) are not supported yet.");
        }

        if (query.ValueKind == JsonValueKind.Object)
        {
            query = Nearest(query);
        }

        // A query by point id searches with that point's vector and, as Qdrant does, leaves the point itself out.
        PointId? byId = query.ValueKind is JsonValueKind.Number or JsonValueKind.String ? RequestParsing.PointId(query) : null;
        float[] vector = byId is { } id
            ? collection.Get(id)?.Vector ?? throw new NotFoundException($"No point with id {query.GetRawText()} found")
            : RequestParsing.Vector(query);
        return Run(collection, vector, byId, request.Limit, request.Offset, request.ScoreThreshold, request.Filter, payload,
            RequestParsing.Alias(request.WithVector, "with_vector", request.WithVectors, "with_vectors"), request.Params, limits, cancellation);
    }

    /// <summary>
    /// The vector or point id of a query object, <c>{"nearest": …}</c>; Qdrant's other queries are refused by name until
    /// they are built. An object that is no query is a vector given as an object, which <see cref="RequestParsing.Vector"/>
    /// reads or refuses (sparse vectors, inference objects).
    /// </summary>
    private static JsonElement Nearest(JsonElement query)
    {
        var fields = JsonText.Fields(query).ToList();
        bool isQuery = false;
        foreach (var field in fields)
        {
            switch (field.Name)
            {
                case "nearest":
                    isQuery = true;
                    break;
                case "mmr":
                    throw new InvalidRequestException("`query.mmr` is not supported yet: nearest queries return the closest points without diversification.");
                case "recommend" or "discover" or "context" or "order_by" or "fusion" or "rrf" or "formula" or "sample" or "relevance_feedback" or "defaults":
                    throw new InvalidRequestException($"`query.{field.Name}` is not supported yet: {QueryRequest.QueryNotBuilt}.");
            }
        }

        if (!isQuery)
        {
            return query;
        }

        return fields is [var nearest]
            ? nearest.Value
            : throw new InvalidRequestException($"Unknown field `query.{fields.First(f => f.Name != "nearest").Name}`.");
    }

    /// <summary>Runs one search; <paramref name="excluded"/> is a point left out of the hits (the one a query by id named).</summary>
    private static SearchOutcome Run(
        Collection collection, float[] vector, PointId? excluded, int? limit, int? offset, float? scoreThreshold, JsonElement? filter,
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
            Excluded = excluded is { } id ? new HashSet<PointId> { id } : null,
        };
        var results = collection.Search(vector, k + skip, options, cancellation);
        var hits = results.Skip(skip);
        if (scoreThreshold is float threshold)
        {
            // Qdrant's threshold is a floor for similarities and a ceiling for distances.
            bool higherIsBetter = collection.Options.Distance is DistanceMetric.Cosine or DistanceMetric.Dot;
            hits = hits.Where(h => higherIsBetter ? h.Score >= threshold : h.Score <= threshold);
        }

        List<ScoredPointResponse> points = [.. hits.Select(h => new ScoredPointResponse(h.Id, Version: 0, h.Score, payload.Apply(h.Payload), h.Vector))];
        return new SearchOutcome(points, results.Explain is { } explain ? Explain(explain) : null);
    }

    private static ExplainInfo Explain(Query.SearchExplain explain) => new(
        explain.Strategy.ToString(),
        explain.Reason,
        explain.Estimate is { } estimate ? new EstimateInfo(estimate.Min, estimate.Expected, estimate.Max) : null,
        explain.Matches,
        explain.EstimatedCostMicroseconds.ToDictionary(c => c.Key.ToString(), c => c.Value),
        explain.DistanceComputations,
        explain.NodesVisited,
        explain.FallbackFrom?.ToString(),
        explain.Ef);
}
