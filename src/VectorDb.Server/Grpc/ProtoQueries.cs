using VectorDb.Server.Api;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Searches and universal queries from Qdrant's protobuf messages as the engine's <see cref="PointQuery"/>, read as the
/// REST API reads their JSON: prefetch trees, every kind of query it supports, and vectors given by value, by id, or by
/// id in another collection (<c>lookup_from</c>).
/// </summary>
internal sealed class ProtoQueries(VectorDatabase database, Collection collection)
{
    private static readonly ReadFields SearchParamsFields = ReadFields.Of<Proto.SearchParams>("hnsw_ef", "exact", "quantization", "indexed_only");
    private static readonly ReadFields PrefetchFields = ReadFields.Of<Proto.PrefetchQuery>("prefetch", "query", "using", "filter", "params", "score_threshold", "limit", "lookup_from");

    /// <summary>The stage of <c>Search</c>: a nearest query over the collection.</summary>
    public static PointQuery Search(Proto.SearchPoints request, string path) => Nearest(
        request.Vector, request.SparseIndices, request.HasVectorName ? request.VectorName : "", request.Filter, request.Params,
        request.HasScoreThreshold ? request.ScoreThreshold : null, request.Limit, path);

    /// <summary>The stage of the older <c>SearchGroups</c>: a nearest query, grouped.</summary>
    public static PointQuery SearchGroups(Proto.SearchPointGroups request) => Nearest(
        request.Vector, request.SparseIndices, request.HasVectorName ? request.VectorName : "", request.Filter, request.Params,
        request.HasScoreThreshold ? request.ScoreThreshold : null, request.Limit, "");

    private static PointQuery Nearest(
        IList<float> vector, Proto.SparseIndices? indices, string name, Proto.Filter? filter, Proto.SearchParams? parameters, float? threshold, ulong limit, string path)
    {
        VectorInput input = indices is not null
            ? VectorInput.Of(ProtoPoints.SparseOf(indices.Data, vector, $"{path}vector"))
            : VectorInput.Of(vector.ToArray());
        return Build(null, new NearestQuery(input), name, filter, parameters, threshold, limit, path);
    }

    /// <summary>
    /// The stage of the older <c>Recommend</c> (and <c>RecommendGroups</c>): examples by id (<paramref name="positive"/>,
    /// <paramref name="negative"/>) and by value (<paramref name="positiveVectors"/>, <paramref name="negativeVectors"/>).
    /// </summary>
    public PointQuery Recommend(
        IList<Proto.PointId> positive, IList<Proto.Vector> positiveVectors, IList<Proto.PointId> negative, IList<Proto.Vector> negativeVectors, Proto.RecommendStrategy? strategy,
        string vector, Proto.Filter? filter, Proto.SearchParams? parameters, float? threshold, ulong limit, Proto.LookupLocation? lookup, string path)
    {
        CheckLookup(lookup, path);
        var query = new RecommendQuery(
            Examples(positive, positiveVectors, vector, lookup, $"{path}positive"),
            Examples(negative, negativeVectors, vector, lookup, $"{path}negative"),
            Strategy(strategy, $"{path}strategy"));
        return Build(null, query, vector, filter, parameters, threshold, limit, path);
    }

    /// <summary>The stage of the older <c>Discover</c>: a target and context pairs; without a target, a context search.</summary>
    public PointQuery Discover(Proto.DiscoverPoints request, string path)
    {
        string vector = request.HasUsing ? request.Using : "";
        var lookup = request.LookupFrom;
        CheckLookup(lookup, path);
        var pairs = request.Context.Select((pair, i) => new ContextPair(
            Example(pair.Positive, vector, lookup, $"{path}context[{i}].positive"),
            Example(pair.Negative, vector, lookup, $"{path}context[{i}].negative"))).ToList();
        QueryExpression query = request.Target is null
            ? new ContextQuery(pairs)
            : new DiscoverQuery(Example(request.Target.Single, vector, lookup, $"{path}target.single"), pairs);
        return Build(null, query, vector, request.Filter, request.Params, threshold: null, request.Limit, path);
    }

    /// <summary>The outermost stage of <c>Query</c>.</summary>
    public PointQuery Query(Proto.QueryPoints request, string path) => Stage(
        request.Prefetch, request.Query, request.HasUsing ? request.Using : "", request.Filter, request.Params,
        request.HasScoreThreshold ? request.ScoreThreshold : null, request.HasLimit ? request.Limit : null, request.LookupFrom, path);

