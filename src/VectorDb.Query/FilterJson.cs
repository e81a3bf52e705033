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

    /// <summary>Parses one condition (a field condition, <c>has_id</c>, a nested filter, …), as a filter's clauses hold them.</summary>
    /// <exception cref="InvalidRequestException">Not a condition we support: the message names the offending field by its path.</exception>
    public static Condition ParseCondition(JsonElement element, string path) => ParseCondition(element, path, 0, inNested: false);

    /// <summary>Parses a geo point, <c>{"lon", "lat"}</c>.</summary>
    /// <exception cref="InvalidRequestException">Not a valid geo point.</exception>
    public static GeoPoint ParseGeoPoint(JsonElement element, string path) => GeoPointOf(element, path);

    /// <param name="element">The filter's JSON.</param>
    /// <param name="path">Its path in the request.</param>
    /// <param name="depth">How deep it nests.</param>
    /// <param name="inNested">Inside a <c>nested</c> condition, where conditions apply to one array element and <c>has_id</c> and <c>has_vector</c> have no meaning.</param>
    private static Filter ParseFilter(JsonElement element, string path, int depth, bool inNested = false)
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
                case "must" or "should" or "must_not" or "min_should":
                    break;
                default:
                    throw Unknown($"{path}.{property.Name}");
            }
        }

        return new Filter(Clause(element, "must", path, depth, inNested), Clause(element, "should", path, depth, inNested), Clause(element, "must_not", path, depth, inNested))
        {
            MinShould = ParseMinShould(element, path, depth, inNested),
        };
    }

    /// <summary><c>min_should</c>: <c>{"conditions": [...], "min_count": n}</c>, n ≥ 1.</summary>
    private static MinShould? ParseMinShould(JsonElement filter, string path, int depth, bool inNested)
    {
        var minShould = Fields(filter).FirstOrDefault(f => f.Name == "min_should").Value;
        if (minShould.ValueKind == JsonValueKind.Undefined)
        {
            return null;
        }

        string at = $"{path}.min_should";
        Object(minShould, at);
        foreach (var field in Fields(minShould))
        {
            if (field.Name is not ("conditions" or "min_count"))
            {
                throw Unknown($"{at}.{field.Name}");
            }
        }

        var conditions = Clause(minShould, "conditions", at, depth, inNested) ?? throw new InvalidRequestException($"`{at}.conditions` (a list of conditions) is required.");
        int minCount = Fields(minShould).FirstOrDefault(f => f.Name == "min_count").Value is { ValueKind: JsonValueKind.Number } count && count.TryGetInt32(out int n) && n >= 1
            ? n
            : throw new InvalidRequestException($"`{at}.min_count` must be an integer of at least 1.");
        return new MinShould(conditions, minCount);
    }

    private static List<Condition>? Clause(JsonElement filter, string name, string path, int depth, bool inNested)
    {
        var clause = Fields(filter).FirstOrDefault(f => f.Name == name).Value;
        if (clause.ValueKind == JsonValueKind.Undefined)
        {
            return null;
        }

        // Qdrant accepts a single condition as well as a list.
        return clause.ValueKind == JsonValueKind.Array
            ? [.. clause.EnumerateArray().Select((c, i) => ParseCondition(c, $"{path}.{name}[{i}]", depth + 1, inNested))]
            : [ParseCondition(clause, $"{path}.{name}", depth + 1, inNested)];
    }

    private static Condition ParseCondition(JsonElement element, string path, int depth, bool inNested)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"`{path}` is a filter condition: an object.");
        }

        var fields = Fields(element).ToList();
        if (fields.Any(f => f.Name == "key"))
        {
            return ParseFieldCondition(element, fields, path, inNested);
        }

        // An object of clauses, all null or none at all, is a filter that matches everything, as at the top level.
        if (fields.Count == 0 || fields.Any(f => f.Name is "must" or "should" or "must_not" or "min_should"))
        {
            return ParseFilter(element, path, depth, inNested);
        }

        if (fields.Count != 1)
        {
            throw new InvalidRequestException($"`{path}` mixes several conditions ({string.Join(", ", fields.Select(f => f.Name))}): give one per object.");
        }

        var field = fields[0];
        if (inNested && field.Name is "has_id" or "has_vector")
        {
            throw new InvalidRequestException($"`{path}.{field.Name}` cannot be used inside `nested`: its conditions apply to one array element, not to the point.");
        }

        return field.Name switch
        {
            "has_id" => new HasIdCondition(PointId.ListFromJson(field.Value).ToHashSet()),
            "is_empty" => new IsEmptyCondition(KeyObject(field.Value, $"{path}.is_empty")),
            "is_null" => new IsNullCondition(KeyObject(field.Value, $"{path}.is_null")),
            "has_vector" => field.Value.ValueKind == JsonValueKind.String
                ? new HasVectorCondition(Text(field.Value))
                : throw new InvalidRequestException($"`{path}.has_vector` must be a vector name (a string; \"\" for the unnamed vector)."),
            "nested" => ParseNested(Object(field.Value, $"{path}.nested"), $"{path}.nested", depth),
            "slice" => throw NotSupported($"{path}.slice", "filter by `has_id` or a payload field"),
            _ => throw Unknown($"{path}.{field.Name}"),
        };
    }

    /// <summary><c>nested</c>: <c>{"key": array field, "filter": conditions on each element}</c>.</summary>
    private static NestedCondition ParseNested(JsonElement nested, string path, int depth)
    {
        foreach (var field in Fields(nested))
        {
            if (field.Name is not ("key" or "filter"))
            {
                throw Unknown($"{path}.{field.Name}");
            }
        }

        var filter = Fields(nested).FirstOrDefault(f => f.Name == "filter").Value;
        if (filter.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"`{path}.filter` (an object of conditions on each element) is required.");
        }

        string key = Key(nested, path);
        return new NestedCondition(key.EndsWith("[]", StringComparison.Ordinal) ? key[..^2] : key, ParseFilter(filter, $"{path}.filter", depth + 1, inNested: true));
    }

    /// <summary>A condition on a payload key: exactly one of <c>match</c>, <c>range</c>, <c>is_empty</c>, <c>is_null</c>.</summary>
    private static Condition ParseFieldCondition(JsonElement element, List<JsonProperty> fields, string path, bool inNested)
    {
        string key = Key(element, path);
        var conditions = fields.Where(f => f.Name != "key").ToList();
        foreach (var field in conditions)
        {
            switch (field.Name)
            {
                case "match" or "range" or "is_empty" or "is_null" or "values_count" or "geo_bounding_box" or "geo_radius" or "geo_polygon":
                    break;
                default:
                    throw Unknown($"{path}.{field.Name}");
            }
        }

        if (conditions.Count != 1)
        {
            throw new InvalidRequestException(conditions.Count == 0
                ? $"Condition `{path}` on `{key}` needs `match`, `range`, `values_count`, `is_empty` or `is_null`."
                : $"Condition `{path}` on `{key}` has {string.Join(" and ", conditions.Select(c => $"`{c.Name}`"))}: give one per condition (combine them with `must`).");
        }

        var condition = conditions[0];
        return condition.Name switch
        {
            "match" => ParseMatch(key, Object(condition.Value, $"{path}.match"), $"{path}.match", inNested),
            "range" => ParseRange(key, Object(condition.Value, $"{path}.range"), $"{path}.range"),
            "values_count" => ParseValuesCount(key, Object(condition.Value, $"{path}.values_count"), $"{path}.values_count"),
            "geo_radius" => ParseGeoRadius(key, Object(condition.Value, $"{path}.geo_radius"), $"{path}.geo_radius"),
            "geo_bounding_box" => ParseGeoBox(key, Object(condition.Value, $"{path}.geo_bounding_box"), $"{path}.geo_bounding_box"),
            "geo_polygon" => ParseGeoPolygon(key, Object(condition.Value, $"{path}.geo_polygon"), $"{path}.geo_polygon"),
            "is_empty" => Flag(condition.Value, $"{path}.is_empty") ? new IsEmptyCondition(key) : new Filter(MustNot: [new IsEmptyCondition(key)]),
            _ => Flag(condition.Value, $"{path}.is_null") ? new IsNullCondition(key) : new Filter(MustNot: [new IsNullCondition(key)]),
        };
    }

    private static Condition ParseMatch(string key, JsonElement match, string path, bool inNested)
    {
        var fields = Fields(match).ToList();
        foreach (var field in fields)
        {
            switch (field.Name)
            {
                case "text_any" or "phrase" when inNested:
                    throw new InvalidRequestException($"`{path}.{field.Name}` cannot be used inside `nested`: it is answered by a text index, and an element's values are checked without indexes.");
                case "value" or "any" or "except" or "text" or "prefix" or "text_any" or "phrase":
                    break;
                default:
                    throw Unknown($"{path}.{field.Name}");
            }
        }

        if (fields.Count != 1)
        {
            throw new InvalidRequestException($"`{path}` on `{key}` needs exactly one of `value`, `any`, `except`, `text`, `text_any`, `phrase` and `prefix`.");
        }

        var only = fields[0];
        return only.Name switch
        {
            "value" => only.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                ? new MatchValueCondition(key, Checked(only.Value).Clone())
                : throw new InvalidRequestException($"`{path}.value` on `{key}` must be a string, integer or boolean."),
            "any" => new MatchAnyCondition(key, Values(only.Value, $"{path}.any")),
            "text" => new MatchTextCondition(key, only.Value.ValueKind == JsonValueKind.String ? Text(only.Value) : throw new InvalidRequestException($"`{path}.text` on `{key}` must be a string.")),
            "prefix" => new MatchPrefixCondition(key, only.Value.ValueKind == JsonValueKind.String ? Text(only.Value) : throw new InvalidRequestException($"`{path}.prefix` on `{key}` must be a string.")),
            "text_any" => new MatchTextAnyCondition(key, only.Value.ValueKind == JsonValueKind.String ? Text(only.Value) : throw new InvalidRequestException($"`{path}.text_any` on `{key}` must be a string.")),
            "phrase" => new MatchPhraseCondition(key, only.Value.ValueKind == JsonValueKind.String ? Text(only.Value) : throw new InvalidRequestException($"`{path}.phrase` on `{key}` must be a string.")),
            _ => new MatchExceptCondition(key, Values(only.Value, $"{path}.except")),
        };
    }

    /// <summary>A range of numbers, or of date-times when its bounds are strings (all of them).</summary>
    private static Condition ParseRange(string key, JsonElement range, string path)
    {
        foreach (var field in Fields(range))
        {
            if (field.Name is not ("gt" or "gte" or "lt" or "lte"))
            {
                throw Unknown($"{path}.{field.Name}");
            }
        }

        var given = Fields(range).Where(f => f.Value.ValueKind != JsonValueKind.Null).ToList();
        if (given.Count > 0 && given.All(f => f.Value.ValueKind == JsonValueKind.String))
        {
            return new DatetimeRangeCondition(key, Instant(range, "gt", path), Instant(range, "gte", path), Instant(range, "lt", path), Instant(range, "lte", path));
        }

        return new RangeCondition(key, Bound(range, "gt", path), Bound(range, "gte", path), Bound(range, "lt", path), Bound(range, "lte", path));
    }

    private static DateTimeOffset? Instant(JsonElement range, string name, string path) =>
        Fields(range).FirstOrDefault(f => f.Name == name).Value switch
        {
            { ValueKind: JsonValueKind.Undefined or JsonValueKind.Null } => null,
            { ValueKind: JsonValueKind.String } bound when Datetimes.TryParse(Text(bound), out var instant) => instant,
            var other => throw new InvalidRequestException($"`{path}.{name}` must be an RFC 3339 date-time like 2023-02-08T10:49:00Z, got {Truncate(other.GetRawText())}."),
        };

    private static GeoRadiusCondition ParseGeoRadius(string key, JsonElement radius, string path)
    {
        OnlyFields(radius, path, "center", "radius");
        var center = GeoPointAt(radius, "center", path);
        double meters = Fields(radius).FirstOrDefault(f => f.Name == "radius").Value is { ValueKind: JsonValueKind.Number } r && r.GetDouble() is var value && double.IsFinite(value) && value >= 0
            ? value
            : throw new InvalidRequestException($"`{path}.radius` (metres, a non-negative number) is required.");
        return new GeoRadiusCondition(key, center, meters);
    }

    private static GeoBoundingBoxCondition ParseGeoBox(string key, JsonElement box, string path)
    {
        OnlyFields(box, path, "top_left", "bottom_right");
        var (topLeft, bottomRight) = (GeoPointAt(box, "top_left", path), GeoPointAt(box, "bottom_right", path));
        return topLeft.Lat >= bottomRight.Lat
            ? new GeoBoundingBoxCondition(key, topLeft, bottomRight)
            : throw new InvalidRequestException($"`{path}.top_left.lat` must not be south of `{path}.bottom_right.lat`.");
    }

    /// <summary><c>geo_polygon</c>: <c>{"exterior": {"points": [...]}, "interiors": [{"points": [...]}]}</c>; rings closed, of 4 points at least.</summary>
    private static GeoPolygonCondition ParseGeoPolygon(string key, JsonElement polygon, string path)
    {
        OnlyFields(polygon, path, "exterior", "interiors");
        var exterior = Fields(polygon).FirstOrDefault(f => f.Name == "exterior").Value;
        if (exterior.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"`{path}.exterior` (a ring: {{\"points\": [...]}}) is required.");
        }

        var interiors = Fields(polygon).FirstOrDefault(f => f.Name == "interiors").Value;
        var holes = interiors.ValueKind switch
        {
            JsonValueKind.Undefined or JsonValueKind.Null => [],
            JsonValueKind.Array => interiors.EnumerateArray().Select((ring, i) => Ring(ring, $"{path}.interiors[{i}]")).ToList(),
            _ => throw new InvalidRequestException($"`{path}.interiors` must be a list of rings."),
        };
        return new GeoPolygonCondition(key, Ring(exterior, $"{path}.exterior"), holes);
    }

    private static List<GeoPoint> Ring(JsonElement ring, string path)
    {
        Object(ring, path);
        OnlyFields(ring, path, "points");
        var points = Fields(ring).FirstOrDefault(f => f.Name == "points").Value;
        if (points.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException($"`{path}.points` (a list of {{\"lon\", \"lat\"}}) is required.");
        }

        var vertices = points.EnumerateArray().Select((p, i) => GeoPointOf(p, $"{path}.points[{i}]")).ToList();
        return vertices.Count >= 4 && vertices[0] == vertices[^1]
            ? vertices
            : throw new InvalidRequestException($"`{path}.points` must be a closed ring: 4 points at least, the last equal to the first.");
    }

    private static GeoPoint GeoPointAt(JsonElement parent, string name, string path) =>
        GeoPointOf(Fields(parent).FirstOrDefault(f => f.Name == name).Value, $"{path}.{name}");

    private static GeoPoint GeoPointOf(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"`{path}` (a point: {{\"lon\", \"lat\"}}) is required.");
        }

        OnlyFields(element, path, "lon", "lat");
        return GeoPoint.TryRead(element, out var point)
            ? point
            : throw new InvalidRequestException($"`{path}` needs a numeric `lon` in [-180, 180] and `lat` in [-90, 90].");
    }

    private static void OnlyFields(JsonElement element, string path, params string[] names)
    {
        foreach (var field in Fields(element))
        {
            if (!names.Contains(field.Name))
            {
                throw Unknown($"{path}.{field.Name}");
            }
        }
    }

    private static ValuesCountCondition ParseValuesCount(string key, JsonElement bounds, string path)
    {
        foreach (var field in Fields(bounds))
        {
            if (field.Name is not ("gt" or "gte" or "lt" or "lte"))
            {
                throw Unknown($"{path}.{field.Name}");
            }
        }

        int? Count(string name) => Fields(bounds).FirstOrDefault(f => f.Name == name).Value switch
        {
            { ValueKind: JsonValueKind.Undefined } => null,
            { ValueKind: JsonValueKind.Number } bound when bound.TryGetInt32(out int value) && value >= 0 => value,
            var other => throw new InvalidRequestException($"`{path}.{name}` must be a non-negative integer, got {Truncate(other.GetRawText())}."),
        };
        return new ValuesCountCondition(key, Count("gt"), Count("gte"), Count("lt"), Count("lte"));
    }

    private static List<JsonElement> Values(JsonElement list, string path) => list.ValueKind == JsonValueKind.Array
        ? [.. list.EnumerateArray().Select(v => Checked(v).Clone())]
        : throw new InvalidRequestException($"`{path}` takes a list of values.");

    private static double? Bound(JsonElement range, string name, string path) =>
        Fields(range).FirstOrDefault(f => f.Name == name).Value switch
        {
            { ValueKind: JsonValueKind.Undefined } => null,
            { ValueKind: JsonValueKind.Number } bound when bound.TryGetDouble(out double value) && double.IsFinite(value) => value,
            { ValueKind: JsonValueKind.Null } => null,
            _ => throw new InvalidRequestException($"`{path}.{name}` must be a finite number, or every bound an RFC 3339 date-time."),
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
