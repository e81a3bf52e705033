using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>One stage of <c>prefetch</c>: the fields of a query request that shape a stage (no page, no output options).</summary>
internal sealed record PrefetchRequest(
    JsonElement? Query, string? Using, JsonElement? Filter, SearchParams? Params, float? ScoreThreshold, int? Limit, LookupLocation? LookupFrom) : RequestBody
{
    /// <summary>Nested stages: one object or a list.</summary>
    [ReadAs(typeof(PrefetchRequest))]
    public JsonElement? Prefetch { get; init; }
}

/// <summary><c>lookup_from</c>: the collection (and vector) points named by id in a query are read from.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record LookupLocation(string? Collection, string? Vector) : RequestBody;

/// <summary><c>mmr</c> of a nearest query.</summary>
internal sealed record MmrRequest(float? Diversity, int? CandidatesLimit) : RequestBody;

/// <summary><c>rrf</c>: reciprocal rank fusion with parameters.</summary>
internal sealed record RrfRequest(int? K, float[]? Weights) : RequestBody;

/// <summary><c>recommend</c>: examples by id or vector, and how to use them.</summary>
internal sealed record RecommendRequest(JsonElement[]? Positive, JsonElement[]? Negative, string? Strategy) : RequestBody;

/// <summary><c>discover</c>: a target and context pairs.</summary>
internal sealed record DiscoverRequest(JsonElement? Target, JsonElement? Context) : RequestBody;

/// <summary>A context pair.</summary>
internal sealed record ContextPairRequest(JsonElement? Positive, JsonElement? Negative) : RequestBody;

/// <summary><c>relevance_feedback</c>: a target, judged examples and the strategy's parameters.</summary>
internal sealed record RelevanceFeedbackRequest(JsonElement? Target, IReadOnlyList<FeedbackItemRequest?>? Feedback, FeedbackStrategyRequest? Strategy) : RequestBody;

/// <summary>A judged example.</summary>
internal sealed record FeedbackItemRequest(JsonElement? Example, float? Score) : RequestBody;

/// <summary>The feedback strategy: only Qdrant's <c>naive</c> exists.</summary>
internal sealed record FeedbackStrategyRequest(NaiveFeedbackRequest? Naive) : RequestBody;

/// <summary>The naive strategy's weights.</summary>
internal sealed record NaiveFeedbackRequest(float? A, float? B, float? C) : RequestBody;

/// <summary>
/// Reads <c>points/query</c> bodies into the engine's <see cref="PointQuery"/>: prefetch trees, every kind of query, and
/// vectors given by value, by id, or by id in another collection (<c>lookup_from</c>).
/// </summary>
internal sealed class QueryJson(VectorDatabase database, Collection collection)
{
    /// <summary>A query request's outermost stage; <paramref name="path"/> is where the request sits in the body (a batch's <c>searches[i]</c>).</summary>
    public PointQuery Stage(QueryRequest request, string path = "") =>
        Stage(request.Prefetch, request.Query, request.Using, request.Filter, request.Params, request.ScoreThreshold, request.Limit, request.LookupFrom, path);

    /// <summary>
    /// A stage of the endpoints the universal query replaced (<c>points/recommend</c>, <c>points/discover</c>), whose
    /// examples are fields of the body itself: <paramref name="query"/> reads them (given this reader, the vector's name
    /// and <c>lookup_from</c>), so that errors name the body's own fields. <paramref name="path"/> is where the body sits
    /// (a batch's <c>searches[i]</c>).
    /// </summary>
    public PointQuery ExampleStage(
        Func<QueryJson, string, LookupLocation?, QueryExpression> query, string? vector, JsonElement? filter, SearchParams? parameters, float? threshold, int? limit, LookupLocation? lookup, string path)
    {
        string name = vector ?? "";
        CheckLookup(lookup, path);
        return Build(null, query(this, name, lookup), name, filter, parameters, threshold, limit, path);
    }

    /// <summary>A <c>recommend</c> query from its request; <paramref name="path"/> is where the request's fields sit.</summary>
    public RecommendQuery Recommend(RecommendRequest recommend, string vector, LookupLocation? lookup, string path) => new(
        Inputs(recommend.Positive, vector, lookup, Join(path, "positive")),
        Inputs(recommend.Negative, vector, lookup, Join(path, "negative")),
        recommend.Strategy switch
        {
            null or "average_vector" => RecommendStrategy.AverageVector,
            "best_score" => RecommendStrategy.BestScore,
            "sum_scores" => RecommendStrategy.SumScores,
            var other => throw new InvalidRequestException($"`{Join(path, "strategy")}` must be average_vector, best_score or sum_scores, got \"{other}\"."),
        });