    /// <summary>The stage whose hits <c>QueryGroups</c> groups.</summary>
    public PointQuery Groups(Proto.QueryPointGroups request) => Stage(
        request.Prefetch, request.Query, request.HasUsing ? request.Using : "", request.Filter, request.Params,
        request.HasScoreThreshold ? request.ScoreThreshold : null, request.HasLimit ? request.Limit : null, request.LookupFrom, "");

    private PointQuery Stage(
        Google.Protobuf.Collections.RepeatedField<Proto.PrefetchQuery> prefetch, Proto.Query? query, string vector, Proto.Filter? filter, Proto.SearchParams? parameters,
        float? threshold, ulong? limit, Proto.LookupLocation? lookup, string path)
    {
        CheckLookup(lookup, path);
        return Build(
            prefetch.Count == 0 ? null : [.. prefetch.Select((p, i) => Prefetch(p, $"{path}prefetch[{i}]."))],
            query is null ? null : Expression(query, vector, lookup, $"{path}query"),
            vector, filter, parameters, threshold, limit ?? 10, path);
    }

    private void CheckLookup(Proto.LookupLocation? lookup, string path)
    {
        if (lookup is not null)
        {
            if (lookup.ShardKeySelector is not null)
            {
                throw new InvalidRequestException($"`{path}lookup_from.shard_key_selector` is not supported: a collection has one shard on this single-node server.");
            }

            _ = database.GetCollection(lookup.CollectionName);
        }
    }

    private static PointQuery Build(
        List<PointQuery>? prefetch, QueryExpression? query, string vector, Proto.Filter? filter, Proto.SearchParams? parameters, float? threshold, ulong limit, string path)
    {
        var search = Params(parameters, $"{path}params");
        return new PointQuery
        {
            Prefetch = prefetch,
            Query = query,
            Using = vector,
            Filter = ProtoFilters.Read(filter, $"{path}filter"),
            Limit = Limit(limit, $"{path}limit"),
            ScoreThreshold = threshold,
            Ef = search.Ef,
            Exact = search.Exact,
            Quantization = search.Quantization,
        };
    }

    private PointQuery Prefetch(Proto.PrefetchQuery prefetch, string path)
    {
        PrefetchFields.Check(prefetch, path.TrimEnd('.'));
        return Stage(prefetch.Prefetch, prefetch.Query, prefetch.HasUsing ? prefetch.Using : "", prefetch.Filter, prefetch.Params,
            prefetch.HasScoreThreshold ? prefetch.ScoreThreshold : null, prefetch.HasLimit ? prefetch.Limit : null, prefetch.LookupFrom, path);
    }

