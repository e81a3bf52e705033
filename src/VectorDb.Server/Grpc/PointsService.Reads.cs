using System.Diagnostics;
using Grpc.Core;
using VectorDb.Server.Api;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// The reading RPCs of <c>qdrant.Points</c>: retrieval, searches and universal queries (single and batched), groups,
/// scroll, count, facets and the distance matrix; and the older recommend, discover and search-groups RPCs, run as the
/// universal queries that replaced them (as REST serves its older endpoints).
/// </summary>
internal partial class PointsService
{
    private static readonly ReadFields GetFields = ReadFields.Of<Proto.GetPoints>("collection_name", "ids", "with_payload", "with_vectors", "read_consistency", "timeout");
    private static readonly ReadFields SearchFields = ReadFields.Of<Proto.SearchPoints>(
        "collection_name", "vector", "filter", "limit", "with_payload", "params", "score_threshold", "offset", "vector_name", "with_vectors", "read_consistency", "timeout", "sparse_indices");
    private static readonly Dictionary<string, string> BatchOnly = new(StringComparer.Ordinal)
    {
        ["timeout"] = "a batch runs under one time limit: give `timeout` on the batch",
        ["read_consistency"] = "give `read_consistency` on the batch",
    };

    private static readonly ReadFields SearchMemberFields = ReadFields.Of<Proto.SearchPoints>(
        "collection_name", "vector", "filter", "limit", "with_payload", "params", "score_threshold", "offset", "vector_name", "with_vectors", "sparse_indices").Refusing(BatchOnly);
    private static readonly ReadFields SearchBatchFields = ReadFields.Of<Proto.SearchBatchPoints>("collection_name", "search_points", "read_consistency", "timeout");
    private static readonly ReadFields ScrollFields = ReadFields.Of<Proto.ScrollPoints>("collection_name", "filter", "offset", "limit", "with_payload", "with_vectors", "read_consistency", "order_by", "timeout");
    private static readonly ReadFields CountFields = ReadFields.Of<Proto.CountPoints>("collection_name", "filter", "exact", "read_consistency", "timeout");
    private static readonly ReadFields QueryFields = ReadFields.Of<Proto.QueryPoints>(
        "collection_name", "prefetch", "query", "using", "filter", "params", "score_threshold", "limit", "offset", "with_vectors", "with_payload", "read_consistency", "lookup_from", "timeout");
    private static readonly ReadFields QueryMemberFields = ReadFields.Of<Proto.QueryPoints>(
        "collection_name", "prefetch", "query", "using", "filter", "params", "score_threshold", "limit", "offset", "with_vectors", "with_payload", "lookup_from").Refusing(BatchOnly);
    private static readonly ReadFields QueryBatchFields = ReadFields.Of<Proto.QueryBatchPoints>("collection_name", "query_points", "read_consistency", "timeout");
    private static readonly ReadFields QueryGroupsFields = ReadFields.Of<Proto.QueryPointGroups>(
        "collection_name", "prefetch", "query", "using", "filter", "params", "score_threshold", "with_payload", "with_vectors", "lookup_from", "limit", "group_size", "group_by",
        "read_consistency", "with_lookup", "timeout");
    private static readonly ReadFields RecommendFields = ReadFields.Of<Proto.RecommendPoints>(
        "collection_name", "positive", "negative", "filter", "limit", "with_payload", "params", "score_threshold", "offset", "using", "with_vectors", "lookup_from",
        "read_consistency", "strategy", "positive_vectors", "negative_vectors", "timeout");
    private static readonly ReadFields RecommendMemberFields = ReadFields.Of<Proto.RecommendPoints>(
        "collection_name", "positive", "negative", "filter", "limit", "with_payload", "params", "score_threshold", "offset", "using", "with_vectors", "lookup_from",
        "strategy", "positive_vectors", "negative_vectors").Refusing(BatchOnly);
    private static readonly ReadFields RecommendBatchFields = ReadFields.Of<Proto.RecommendBatchPoints>("collection_name", "recommend_points", "read_consistency", "timeout");
    private static readonly ReadFields RecommendGroupsFields = ReadFields.Of<Proto.RecommendPointGroups>(
        "collection_name", "positive", "negative", "filter", "limit", "with_payload", "params", "score_threshold", "using", "with_vectors", "lookup_from", "group_by",
        "group_size", "read_consistency", "with_lookup", "strategy", "positive_vectors", "negative_vectors", "timeout");
    private static readonly ReadFields DiscoverFields = ReadFields.Of<Proto.DiscoverPoints>(
        "collection_name", "target", "context", "filter", "limit", "with_payload", "params", "offset", "using", "with_vectors", "lookup_from", "read_consistency", "timeout");
    private static readonly ReadFields DiscoverMemberFields = ReadFields.Of<Proto.DiscoverPoints>(
        "collection_name", "target", "context", "filter", "limit", "with_payload", "params", "offset", "using", "with_vectors", "lookup_from").Refusing(BatchOnly);
    private static readonly ReadFields DiscoverBatchFields = ReadFields.Of<Proto.DiscoverBatchPoints>("collection_name", "discover_points", "read_consistency", "timeout");
    private static readonly ReadFields SearchGroupsFields = ReadFields.Of<Proto.SearchPointGroups>(
        "collection_name", "vector", "filter", "limit", "with_payload", "params", "score_threshold", "vector_name", "with_vectors", "group_by", "group_size",
        "read_consistency", "with_lookup", "timeout", "sparse_indices");
    private static readonly ReadFields FacetFields = ReadFields.Of<Proto.FacetCounts>("collection_name", "key", "filter", "limit", "exact", "timeout", "read_consistency");
    private static readonly ReadFields MatrixFields = ReadFields.Of<Proto.SearchMatrixPoints>("collection_name", "filter", "sample", "limit", "using", "timeout", "read_consistency");

