using System.Security.Cryptography;
using System.Text;

namespace VectorDb.Server.Api;

/// <summary>
/// With API keys configured, every request but the health checks and <c>GET /</c> must carry one in the
/// <c>api-key</c> header or as <c>Authorization: Bearer KEY</c> (compared in constant time). The read-only key
/// may only read: GETs, and the POSTs that retrieve, search, query, scroll or count.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, ServerOptions options)
{
    private static readonly HashSet<string> OpenPaths = ["/", "/healthz", "/livez", "/readyz"];
    private static readonly string[] ReadingPostSuffixes = ["/points", "/points/search", "/points/search/batch", "/points/query", "/points/query/batch", "/points/scroll", "/points/count"];

    private readonly byte[]? _key = Bytes(options.ApiKey);
    private readonly byte[]? _readOnlyKey = Bytes(options.ReadOnlyApiKey);

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (OpenPaths.Contains(request.Path.Value ?? ""))
        {
            await next(context);
            return;
        }

        string? presented = Presented(request);
        if (Matches(presented, _key) || (_key is null && _readOnlyKey is null))
        {
            await next(context);
            return;
        }

        if (Matches(presented, _readOnlyKey))
        {
            if (IsRead(request))
            {
                await next(context);
                return;
            }

            await Qdrant.Error(context, StatusCodes.Status403Forbidden, "The read-only API key cannot write").ExecuteAsync(context);
            return;
        }

        await Qdrant.Error(context, StatusCodes.Status401Unauthorized, "Must provide an API key or an Authorization bearer token").ExecuteAsync(context);
    }

    private static bool IsRead(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
        || (HttpMethods.IsPost(request.Method) && ReadingPostSuffixes.Any(suffix => request.Path.Value?.EndsWith(suffix, StringComparison.Ordinal) == true));

    private static string? Presented(HttpRequest request)
    {
        if (request.Headers.TryGetValue("api-key", out var header) && header.Count > 0)
        {
            return header[0];
        }

        string? authorization = request.Headers.Authorization.FirstOrDefault();
        return authorization?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true ? authorization[7..].Trim() : null;
    }

    private static bool Matches(string? presented, byte[]? key) =>
        presented is not null && key is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), key);

    private static byte[]? Bytes(string? key) => string.IsNullOrEmpty(key) ? null : Encoding.UTF8.GetBytes(key);
}