    private QueryExpression Expression(Proto.Query query, string vector, Proto.LookupLocation? lookup, string path)
    {
        switch (query.VariantCase)
        {
            case Proto.Query.VariantOneofCase.Nearest:
                return new NearestQuery(Input(query.Nearest, vector, lookup, $"{path}.nearest"));
            case Proto.Query.VariantOneofCase.NearestWithMmr:
                var mmr = query.NearestWithMmr;
                return new NearestQuery(Input(mmr.Nearest, vector, lookup, $"{path}.nearest_with_mmr.nearest"))
                {
                    Mmr = mmr.Mmr is { } options
                        ? new MmrOptions(options.HasDiversity ? options.Diversity : 0.5f, options.HasCandidatesLimit ? (int)Math.Min(options.CandidatesLimit, int.MaxValue) : null)
                        : new MmrOptions(),
                };
            case Proto.Query.VariantOneofCase.Fusion:
                return query.Fusion switch
                {
                    Proto.Fusion.Rrf => new FusionQuery(FusionMethod.Rrf),
                    Proto.Fusion.Dbsf => new FusionQuery(FusionMethod.Dbsf),
                    var other => throw new InvalidRequestException($"`{path}.fusion` must be Rrf or Dbsf, got {other}."),
                };
            case Proto.Query.VariantOneofCase.Rrf:
                return new FusionQuery(FusionMethod.Rrf, query.Rrf.HasK ? (int)Math.Min(query.Rrf.K, int.MaxValue) : null, query.Rrf.Weights.Count > 0 ? [.. query.Rrf.Weights] : null);
            case Proto.Query.VariantOneofCase.OrderBy:
                return new OrderByQuery(Order(query.OrderBy, $"{path}.order_by"));
            case Proto.Query.VariantOneofCase.Sample:
                return query.Sample == Proto.Sample.Random ? new SampleQuery() : throw new InvalidRequestException($"`{path}.sample` must be Random.");
            case Proto.Query.VariantOneofCase.Recommend:
                var recommend = query.Recommend;
                return new RecommendQuery(
                    [.. recommend.Positive.Select((p, i) => Input(p, vector, lookup, $"{path}.recommend.positive[{i}]"))],
                    [.. recommend.Negative.Select((n, i) => Input(n, vector, lookup, $"{path}.recommend.negative[{i}]"))],
                    Strategy(recommend.HasStrategy ? recommend.Strategy : null, $"{path}.recommend.strategy"));
            case Proto.Query.VariantOneofCase.Discover:
                return new DiscoverQuery(
                    Input(query.Discover.Target, vector, lookup, $"{path}.discover.target"),
                    Pairs(query.Discover.Context, vector, lookup, $"{path}.discover.context"));
            case Proto.Query.VariantOneofCase.Context:
                return new ContextQuery(Pairs(query.Context, vector, lookup, $"{path}.context"));
            case Proto.Query.VariantOneofCase.RelevanceFeedback:
                var feedback = query.RelevanceFeedback;
                var naive = feedback.Strategy?.Naive ?? throw new InvalidRequestException($"`{path}.relevance_feedback.strategy.naive` (a, b, c) is required.");
                return new RelevanceFeedbackQuery(
                    Input(feedback.Target, vector, lookup, $"{path}.relevance_feedback.target"),
                    [.. feedback.Feedback.Select((item, i) => new FeedbackItem(Input(item.Example, vector, lookup, $"{path}.relevance_feedback.feedback[{i}].example"), item.Score))],
                    naive.A, naive.B, naive.C);
            case Proto.Query.VariantOneofCase.Formula:
                return ProtoFormulas.Read(query.Formula, $"{path}.formula");
            case Proto.Query.VariantOneofCase.Text:
                throw new InvalidRequestException($"`{path}.text` is not supported: search a sparse vector with a BM25 document (`nearest` with a document, model \"qdrant/bm25\").");
            default:
                throw new InvalidRequestException($"`{path}` names no kind of query.");
        }
    }

    private static RecommendStrategy Strategy(Proto.RecommendStrategy? strategy, string path) => strategy switch
    {
        null or Proto.RecommendStrategy.AverageVector => RecommendStrategy.AverageVector,
        Proto.RecommendStrategy.BestScore => RecommendStrategy.BestScore,
        Proto.RecommendStrategy.SumScores => RecommendStrategy.SumScores,
        var other => throw new InvalidRequestException($"`{path}` {other} is not known."),
    };

    /// <summary>The older RPCs' examples: by id first, then by value.</summary>
    private List<VectorInput> Examples(IList<Proto.PointId> ids, IList<Proto.Vector> vectors, string vector, Proto.LookupLocation? lookup, string path) =>
    [
        .. ids.Select((id, i) => ById(ProtoPoints.Id(id, $"{path}[{i}]"), vector, lookup, $"{path}[{i}]")),
        .. vectors.Select((value, i) => ProtoPoints.Example(value, vector, collection.Options, $"{path}_vectors[{i}]")),
    ];

    /// <summary>An older discover RPC's example: a point id or a vector.</summary>
    private VectorInput Example(Proto.VectorExample? example, string vector, Proto.LookupLocation? lookup, string path) => example?.ExampleCase switch
    {
        Proto.VectorExample.ExampleOneofCase.Id => ById(ProtoPoints.Id(example.Id, $"{path}.id"), vector, lookup, path),
        Proto.VectorExample.ExampleOneofCase.Vector => ProtoPoints.Example(example.Vector, vector, collection.Options, $"{path}.vector"),
        _ => throw new InvalidRequestException($"`{path}` (a vector, or a point id) is required."),
    };

    private VectorInput ById(PointId id, string vector, Proto.LookupLocation? lookup, string path) =>
        lookup is null ? VectorInput.Of(id) : QueryJson.LookedUp(database, id, lookup.CollectionName, lookup.HasVectorName ? lookup.VectorName : vector, path);

