using System.Diagnostics;
using Grpc.Core;
using VectorDb.Server.Api;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Qdrant's <c>qdrant.Points</c> gRPC service over the engine: the same calls, limits and strict-mode checks as the
/// REST API's points, search, query, index and explore endpoints. The older recommend, discover and search-groups RPCs,
/// which the REST API does not serve either, answer <c>Unimplemented</c> and name the query that replaces them.
/// </summary>
[BindServiceMethod(typeof(PointsService), nameof(BindService))]
internal class PointsService(VectorDatabase database, ServerOptions limits, StrictMode strict)
{
    private static readonly ReadFields UpsertFields = ReadFields.Of<Proto.UpsertPoints>("collection_name", "wait", "points", "ordering", "update_filter", "update_mode");
    private static readonly ReadFields DeleteFields = ReadFields.Of<Proto.DeletePoints>("collection_name", "wait", "points", "ordering");
    private static readonly ReadFields UpdateVectorsFields = ReadFields.Of<Proto.UpdatePointVectors>("collection_name", "wait", "points", "ordering", "update_filter");
    private static readonly ReadFields DeleteVectorsFields = ReadFields.Of<Proto.DeletePointVectors>("collection_name", "wait", "points_selector", "vectors", "ordering");
    private static readonly ReadFields SetPayloadFields = ReadFields.Of<Proto.SetPayloadPoints>("collection_name", "wait", "payload", "points_selector", "ordering", "key");
    private static readonly ReadFields DeletePayloadFields = ReadFields.Of<Proto.DeletePayloadPoints>("collection_name", "wait", "keys", "points_selector", "ordering");
    private static readonly ReadFields ClearPayloadFields = ReadFields.Of<Proto.ClearPayloadPoints>("collection_name", "wait", "points", "ordering");
    private static readonly ReadFields CreateIndexFields = ReadFields.Of<Proto.CreateFieldIndexCollection>("collection_name", "wait", "field_name", "field_type", "field_index_params", "ordering");
    private static readonly ReadFields DeleteIndexFields = ReadFields.Of<Proto.DeleteFieldIndexCollection>("collection_name", "wait", "field_name", "ordering");
    private static readonly ReadFields CreateVectorFields = ReadFields.Of<Proto.CreateVectorNameRequest>("collection_name", "wait", "vector_name", "dense_config", "sparse_config", "ordering");
    private static readonly ReadFields DeleteVectorFields = ReadFields.Of<Proto.DeleteVectorNameRequest>("collection_name", "wait", "vector_name", "ordering");
    private static readonly ReadFields UpdateBatchFields = ReadFields.Of<Proto.UpdateBatchPoints>("collection_name", "wait", "operations", "ordering");
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
    private static readonly ReadFields FacetFields = ReadFields.Of<Proto.FacetCounts>("collection_name", "key", "filter", "limit", "exact", "timeout", "read_consistency");
    private static readonly ReadFields MatrixFields = ReadFields.Of<Proto.SearchMatrixPoints>("collection_name", "filter", "sample", "limit", "using", "timeout", "read_consistency");

    private readonly ProtoWrites _writes = new(limits, strict);

    /// <summary>Binds every RPC of <c>qdrant.Points</c> to this class's methods of the same names.</summary>
    public static void BindService(ServiceBinderBase binder, PointsService? service) =>
        GrpcBinding.Bind(binder, Proto.PointsServiceReflection.Descriptor.Services.Single());

    public virtual Task<Proto.PointsOperationResponse> Upsert(Proto.UpsertPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        UpsertFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        var collection = database.GetCollection(request.CollectionName);
        return Apply(_writes.Upsert(collection, request.Points, request.UpdateFilter, request.HasUpdateMode ? request.UpdateMode : null, ""), request.HasWait && request.Wait, started);
    }

    public virtual Task<Proto.PointsOperationResponse> Delete(Proto.DeletePoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        DeleteFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        return Apply(_writes.Delete(database.GetCollection(request.CollectionName), request.Points, ""), request.HasWait && request.Wait, started);
    }

    public virtual Task<Proto.PointsOperationResponse> UpdateVectors(Proto.UpdatePointVectors request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        UpdateVectorsFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        return Apply(_writes.UpdateVectors(database.GetCollection(request.CollectionName), request.Points, request.UpdateFilter, ""), request.HasWait && request.Wait, started);
    }

