namespace VectorDb.Server.Api;

/// <summary>
/// With API keys configured, every REST request but the health checks and <c>GET /</c> must carry one
/// (<see cref="ApiKeys"/>). The read-only key may only read: GETs, and the POSTs that retrieve, search, query, scroll
/// or count. Calls routed to a gRPC method are checked by the gRPC API's own interceptor, which answers in gRPC
/// statuses; what a request says of itself (its content type) exempts nothing.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeys keys)
{
    private static readonly HashSet<string> OpenPaths = ["/", "/healthz", "/livez", "/readyz"];
    private static readonly string[] ReadingPostSuffixes =
    [
        "/points", "/points/search", "/points/search/batch", "/points/query", "/points/query/batch", "/points/query/groups", "/points/scroll", "/points/count",
        "/facet", "/points/search/matrix/pairs", "/points/search/matrix/offsets",
        "/points/recommend", "/points/recommend/batch", "/points/recommend/groups", "/points/discover", "/points/discover/batch", "/points/search/groups",
    ];

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (OpenPaths.Contains(request.Path.Value ?? "") || IsGrpcMethod(context))
        {
            await next(context);
            return;
        }

        switch (keys.Access(request.Headers))
        {
            case ApiKeyAccess.Full:
            case ApiKeyAccess.ReadOnly when IsRead(request):
                await next(context);
                return;
            case ApiKeyAccess.ReadOnly:
                await Qdrant.Error(context, StatusCodes.Status403Forbidden, "The read-only API key cannot write").ExecuteAsync(context);
                return;
            default:
                await Qdrant.Error(context, StatusCodes.Status401Unauthorized, "Must provide an API key or an Authorization bearer token").ExecuteAsync(context);
                return;
        }
    }

    /// <summary>True when routing chose a gRPC method (which the minimal host routes before any middleware runs).</summary>
    private static bool IsGrpcMethod(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<global::Grpc.AspNetCore.Server.GrpcMethodMetadata>() is not null;

    private static bool IsRead(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
        || (HttpMethods.IsPost(request.Method) && ReadingPostSuffixes.Any(suffix => request.Path.Value?.EndsWith(suffix, StringComparison.Ordinal) == true));
}