    /// <summary>A <c>discover</c> query: a target and context pairs.</summary>
    public DiscoverQuery Discover(JsonElement? target, JsonElement? context, string vector, LookupLocation? lookup, string path) => new(
        Input(target is { ValueKind: not JsonValueKind.Null } given ? given : throw new InvalidRequestException($"`{Join(path, "target")}` is required."), vector, lookup, Join(path, "target")),
        Pairs(context, vector, lookup, Join(path, "context")));

    /// <summary>A <c>context</c> query: context pairs only.</summary>
    public ContextQuery Context(JsonElement? context, string vector, LookupLocation? lookup, string path) => new(Pairs(context, vector, lookup, path));

    private PointQuery Stage(
        JsonElement? prefetch, JsonElement? query, string? vector, JsonElement? filter, SearchParams? parameters, float? threshold, int? limit, LookupLocation? lookup, string path)
    {
        string name = vector ?? "";
        CheckLookup(lookup, path);
        var prefetches = Prefetches(prefetch, Join(path, "prefetch"));
        return Build(prefetches, query is { ValueKind: not JsonValueKind.Null } given ? Expression(given, name, lookup, Join(path, "query")) : null, name, filter, parameters, threshold, limit, path);
    }

    private void CheckLookup(LookupLocation? lookup, string path)
    {
        if (lookup is not null)
        {
            _ = database.GetCollection(lookup.Collection ?? throw new InvalidRequestException($"`{Join(path, "lookup_from.collection")}` is required."));
        }
    }

    /// <summary>A stage from its parts: the query (with <c>params.coverage</c> applied), vector, filter, page and search parameters.</summary>
    internal static PointQuery Build(
        List<PointQuery>? prefetches, QueryExpression? query, string name, JsonElement? filter, SearchParams? parameters, float? threshold, int? limit, string path) =>
        new()
        {
            Prefetch = prefetches,
            Query = WithCoverage(query, parameters, Join(path, "params")),
            Using = name,
            Filter = VectorDb.Query.FilterJson.Parse(filter),
            Limit = limit ?? 10,
            ScoreThreshold = threshold,
            Ef = parameters?.HnswEf,
            Exact = parameters?.Exact ?? false,
            Adaptive = parameters?.Adaptive?.ToOptions(),
            Quantization = parameters?.Quantization?.ToOptions(),
            Cutoff = parameters?.ToCutoff(Join(path, "params")),
        };

    /// <summary>A nearest query with <c>params.coverage</c> applied; the query unchanged without it.</summary>
    public static QueryExpression? WithCoverage(QueryExpression? query, SearchParams? parameters, string path) => (query, parameters?.Coverage) switch
    {
        (_, null) => query,
        (NearestQuery nearest, { } coverage) => nearest with { Coverage = new CoverageOptions(coverage.CandidatesLimit) },
        _ => throw new InvalidRequestException($"`{path}.coverage` chooses among the hits of a nearest query; this stage's query is not one."),
    };

