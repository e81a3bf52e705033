using System.Text.Json;
namespace VectorDb.Query;

/// <summary>
/// Qdrant's filter JSON → <see cref="Filter"/>, shared by the REST server and the CLI. Unsupported condition
/// kinds are an <see cref="InvalidRequestException"/>, never ignored.
/// </summary>
public static class FilterJson
{
    private const int MaxDepth = 32;

    /// <summary>Parses filter JSON text, e.g. <c>{"must": [{"key": "city", "match": {"value": "Berlin"}}]}</c>.</summary>
    /// <exception cref="InvalidRequestException">Not valid JSON, or not a filter we support.</exception>
    public static Filter Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Parse(document.RootElement.Clone()) ?? throw new InvalidRequestException("The filter is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException($"The filter is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Parses a filter element; null when there is none (absent or JSON null).</summary>
    /// <exception cref="InvalidRequestException">Not a filter we support.</exception>
    public static Filter? Parse(JsonElement? element) =>
        element is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } filter ? ParseFilter(filter, 0) : null;

    private static Filter ParseFilter(JsonElement element, int depth)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("A filter is an object with `must`, `should` and/or `must_not`.");
        }

        if (depth > MaxDepth)
        {
            throw new InvalidRequestException($"Filters nest at most {MaxDepth} levels deep.");
        }

        foreach (var property in element.EnumerateObject())
        {
            if (property.Name is not ("must" or "should" or "must_not") && property.Value.ValueKind != JsonValueKind.Null)
            {
                throw new InvalidRequestException($"Filter clause `{property.Name}` is not supported.");
            }
        }

        return new Filter(Clause(element, "must", depth), Clause(element, "should", depth), Clause(element, "must_not", depth));
    }

    private static List<Condition>? Clause(JsonElement filter, string name, int depth)
    {
        if (!filter.TryGetProperty(name, out var clause) || clause.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // Qdrant accepts a single condition as well as a list.
        return clause.ValueKind == JsonValueKind.Array
            ? [.. clause.EnumerateArray().Select(c => ParseCondition(c, depth + 1))]
            : [ParseCondition(clause, depth + 1)];
    }

    private static Condition ParseCondition(JsonElement element, int depth)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("A filter condition is an object.");
        }

        if (element.TryGetProperty("has_id", out var hasId))
        {
            return new HasIdCondition(PointId.ListFromJson(hasId).ToHashSet());
        }

        if (element.TryGetProperty("is_empty", out var isEmpty))
        {
            return new IsEmptyCondition(Key(Object(isEmpty, "is_empty")));
        }

        if (element.TryGetProperty("is_null", out var isNull))
        {
            return new IsNullCondition(Key(Object(isNull, "is_null")));
        }

        if (element.TryGetProperty("must", out _) || element.TryGetProperty("should", out _) || element.TryGetProperty("must_not", out _))
        {
            return ParseFilter(element, depth);
        }

        if (!element.TryGetProperty("key", out _))
        {
            throw new InvalidRequestException($"Unsupported filter condition: {Truncate(element.GetRawText())}.");
        }

        string key = Key(element);
        if (element.TryGetProperty("match", out var match))
        {
            return ParseMatch(key, Object(match, $"match on `{key}`"));
        }

        if (element.TryGetProperty("range", out var range))
        {
            Object(range, $"range on `{key}`");
            return new RangeCondition(key, Bound(range, "gt"), Bound(range, "gte"), Bound(range, "lt"), Bound(range, "lte"));
        }

        throw new InvalidRequestException($"Condition on `{key}` needs `match` or `range` (others are not supported yet).");
    }

    private static Condition ParseMatch(string key, JsonElement match)
    {
        if (match.TryGetProperty("value", out var value))
        {
            return value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                ? new MatchValueCondition(key, Checked(value).Clone())
                : throw new InvalidRequestException($"match.value on `{key}` must be a string, integer or boolean.");
        }

        if (match.TryGetProperty("any", out var any))
        {
            return new MatchAnyCondition(key, Values(key, any));
        }

        if (match.TryGetProperty("except", out var except))
        {
            return new MatchExceptCondition(key, Values(key, except));
        }

        throw new InvalidRequestException($"match on `{key}` needs `value`, `any` or `except` (text matching is not supported yet).");
    }

    private static List<JsonElement> Values(string key, JsonElement list) => list.ValueKind == JsonValueKind.Array
        ? [.. list.EnumerateArray().Select(v => Checked(v).Clone())]
        : throw new InvalidRequestException($"match on `{key}` takes a list of values.");

    private static double? Bound(JsonElement range, string name) =>
        !range.TryGetProperty(name, out var bound) || bound.ValueKind == JsonValueKind.Null
            ? null
            : bound.ValueKind == JsonValueKind.Number && bound.TryGetDouble(out double value) && double.IsFinite(value)
                ? value
                : throw new InvalidRequestException($"range.{name} must be a finite number (datetime ranges are not supported yet).");

    private static string Key(JsonElement element) =>
        element.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String && Text(key) is { Length: > 0 } text
            ? text
            : throw new InvalidRequestException("A condition needs a non-empty string `key`.");

    private static JsonElement Object(JsonElement element, string what) => element.ValueKind == JsonValueKind.Object
        ? element
        : throw new InvalidRequestException($"{what} must be an object, got {Truncate(element.GetRawText())}.");

    /// <summary>The element, after checking that a string in it can be read as text.</summary>
    private static JsonElement Checked(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            Text(value);
        }

        return value;
    }

    private static string Text(JsonElement element) => JsonText.Read(element, Truncate(element.GetRawText()));

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
