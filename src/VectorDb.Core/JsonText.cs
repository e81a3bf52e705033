using System.Text.Json;

namespace VectorDb;

/// <summary>
/// Reads JSON from requests: strings, where a lone surrogate escape (<c>"\ud800"</c>) is bad input, not a bug, and the
/// fields of objects, where a field given as null counts as absent (as in Qdrant's clients, which send explicit nulls).
/// </summary>
public static class JsonText
{
    /// <summary>The text of a JSON string element.</summary>
    /// <exception cref="InvalidRequestException">Not a string, or not valid UTF-16 once unescaped.</exception>
    public static string Read(JsonElement element, string what)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw new InvalidRequestException($"{what} must be a string, got {element.ValueKind}.");
        }

        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidRequestException($"{what} is not valid text: {e.Message}", e);
        }
    }

    /// <summary>The fields of a JSON object whose value is not null.</summary>
    public static IEnumerable<JsonProperty> Fields(JsonElement element) =>
        element.EnumerateObject().Where(field => field.Value.ValueKind != JsonValueKind.Null);
}