    public virtual Task<Proto.GetResponse> Get(Proto.GetPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        GetFields.Check(request);
        var (collection, timeout) = OpenRead(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout);
        var payload = ProtoPoints.PayloadSelector(request.WithPayload, absent: true);
        var vectors = ProtoPoints.VectorSelector(request.WithVectors, collection.Options);
        var ids = ProtoPoints.Ids(request.Ids, "ids");
        var records = QueryTimeout.Run(limits, timeout, cancellation => collection.Get(ids, vectors.Wants, payload.WantsPayload, cancellation), context.CancellationToken);
        var response = new Proto.GetResponse();
        response.Result.AddRange(records.Select(record => ProtoPoints.Retrieved(record, payload, vectors, collection.Options)));
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.SearchResponse> Search(Proto.SearchPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        SearchFields.Check(request);
        var (collection, timeout) = OpenRead(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout);
        var response = new Proto.SearchResponse();
        QueryTimeout.Run(limits, timeout, cancellation =>
            Run(collection, ProtoQueries.Search(request, ""), request.HasOffset ? request.Offset : 0, request.WithPayload, request.WithVectors, response.Result, cancellation), context.CancellationToken);
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.SearchBatchResponse> SearchBatch(Proto.SearchBatchPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        SearchBatchFields.Check(request);
        var response = new Proto.SearchBatchResponse();
        RunBatch(
            new BatchRequest(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout, "search_points"), request.SearchPoints, SearchMemberFields,
            search => search.CollectionName,
            (_, search, path) => new BatchMember(ProtoQueries.Search(search, path), search.HasOffset ? search.Offset : 0, search.WithPayload, search.WithVectors),
            response.Result, context);
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.QueryResponse> Query(Proto.QueryPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        QueryFields.Check(request);
        var (collection, timeout) = OpenRead(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout);
        var stage = new ProtoQueries(database, collection).Query(request, "");
        var response = new Proto.QueryResponse();
        QueryTimeout.Run(limits, timeout, cancellation =>
            Run(collection, stage, request.HasOffset ? request.Offset : 0, request.WithPayload, request.WithVectors, response.Result, cancellation), context.CancellationToken);
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.QueryBatchResponse> QueryBatch(Proto.QueryBatchPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        QueryBatchFields.Check(request);
        var response = new Proto.QueryBatchResponse();
        RunBatch(
            new BatchRequest(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout, "query_points"), request.QueryPoints, QueryMemberFields,
            query => query.CollectionName,
            (queries, query, path) => new BatchMember(queries.Query(query, path), query.HasOffset ? query.Offset : 0, query.WithPayload, query.WithVectors),
            response.Result, context);
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    /// <summary>A read's collection and time limit, its consistency checked and its read rate taken (<paramref name="cost"/> searches).</summary>
    private (Collection Collection, ulong? Timeout) OpenRead(string name, Proto.ReadConsistency? consistency, bool hasTimeout, ulong timeoutSeconds, int cost = 1)
    {
        GrpcRequests.Check(consistency);
        var collection = database.GetCollection(name);
        var timeout = GrpcRequests.Timeout(hasTimeout, timeoutSeconds);
        strict.Read(collection, timeout, cost);
        return (collection, timeout);
    }

    /// <summary>
    /// Runs a batch RPC's members (the repeated field <see cref="BatchRequest.Field"/>): each member's fields checked
    /// against <paramref name="memberFields"/> and its collection against the batch's, the read opened once for all, and
    /// the members run in order under one time limit, each member's hits in a result of its own.
    /// </summary>
    private void RunBatch<TMember>(
        BatchRequest request, IList<TMember> members, ReadFields memberFields, Func<TMember, string> collectionOf,
        Func<ProtoQueries, TMember, string, BatchMember> stage, Google.Protobuf.Collections.RepeatedField<Proto.BatchResult> target, ServerCallContext context)
        where TMember : Google.Protobuf.IMessage
    {
        StrictMode.Batch(database.GetCollection(request.Collection), members.Count);
        var (collection, timeout) = OpenRead(request.Collection, request.Consistency, request.HasTimeout, request.Timeout, members.Count);
        var queries = new ProtoQueries(database, collection);
        var read = members.Select((member, i) =>
        {
            string path = $"{request.Field}[{i}].";
            memberFields.Check(member, path.TrimEnd('.'));
            GrpcRequests.SameCollection(collectionOf(member), request.Collection, $"{path}collection_name");
            return stage(queries, member, path);
        }).ToList();
        QueryTimeout.Run(limits, timeout, cancellation =>
        {
            foreach (var member in read)
            {
                var batch = new Proto.BatchResult();
                Run(collection, member.Stage, member.Offset, member.Payload, member.Vectors, batch.Result, cancellation);
                target.Add(batch);
            }

            return 0;
        }, context.CancellationToken);
    }

    public virtual Task<Proto.QueryGroupsResponse> QueryGroups(Proto.QueryPointGroups request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        QueryGroupsFields.Check(request);
        var (collection, timeout) = OpenRead(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout);
        var stage = new ProtoQueries(database, collection).Groups(request);
        var result = Grouped(
            collection, timeout, stage, request.GroupBy, request.HasGroupSize ? request.GroupSize : null, request.WithPayload, request.WithVectors, request.WithLookup, context);
        return Task.FromResult(new Proto.QueryGroupsResponse { Result = result, Time = Stopwatch.GetElapsedTime(started).TotalSeconds });
    }

    /// <summary>The hits of <paramref name="stage"/> in groups, rendered; shared by the grouped RPCs.</summary>
    private Proto.GroupsResult Grouped(
        Collection collection, ulong? timeout, PointQuery stage, string groupByKey, ulong? size, Proto.WithPayloadSelector? withPayload, Proto.WithVectorsSelector? withVectors,
        Proto.WithLookup? withLookup, ServerCallContext context)
    {
        string groupBy = string.IsNullOrEmpty(groupByKey) ? throw new InvalidRequestException("`group_by` (a payload key) is required.") : groupByKey;
        int groupSize = size switch
        {
            null => 3,
            0 => throw new InvalidRequestException("`group_size` must be at least 1."),
            var given => (int)Math.Min(given.Value, int.MaxValue),
        };
        var payload = ProtoPoints.PayloadSelector(withPayload, absent: false);
        var vectors = ProtoPoints.VectorSelector(withVectors, collection.Options);
        SearchApi.CheckLimits(stage, 0, limits);
        ServerOptions.Check("limit × group_size", (long)stage.Limit * groupSize, limits.MaxLimit, nameof(limits.MaxLimit));
        StrictMode.Query(collection, stage with { Limit = 1 });
        StrictMode.Limit(collection, (long)stage.Limit * groupSize, "limit × group_size");
        var lookup = withLookup is { } with ? GroupLookup(with) : ((Collection, PayloadSelector, VectorSelector)?)null;
        var groups = QueryTimeout.Run(limits, timeout, cancellation =>
            collection.QueryGroups(stage, groupBy, groupSize, new QueryOptions { WithPayload = payload.WantsPayload, WithVector = vectors.Wants }, cancellation), context.CancellationToken);
        var result = new Proto.GroupsResult();
        foreach (var group in groups)
        {
            var described = new Proto.PointGroup
            {
                Id = group.Id.Text is { } text ? new Proto.GroupId { StringValue = text } : new Proto.GroupId { IntegerValue = group.Id.Number },
                Lookup = lookup is { } found ? LookedUp(found, group.Id) : null,
            };
            ProtoPoints.AddHits(described.Hits, group.Hits, payload, vectors, collection.Options);
            result.Groups.Add(described);
        }

        return result;
    }

    private (Collection Collection, PayloadSelector Payload, VectorSelector Vectors) GroupLookup(Proto.WithLookup with)
    {
        var other = database.GetCollection(with.Collection);
        return (other, ProtoPoints.PayloadSelector(with.WithPayload, absent: true, "with_lookup.with_payload"), ProtoPoints.VectorSelector(with.WithVectors, other.Options, "with_lookup.with_vectors"));
    }

    /// <summary>The lookup collection's point whose id is the group's (an unsigned integer or a UUID); null when there is none.</summary>
    private static Proto.RetrievedPoint? LookedUp((Collection Collection, PayloadSelector Payload, VectorSelector Vectors) lookup, GroupId group)
    {
        PointId? id = group.Text is { } text ? (Guid.TryParse(text, out var uuid) ? new PointId(uuid) : null) : group.Number >= 0 ? new PointId((ulong)group.Number) : null;
        return id is { } pointId && lookup.Collection.Get(pointId, lookup.Vectors.Wants, lookup.Payload.WantsPayload) is { } record
            ? ProtoPoints.Retrieved(record, lookup.Payload, lookup.Vectors, lookup.Collection.Options)
            : null;
    }

    public virtual Task<Proto.ScrollResponse> Scroll(Proto.ScrollPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        ScrollFields.Check(request);
        GrpcRequests.Check(request.ReadConsistency);
        var collection = database.GetCollection(request.CollectionName);
        var timeout = GrpcRequests.Timeout(request.HasTimeout, request.Timeout);
        int limit = request.HasLimit ? (int)Math.Min(request.Limit, int.MaxValue) : 10;
        ServerOptions.Check("limit", limit, limits.MaxLimit, nameof(limits.MaxLimit));
        PointId? offset = request.Offset is { } given ? ProtoPoints.Id(given, "offset") : null;
        var order = request.OrderBy is { } orderBy ? ProtoQueries.Order(orderBy, "order_by") : null;
        if (order is not null && offset is not null)
        {
            throw new InvalidRequestException("Cannot use an `offset` when using `order_by`: page with `order_by.start_from` and a `must_not` `has_id` filter on the ids already seen with that value.");
        }

        var payload = ProtoPoints.PayloadSelector(request.WithPayload, absent: true);
        var vectors = ProtoPoints.VectorSelector(request.WithVectors, collection.Options);
        var filter = ProtoFilters.Read(request.Filter);
        StrictMode.Limit(collection, limit);
        StrictMode.Filter(collection, filter, update: false);
        strict.Read(collection, timeout);
        var page = QueryTimeout.Run(limits, timeout, cancellation => order is null
            ? collection.Scroll(offset, limit, vectors.Wants, payload.WantsPayload, filter, cancellation)
            : collection.ScrollOrdered(order, limit, vectors.Wants, payload.WantsPayload, filter, cancellation), context.CancellationToken);
        var response = new Proto.ScrollResponse { NextPageOffset = page.NextOffset is { } next ? ProtoPoints.ToProto(next) : null };
        response.Result.AddRange(page.Points.Select(record => ProtoPoints.Retrieved(record, payload, vectors, collection.Options)));
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.CountResponse> Count(Proto.CountPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        CountFields.Check(request);
        GrpcRequests.Check(request.ReadConsistency);
        var collection = database.GetCollection(request.CollectionName);
        var timeout = GrpcRequests.Timeout(request.HasTimeout, request.Timeout);
        var filter = ProtoFilters.Read(request.Filter);
        StrictMode.Filter(collection, filter, update: false);
        strict.Read(collection, timeout);
        long count = QueryTimeout.Run(limits, timeout, cancellation => collection.Count(filter, cancellation), context.CancellationToken);
        return Task.FromResult(new Proto.CountResponse { Result = new Proto.CountResult { Count = (ulong)count }, Time = Stopwatch.GetElapsedTime(started).TotalSeconds });
    }

    public virtual Task<Proto.FacetResponse> Facet(Proto.FacetCounts request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        FacetFields.Check(request);
        GrpcRequests.Check(request.ReadConsistency);
        var collection = database.GetCollection(request.CollectionName);
        var timeout = GrpcRequests.Timeout(request.HasTimeout, request.Timeout);
        string key = string.IsNullOrEmpty(request.Key) ? throw new InvalidRequestException("`key` (a payload key) is required.") : request.Key;
        int limit = request.HasLimit ? (int)Math.Min(request.Limit, int.MaxValue) : 10;
        var filter = ProtoFilters.Read(request.Filter);
        StrictMode.Limit(collection, limit);
        StrictMode.Filter(collection, filter, update: false);
        strict.Read(collection, timeout);
        var hits = QueryTimeout.Run(limits, timeout, cancellation => collection.Facet(key, limit, filter, cancellation), context.CancellationToken);
        var response = new Proto.FacetResponse();
        response.Hits.AddRange(hits.Select(hit => new Proto.FacetHit
        {
            Value = hit.Value.Text is { } text ? new Proto.FacetValue { StringValue = text }
                : hit.Value.Number is { } number ? new Proto.FacetValue { IntegerValue = number }
                : new Proto.FacetValue { BoolValue = hit.Value.Flag!.Value },
            Count = (ulong)hit.Count,
        }));
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.SearchMatrixPairsResponse> SearchMatrixPairs(Proto.SearchMatrixPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var matrix = Matrix(request, context);
        var pairs = new Proto.SearchMatrixPairs();
        pairs.Pairs.AddRange(matrix.Entries.Select(entry => new Proto.SearchMatrixPair
        {
            A = ProtoPoints.ToProto(matrix.Ids[entry.Row]),
            B = ProtoPoints.ToProto(matrix.Ids[entry.Column]),
            Score = entry.Score,
        }));
        return Task.FromResult(new Proto.SearchMatrixPairsResponse { Result = pairs, Time = Stopwatch.GetElapsedTime(started).TotalSeconds });
    }

    public virtual Task<Proto.SearchMatrixOffsetsResponse> SearchMatrixOffsets(Proto.SearchMatrixPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var matrix = Matrix(request, context);
        var offsets = new Proto.SearchMatrixOffsets();
        offsets.OffsetsRow.AddRange(matrix.Entries.Select(entry => (ulong)entry.Row));
        offsets.OffsetsCol.AddRange(matrix.Entries.Select(entry => (ulong)entry.Column));
        offsets.Scores.AddRange(matrix.Entries.Select(entry => entry.Score));
        offsets.Ids.AddRange(matrix.Ids.Select(ProtoPoints.ToProto));
        return Task.FromResult(new Proto.SearchMatrixOffsetsResponse { Result = offsets, Time = Stopwatch.GetElapsedTime(started).TotalSeconds });
    }

    private DistanceMatrix Matrix(Proto.SearchMatrixPoints request, ServerCallContext context)
    {
        MatrixFields.Check(request);
        GrpcRequests.Check(request.ReadConsistency);
        var collection = database.GetCollection(request.CollectionName);
        var timeout = GrpcRequests.Timeout(request.HasTimeout, request.Timeout);
        int sample = request.HasSample ? (int)Math.Min(request.Sample, int.MaxValue) : 10;
        int limit = request.HasLimit ? (int)Math.Min(request.Limit, int.MaxValue) : 3;
        ServerOptions.Check("sample", sample, limits.MaxLimit, nameof(limits.MaxLimit));
        var filter = ProtoFilters.Read(request.Filter);
        StrictMode.Limit(collection, sample, "sample");
        StrictMode.Limit(collection, limit);
        StrictMode.Filter(collection, filter, update: false);
        strict.Read(collection, timeout, sample);
        return QueryTimeout.Run(limits, timeout, cancellation =>
            collection.SearchMatrix(sample, limit, filter, request.HasUsing ? request.Using : "", cancellation), context.CancellationToken);
    }

    public virtual Task<Proto.SearchGroupsResponse> SearchGroups(Proto.SearchPointGroups request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        SearchGroupsFields.Check(request);
        var (collection, timeout) = OpenRead(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout);
        var result = Grouped(
            collection, timeout, ProtoQueries.SearchGroups(request), request.GroupBy, request.GroupSize, request.WithPayload, request.WithVectors, request.WithLookup, context);
        return Task.FromResult(new Proto.SearchGroupsResponse { Result = result, Time = Stopwatch.GetElapsedTime(started).TotalSeconds });
    }

    public virtual Task<Proto.RecommendResponse> Recommend(Proto.RecommendPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        RecommendFields.Check(request);
        var (collection, timeout) = OpenRead(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout);
        var stage = RecommendStage(new ProtoQueries(database, collection), request, "");
        var response = new Proto.RecommendResponse();
        QueryTimeout.Run(limits, timeout, cancellation =>
            Run(collection, stage, request.HasOffset ? request.Offset : 0, request.WithPayload, request.WithVectors, response.Result, cancellation), context.CancellationToken);
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.RecommendBatchResponse> RecommendBatch(Proto.RecommendBatchPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        RecommendBatchFields.Check(request);
        var response = new Proto.RecommendBatchResponse();
        RunBatch(
            new BatchRequest(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout, "recommend_points"), request.RecommendPoints, RecommendMemberFields,
            recommend => recommend.CollectionName,
            (queries, recommend, path) => new BatchMember(RecommendStage(queries, recommend, path), recommend.HasOffset ? recommend.Offset : 0, recommend.WithPayload, recommend.WithVectors),
            response.Result, context);
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.RecommendGroupsResponse> RecommendGroups(Proto.RecommendPointGroups request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        RecommendGroupsFields.Check(request);
        var (collection, timeout) = OpenRead(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout);
        var stage = new ProtoQueries(database, collection).Recommend(
            request.Positive, request.PositiveVectors, request.Negative, request.NegativeVectors, request.HasStrategy ? request.Strategy : null,
            request.HasUsing ? request.Using : "", request.Filter, request.Params, request.HasScoreThreshold ? request.ScoreThreshold : null, request.Limit, request.LookupFrom, "");
        var result = Grouped(collection, timeout, stage, request.GroupBy, request.GroupSize, request.WithPayload, request.WithVectors, request.WithLookup, context);
        return Task.FromResult(new Proto.RecommendGroupsResponse { Result = result, Time = Stopwatch.GetElapsedTime(started).TotalSeconds });
    }

    public virtual Task<Proto.DiscoverResponse> Discover(Proto.DiscoverPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        DiscoverFields.Check(request);
        var (collection, timeout) = OpenRead(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout);
        var stage = new ProtoQueries(database, collection).Discover(request, "");
        var response = new Proto.DiscoverResponse();
        QueryTimeout.Run(limits, timeout, cancellation =>
            Run(collection, stage, request.HasOffset ? request.Offset : 0, request.WithPayload, request.WithVectors, response.Result, cancellation), context.CancellationToken);
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.DiscoverBatchResponse> DiscoverBatch(Proto.DiscoverBatchPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        DiscoverBatchFields.Check(request);
        var response = new Proto.DiscoverBatchResponse();
        RunBatch(
            new BatchRequest(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout, "discover_points"), request.DiscoverPoints, DiscoverMemberFields,
            discover => discover.CollectionName,
            (queries, discover, path) => new BatchMember(queries.Discover(discover, path), discover.HasOffset ? discover.Offset : 0, discover.WithPayload, discover.WithVectors),
            response.Result, context);
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    private static PointQuery RecommendStage(ProtoQueries queries, Proto.RecommendPoints request, string path) => queries.Recommend(
        request.Positive, request.PositiveVectors, request.Negative, request.NegativeVectors, request.HasStrategy ? request.Strategy : null,
        request.HasUsing ? request.Using : "", request.Filter, request.Params, request.HasScoreThreshold ? request.ScoreThreshold : null, request.Limit, request.LookupFrom, path);

    /// <summary>Runs a universal query and adds its hits, rendered as the request asked, to <paramref name="target"/>.</summary>
    private int Run(
        Collection collection, PointQuery stage, ulong offset, Proto.WithPayloadSelector? withPayload, Proto.WithVectorsSelector? withVectors,
        Google.Protobuf.Collections.RepeatedField<Proto.ScoredPoint> target, CancellationToken cancellation)
    {
        var payload = ProtoPoints.PayloadSelector(withPayload, absent: false);
        var vectors = ProtoPoints.VectorSelector(withVectors, collection.Options);
        int skip = offset <= int.MaxValue ? (int)offset : throw new InvalidRequestException("`offset` is too large.");
        SearchApi.CheckLimits(stage, skip, limits);
        StrictMode.Query(collection, stage, skip);
        var hits = collection.Query(stage, new QueryOptions { Offset = skip, WithPayload = payload.WantsPayload, WithVector = vectors.Wants }, cancellation);
        ProtoPoints.AddHits(target, hits, payload, vectors, collection.Options);
        return hits.Count;
    }

    /// <summary>A member of a batch: its stage and what its hits carry.</summary>
    private readonly record struct BatchMember(PointQuery Stage, ulong Offset, Proto.WithPayloadSelector? Payload, Proto.WithVectorsSelector? Vectors);

    /// <summary>What a batch RPC's envelope says: its collection, consistency and time limit, and the field of its members.</summary>
    private readonly record struct BatchRequest(string Collection, Proto.ReadConsistency? Consistency, bool HasTimeout, ulong Timeout, string Field);
}