    public virtual Task<Proto.PointsOperationResponse> DeleteVectors(Proto.DeletePointVectors request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        DeleteVectorsFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        return Apply(_writes.DeleteVectors(database.GetCollection(request.CollectionName), request.PointsSelector, request.Vectors, ""), request.HasWait && request.Wait, started);
    }

    public virtual Task<Proto.PointsOperationResponse> SetPayload(Proto.SetPayloadPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        SetPayloadFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        var collection = database.GetCollection(request.CollectionName);
        return Apply(_writes.SetPayload(collection, request.Payload, request.PointsSelector, request.HasKey ? request.Key : null, ""), request.HasWait && request.Wait, started);
    }

    public virtual Task<Proto.PointsOperationResponse> OverwritePayload(Proto.SetPayloadPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        SetPayloadFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        var collection = database.GetCollection(request.CollectionName);
        return Apply(_writes.OverwritePayload(collection, request.Payload, request.PointsSelector, request.HasKey ? request.Key : null, ""), request.HasWait && request.Wait, started);
    }

    public virtual Task<Proto.PointsOperationResponse> DeletePayload(Proto.DeletePayloadPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        DeletePayloadFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        return Apply(_writes.DeletePayload(database.GetCollection(request.CollectionName), request.Keys, request.PointsSelector, ""), request.HasWait && request.Wait, started);
    }

    public virtual Task<Proto.PointsOperationResponse> ClearPayload(Proto.ClearPayloadPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        ClearPayloadFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        return Apply(_writes.ClearPayload(database.GetCollection(request.CollectionName), request.Points, ""), request.HasWait && request.Wait, started);
    }

    public virtual async Task<Proto.PointsOperationResponse> CreateFieldIndex(Proto.CreateFieldIndexCollection request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        CreateIndexFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        string field = string.IsNullOrWhiteSpace(request.FieldName) ? throw new InvalidRequestException("`field_name` is required.") : request.FieldName;
        var (schema, isTenant, text) = ProtoCollections.IndexSchema(request);
        var collection = database.GetCollection(request.CollectionName);
        StrictMode.CreateIndex(collection, field);
        strict.Write(collection);
        bool wait = request.HasWait && request.Wait;
        await collection.CreatePayloadIndexAsync(field, schema, wait, isTenant, text);
        return Updated(wait, started);
    }

    public virtual async Task<Proto.PointsOperationResponse> DeleteFieldIndex(Proto.DeleteFieldIndexCollection request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        DeleteIndexFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        var collection = database.GetCollection(request.CollectionName);
        strict.Write(collection);
        bool wait = request.HasWait && request.Wait;
        await collection.DeletePayloadIndexAsync(request.FieldName, wait);
        return Updated(wait, started);
    }

    public virtual Task<Proto.PointsOperationResponse> CreateVectorName(Proto.CreateVectorNameRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        CreateVectorFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        var collection = database.GetCollection(request.CollectionName);
        strict.Write(collection);
        bool wait = request.HasWait && request.Wait;
        switch (request.VectorConfigCase)
        {
            case Proto.CreateVectorNameRequest.VectorConfigOneofCase.DenseConfig:
                var dense = ServerJson.ReadBody<DenseVectorConfig>(ProtoJson.Element(ProtoJson.Object(request.DenseConfig)), "dense_config");
                ServerOptions.Check("Vector size", dense.Size, limits.MaxDimensions, nameof(limits.MaxDimensions));
                collection.CreateVector(request.VectorName, CollectionsApi.ToDenseOptions(
                    new VectorParams(dense.Size, dense.Distance, dense.Datatype, dense.MultivectorConfig), collection.Options.M, collection.Options.EfConstruction, "dense_config"), wait);
                break;
            case Proto.CreateVectorNameRequest.VectorConfigOneofCase.SparseConfig:
                var sparse = ServerJson.ReadBody<SparseVectorConfig>(ProtoJson.Element(ProtoJson.Object(request.SparseConfig)), "sparse_config");
                collection.CreateVector(request.VectorName, new SparseVectorParams(null, sparse.Modifier).ToOptions("sparse_config"), wait);
                break;
            default:
                throw new InvalidRequestException("Send `dense_config` (size, distance, datatype) or `sparse_config` (modifier).");
        }

        return Task.FromResult(Updated(wait, started));
    }

