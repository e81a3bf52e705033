using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary><c>params</c> of a search; <c>explain</c> and <c>adaptive</c> are ours (Qdrant clients never send them).</summary>
/// <remarks><c>indexed_only</c> is accepted and met: every point is in the graph by the time its write returns.</remarks>
[Refused("quantization", CreateCollectionRequest.Unquantized)]
[Refused("acorn", "the query planner chooses two-hop (ACORN-1) traversal by its cost model; see `explain` (docs/planner.md)")]
[Refused("idf", "inverse document frequency is a sparse vector's `modifier` (set when the vector is created)")]
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

    /// <summary>The vector to search, by name: <c>""</c> (the default) is the unnamed vector.</summary>
    public string? Using { get; init; }

    public JsonElement? WithVectors { get; init; }
}

/// <summary>A query vector: dense (a list of numbers), sparse, or a multivector (a list of lists).</summary>
internal sealed record QueryVector(float[]? Dense, Sparse.SparseVector? Sparse, float[][]? Multi = null);

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
        var (name, vector) = SearchVector(request.Vector, collection.Options);
        return Run(collection, name, vector, excluded: null, RequestParsing.Alias(request.Limit, "limit", request.Top, "top"), request.Offset, request.ScoreThreshold,
            request.Filter, RequestParsing.PayloadSelector(request.WithPayload, defaultValue: false),
            RequestParsing.Alias(request.WithVector, "with_vector", request.WithVectors, "with_vectors"), request.Params, limits, cancellation);
    }

    /// <summary>
    /// The <c>vector</c> of <c>points/search</c>: a list (the unnamed vector), or <c>{"name", "vector"}</c> naming a dense
    /// vector (a list) or a sparse one (indices and values).
    /// </summary>
    private static (string Name, QueryVector Vector) SearchVector(JsonElement vector, CollectionOptions collection)
    {
        if (vector.ValueKind == JsonValueKind.Object && JsonText.Fields(vector).ToList() is var fields)
        {
            if (fields is [{ Name: "" } unnamed])
            {
                return ("", new QueryVector(VectorJson.Dense(unnamed.Value, "vector.\"\""), null));
            }

            if (fields.Count == 2 && vector.TryGetProperty("name", out var nameJson) && nameJson.ValueKind == JsonValueKind.String && vector.TryGetProperty("vector", out var named))
            {
                string name = JsonText.Read(nameJson, "vector.name");
                return (name, QueryVectorOf(named, name, collection, "vector.vector"));
            }

            throw new InvalidRequestException("`vector` is a list of numbers or {\"name\": vector name, \"vector\": a list of numbers or a sparse vector}.");
        }

        return ("", new QueryVector(VectorJson.Dense(vector, "vector"), null));
    }

    /// <summary>A query vector for the vector named: sparse (or a BM25 document) for a sparse vector, else dense.</summary>
    private static QueryVector QueryVectorOf(JsonElement element, string name, CollectionOptions collection, string path) =>
        collection.SparseVectors?.ContainsKey(name) == true
            ? new QueryVector(null, VectorJson.SparseOrDocument(element, query: true, path))
            : collection.NamedVectors?.GetValueOrDefault(name) is { Multivector: not null }
                ? new QueryVector(null, null, VectorJson.Multi(element, path))
            : element.ValueKind == JsonValueKind.Object && element.TryGetProperty("indices", out _)
                ? throw new InvalidRequestException(name.Length == 0 ? $"`{path}` is sparse, but the unnamed vector is dense: name a sparse vector with `using`." : $"`{path}` is sparse, but vector `{name}` is not a sparse vector.")
                : new QueryVector(VectorJson.Dense(element, path), null);

    private static SearchOutcome Query(Collection collection, QueryRequest request, ServerOptions limits, CancellationToken cancellation)
    {
        var payload = RequestParsing.PayloadSelector(request.WithPayload, defaultValue: false);
        string name = request.Using ?? "";
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
        var vector = byId is { } id ? VectorOfPoint(collection, id, name, query) : QueryVectorOf(query, name, collection.Options, "query");
        return Run(collection, name, vector, byId, request.Limit, request.Offset, request.ScoreThreshold, request.Filter, payload,
            RequestParsing.Alias(request.WithVector, "with_vector", request.WithVectors, "with_vectors"), request.Params, limits, cancellation);
    }

    /// <summary>The vector of a stored point that a query by id searches with.</summary>
    private static QueryVector VectorOfPoint(Collection collection, PointId id, string name, JsonElement query)
    {
        var point = collection.Get(id) ?? throw new NotFoundException($"No point with id {query.GetRawText()} found");
        if (collection.Options.SparseVectors?.ContainsKey(name) == true)
        {
            return new QueryVector(null, point.SparseVectors?.GetValueOrDefault(name) ?? throw new InvalidRequestException($"Point {id} has no vector `{name}` to search with."));
        }

        if (collection.Options.NamedVectors?.GetValueOrDefault(name) is { Multivector: not null })
        {
            return new QueryVector(null, null, point.Multivectors?.GetValueOrDefault(name) ?? throw new InvalidRequestException($"Point {id} has no vector `{name}` to search with."));
        }

        var dense = name.Length == 0 ? point.Vector : point.NamedVectors?.GetValueOrDefault(name);
        return new QueryVector(dense ?? throw new InvalidRequestException(collection.Options.NamedVectors?.ContainsKey(name) == true || name.Length == 0
            ? $"Point {id} has no vector `{name}` to search with."
            : $"Not existing vector name error: {name}"), null);
    }

    /// <summary>
    /// The vector or point id of a query object, <c>{"nearest": …}</c>; Qdrant's other queries are refused by name until
    /// they are built. An object that is no query is a vector given as an object, which <see cref="QueryVectorOf"/>
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
        Collection collection, string name, QueryVector vector, PointId? excluded, int? limit, int? offset, float? scoreThreshold, JsonElement? filter,
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

        var vectors = VectorSelector.Parse(withVector, collection.Options);
        var options = new SearchOptions
        {
            Using = name,
            Ef = parameters?.HnswEf,
            Exact = parameters?.Exact ?? false,
            WithPayload = payload.WantsPayload,
            WithVector = vectors.Wants,
            Filter = VectorDb.Query.FilterJson.Parse(filter),
            Explain = parameters?.Explain ?? false,
            Adaptive = parameters?.Adaptive?.ToOptions(),
            Excluded = excluded is { } id ? new HashSet<PointId> { id } : null,
        };
        // Qdrant's threshold is a floor for similarities and a ceiling for distances; the metric is read before the
        // search, while the vector certainly exists.
        bool higherIsBetter = vector.Sparse is not null || vector.Multi is not null
            || (name.Length == 0 ? collection.Options.Distance : collection.Options.NamedVectors?.GetValueOrDefault(name)?.Distance) is DistanceMetric.Cosine or DistanceMetric.Dot;
        var results = vector switch
        {
            { Sparse: { } sparse } => collection.SearchSparse(sparse, k + skip, options, cancellation),
            { Multi: { } multi } => collection.SearchMultivector(multi, k + skip, options, cancellation),
            _ => collection.Search(vector.Dense, k + skip, options, cancellation),
        };
        var hits = results.Skip(skip);
        if (scoreThreshold is float threshold)
        {
            hits = hits.Where(h => higherIsBetter ? h.Score >= threshold : h.Score <= threshold);
        }

        List<ScoredPointResponse> points = [.. hits.Select(h => new ScoredPointResponse(
            h.Id, Version: 0, h.Score, payload.Apply(h.Payload), VectorJson.Output(h.Vector, h.NamedVectors, h.SparseVectors, h.Multivectors, collection.Options, vectors)))];
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
