using System.Text.Json;

namespace VectorDb.Server.Api;

/// <summary>
/// Reads the parts of Qdrant request bodies that take several shapes (ids, vectors, payload selectors). Every
/// shape we do not accept is an <see cref="InvalidRequestException"/>, which the server answers with 400.
/// </summary>
internal static class RequestParsing
{
    public static PointId PointId(JsonElement element) => VectorDb.PointId.FromJson(element);

    public static PointId PointId(string text) =>
        VectorDb.PointId.TryParse(text, out var id)
            ? id
            : throw new InvalidRequestException($"Point id `{text}` is invalid: use an unsigned integer or a UUID.");

    public static IReadOnlyList<PointId> PointIds(JsonElement element) => VectorDb.PointId.ListFromJson(element);

    public static float[] Vector(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            throw new InvalidRequestException("Named vectors are not supported yet: send the vector as a list of numbers.");
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException("A vector is a list of numbers.");
        }

        var vector = new float[element.GetArrayLength()];
        int i = 0;
        foreach (var component in element.EnumerateArray())
        {
            if (component.ValueKind != JsonValueKind.Number)
            {
                throw new InvalidRequestException($"Vector component {i} is not a number: {component.GetRawText()}.");
            }

            vector[i++] = (float)component.GetDouble();
        }

        return vector;
    }

    public static Payload? Payload(JsonElement? element) => element switch
    {
        null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        { ValueKind: JsonValueKind.Object } payload => VectorDb.Payload.FromJson(payload),
        _ => throw new InvalidRequestException("A payload is a JSON object."),
    };

    /// <summary><c>with_payload</c>: true/false, a list of keys to include, or {"include": […]} / {"exclude": […]}.</summary>
    public static PayloadSelector PayloadSelector(JsonElement? element, bool defaultValue)
    {
        if (element is not { } value || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return defaultValue ? Api.PayloadSelector.All : Api.PayloadSelector.None;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => Api.PayloadSelector.All,
            JsonValueKind.False => Api.PayloadSelector.None,
            JsonValueKind.Array => new PayloadSelector(Keys(value), Include: true),
            JsonValueKind.Object when value.TryGetProperty("include", out var include) => new PayloadSelector(Keys(include), Include: true),
            JsonValueKind.Object when value.TryGetProperty("exclude", out var exclude) => new PayloadSelector(Keys(exclude), Include: false),
            _ => throw new InvalidRequestException("with_payload is a boolean, a list of keys, or {\"include\"|\"exclude\": [keys]}."),
        };
    }

    /// <summary><c>with_vector</c>: true/false (named-vector lists are not supported).</summary>
    public static bool WithVector(JsonElement? element) => element switch
    {
        null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined or JsonValueKind.False } => false,
        { ValueKind: JsonValueKind.True } => true,
        _ => throw new InvalidRequestException("with_vector must be true or false (named vectors are not supported yet)."),
    };

    public static bool Wait(HttpContext context) =>
        !context.Request.Query.TryGetValue("wait", out var wait) || wait.Count == 0
            ? false
            : bool.TryParse(wait[0], out bool value)
                ? value
                : throw new InvalidRequestException($"wait must be true or false, got `{wait[0]}`.");

    /// <summary>A list from a request body, which must be there and hold no nulls.</summary>
    public static IReadOnlyList<T> Items<T>(IReadOnlyList<T?>? list, string name)
        where T : class
    {
        if (list is null)
        {
            throw new InvalidRequestException($"`{name}` (a list) is required.");
        }

        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
            {
                throw new InvalidRequestException($"`{name}[{i}]` is null.");
            }
        }

        return list!;
    }

    /// <summary>A payload key from a list of keys.</summary>
    public static string KeyName(JsonElement element) => JsonText.Read(element, "A payload key");

    private static HashSet<string> Keys(JsonElement element) => element.ValueKind == JsonValueKind.Array
        ? [.. element.EnumerateArray().Select(KeyName)]
        : throw new InvalidRequestException("Expected a list of payload keys.");
}

/// <summary>Which payload keys a response carries.</summary>
internal sealed record PayloadSelector(HashSet<string>? Keys, bool Include)
{
    public static PayloadSelector All { get; } = new(null, Include: false);

    public static PayloadSelector None { get; } = new(null, Include: true);

    public bool WantsPayload => !(Include && Keys is null);

    public Dictionary<string, JsonElement>? Apply(Payload? payload)
    {
        if (!WantsPayload)
        {
            return null;
        }

        var selected = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (payload is null)
        {
            return selected;
        }

        foreach (var property in payload.Root.EnumerateObject())
        {
            if (Keys is null || Keys.Contains(property.Name) == Include)
            {
                selected[property.Name] = property.Value;
            }
        }

        return selected;
    }
}