    public virtual Task<Proto.PointsOperationResponse> DeleteVectorName(Proto.DeleteVectorNameRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        DeleteVectorFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        var collection = database.GetCollection(request.CollectionName);
        strict.Write(collection);
        bool wait = request.HasWait && request.Wait;
        if (!collection.DeleteVector(request.VectorName, wait))
        {
            throw new NotFoundException($"Not existing vector name error: {request.VectorName}");
        }

        return Task.FromResult(Updated(wait, started));
    }

    public virtual async Task<Proto.UpdateBatchResponse> UpdateBatch(Proto.UpdateBatchPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        UpdateBatchFields.Check(request);
        GrpcRequests.Check(request.Ordering);
        var collection = database.GetCollection(request.CollectionName);
        var upserted = new List<Point>();
        var operations = request.Operations.Select((operation, i) => Prepared(collection, operation, $"operations[{i}].", upserted)).ToList();
        ServerOptions.Check("The number of points the batch upserts", upserted.Count, limits.MaxBatchPoints, nameof(limits.MaxBatchPoints));
        if (upserted.Count > 0)
        {
            StrictMode.Upsert(collection, upserted);
        }

        bool wait = request.HasWait && request.Wait;
        var results = await BatchOperations.ApplyAsync(operations, wait);
        var response = new Proto.UpdateBatchResponse();
        response.Result.AddRange(results.Select(_ => new Proto.UpdateResult { OperationId = 0, Status = wait ? Proto.UpdateStatus.Completed : Proto.UpdateStatus.Acknowledged }));
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return response;
    }

    private (string Kind, PreparedWrite Write) Prepared(Collection collection, Proto.PointsUpdateOperation operation, string path, List<Point> upserted)
    {
        const string OneShard = "a collection has one shard on this single-node server";
        switch (operation.OperationCase)
        {
            case Proto.PointsUpdateOperation.OperationOneofCase.Upsert:
                var upsert = operation.Upsert;
                GrpcRequests.Refuse(upsert.ShardKeySelector, $"{path}upsert.shard_key_selector", OneShard);
                return ("upsert", _writes.Upsert(collection, upsert.Points, upsert.UpdateFilter, upsert.HasUpdateMode ? upsert.UpdateMode : null, $"{path}upsert.", upserted));
            case Proto.PointsUpdateOperation.OperationOneofCase.DeletePoints:
                GrpcRequests.Refuse(operation.DeletePoints.ShardKeySelector, $"{path}delete_points.shard_key_selector", OneShard);
                return ("delete_points", _writes.Delete(collection, operation.DeletePoints.Points, $"{path}delete_points."));
#pragma warning disable CS0612 // the older forms of delete and clear payload, which clients still send
            case Proto.PointsUpdateOperation.OperationOneofCase.DeleteDeprecated:
                return ("delete_deprecated", _writes.Delete(collection, operation.DeleteDeprecated, $"{path}delete_deprecated."));
            case Proto.PointsUpdateOperation.OperationOneofCase.SetPayload:
                var set = operation.SetPayload;
                GrpcRequests.Refuse(set.ShardKeySelector, $"{path}set_payload.shard_key_selector", OneShard);
                return ("set_payload", _writes.SetPayload(collection, set.Payload, set.PointsSelector, set.HasKey ? set.Key : null, $"{path}set_payload."));
            case Proto.PointsUpdateOperation.OperationOneofCase.OverwritePayload:
                var overwrite = operation.OverwritePayload;
                GrpcRequests.Refuse(overwrite.ShardKeySelector, $"{path}overwrite_payload.shard_key_selector", OneShard);
                return ("overwrite_payload", _writes.OverwritePayload(collection, overwrite.Payload, overwrite.PointsSelector, overwrite.HasKey ? overwrite.Key : null, $"{path}overwrite_payload."));
            case Proto.PointsUpdateOperation.OperationOneofCase.DeletePayload:
                var deletePayload = operation.DeletePayload;
                GrpcRequests.Refuse(deletePayload.ShardKeySelector, $"{path}delete_payload.shard_key_selector", OneShard);
                return ("delete_payload", _writes.DeletePayload(collection, deletePayload.Keys, deletePayload.PointsSelector, $"{path}delete_payload."));
            case Proto.PointsUpdateOperation.OperationOneofCase.ClearPayload:
                GrpcRequests.Refuse(operation.ClearPayload.ShardKeySelector, $"{path}clear_payload.shard_key_selector", OneShard);
                return ("clear_payload", _writes.ClearPayload(collection, operation.ClearPayload.Points, $"{path}clear_payload."));
            case Proto.PointsUpdateOperation.OperationOneofCase.ClearPayloadDeprecated:
                return ("clear_payload_deprecated", _writes.ClearPayload(collection, operation.ClearPayloadDeprecated, $"{path}clear_payload_deprecated."));
#pragma warning restore CS0612
            case Proto.PointsUpdateOperation.OperationOneofCase.UpdateVectors:
                var vectors = operation.UpdateVectors;
                GrpcRequests.Refuse(vectors.ShardKeySelector, $"{path}update_vectors.shard_key_selector", OneShard);
                return ("update_vectors", _writes.UpdateVectors(collection, vectors.Points, vectors.UpdateFilter, $"{path}update_vectors.", upserted));
            case Proto.PointsUpdateOperation.OperationOneofCase.DeleteVectors:
                var deleteVectors = operation.DeleteVectors;
                GrpcRequests.Refuse(deleteVectors.ShardKeySelector, $"{path}delete_vectors.shard_key_selector", OneShard);
                return ("delete_vectors", _writes.DeleteVectors(collection, deleteVectors.PointsSelector, deleteVectors.Vectors, $"{path}delete_vectors."));
            default:
                throw new InvalidRequestException($"`{path.TrimEnd('.')}` sets no operation.");
        }
    }

