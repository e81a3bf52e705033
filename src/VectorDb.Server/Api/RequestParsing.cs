using System.Text.Json;

namespace VectorDb.Server.Api;

/// <summary>
/// Reads the parts of Qdrant request bodies that take several shapes (ids, vectors, payload selectors). Every
/// shape we do not accept is an <see cref="InvalidRequestException"/>, which the server answers with 400.
/// </summary>
internal static class RequestParsing
{
    /// <summary>Why <c>shard_key</c> is refused.</summary>
    public const string OneShard = "a collection has one shard on this single-node server";

    /// <summary>A field that Qdrant also accepts under another name; giving both is refused (null counts as absent).</summary>
    public static T? Alias<T>(T? value, string name, T? alias, string aliasName)
        where T : struct
    {
        static bool Given(T? field) => field is { } present && present is not JsonElement { ValueKind: JsonValueKind.Null };
        return (Given(value), Given(alias)) switch
        {
            (true, true) => throw new InvalidRequestException($"Give `{name}` or its alias `{aliasName}`, not both."),
            (true, false) => value,
            _ => alias,
        };
    }

    /// <summary>A field that Qdrant also accepts under another name, bound to a class; giving both is refused.</summary>
    public static T? Alias<T>(T? value, string name, T? alias, string aliasName)
        where T : class =>
        (value, alias) switch
        {
            ({ }, { }) => throw new InvalidRequestException($"Give `{name}` or its alias `{aliasName}`, not both."),
            _ => value ?? alias,
        };

    public static PointId PointId(JsonElement element) => VectorDb.PointId.FromJson(element);

    public static PointId PointId(string text) =>
        VectorDb.PointId.TryParse(text, out var id)
            ? id
            : throw new InvalidRequestException($"Point id `{text}` is invalid: use an unsigned integer or a UUID.");

    public static IReadOnlyList<PointId> PointIds(JsonElement element) => VectorDb.PointId.ListFromJson(element);

    /// <summary>A JSON object given for <paramref name="field"/> (a payload, collection metadata); null when absent.</summary>
    public static Payload? Payload(JsonElement? element, string field = "payload") => element switch
    {
        null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        { ValueKind: JsonValueKind.Object } payload => VectorDb.Payload.FromJson(payload),
        _ => throw new InvalidRequestException($"`{field}` must be a JSON object."),
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
            JsonValueKind.Object => SelectorObject(value),
            _ => throw new InvalidRequestException("with_payload is a boolean, a list of keys, or {\"include\"|\"exclude\": [keys]}."),
        };
    }

    /// <summary>Qdrant's payload selector object: exactly one of <c>include</c> and <c>exclude</c>.</summary>
    private static PayloadSelector SelectorObject(JsonElement selector)
    {
        var fields = JsonText.Fields(selector).ToList();
        return fields switch
        {
            [{ Name: "include" } include] => new PayloadSelector(Keys(include.Value), Include: true),
            [{ Name: "exclude" } exclude] => new PayloadSelector(Keys(exclude.Value), Include: false),
            [var other] => throw new InvalidRequestException($"Unknown field `with_payload.{other.Name}`."),
            _ => throw new InvalidRequestException("`with_payload` as an object takes exactly one of `include` and `exclude`."),
        };
    }

    /// <summary>The <c>wait</c> query parameter; absent, <paramref name="absent"/> (false for writes, true for snapshots, as Qdrant).</summary>
    public static bool Wait(HttpContext context, bool absent = false) =>
        !context.Request.Query.TryGetValue("wait", out var wait) || wait.Count == 0
            ? absent
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
