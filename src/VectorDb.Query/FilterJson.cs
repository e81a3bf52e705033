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
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false });
            return Parse(document.RootElement.Clone()) ?? throw new InvalidRequestException("The filter is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException($"The filter is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Parses a filter element; null when there is none (absent or JSON null).</summary>
    /// <param name="element">The filter JSON.</param>
    /// <param name="path">Where the filter sits in its request, for error messages (<c>filter</c>, <c>update_filter</c>).</param>
    /// <exception cref="InvalidRequestException">Not a filter we support: the message names the offending field by its path.</exception>
    public static Filter? Parse(JsonElement? element, string path = "filter") =>
        element is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } filter ? ParseFilter(filter, path, 0) : null;

    private static Filter ParseFilter(JsonElement element, string path, int depth)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"`{path}` is a filter: an object with `must`, `should` and/or `must_not`.");
        }

        if (depth > MaxDepth)
        {
            throw new InvalidRequestException($"Filters nest at most {MaxDepth} levels deep.");
        }

        foreach (var property in Fields(element))
        {
            switch (property.Name)
            {
                case "must" or "should" or "must_not":
                    break;
                case "min_should":
                    throw NotSupported($"{path}.min_should", "use `should` (at least one) or `must` (all)");
                default:
                    throw Unknown($"{path}.{property.Name}");
            }
        }

        return new Filter(Clause(element, "must", path, depth), Clause(element, "should", path, depth), Clause(element, "must_not", path, depth));
    }

    private static List<Condition>? Clause(JsonElement filter, string name, string path, int depth)
    {
        var clause = Fields(filter).FirstOrDefault(f => f.Name == name).Value;
        if (clause.ValueKind == JsonValueKind.Undefined)
        {
            return null;
        }

        // Qdrant accepts a single condition as well as a list.
        return clause.ValueKind == JsonValueKind.Array
            ? [.. clause.EnumerateArray().Select((c, i) => ParseCondition(c, $"{path}.{name}[{i}]", depth + 1))]
            : [ParseCondition(clause, $"{path}.{name}", depth + 1)];
    }

    private static Condition ParseCondition(JsonElement element, string path, int depth)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"`{path}` is a filter condition: an object.");
        }

        var fields = Fields(element).ToList();
        if (fields.Any(f => f.Name == "key"))
        {
            return ParseFieldCondition(element, fields, path);
        }

        // An object of clauses, all null or none at all, is a filter that matches everything, as at the top level.
        if (fields.Count == 0 || fields.Any(f => f.Name is "must" or "should" or "must_not" or "min_should"))
        {
            return ParseFilter(element, path, depth);
        }

        if (fields.Count != 1)
        {
            throw new InvalidRequestException($"`{path}` mixes several conditions ({string.Join(", ", fields.Select(f => f.Name))}): give one per object.");
        }

        var field = fields[0];
        return field.Name switch
        {
            "has_id" => new HasIdCondition(PointId.ListFromJson(field.Value).ToHashSet()),
            "is_empty" => new IsEmptyCondition(KeyObject(field.Value, $"{path}.is_empty")),
            "is_null" => new IsNullCondition(KeyObject(field.Value, $"{path}.is_null")),
            "has_vector" => throw NotSupported($"{path}.has_vector", "a point holds one unnamed vector, which every point has"),
            "nested" => throw NotSupported($"{path}.nested", "use a key path into arrays of objects, `a[].b`"),
            "slice" => throw NotSupported($"{path}.slice", "filter by `has_id` or a payload field"),
            _ => throw Unknown($"{path}.{field.Name}"),
        };
    }

    /// <summary>A condition on a payload key: exactly one of <c>match</c>, <c>range</c>, <c>is_empty</c>, <c>is_null</c>.</summary>
    private static Condition ParseFieldCondition(JsonElement element, List<JsonProperty> fields, string path)
    {
        string key = Key(element, path);
        var conditions = fields.Where(f => f.Name != "key").ToList();
        foreach (var field in conditions)
        {
            switch (field.Name)
            {
                case "match" or "range" or "is_empty" or "is_null":
                    break;
                case "geo_bounding_box" or "geo_radius" or "geo_polygon":
                    throw NotSupported($"{path}.{field.Name}", "geo payloads and indexes are not built yet");
                case "values_count":
                    throw NotSupported($"{path}.values_count", "conditions on how many values a key holds are not built yet");
                default:
                    throw Unknown($"{path}.{field.Name}");
            }
        }

        if (conditions.Count != 1)
        {
            throw new InvalidRequestException(conditions.Count == 0
                ? $"Condition `{path}` on `{key}` needs `match`, `range`, `is_empty` or `is_null`."
                : $"Condition `{path}` on `{key}` has {string.Join(" and ", conditions.Select(c => $"`{c.Name}`"))}: give one per condition (combine them with `must`).");
        }

        var condition = conditions[0];
        return condition.Name switch
        {
            "match" => ParseMatch(key, Object(condition.Value, $"{path}.match"), $"{path}.match"),
            "range" => ParseRange(key, Object(condition.Value, $"{path}.range"), $"{path}.range"),
            "is_empty" => Flag(condition.Value, $"{path}.is_empty") ? new IsEmptyCondition(key) : new Filter(MustNot: [new IsEmptyCondition(key)]),
            _ => Flag(condition.Value, $"{path}.is_null") ? new IsNullCondition(key) : new Filter(MustNot: [new IsNullCondition(key)]),
        };
    }

    private static Condition ParseMatch(string key, JsonElement match, string path)
    {
        var fields = Fields(match).ToList();
        foreach (var field in fields)
        {
            switch (field.Name)
            {
                case "value" or "any" or "except":
                    break;
                case "text" or "text_any" or "phrase":
                    throw NotSupported($"{path}.{field.Name}", "full-text matching is not built yet");
                case "prefix":
                    throw NotSupported($"{path}.prefix", "keyword prefix matching is not built yet");
                default:
                    throw Unknown($"{path}.{field.Name}");
            }
        }

        if (fields.Count != 1)
        {
            throw new InvalidRequestException($"`{path}` on `{key}` needs exactly one of `value`, `any` and `except`.");
        }

        var only = fields[0];
        return only.Name switch
        {
            "value" => only.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                ? new MatchValueCondition(key, Checked(only.Value).Clone())
                : throw new InvalidRequestException($"`{path}.value` on `{key}` must be a string, integer or boolean."),
            "any" => new MatchAnyCondition(key, Values(only.Value, $"{path}.any")),
            _ => new MatchExceptCondition(key, Values(only.Value, $"{path}.except")),
        };
    }

    private static RangeCondition ParseRange(string key, JsonElement range, string path)
    {
        foreach (var field in Fields(range))
        {
            if (field.Name is not ("gt" or "gte" or "lt" or "lte"))
            {
                throw Unknown($"{path}.{field.Name}");
            }
        }

        return new RangeCondition(key, Bound(range, "gt", path), Bound(range, "gte", path), Bound(range, "lt", path), Bound(range, "lte", path));
    }

    private static List<JsonElement> Values(JsonElement list, string path) => list.ValueKind == JsonValueKind.Array
        ? [.. list.EnumerateArray().Select(v => Checked(v).Clone())]
        : throw new InvalidRequestException($"`{path}` takes a list of values.");

    private static double? Bound(JsonElement range, string name, string path) =>
        Fields(range).FirstOrDefault(f => f.Name == name).Value switch
        {
            { ValueKind: JsonValueKind.Undefined } => null,
            { ValueKind: JsonValueKind.Number } bound when bound.TryGetDouble(out double value) && double.IsFinite(value) => value,
            _ => throw new InvalidRequestException($"`{path}.{name}` must be a finite number (datetime ranges are not supported yet)."),
        };

    private static string Key(JsonElement element, string path) =>
        Fields(element).FirstOrDefault(f => f.Name == "key").Value is { ValueKind: JsonValueKind.String } key && Text(key) is { Length: > 0 } text
            ? text
            : throw new InvalidRequestException($"`{path}.key` must be a non-empty string.");

    /// <summary>The <c>{"key": …}</c> object of <c>is_empty</c> and <c>is_null</c>.</summary>
    private static string KeyObject(JsonElement element, string path)
    {
        Object(element, path);
        foreach (var field in Fields(element))
        {
            if (field.Name != "key")
            {
                throw Unknown($"{path}.{field.Name}");
            }
        }

        return Key(element, path);
    }

    private static bool Flag(JsonElement element, string path) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new InvalidRequestException($"`{path}` must be true or false."),
    };

    private static JsonElement Object(JsonElement element, string path) => element.ValueKind == JsonValueKind.Object
        ? element
        : throw new InvalidRequestException($"`{path}` must be an object, got {Truncate(element.GetRawText())}.");

    private static IEnumerable<JsonProperty> Fields(JsonElement element) => JsonText.Fields(element);

    private static InvalidRequestException Unknown(string path) => new($"Unknown field `{path}`.");

    private static InvalidRequestException NotSupported(string path, string reason) => new($"`{path}` is not supported yet: {reason}.");

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
