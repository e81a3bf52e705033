using System.Text.Json;
using VectorDb.Query;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Qdrant's protobuf filters as the engine's <see cref="Filter"/>, with the rules the REST API's filter reader holds
/// JSON filters to: one condition per field condition, <c>has_id</c> and <c>has_vector</c> not inside <c>nested</c>,
/// closed polygon rings, bounded nesting.
/// </summary>
internal static class ProtoFilters
{
    private const int MaxDepth = 32;

    /// <summary>The filter, or null when the message has none.</summary>
    public static Filter? Read(Proto.Filter? filter, string path = "filter") => filter is null ? null : Read(filter, path, 0, inNested: false);

    private static Filter Read(Proto.Filter filter, string path, int depth, bool inNested)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidRequestException($"Filters nest at most {MaxDepth} levels deep.");
        }

        return new Filter(
            Clause(filter.Must, $"{path}.must", depth, inNested),
            Clause(filter.Should, $"{path}.should", depth, inNested),
            Clause(filter.MustNot, $"{path}.must_not", depth, inNested))
        {
            MinShould = filter.MinShould is { } minShould
                ? new MinShould(
                    Clause(minShould.Conditions, $"{path}.min_should.conditions", depth, inNested) ?? throw new InvalidRequestException($"`{path}.min_should.conditions` (a list of conditions) is required."),
                    minShould.MinCount is >= 1 and <= int.MaxValue ? (int)minShould.MinCount : throw new InvalidRequestException($"`{path}.min_should.min_count` must be at least 1."))
                : null,
        };
    }

    private static List<Condition>? Clause(Google.Protobuf.Collections.RepeatedField<Proto.Condition> conditions, string path, int depth, bool inNested) =>
        conditions.Count == 0 ? null : [.. conditions.Select((c, i) => Condition(c, $"{path}[{i}]", depth + 1, inNested))];

    /// <summary>One condition, outside any filter (a formula's condition term).</summary>
    public static Condition Condition(Proto.Condition condition, string path) => Condition(condition, path, 0, inNested: false);

    private static Condition Condition(Proto.Condition condition, string path, int depth, bool inNested)
    {
        if (inNested && condition.ConditionOneOfCase is Proto.Condition.ConditionOneOfOneofCase.HasId or Proto.Condition.ConditionOneOfOneofCase.HasVector)
        {
            throw new InvalidRequestException($"`{path}`: `has_id` and `has_vector` cannot be used inside `nested`: its conditions apply to one array element, not to the point.");
        }

        return condition.ConditionOneOfCase switch
        {
            Proto.Condition.ConditionOneOfOneofCase.Field => Field(condition.Field, $"{path}.field", inNested),
            Proto.Condition.ConditionOneOfOneofCase.IsEmpty => new IsEmptyCondition(Key(condition.IsEmpty.Key, $"{path}.is_empty")),
            Proto.Condition.ConditionOneOfOneofCase.IsNull => new IsNullCondition(Key(condition.IsNull.Key, $"{path}.is_null")),
            Proto.Condition.ConditionOneOfOneofCase.HasId => new HasIdCondition(condition.HasId.HasId.Select((id, i) => ProtoPoints.Id(id, $"{path}.has_id[{i}]")).ToHashSet()),
            Proto.Condition.ConditionOneOfOneofCase.HasVector => new HasVectorCondition(condition.HasVector.HasVector),
            Proto.Condition.ConditionOneOfOneofCase.Filter => Read(condition.Filter, $"{path}.filter", depth, inNested),
            Proto.Condition.ConditionOneOfOneofCase.Nested => new NestedCondition(
                NestedKey(Key(condition.Nested.Key, $"{path}.nested")),
                Read(condition.Nested.Filter ?? throw new InvalidRequestException($"`{path}.nested.filter` is required."), $"{path}.nested.filter", depth + 1, inNested: true)),
            Proto.Condition.ConditionOneOfOneofCase.Slice => throw new InvalidRequestException($"`{path}.slice` is not supported: filter by `has_id` or a payload field."),
            _ => throw new InvalidRequestException($"`{path}` is an empty condition: set one of its kinds."),
        };
    }

    private static string NestedKey(string key) => key.EndsWith("[]", StringComparison.Ordinal) ? key[..^2] : key;

    /// <summary>A condition on a payload key: exactly one of match, range, datetime range, values count, geo, is_empty, is_null.</summary>
    private static Condition Field(Proto.FieldCondition field, string path, bool inNested)
    {
        string key = Key(field.Key, path);
        var given = new List<string>(1);
        if (field.Match is not null) given.Add("match");
        if (field.Range is not null) given.Add("range");
        if (field.DatetimeRange is not null) given.Add("datetime_range");
        if (field.ValuesCount is not null) given.Add("values_count");
        if (field.GeoRadius is not null) given.Add("geo_radius");
        if (field.GeoBoundingBox is not null) given.Add("geo_bounding_box");
        if (field.GeoPolygon is not null) given.Add("geo_polygon");
        if (field.HasIsEmpty) given.Add("is_empty");
        if (field.HasIsNull) given.Add("is_null");
        if (given.Count != 1)
        {
            throw new InvalidRequestException(given.Count == 0
                ? $"Condition `{path}` on `{key}` needs `match`, `range`, `datetime_range`, `values_count`, a geo condition, `is_empty` or `is_null`."
                : $"Condition `{path}` on `{key}` has {string.Join(" and ", given.Select(g => $"`{g}`"))}: give one per condition (combine them with `must`).");
        }

        return field switch
        {
            { Match: { } match } => Match(key, match, $"{path}.match", inNested),
            { Range: { } range } => new RangeCondition(key,
                Finite(range.HasGt ? range.Gt : null, $"{path}.range.gt"), Finite(range.HasGte ? range.Gte : null, $"{path}.range.gte"),
                Finite(range.HasLt ? range.Lt : null, $"{path}.range.lt"), Finite(range.HasLte ? range.Lte : null, $"{path}.range.lte")),
            { DatetimeRange: { } instants } => new DatetimeRangeCondition(key,
                Instant(instants.Gt, $"{path}.datetime_range.gt"), Instant(instants.Gte, $"{path}.datetime_range.gte"),
                Instant(instants.Lt, $"{path}.datetime_range.lt"), Instant(instants.Lte, $"{path}.datetime_range.lte")),
            { ValuesCount: { } count } => new ValuesCountCondition(key,
                Count(count.HasGt ? count.Gt : null, $"{path}.values_count.gt"), Count(count.HasGte ? count.Gte : null, $"{path}.values_count.gte"),
                Count(count.HasLt ? count.Lt : null, $"{path}.values_count.lt"), Count(count.HasLte ? count.Lte : null, $"{path}.values_count.lte")),
            { GeoRadius: { } radius } => new GeoRadiusCondition(key, Point(radius.Center, $"{path}.geo_radius.center"),
                float.IsFinite(radius.Radius) && radius.Radius >= 0 ? radius.Radius : throw new InvalidRequestException($"`{path}.geo_radius.radius` (metres) must be a non-negative number.")),
            { GeoBoundingBox: { } box } => Box(key, box, $"{path}.geo_bounding_box"),
            { GeoPolygon: { } polygon } => new GeoPolygonCondition(key,
                Ring(polygon.Exterior ?? throw new InvalidRequestException($"`{path}.geo_polygon.exterior` is required."), $"{path}.geo_polygon.exterior"),
                [.. polygon.Interiors.Select((ring, i) => Ring(ring, $"{path}.geo_polygon.interiors[{i}]"))]),
            { HasIsEmpty: true } => field.IsEmpty ? new IsEmptyCondition(key) : new Filter(MustNot: [new IsEmptyCondition(key)]),
            _ => field.IsNull ? new IsNullCondition(key) : new Filter(MustNot: [new IsNullCondition(key)]),
        };
    }

    private static Condition Match(string key, Proto.Match match, string path, bool inNested)
    {
        if (inNested && match.MatchValueCase is Proto.Match.MatchValueOneofCase.TextAny or Proto.Match.MatchValueOneofCase.Phrase)
        {
            throw new InvalidRequestException($"`{path}`: `text_any` and `phrase` cannot be used inside `nested`: they are answered by a text index, and an element's values are checked without indexes.");
        }

        return match.MatchValueCase switch
        {
            Proto.Match.MatchValueOneofCase.Keyword => new MatchValueCondition(key, JsonSerializer.SerializeToElement(match.Keyword)),
            Proto.Match.MatchValueOneofCase.Integer => new MatchValueCondition(key, JsonSerializer.SerializeToElement(match.Integer)),
            Proto.Match.MatchValueOneofCase.Boolean => new MatchValueCondition(key, JsonSerializer.SerializeToElement(match.Boolean)),
            Proto.Match.MatchValueOneofCase.Keywords => new MatchAnyCondition(key, [.. match.Keywords.Strings.Select(s => JsonSerializer.SerializeToElement(s))]),
            Proto.Match.MatchValueOneofCase.Integers => new MatchAnyCondition(key, [.. match.Integers.Integers.Select(i => JsonSerializer.SerializeToElement(i))]),
            Proto.Match.MatchValueOneofCase.ExceptKeywords => new MatchExceptCondition(key, [.. match.ExceptKeywords.Strings.Select(s => JsonSerializer.SerializeToElement(s))]),
            Proto.Match.MatchValueOneofCase.ExceptIntegers => new MatchExceptCondition(key, [.. match.ExceptIntegers.Integers.Select(i => JsonSerializer.SerializeToElement(i))]),
            Proto.Match.MatchValueOneofCase.Text => new MatchTextCondition(key, match.Text),
            Proto.Match.MatchValueOneofCase.TextAny => new MatchTextAnyCondition(key, match.TextAny),
            Proto.Match.MatchValueOneofCase.Phrase => new MatchPhraseCondition(key, match.Phrase),
            Proto.Match.MatchValueOneofCase.Prefix => new MatchPrefixCondition(key, match.Prefix),
            Proto.Match.MatchValueOneofCase.Substring => throw new InvalidRequestException($"`{path}.substring` is not supported: use `text` (tokens), `phrase` or `prefix`."),
            _ => throw new InvalidRequestException($"`{path}` on `{key}` needs one of keyword, integer, boolean, keywords, integers, except_keywords, except_integers, text, text_any, phrase, prefix."),
        };
    }

    private static GeoBoundingBoxCondition Box(string key, Proto.GeoBoundingBox box, string path)
    {
        var (topLeft, bottomRight) = (Point(box.TopLeft, $"{path}.top_left"), Point(box.BottomRight, $"{path}.bottom_right"));
        return topLeft.Lat >= bottomRight.Lat
            ? new GeoBoundingBoxCondition(key, topLeft, bottomRight)
            : throw new InvalidRequestException($"`{path}.top_left.lat` must not be south of `{path}.bottom_right.lat`.");
    }

    private static List<GeoPoint> Ring(Proto.GeoLineString ring, string path)
    {
        var vertices = ring.Points.Select((p, i) => Point(p, $"{path}.points[{i}]")).ToList();
        return vertices.Count >= 4 && vertices[0] == vertices[^1]
            ? vertices
            : throw new InvalidRequestException($"`{path}.points` must be a closed ring: 4 points at least, the last equal to the first.");
    }

    /// <summary>A geo point, valid longitude and latitude.</summary>
    public static GeoPoint Point(Proto.GeoPoint? point, string path)
    {
        var read = point is null ? throw new InvalidRequestException($"`{path}` (a point: lon, lat) is required.") : new GeoPoint(point.Lon, point.Lat);
        return read.IsValid ? read : throw new InvalidRequestException($"`{path}` needs `lon` in [-180, 180] and `lat` in [-90, 90].");
    }

    /// <summary>A timestamp bound; one out of protobuf's range (nanos beyond a second, seconds beyond year 9999) is refused.</summary>
    private static DateTimeOffset? Instant(Google.Protobuf.WellKnownTypes.Timestamp? bound, string path)
    {
        try
        {
            return bound?.ToDateTimeOffset();
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidRequestException($"`{path}` is not a valid timestamp: {e.Message}", e);
        }
    }

    private static double? Finite(double? bound, string path) =>
        bound is not { } value || double.IsFinite(value) ? bound : throw new InvalidRequestException($"`{path}` must be a finite number.");

    private static int? Count(ulong? bound, string path) =>
        bound is not { } value ? null : value <= int.MaxValue ? (int)value : throw new InvalidRequestException($"`{path}` is too large.");

    private static string Key(string key, string path) =>
        key.Length > 0 ? key : throw new InvalidRequestException($"`{path}.key` must be a non-empty string.");
}
