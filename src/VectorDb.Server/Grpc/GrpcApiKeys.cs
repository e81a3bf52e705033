using Grpc.Core;
using Grpc.Core.Interceptors;
using VectorDb.Server.Api;

namespace VectorDb.Server.Grpc;

/// <summary>
/// The REST API's key rules over gRPC: with keys configured every RPC but the health check needs one in the
/// <c>api-key</c> metadata (or <c>authorization: Bearer KEY</c>), <c>Unauthenticated</c> without; the read-only key may
/// call the RPCs that only read, <c>PermissionDenied</c> for the others.
/// </summary>
internal sealed class GrpcApiKeys(ApiKeys keys) : Interceptor
{
    private static readonly HashSet<string> Open = ["/qdrant.Qdrant/HealthCheck"];

    private static readonly HashSet<string> Reads =
    [
        .. new[]
        {
            "Get", "Search", "SearchBatch", "SearchGroups", "Scroll", "Recommend", "RecommendBatch", "RecommendGroups", "Discover",
            "DiscoverBatch", "Count", "Query", "QueryBatch", "QueryGroups", "Facet", "SearchMatrixPairs", "SearchMatrixOffsets",
        }.Select(rpc => $"/qdrant.Points/{rpc}"),
        .. new[] { "Get", "List", "ListCollectionAliases", "ListAliases", "CollectionClusterInfo", "CollectionExists", "ListShardKeys" }
            .Select(rpc => $"/qdrant.Collections/{rpc}"),
        "/qdrant.Snapshots/List", "/qdrant.Snapshots/ListFull",
    ];

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (!keys.Required || Open.Contains(context.Method))
        {
            return continuation(request, context);
        }

        return keys.Access(context.GetHttpContext().Request.Headers) switch
        {
            ApiKeyAccess.Full => continuation(request, context),
            ApiKeyAccess.ReadOnly when Reads.Contains(context.Method) => continuation(request, context),
            ApiKeyAccess.ReadOnly => throw new RpcException(new Status(StatusCode.PermissionDenied, "The read-only API key cannot write")),
            _ => throw new RpcException(new Status(StatusCode.Unauthenticated, "Must provide an API key or an Authorization bearer token")),
        };
    }
}
