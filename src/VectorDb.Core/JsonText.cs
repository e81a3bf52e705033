using System.Text.Json;

namespace VectorDb;

/// <summary>Reads JSON strings from requests, where a lone surrogate escape (<c>"\ud800"</c>) is bad input, not a bug.</summary>
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
}
