namespace VectorDb.Server.Api;

/// <summary>
/// With API keys configured, every REST request but the health checks and <c>GET /</c> must carry one
/// (<see cref="ApiKeys"/>). The read-only key may only read: GETs, and the POSTs that retrieve, search, query, scroll
/// or count. gRPC calls are checked by the gRPC API's own interceptor, which answers in gRPC statuses.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ApiKeys keys)
{
    private static readonly HashSet<string> OpenPaths = ["/", "/healthz", "/livez", "/readyz"];
    private static readonly string[] ReadingPostSuffixes = ["/points", "/points/search", "/points/search/batch", "/points/query", "/points/query/batch", "/points/scroll", "/points/count"];

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (OpenPaths.Contains(request.Path.Value ?? "") || IsGrpc(request))
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

    private static bool IsGrpc(HttpRequest request) => request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;

    private static bool IsRead(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
        || (HttpMethods.IsPost(request.Method) && ReadingPostSuffixes.Any(suffix => request.Path.Value?.EndsWith(suffix, StringComparison.Ordinal) == true));
}