    public virtual Task<Proto.GetResponse> Get(Proto.GetPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        GetFields.Check(request);
        GrpcRequests.Check(request.ReadConsistency);
        var collection = database.GetCollection(request.CollectionName);
        var timeout = GrpcRequests.Timeout(request.HasTimeout, request.Timeout);
        strict.Read(collection, timeout);
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
        GrpcRequests.Check(request.ReadConsistency);
        var collection = database.GetCollection(request.CollectionName);
        var timeout = GrpcRequests.Timeout(request.HasTimeout, request.Timeout);
        strict.Read(collection, timeout);
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
        var (collection, timeout) = OpenBatch(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout, request.SearchPoints.Count);
        var members = request.SearchPoints.Select((search, i) =>
        {
            string path = $"search_points[{i}].";
            SearchMemberFields.Check(search, path.TrimEnd('.'));
            GrpcRequests.SameCollection(search.CollectionName, request.CollectionName, $"{path}collection_name");
            return new BatchMember(ProtoQueries.Search(search, path), search.HasOffset ? search.Offset : 0, search.WithPayload, search.WithVectors);
        }).ToList();
        var response = new Proto.SearchBatchResponse();
        RunBatch(collection, timeout, members, response.Result, context);
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.QueryResponse> Query(Proto.QueryPoints request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        QueryFields.Check(request);
        GrpcRequests.Check(request.ReadConsistency);
        var collection = database.GetCollection(request.CollectionName);
        var timeout = GrpcRequests.Timeout(request.HasTimeout, request.Timeout);
        strict.Read(collection, timeout);
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
        var (collection, timeout) = OpenBatch(request.CollectionName, request.ReadConsistency, request.HasTimeout, request.Timeout, request.QueryPoints.Count);
        var queries = new ProtoQueries(database, collection);
        var members = request.QueryPoints.Select((query, i) =>
        {
            string path = $"query_points[{i}].";
            QueryMemberFields.Check(query, path.TrimEnd('.'));
            GrpcRequests.SameCollection(query.CollectionName, request.CollectionName, $"{path}collection_name");
            return new BatchMember(queries.Query(query, path), query.HasOffset ? query.Offset : 0, query.WithPayload, query.WithVectors);
        }).ToList();
        var response = new Proto.QueryBatchResponse();
        RunBatch(collection, timeout, members, response.Result, context);
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    /// <summary>A batch's collection and time limit, its consistency and size checked and its read rate taken.</summary>
    private (Collection Collection, ulong? Timeout) OpenBatch(string name, Proto.ReadConsistency? consistency, bool hasTimeout, ulong timeoutSeconds, int members)
    {
        GrpcRequests.Check(consistency);
        var collection = database.GetCollection(name);
        var timeout = GrpcRequests.Timeout(hasTimeout, timeoutSeconds);
        StrictMode.Batch(collection, members);
        strict.Read(collection, timeout, members);
        return (collection, timeout);
    }

    /// <summary>Runs a batch's members in order under one time limit, each member's hits in a result of its own.</summary>
    private void RunBatch(Collection collection, ulong? timeout, List<BatchMember> members, Google.Protobuf.Collections.RepeatedField<Proto.BatchResult> target, ServerCallContext context) =>
        QueryTimeout.Run(limits, timeout, cancellation =>
        {
            foreach (var member in members)
            {
                var batch = new Proto.BatchResult();
                Run(collection, member.Stage, member.Offset, member.Payload, member.Vectors, batch.Result, cancellation);
                target.Add(batch);
            }

            return 0;
        }, context.CancellationToken);

    public virtual Task<Proto.QueryGroupsResponse> QueryGroups(Proto.QueryPointGroups request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        QueryGroupsFields.Check(request);
        GrpcRequests.Check(request.ReadConsistency);
        var collection = database.GetCollection(request.CollectionName);
        var timeout = GrpcRequests.Timeout(request.HasTimeout, request.Timeout);
        strict.Read(collection, timeout);
        string groupBy = string.IsNullOrEmpty(request.GroupBy) ? throw new InvalidRequestException("`group_by` (a payload key) is required.") : request.GroupBy;
        int groupSize = request.HasGroupSize ? (int)Math.Min(request.GroupSize, int.MaxValue) : 3;
        var payload = ProtoPoints.PayloadSelector(request.WithPayload, absent: false);
        var vectors = ProtoPoints.VectorSelector(request.WithVectors, collection.Options);
        var stage = new ProtoQueries(database, collection).Groups(request);
        SearchApi.CheckLimits(stage, 0, limits);
        ServerOptions.Check("limit × group_size", (long)stage.Limit * groupSize, limits.MaxLimit, nameof(limits.MaxLimit));
        StrictMode.Query(collection, stage with { Limit = 1 });
        StrictMode.Limit(collection, (long)stage.Limit * groupSize, "limit × group_size");
        var lookup = request.WithLookup is { } with ? GroupLookup(with) : ((Collection, PayloadSelector, VectorSelector)?)null;
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

        return Task.FromResult(new Proto.QueryGroupsResponse { Result = result, Time = Stopwatch.GetElapsedTime(started).TotalSeconds });
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

    public virtual Task<Proto.SearchGroupsResponse> SearchGroups(Proto.SearchPointGroups request, ServerCallContext context) =>
        throw GrpcRequests.Unimplemented("qdrant.Points/SearchGroups", "QueryGroups with a `nearest` query");

    public virtual Task<Proto.RecommendResponse> Recommend(Proto.RecommendPoints request, ServerCallContext context) =>
        throw GrpcRequests.Unimplemented("qdrant.Points/Recommend", "Query with a `recommend` query");

    public virtual Task<Proto.RecommendBatchResponse> RecommendBatch(Proto.RecommendBatchPoints request, ServerCallContext context) =>
        throw GrpcRequests.Unimplemented("qdrant.Points/RecommendBatch", "QueryBatch with `recommend` queries");

    public virtual Task<Proto.RecommendGroupsResponse> RecommendGroups(Proto.RecommendPointGroups request, ServerCallContext context) =>
        throw GrpcRequests.Unimplemented("qdrant.Points/RecommendGroups", "QueryGroups with a `recommend` query");

    public virtual Task<Proto.DiscoverResponse> Discover(Proto.DiscoverPoints request, ServerCallContext context) =>
        throw GrpcRequests.Unimplemented("qdrant.Points/Discover", "Query with a `discover` query");

    public virtual Task<Proto.DiscoverBatchResponse> DiscoverBatch(Proto.DiscoverBatchPoints request, ServerCallContext context) =>
        throw GrpcRequests.Unimplemented("qdrant.Points/DiscoverBatch", "QueryBatch with `discover` queries");

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

    private static async Task<Proto.PointsOperationResponse> Apply(PreparedWrite write, bool wait, long started)
    {
        await write(wait);
        return Updated(wait, started);
    }

    private static Proto.PointsOperationResponse Updated(bool wait, long started) => new()
    {
        Result = new Proto.UpdateResult { OperationId = 0, Status = wait ? Proto.UpdateStatus.Completed : Proto.UpdateStatus.Acknowledged },
        Time = Stopwatch.GetElapsedTime(started).TotalSeconds,
    };

    /// <summary>A member of a search or query batch: its stage and what its hits carry.</summary>
    private readonly record struct BatchMember(PointQuery Stage, ulong Offset, Proto.WithPayloadSelector? Payload, Proto.WithVectorsSelector? Vectors);
}
