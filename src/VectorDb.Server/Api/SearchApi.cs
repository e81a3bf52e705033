using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary><c>params</c> of a search; <c>explain</c> and <c>adaptive</c> are ours (Qdrant clients never send them).</summary>
/// <remarks><c>indexed_only</c> is accepted and met: every point is in the graph by the time its write returns.</remarks>
[Refused("acorn", "the query planner chooses two-hop (ACORN-1) traversal by its cost model; see `explain` (docs/planner.md)")]
[Refused("idf", "inverse document frequency is a sparse vector's `modifier` (set when the vector is created)")]
internal sealed record SearchParams(int? HnswEf, bool? Exact, bool? Explain, AdaptiveParams? Adaptive, bool? IndexedOnly = null) : RequestBody
{
    /// <summary>Ours: choose a nearest query's hits for coverage of its neighbourhood.</summary>
    public CoverageParams? Coverage { get; init; }

    /// <summary>Ours: keep only hits among a fraction of the collection most similar to the query.</summary>
    public CutoffParams? Cutoff { get; init; }

    /// <summary>How a quantized vector's codes are used.</summary>
    public QuantizationSearchParams? Quantization { get; init; }

    /// <summary>The relevance cut-off asked for, if any.</summary>
    public RelevanceCutoff? ToCutoff(string path) => Cutoff is null ? null
        : new RelevanceCutoff(Cutoff.Fraction ?? throw new InvalidRequestException($"`{path}.cutoff.fraction` is required."));
}

/// <summary><c>params.cutoff</c> (ours): the share of the collection a kept hit must be among, by similarity to the query.</summary>
internal sealed record CutoffParams(double? Fraction) : RequestBody;

/// <summary><c>params.coverage</c> (ours): pick the hits that best cover the nearest <c>candidates_limit</c> points.</summary>
internal sealed record CoverageParams(int? CandidatesLimit) : RequestBody;

/// <summary><c>params.adaptive</c> (ours): walk the graph on a prefix, rescore a shortlist with the whole vector.</summary>
internal sealed record AdaptiveParams(int? SearchDims, int? Oversampling, double? TargetRecall, int? RescoreDims = null) : RequestBody
{
    public AdaptiveSearch ToOptions() => new() { SearchDimensions = SearchDims, Oversampling = Oversampling ?? 4, TargetRecall = TargetRecall, RescoreDimensions = RescoreDims };
}

/// <summary>Hits as Qdrant returns them, and our explain when asked for.</summary>
internal sealed record SearchOutcome(List<ScoredPointResponse> Points, ExplainInfo? Explain)
{
    /// <summary>A universal query's explain: its stages, each with its plan.</summary>
    public QueryExplainInfo? StageExplain { get; init; }

