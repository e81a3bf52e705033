using Grpc.Core;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>Qdrant's <c>qdrant.Qdrant</c> gRPC service: the health check, with the version REST's <c>GET /</c> reports.</summary>
[BindServiceMethod(typeof(HealthService), nameof(BindService))]
internal class HealthService
{
    /// <summary>Binds <c>qdrant.Qdrant/HealthCheck</c> to <see cref="HealthCheck"/>.</summary>
    public static void BindService(ServiceBinderBase binder, HealthService? service) =>
        GrpcBinding.Bind(binder, Proto.QdrantReflection.Descriptor.Services.Single());

    public virtual Task<Proto.HealthCheckReply> HealthCheck(Proto.HealthCheckRequest request, ServerCallContext context) =>
        Task.FromResult(new Proto.HealthCheckReply { Title = Program.Title, Version = Program.QdrantApiVersion });
}
