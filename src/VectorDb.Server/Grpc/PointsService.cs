using System.Diagnostics;
using Grpc.Core;
using VectorDb.Server.Api;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Qdrant's <c>qdrant.Points</c> gRPC service over the engine: the same calls, limits and strict-mode checks as the
/// REST API's points, search, query, index and explore endpoints. Writes are here, reads in <c>PointsService.Reads.cs</c>.
/// </summary>
[BindServiceMethod(typeof(PointsService), nameof(BindService))]
internal partial class PointsService(VectorDatabase database, ServerOptions limits, StrictMode strict)
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
    private readonly ProtoWrites _writes = new(limits, strict);

    /// <summary>Binds every RPC of <c>qdrant.Points</c> to this class's methods of the same names.</summary>
    public static void BindService(ServiceBinderBase binder, PointsService? service) =>
        GrpcBinding.Bind(binder, Proto.PointsServiceReflection.Descriptor.Services.Single());

    public virtual Task<Proto.PointsOperationResponse> Upsert(Proto.UpsertPoints request, ServerCallContext context) =>
        Write(request, UpsertFields, request.Ordering, request.CollectionName, request.HasWait && request.Wait,
            collection => _writes.Upsert(collection, request.Points, request.UpdateFilter, request.HasUpdateMode ? request.UpdateMode : null, ""));

    public virtual Task<Proto.PointsOperationResponse> Delete(Proto.DeletePoints request, ServerCallContext context) =>
        Write(request, DeleteFields, request.Ordering, request.CollectionName, request.HasWait && request.Wait,
            collection => _writes.Delete(collection, request.Points, ""));

    public virtual Task<Proto.PointsOperationResponse> UpdateVectors(Proto.UpdatePointVectors request, ServerCallContext context) =>
        Write(request, UpdateVectorsFields, request.Ordering, request.CollectionName, request.HasWait && request.Wait,
            collection => _writes.UpdateVectors(collection, request.Points, request.UpdateFilter, ""));

    public virtual Task<Proto.PointsOperationResponse> DeleteVectors(Proto.DeletePointVectors request, ServerCallContext context) =>
        Write(request, DeleteVectorsFields, request.Ordering, request.CollectionName, request.HasWait && request.Wait,
            collection => _writes.DeleteVectors(collection, request.PointsSelector, request.Vectors, ""));

    public virtual Task<Proto.PointsOperationResponse> SetPayload(Proto.SetPayloadPoints request, ServerCallContext context) =>
        Write(request, SetPayloadFields, request.Ordering, request.CollectionName, request.HasWait && request.Wait,
            collection => _writes.SetPayload(collection, request.Payload, request.PointsSelector, request.HasKey ? request.Key : null, ""));

    public virtual Task<Proto.PointsOperationResponse> OverwritePayload(Proto.SetPayloadPoints request, ServerCallContext context) =>
        Write(request, SetPayloadFields, request.Ordering, request.CollectionName, request.HasWait && request.Wait,
            collection => _writes.OverwritePayload(collection, request.Payload, request.PointsSelector, request.HasKey ? request.Key : null, ""));

    public virtual Task<Proto.PointsOperationResponse> DeletePayload(Proto.DeletePayloadPoints request, ServerCallContext context) =>
        Write(request, DeletePayloadFields, request.Ordering, request.CollectionName, request.HasWait && request.Wait,
            collection => _writes.DeletePayload(collection, request.Keys, request.PointsSelector, ""));

    public virtual Task<Proto.PointsOperationResponse> ClearPayload(Proto.ClearPayloadPoints request, ServerCallContext context) =>
        Write(request, ClearPayloadFields, request.Ordering, request.CollectionName, request.HasWait && request.Wait,
            collection => _writes.ClearPayload(collection, request.Points, ""));

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

    /// <summary>A point write: its fields and ordering checked, then prepared on its collection (every check) and applied.</summary>
    private async Task<Proto.PointsOperationResponse> Write(
        Google.Protobuf.IMessage request, ReadFields fields, Proto.WriteOrdering? ordering, string collection, bool wait, Func<Collection, PreparedWrite> prepare)
    {
        long started = Stopwatch.GetTimestamp();
        fields.Check(request);
        GrpcRequests.Check(ordering);
        await prepare(database.GetCollection(collection))(wait);
        return Updated(wait, started);
    }

    private static Proto.PointsOperationResponse Updated(bool wait, long started) => new()
    {
        Result = new Proto.UpdateResult { OperationId = 0, Status = wait ? Proto.UpdateStatus.Completed : Proto.UpdateStatus.Acknowledged },
        Time = Stopwatch.GetElapsedTime(started).TotalSeconds,
    };
}
