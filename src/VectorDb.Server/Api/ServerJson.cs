using System.Text.Json;
using System.Text.Json.Serialization;

namespace VectorDb.Server.Api;

/// <summary>
/// How request and response bodies are read and written: snake_case names, as Qdrant's. Stricter than ASP.NET's web
/// defaults, as Qdrant (serde) is: names are case-sensitive and numbers are JSON numbers, not strings.
/// </summary>
internal static class ServerJson
{
    /// <summary>The options, for the few request fields bound by hand (<see cref="Read{T}"/>).</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.PropertyNameCaseInsensitive = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        return options;
    }

    /// <summary>Binds a field given in several shapes once its shape is known.</summary>
    /// <exception cref="InvalidRequestException">The JSON does not fit <typeparamref name="T"/>.</exception>
    public static T Read<T>(JsonElement element, string field)
    {
        try
        {
            return element.Deserialize<T>(Options) ?? throw new InvalidRequestException($"`{field}` is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException($"`{field}` is malformed: {e.Message}", e);
        }
    }
}
