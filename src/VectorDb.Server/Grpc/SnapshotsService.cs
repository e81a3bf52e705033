using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Qdrant's <c>qdrant.Snapshots</c> gRPC service: a collection's snapshots as the REST API takes, lists and deletes them
/// (downloads and restores are REST's, which streams files), and full-storage snapshots likewise.
/// </summary>
[BindServiceMethod(typeof(SnapshotsService), nameof(BindService))]
internal class SnapshotsService(VectorDatabase database)
{
    /// <summary>Binds every RPC of <c>qdrant.Snapshots</c> to this class's methods of the same names.</summary>
    public static void BindService(ServiceBinderBase binder, SnapshotsService? service) =>
        GrpcBinding.Bind(binder, Proto.SnapshotsServiceReflection.Descriptor.Services.Single());

    public virtual Task<Proto.CreateSnapshotResponse> Create(Proto.CreateSnapshotRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var snapshot = database.CreateSnapshot(request.CollectionName);
        return Task.FromResult(new Proto.CreateSnapshotResponse { SnapshotDescription = Describe(snapshot), Time = Stopwatch.GetElapsedTime(started).TotalSeconds });
    }

    public virtual Task<Proto.ListSnapshotsResponse> List(Proto.ListSnapshotsRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var response = new Proto.ListSnapshotsResponse();
        response.SnapshotDescriptions.AddRange(database.ListSnapshots(request.CollectionName).Select(Describe));
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.DeleteSnapshotResponse> Delete(Proto.DeleteSnapshotRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        return database.DeleteSnapshot(request.CollectionName, request.SnapshotName)
            ? Task.FromResult(new Proto.DeleteSnapshotResponse { Time = Stopwatch.GetElapsedTime(started).TotalSeconds })
            : throw new NotFoundException($"Snapshot {request.SnapshotName} of collection {request.CollectionName} not found.");
    }

    public virtual Task<Proto.CreateSnapshotResponse> CreateFull(Proto.CreateFullSnapshotRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var snapshot = database.CreateFullSnapshot();
        return Task.FromResult(new Proto.CreateSnapshotResponse { SnapshotDescription = Describe(snapshot), Time = Stopwatch.GetElapsedTime(started).TotalSeconds });
    }

    public virtual Task<Proto.ListSnapshotsResponse> ListFull(Proto.ListFullSnapshotsRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var response = new Proto.ListSnapshotsResponse();
        response.SnapshotDescriptions.AddRange(database.ListFullSnapshots().Select(Describe));
        response.Time = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return Task.FromResult(response);
    }

    public virtual Task<Proto.DeleteSnapshotResponse> DeleteFull(Proto.DeleteFullSnapshotRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        return database.DeleteFullSnapshot(request.SnapshotName)
            ? Task.FromResult(new Proto.DeleteSnapshotResponse { Time = Stopwatch.GetElapsedTime(started).TotalSeconds })
            : throw new NotFoundException($"Full-storage snapshot {request.SnapshotName} not found.");
    }

    private static Proto.SnapshotDescription Describe(SnapshotInfo snapshot) => new()
    {
        Name = snapshot.Name,
        CreationTime = Timestamp.FromDateTime(DateTime.SpecifyKind(snapshot.CreationTime, DateTimeKind.Utc)),
        Size = snapshot.Size,
        Checksum = snapshot.Checksum,
    };
}