    private List<ContextPair> Pairs(Proto.ContextInput? context, string vector, Proto.LookupLocation? lookup, string path) =>
        context is null ? [] : [.. context.Pairs.Select((pair, i) => new ContextPair(
            Input(pair.Positive, vector, lookup, $"{path}.pairs[{i}].positive"),
            Input(pair.Negative, vector, lookup, $"{path}.pairs[{i}].negative")))];

    /// <summary>
    /// A vector input: a point id (read from <c>lookup_from</c>'s collection when given, else left to the engine, which
    /// leaves the point out of the hits), or a vector.
    /// </summary>
    private VectorInput Input(Proto.VectorInput? input, string vector, Proto.LookupLocation? lookup, string path)
    {
        switch (input?.VariantCase)
        {
            case Proto.VectorInput.VariantOneofCase.Id:
                return ById(ProtoPoints.Id(input.Id, $"{path}.id"), vector, lookup, path);
            case Proto.VectorInput.VariantOneofCase.Dense:
                return VectorInput.Of(input.Dense.Data.ToArray());
            case Proto.VectorInput.VariantOneofCase.Sparse:
                return VectorInput.Of(ProtoPoints.SparseOf(input.Sparse.Indices, input.Sparse.Values, $"{path}.sparse"));
            case Proto.VectorInput.VariantOneofCase.MultiDense:
                return VectorInput.Of(ProtoPoints.MultiOf(input.MultiDense, $"{path}.multi_dense"));
            case Proto.VectorInput.VariantOneofCase.Document:
                return collection.Options.SparseVectors?.ContainsKey(vector) == true
                    ? VectorInput.Of(ProtoPoints.Document(input.Document, query: true, $"{path}.document"))
                    : throw ProtoPoints.Inference($"{path}.document");
            case Proto.VectorInput.VariantOneofCase.Image:
            case Proto.VectorInput.VariantOneofCase.Object:
                throw ProtoPoints.Inference(path);
            default:
                throw new InvalidRequestException($"`{path}` (a vector, or a point id) is required.");
        }
    }

    /// <summary><c>order_by</c>: a payload key, its direction, and the number to start from.</summary>
    public static ScrollOrder Order(Proto.OrderBy order, string path)
    {
        if (order.Key.Length == 0)
        {
            throw new InvalidRequestException($"`{path}.key` (a payload key) is required.");
        }

        double? start = order.StartFrom?.ValueCase switch
        {
            null or Proto.StartFrom.ValueOneofCase.None => null,
            Proto.StartFrom.ValueOneofCase.Float => double.IsFinite(order.StartFrom.Float) ? order.StartFrom.Float : throw new InvalidRequestException($"`{path}.start_from` must be finite."),
            Proto.StartFrom.ValueOneofCase.Integer => order.StartFrom.Integer,
            _ => throw new InvalidRequestException($"`{path}.start_from` must be a number (ordering by a datetime index is not supported yet)."),
        };
        return new ScrollOrder(order.Key, order.HasDirection && order.Direction == Proto.Direction.Desc, start);
    }

    /// <summary><c>params</c>: beam width, exact search, quantization; <c>indexed_only</c> is met (points are indexed as they are written).</summary>
    private static SearchParameters Params(Proto.SearchParams? parameters, string path)
    {
        if (parameters is null)
        {
            return default;
        }

        SearchParamsFields.Check(parameters, path);
        QuantizationSearch? quantization = null;
        if (parameters.Quantization is { } given)
        {
            var asked = new QuantizationSearch
            {
                Ignore = given.HasIgnore && given.Ignore,
                Rescore = given.HasRescore ? given.Rescore : null,
                Oversampling = given.HasOversampling ? given.Oversampling : null,
            };
            asked.Validate();
            quantization = asked;
        }

        return new SearchParameters(
            parameters.HasHnswEf ? (int)Math.Min(parameters.HnswEf, int.MaxValue) : null,
            parameters.HasExact && parameters.Exact,
            quantization);
    }

    private static int Limit(ulong limit, string path) =>
        limit <= int.MaxValue ? (int)limit : throw new InvalidRequestException($"`{path}` is too large.");
}

/// <summary>A stage's search parameters.</summary>
internal readonly record struct SearchParameters(int? Ef, bool Exact, QuantizationSearch? Quantization);
