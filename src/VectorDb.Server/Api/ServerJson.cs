using System.Text.Json;
using System.Text.Json.Serialization;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>
/// How request and response bodies are read and written: snake_case names, as Qdrant's. Stricter than ASP.NET's web
/// defaults, as Qdrant (serde) is: names are case-sensitive and numbers are JSON numbers, not strings.
/// </summary>
internal static class ServerJson
{
    /// <summary>The options, for the few request fields bound by hand (<see cref="ReadBody{T}"/>).</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.PropertyNameCaseInsensitive = false;
        options.NumberHandling = JsonNumberHandling.Strict;

        // Otherwise the last of two equal keys wins silently: {"must": [...], "must": null} would filter nothing.
        options.AllowDuplicateProperties = false;
        options.Converters.Add(new PointIdJsonConverter());
        return options;
    }

    /// <summary>Binds and validates the object form of a field given in several shapes, once its shape is known.</summary>
    /// <param name="element">The field's JSON object.</param>
    /// <param name="path">The field's path in the request, for error messages.</param>
    /// <exception cref="InvalidRequestException">The JSON does not fit <typeparamref name="T"/>, or holds a field it refuses.</exception>
    public static T ReadBody<T>(JsonElement element, string path)
        where T : RequestBody
    {
        T body;
        try
        {
            body = element.Deserialize<T>(Options) ?? throw new InvalidRequestException($"`{path}` is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException($"`{path}` is malformed: {e.Message}", e);
        }

        RequestValidator.Validate(body, path);
        return body;
    }
}
