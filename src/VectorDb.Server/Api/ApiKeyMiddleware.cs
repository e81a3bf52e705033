using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace VectorDb.Server.Api;

/// <summary>
/// With an API key configured, every request but the health checks and <c>GET /</c> must carry it in the
/// <c>api-key</c> header or as <c>Authorization: Bearer KEY</c>; compared in constant time.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, byte[] key)
{
    private static readonly HashSet<string> OpenPaths = ["/", "/healthz", "/livez", "/readyz"];

    public async Task InvokeAsync(HttpContext context)
    {
        if (OpenPaths.Contains(context.Request.Path.Value ?? "") || Matches(Presented(context.Request)))
        {
            await next(context);
            return;
        }

        await QdrantResults.Error(StatusCodes.Status401Unauthorized, "Must provide an API key or an Authorization bearer token", Stopwatch.GetTimestamp())
            .ExecuteAsync(context);
    }

    private static string? Presented(HttpRequest request)
    {
        if (request.Headers.TryGetValue("api-key", out var header) && header.Count > 0)
        {
            return header[0];
        }

        string? authorization = request.Headers.Authorization.FirstOrDefault();
        return authorization?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true ? authorization[7..].Trim() : null;
    }

    private bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), key);
}