    public QueryResponse ToQueryResponse() => new(Points) { Explain = StageExplain };
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

/// <summary>
/// Body of <c>POST …/points/query</c>: an optional <c>query</c> (a vector, a point id, or an object naming its kind) over
/// the points its <c>prefetch</c> stages return, or over the collection.
/// </summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record QueryRequest(
    JsonElement? Query, int? Limit, int? Offset, float? ScoreThreshold, JsonElement? Filter,
    JsonElement? WithPayload, JsonElement? WithVector, SearchParams? Params) : RequestBody
{
    /// <summary>Stages run first: one object or a list.</summary>
    [ReadAs(typeof(PrefetchRequest))]
    public JsonElement? Prefetch { get; init; }

    /// <summary>The vector to search, by name: <c>""</c> (the default) is the unnamed vector.</summary>
    public string? Using { get; init; }

    /// <summary>Where points named by id are read from.</summary>
    public LookupLocation? LookupFrom { get; init; }

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
        group.MapPost("/search", (string name, SearchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            strict.Read(collection, context);
            var outcome = QueryTimeout.Run(context, limits, cancellation => Search(db, collection, request, limits, cancellation));
            return Qdrant.Ok(outcome.Points, outcome.Explain);
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/search/batch", (string name, SearchBatchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            var outcomes = RunBatch(collection, request.Searches, context, limits, strict, (s, _, cancellation) => Search(db, collection, s, limits, cancellation));
            var explains = outcomes.Any(o => o.Explain is not null) ? outcomes.Select(o => o.Explain).ToList() : null;
            return Qdrant.Ok(outcomes.Select(o => o.Points).ToList(), explains);
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/query", (string name, QueryRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            strict.Read(collection, context);
            return Qdrant.Ok(QueryTimeout.Run(context, limits, cancellation => Query(db, collection, request, limits, cancellation)).ToQueryResponse());
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/query/groups", (string name, QueryGroupsRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            strict.Read(collection, context);
            return Qdrant.Ok(QueryTimeout.Run(context, limits, cancellation => GroupsApi.Query(db, collection, request, limits, cancellation)));
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/query/batch", (string name, QueryBatchRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            var outcomes = RunBatch(collection, request.Searches, context, limits, strict, (q, path, cancellation) => Query(db, collection, q, limits, cancellation, path));
            return Qdrant.Ok(outcomes.Select(o => o.ToQueryResponse()).ToList());
        }).WithMetadata(QueryParameters.Read);
        return group;
    }

    /// <summary>
    /// A batch endpoint's <c>searches</c>, after the batch's strict-mode checks and read rate: run in order under one
    /// time limit, each given its path in the body (<c>searches[i]</c>).
    /// </summary>
    internal static List<SearchOutcome> RunBatch<T>(
        Collection collection, IReadOnlyList<T?>? searches, HttpContext context, ServerOptions limits, StrictMode strict, Func<T, string, CancellationToken, SearchOutcome> run)
        where T : class
    {
        StrictMode.Batch(collection, searches?.Count ?? 0);
        strict.Read(collection, context, searches?.Count ?? 0);
        return QueryTimeout.Run(context, limits, cancellation => RequestParsing.Items(searches, "searches").Select((search, i) => run(search, $"searches[{i}]", cancellation)).ToList());
    }

    /// <summary><c>points/search</c>: a nearest query over the collection, its explain (the dense planner's) in the envelope.</summary>
    private static SearchOutcome Search(VectorDatabase database, Collection collection, SearchRequest request, ServerOptions limits, CancellationToken cancellation)
    {
        var (name, vector, path) = SearchVector(request.Vector);
        bool explain = request.Params?.Explain ?? false;
        if (explain && (collection.Options.SparseVectors?.ContainsKey(name) == true || collection.Options.NamedVectors?.GetValueOrDefault(name) is { Multivector: not null }))
        {
            throw new InvalidRequestException($"`params.explain` of points/search describes the dense planner's plan, and `{name}` is searched without one: use points/query, whose explain covers every kind of vector.");
        }

        var stage = VectorStage(database, collection, name, vector, path, request.Filter, request.Params, RequestParsing.Alias(request.Limit, "limit", request.Top, "top"), request.ScoreThreshold);
        var outcome = Run(collection, stage, request.Offset, request.WithPayload, RequestParsing.Alias(request.WithVector, "with_vector", request.WithVectors, "with_vectors"), explain, limits, cancellation);
        return outcome with { Explain = outcome.StageExplain?.Search, StageExplain = null };
    }

    /// <summary>The nearest query of a <c>vector</c> search body (<c>points/search</c>, <c>points/search/groups</c>).</summary>
    internal static PointQuery VectorStage(
        VectorDatabase database, Collection collection, JsonElement vector, JsonElement? filter, SearchParams? parameters, int? limit, float? threshold)
    {
        var (name, given, path) = SearchVector(vector);
        return VectorStage(database, collection, name, given, path, filter, parameters, limit, threshold);
    }

    private static PointQuery VectorStage(
        VectorDatabase database, Collection collection, string name, JsonElement vector, string path, JsonElement? filter, SearchParams? parameters, int? limit, float? threshold) =>
        QueryJson.Build(null, new NearestQuery(new QueryJson(database, collection).Input(vector, name, null, path)), name, filter, parameters, threshold, limit, "");

    /// <summary>
    /// The <c>vector</c> of <c>points/search</c> and its path: a list (the unnamed vector), or <c>{"name", "vector"}</c>
    /// naming a vector and giving it (dense, sparse or a multivector).
    /// </summary>
    private static (string Name, JsonElement Vector, string Path) SearchVector(JsonElement vector)
    {
        if (vector.ValueKind == JsonValueKind.Object && JsonText.Fields(vector).ToList() is var fields)
        {
            if (fields is [{ Name: "" } unnamed])
            {
                return ("", unnamed.Value, "vector.\"\"");
            }

            if (fields.Count == 2 && vector.TryGetProperty("name", out var nameJson) && nameJson.ValueKind == JsonValueKind.String && vector.TryGetProperty("vector", out var named))
            {
                return (JsonText.Read(nameJson, "vector.name"), named, "vector.vector");
            }

            throw new InvalidRequestException("`vector` is a list of numbers or {\"name\": vector name, \"vector\": a list of numbers or a sparse vector}.");
        }

        return vector.ValueKind == JsonValueKind.Array ? ("", vector, "vector") : throw new InvalidRequestException($"`vector` must be a list of numbers, got {vector.ValueKind}.");
    }

    private static SearchOutcome Query(VectorDatabase database, Collection collection, QueryRequest request, ServerOptions limits, CancellationToken cancellation, string path = "") =>
        Run(collection, new QueryJson(database, collection).Stage(request, path), request.Offset, request.WithPayload,
            RequestParsing.Alias(request.WithVector, "with_vector", request.WithVectors, "with_vectors"), request.Params?.Explain ?? false, limits, cancellation);

    /// <summary>Runs a universal query and renders its hits and explain.</summary>
    internal static SearchOutcome Run(
        Collection collection, PointQuery stage, int? offset, JsonElement? withPayload, JsonElement? withVector, bool explain, ServerOptions limits, CancellationToken cancellation)
    {
        var payload = RequestParsing.PayloadSelector(withPayload, defaultValue: false);
        var vectors = VectorSelector.Parse(withVector, collection.Options);
        CheckLimits(stage, offset ?? 0, limits);
        StrictMode.Query(collection, stage, offset ?? 0);
        var options = new QueryOptions { Offset = offset ?? 0, WithPayload = payload.WantsPayload, WithVector = vectors.Wants, Explain = explain };
        var results = collection.Query(stage, options, cancellation);
        List<ScoredPointResponse> points = [.. results.Select(hit => Response(hit, payload, vectors, collection.Options))];
        return new SearchOutcome(points, null) { StageExplain = results.Explain is { } stages ? StageExplain(stages) : null };
    }

    /// <summary>A hit as Qdrant returns it, with what the request asked of its payload and vectors.</summary>
    public static ScoredPointResponse Response(ScoredPoint hit, PayloadSelector payload, VectorSelector vectors, CollectionOptions collection) =>
        new(hit.Id, Version: 0, hit.Score, payload.Apply(hit.Payload), VectorJson.Output(hit.Vector, hit.NamedVectors, hit.SparseVectors, hit.Multivectors, collection, vectors))
        {
            OrderValue = hit.OrderValue,
        };

    /// <summary>Holds every stage of a query to the server's limits on page size and beam width.</summary>
    internal static void CheckLimits(PointQuery stage, int offset, ServerOptions limits)
    {
        ServerOptions.Check("limit + offset", (long)stage.Limit + offset, limits.MaxLimit, nameof(limits.MaxLimit));
        ServerOptions.Check("hnsw_ef", stage.Ef ?? 0, limits.MaxEf, nameof(limits.MaxEf));
        ServerOptions.Check("limit × adaptive.oversampling (the shortlist it keeps)", stage.Adaptive is { } adaptive ? (long)stage.Limit * adaptive.Oversampling : 0, limits.MaxEf, nameof(limits.MaxEf));
        ServerOptions.Check("(limit + offset) × quantization.oversampling (the candidates rescored)", stage.Quantization is { } quantization ? quantization.Candidates(stage.Limit + offset) : 0, limits.MaxEf, nameof(limits.MaxEf));
        ServerOptions.Check("mmr.candidates_limit", stage.Query is NearestQuery { Mmr.CandidatesLimit: int candidates } ? candidates : 0, limits.MaxLimit, nameof(limits.MaxLimit));
        foreach (var prefetch in stage.Prefetch ?? [])
        {
            CheckLimits(prefetch, 0, limits);
        }
    }

    private static QueryExplainInfo StageExplain(QueryExplain explain) => new(
        explain.Stage, explain.Using, explain.Candidates, explain.Returned, explain.Search is { } search ? Explain(search) : null,
        explain.Prefetch.Count == 0 ? null : [.. explain.Prefetch.Select(StageExplain)]);

    private static ExplainInfo Explain(Query.SearchExplain explain) => new(
        explain.Strategy.ToString(),
        explain.Reason,
        explain.Estimate is { } estimate ? new EstimateInfo(estimate.Min, estimate.Expected, estimate.Max) : null,
        explain.Matches,
        explain.EstimatedCostMicroseconds.ToDictionary(c => c.Key.ToString(), c => c.Value),
        explain.DistanceComputations,
        explain.NodesVisited,
        explain.FallbackFrom?.ToString(),
        explain.Ef,
        explain.SearchDimensions,
        explain.Rescored);
}
