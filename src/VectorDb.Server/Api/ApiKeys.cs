using System.Security.Cryptography;
using System.Text;

namespace VectorDb.Server.Api;

/// <summary>What a presented API key may do.</summary>
internal enum ApiKeyAccess
{
    /// <summary>No key was presented, or a wrong one.</summary>
    Denied,

    /// <summary>The read-only key: reads only.</summary>
    ReadOnly,

    /// <summary>The key (or none is configured): everything.</summary>
    Full,
}

/// <summary>
/// The server's API keys, shared by the REST middleware and the gRPC interceptor: a key comes in the <c>api-key</c>
/// header (gRPC metadata) or as <c>Authorization: Bearer KEY</c>, and is compared in constant time.
/// </summary>
internal sealed class ApiKeys(ServerOptions options)
{
    private readonly byte[]? _key = Bytes(options.ApiKey);
    private readonly byte[]? _readOnlyKey = Bytes(options.ReadOnlyApiKey);

    /// <summary>True when any key is configured.</summary>
    public bool Required => _key is not null || _readOnlyKey is not null;

    /// <summary>What the key presented in <paramref name="headers"/> may do.</summary>
    public ApiKeyAccess Access(IHeaderDictionary headers)
    {
        if (!Required)
        {
            return ApiKeyAccess.Full;
        }

        string? presented = Presented(headers);
        return Matches(presented, _key) ? ApiKeyAccess.Full
            : Matches(presented, _readOnlyKey) ? ApiKeyAccess.ReadOnly
            : ApiKeyAccess.Denied;
    }

    private static string? Presented(IHeaderDictionary headers)
    {
        if (headers.TryGetValue("api-key", out var header) && header.Count > 0)
        {
            return header[0];
        }

        string? authorization = headers.Authorization.FirstOrDefault();
        return authorization?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true ? authorization[7..].Trim() : null;
    }

    private static bool Matches(string? presented, byte[]? key) =>
        presented is not null && key is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), key);

    private static byte[]? Bytes(string? key) => string.IsNullOrEmpty(key) ? null : Encoding.UTF8.GetBytes(key);
}
