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
    public static PointQuery Search(Proto.SearchPoints request, string path)
    {
        string name = request.HasVectorName ? request.VectorName : "";
        var parameters = Params(request.Params, $"{path}params");
        VectorInput input = request.SparseIndices is { } indices
            ? VectorInput.Of(ProtoPoints.SparseOf(indices.Data, request.Vector, $"{path}vector"))
            : VectorInput.Of(request.Vector.ToArray());
        return new PointQuery
        {
            Query = new NearestQuery(input),
            Using = name,
            Filter = ProtoFilters.Read(request.Filter, $"{path}filter"),
            Limit = Limit(request.Limit, $"{path}limit"),
            ScoreThreshold = request.HasScoreThreshold ? request.ScoreThreshold : null,
            Ef = parameters.Ef,
            Exact = parameters.Exact,
            Quantization = parameters.Quantization,
        };
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
        if (lookup is not null)
        {
            if (lookup.ShardKeySelector is not null)
            {
                throw new InvalidRequestException($"`{path}lookup_from.shard_key_selector` is not supported: a collection has one shard on this single-node server.");
            }

            _ = database.GetCollection(lookup.CollectionName);
        }

        var search = Params(parameters, $"{path}params");
        return new PointQuery
        {
            Prefetch = prefetch.Count == 0 ? null : [.. prefetch.Select((p, i) => Prefetch(p, $"{path}prefetch[{i}]."))],
            Query = query is null ? null : Expression(query, vector, lookup, $"{path}query"),
            Using = vector,
            Filter = ProtoFilters.Read(filter, $"{path}filter"),
            Limit = limit is { } given ? Limit(given, $"{path}limit") : 10,
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
                    !recommend.HasStrategy ? RecommendStrategy.AverageVector : recommend.Strategy switch
                    {
                        Proto.RecommendStrategy.AverageVector => RecommendStrategy.AverageVector,
                        Proto.RecommendStrategy.BestScore => RecommendStrategy.BestScore,
                        Proto.RecommendStrategy.SumScores => RecommendStrategy.SumScores,
                        var other => throw new InvalidRequestException($"`{path}.recommend.strategy` {other} is not known."),
                    });
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
                var id = ProtoPoints.Id(input.Id, $"{path}.id");
                return lookup is null ? VectorInput.Of(id) : QueryJson.LookedUp(database, id, lookup.CollectionName, lookup.HasVectorName ? lookup.VectorName : vector, path);
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