    private List<PointQuery>? Prefetches(JsonElement? element, string path)
    {
        switch (element)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.Object } single:
                return [Prefetch(single, path)];
            case { ValueKind: JsonValueKind.Array } list:
                return [.. list.EnumerateArray().Select((item, i) => Prefetch(item, $"{path}[{i}]"))];
            default:
                throw new InvalidRequestException($"`{path}` must be a prefetch object or a list of them.");
        }
    }

    private PointQuery Prefetch(JsonElement element, string path)
    {
        var request = ServerJson.ReadBody<PrefetchRequest>(element, path);
        if (request.Params?.Explain is not null)
        {
            throw new InvalidRequestException($"`{path}.params.explain` belongs to the outermost query: its explain covers every prefetch.");
        }

        return Stage(request.Prefetch, request.Query, request.Using, request.Filter, request.Params, request.ScoreThreshold, request.Limit, request.LookupFrom, path);
    }

    /// <summary>
    /// A <c>query</c>: a vector or point id (nearest), or an object naming its kind. An object naming none is a vector
    /// given as an object (sparse, a document), read by the vector's kind.
    /// </summary>
    private QueryExpression Expression(JsonElement query, string vector, LookupLocation? lookup, string path)
    {
        var fields = query.ValueKind == JsonValueKind.Object ? JsonText.Fields(query).ToList() : [];
        if (!fields.Any(f => IsQueryKind(f.Name)))
        {
            return new NearestQuery(Input(query, vector, lookup, path));
        }

        if (fields.Any(f => f.Name == "formula"))
        {
            return Formula(query, path);
        }

        if (fields.Where(f => f.Name is not ("mmr" or "defaults")).Select(f => (JsonProperty?)f).FirstOrDefault() is not { } first)
        {
            throw new InvalidRequestException($"`{path}.{fields[0].Name}` needs {(fields[0].Name == "mmr" ? "`nearest`" : "`formula`")} beside it.");
        }

        var (kind, value) = (first.Name, first.Value);
        string at = $"{path}.{kind}";
        if (fields.Where(f => f.Name != kind && !(kind == "nearest" && f.Name == "mmr")).Select(f => (JsonProperty?)f).FirstOrDefault() is { } extra)
        {
            throw new InvalidRequestException(IsQueryKind(extra.Name)
                ? $"`{path}` names two kinds of query, `{kind}` and `{extra.Name}`: give one."
                : $"Unknown field `{path}.{extra.Name}` beside `{kind}`.");
        }

        switch (kind)
        {
            case "nearest":
                var mmr = query.TryGetProperty("mmr", out var mmrJson) && mmrJson.ValueKind != JsonValueKind.Null ? ServerJson.ReadBody<MmrRequest>(mmrJson, $"{path}.mmr") : null;
                return new NearestQuery(Input(value, vector, lookup, at))
                {
                    Mmr = mmr is null ? null : new MmrOptions(mmr.Diversity ?? 0.5f, mmr.CandidatesLimit),
                };
            case "fusion":
                return JsonText.Read(value, $"`{at}`") switch
                {
                    "rrf" => new FusionQuery(FusionMethod.Rrf),
                    "dbsf" => new FusionQuery(FusionMethod.Dbsf),
                    var other => throw new InvalidRequestException($"`{at}` must be \"rrf\" or \"dbsf\", got \"{other}\"."),
                };
            case "rrf":
                var rrf = ServerJson.ReadBody<RrfRequest>(value, at);
                return new FusionQuery(FusionMethod.Rrf, rrf.K, rrf.Weights);
            case "order_by":
                return new OrderByQuery(PointsApi.ParseOrderBy(value) ?? throw new InvalidRequestException($"`{at}` needs a payload key."));
            case "sample":
                return JsonText.Read(value, $"`{at}`") == "random" ? new SampleQuery() : throw new InvalidRequestException($"`{at}` must be \"random\".");
            case "recommend":
                return Recommend(ServerJson.ReadBody<RecommendRequest>(value, at), vector, lookup, at);
            case "discover":
                var discover = ServerJson.ReadBody<DiscoverRequest>(value, at);
                return Discover(discover.Target, discover.Context, vector, lookup, at);
            case "context":
                return Context(value, vector, lookup, at);
            case "relevance_feedback":
                var feedback = ServerJson.ReadBody<RelevanceFeedbackRequest>(value, at);
                var naive = feedback.Strategy?.Naive ?? throw new InvalidRequestException($"`{at}.strategy` is required: {{\"naive\": {{\"a\", \"b\", \"c\"}}}}.");
                return new RelevanceFeedbackQuery(
                    Input(feedback.Target ?? throw new InvalidRequestException($"`{at}.target` is required."), vector, lookup, $"{at}.target"),
                    [.. RequestParsing.Items(feedback.Feedback, $"{at}.feedback").Select((item, i) => new FeedbackItem(
                        Input(item.Example ?? throw new InvalidRequestException($"`{at}.feedback[{i}].example` is required."), vector, lookup, $"{at}.feedback[{i}].example"),
                        item.Score ?? throw new InvalidRequestException($"`{at}.feedback[{i}].score` is required.")))],
                    Required(naive.A, $"{at}.strategy.naive.a"), Required(naive.B, $"{at}.strategy.naive.b"), Required(naive.C, $"{at}.strategy.naive.c"));
            default:
                throw new InvalidRequestException($"`{at}` is not a kind of query.");
        }
    }

    /// <summary><c>{"formula": expression, "defaults": {variable: value}}</c>.</summary>
    private static FormulaQuery Formula(JsonElement query, string path)
    {
        if (JsonText.Fields(query).FirstOrDefault(f => f.Name is not ("formula" or "defaults")) is { Value.ValueKind: not JsonValueKind.Undefined } extra)
        {
            throw new InvalidRequestException($"Unknown field `{path}.{extra.Name}` beside `formula`.");
        }

        Dictionary<string, JsonElement>? defaults = null;
        if (query.TryGetProperty("defaults", out var given) && given.ValueKind != JsonValueKind.Null)
        {
            defaults = given.ValueKind == JsonValueKind.Object
                ? JsonText.Fields(given).ToDictionary(f => f.Name, f => f.Value.Clone(), StringComparer.Ordinal)
                : throw new InvalidRequestException($"`{path}.defaults` must be an object of variable names and values.");
        }

        return new FormulaQuery(FormulaExpressionJson.Parse(query.GetProperty("formula"), $"{path}.formula", 0), defaults);
    }

    private static bool IsQueryKind(string name) => name is "nearest" or "mmr" or "fusion" or "rrf" or "order_by" or "sample" or "recommend" or "discover" or "context" or "relevance_feedback" or "formula" or "defaults";

    private static float Required(float? value, string path) => value ?? throw new InvalidRequestException($"`{path}` is required.");

    private List<ContextPair> Pairs(JsonElement? element, string vector, LookupLocation? lookup, string path) => element switch
    {
        null or { ValueKind: JsonValueKind.Null } => [],
        { ValueKind: JsonValueKind.Object } single => [Pair(single, vector, lookup, path)],
        { ValueKind: JsonValueKind.Array } list => [.. list.EnumerateArray().Select((item, i) => Pair(item, vector, lookup, $"{path}[{i}]"))],
        _ => throw new InvalidRequestException($"`{path}` must be a pair {{\"positive\", \"negative\"}} or a list of pairs."),
    };

    private ContextPair Pair(JsonElement element, string vector, LookupLocation? lookup, string path)
    {
        var pair = ServerJson.ReadBody<ContextPairRequest>(element, path);
        return new ContextPair(
            Input(pair.Positive ?? throw new InvalidRequestException($"`{path}.positive` is required."), vector, lookup, $"{path}.positive"),
            Input(pair.Negative ?? throw new InvalidRequestException($"`{path}.negative` is required."), vector, lookup, $"{path}.negative"));
    }

    private List<VectorInput> Inputs(JsonElement[]? elements, string vector, LookupLocation? lookup, string path) =>
        [.. (elements ?? []).Select((element, i) => Input(element, vector, lookup, $"{path}[{i}]"))];

    /// <summary>
    /// A vector input: a point id (read from <c>lookup_from</c>'s collection when given, else left to the engine, which
    /// leaves the point out of the hits), or a vector of the kind <paramref name="vector"/> is.
    /// </summary>
    public VectorInput Input(JsonElement element, string vector, LookupLocation? lookup, string path)
    {
        if (element.ValueKind is JsonValueKind.Number or JsonValueKind.String)
        {
            var id = RequestParsing.PointId(element);
            return lookup is null ? VectorInput.Of(id)
                : LookedUp(database, id, lookup.Collection ?? throw new InvalidRequestException("`lookup_from.collection` is required."), lookup.Vector ?? vector, path);
        }

        var options = collection.Options;
        if (options.SparseVectors?.ContainsKey(vector) == true)
        {
            return VectorInput.Of(VectorJson.SparseOrDocument(element, query: true, path));
        }

        if (options.NamedVectors?.GetValueOrDefault(vector) is { Multivector: not null })
        {
            return VectorInput.Of(VectorJson.Multi(element, path));
        }

        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("indices", out _))
        {
            throw new InvalidRequestException(vector.Length == 0
                ? $"`{path}` is sparse, but the unnamed vector is dense: name a sparse vector with `using`."
                : $"`{path}` is sparse, but vector `{vector}` is not a sparse vector.");
        }

        return VectorInput.Of(VectorJson.Dense(element, path));
    }

    /// <summary>The vector <paramref name="name"/> of point <paramref name="id"/> of another collection (<c>lookup_from</c>).</summary>
    public static VectorInput LookedUp(VectorDatabase database, PointId id, string collection, string name, string path)
    {
        var other = database.GetCollection(collection);
        var point = other.Get(id) ?? throw new NotFoundException($"No point with id {id} found in collection {other.Name} (`{path}`, looked up from it).");
        VectorInput? input = name.Length == 0 ? point.Vector is { } unnamed ? VectorInput.Of(unnamed) : null
            : point.NamedVectors?.GetValueOrDefault(name) is { } dense ? VectorInput.Of(dense)
            : point.SparseVectors?.GetValueOrDefault(name) is { } sparse ? VectorInput.Of(sparse)
            : point.Multivectors?.GetValueOrDefault(name) is { } multi ? VectorInput.Of(multi)
            : null;
        return input ?? throw new NotFoundException($"Point {id} of collection {other.Name} has no vector `{name}` (`{path}`).");
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";
}
