using System.Text.Json;

namespace VectorDb.Query;

/// <summary>
/// A condition on a point: its payload, or its id. Filters nest: a <see cref="Filter"/> is a condition too.
/// The model follows Qdrant's: payload keys are paths (<c>a.b</c> into objects, <c>a[].b</c> into arrays of
/// objects), and a condition on an array field holds when any element satisfies it.
/// </summary>
public abstract record Condition
{
    /// <summary>True when the point with this id and payload satisfies the condition.</summary>
    public abstract bool Matches(PointId id, Payload? payload);
}

/// <summary>
/// All of <see cref="Must"/>, at least one of <see cref="Should"/> (when there are any), none of
/// <see cref="MustNot"/>, and at least <see cref="MinShould"/>'s count of its conditions. An empty filter matches every point.
/// </summary>
public sealed record Filter(
    IReadOnlyList<Condition>? Must = null,
    IReadOnlyList<Condition>? Should = null,
    IReadOnlyList<Condition>? MustNot = null) : Condition
{
    /// <summary>Qdrant's <c>min_should</c>: at least <see cref="MinShould.MinCount"/> of its conditions hold. Null: none.</summary>
    public MinShould? MinShould { get; init; }

    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload)
    {
        foreach (var condition in Must ?? [])
        {
            if (!condition.Matches(id, payload))
            {
                return false;
            }
        }

        if (Should is { Count: > 0 } should && !should.Any(c => c.Matches(id, payload)))
        {
            return false;
        }

        foreach (var condition in MustNot ?? [])
        {
            if (condition.Matches(id, payload))
            {
                return false;
            }
        }

        return MinShould is not { } minShould || minShould.Conditions.Count(c => c.Matches(id, payload)) >= minShould.MinCount;
    }
}

/// <summary>At least <see cref="MinCount"/> of <see cref="Conditions"/> hold (Qdrant's <c>min_should</c>).</summary>
public sealed record MinShould(IReadOnlyList<Condition> Conditions, int MinCount);

/// <summary>The point has a vector of this name (<c>""</c>: the unnamed one); answered by the collection, not the payload.</summary>
public sealed record HasVectorCondition(string Vector) : Condition
{
    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Always: whether a point has a vector is known to its collection only.</exception>
    public override bool Matches(PointId id, Payload? payload) =>
        throw new InvalidOperationException("has_vector is answered by the collection that holds the point, not from its payload.");
}

/// <summary>The number of values at the key (array elements counted one by one, nulls not at all) lies within the bounds.</summary>
public sealed record ValuesCountCondition(string Key, int? Gt = null, int? Gte = null, int? Lt = null, int? Lte = null) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload)
    {
        int count = PayloadPath.Values(payload, Key).Count(v => v.ValueKind != JsonValueKind.Null);
        return (Gt is not { } gt || count > gt) && (Gte is not { } gte || count >= gte) && (Lt is not { } lt || count < lt) && (Lte is not { } lte || count <= lte);
    }
}

/// <summary>
/// Some object element of the array at <see cref="Key"/> satisfies all of <see cref="Filter"/> on its own (Qdrant's
/// <c>nested</c>): its keys are paths within the element, so conditions on two keys must hold in the same element.
/// </summary>
public sealed record NestedCondition(string Key, Filter Filter) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        PayloadPath.Values(payload, Key).Any(element => element.ValueKind == JsonValueKind.Object && Filter.Matches(id, Payload.Within(element)));
}

/// <summary>The point's id is one of <see cref="Ids"/>.</summary>
public sealed record HasIdCondition(IReadOnlySet<PointId> Ids) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) => Ids.Contains(id);
}

/// <summary>The field is missing, null, or an empty array.</summary>
public sealed record IsEmptyCondition(string Key) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        !PayloadPath.Values(payload, Key).Any(v => v.ValueKind != JsonValueKind.Null);
}

/// <summary>The field exists and is null.</summary>
public sealed record IsNullCondition(string Key) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        PayloadPath.Raw(payload, Key).Any(v => v.ValueKind == JsonValueKind.Null);
}

/// <summary>Some value of the field equals <see cref="Value"/> (a string, integer or boolean).</summary>
public sealed record MatchValueCondition(string Key, JsonElement Value) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        PayloadPath.Values(payload, Key).Any(v => PayloadPath.ValueEquals(v, Value));
}

/// <summary>Some value of the field is one of <see cref="Values"/>.</summary>
public sealed record MatchAnyCondition(string Key, IReadOnlyList<JsonElement> Values) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        PayloadPath.Values(payload, Key).Any(v => Values.Any(candidate => PayloadPath.ValueEquals(v, candidate)));
}

/// <summary>Some value of the field is none of <see cref="Values"/>.</summary>
public sealed record MatchExceptCondition(string Key, IReadOnlyList<JsonElement> Values) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        PayloadPath.Values(payload, Key).Any(v => v.ValueKind != JsonValueKind.Null && !Values.Any(candidate => PayloadPath.ValueEquals(v, candidate)));
}

/// <summary>
/// Some string value of the field contains <see cref="Text"/> (ordinal, case-sensitive): what Qdrant's <c>match.text</c>
/// does on a key without a full-text index.
/// </summary>
public sealed record MatchTextCondition(string Key, string Text) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        PayloadPath.Values(payload, Key).Any(v => v.ValueKind == JsonValueKind.String && v.GetString()!.Contains(Text, StringComparison.Ordinal));
}

/// <summary>At least one token of <see cref="Text"/> is among the field's tokens: needs a full-text index on the key.</summary>
public sealed record MatchTextAnyCondition(string Key, string Text) : Condition
{
    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Always: tokens are the key's full-text index's, so the index answers it.</exception>
    public override bool Matches(PointId id, Payload? payload) =>
        throw new InvalidOperationException($"match.text_any on `{Key}` is answered by its full-text index.");
}

/// <summary>The tokens of <see cref="Phrase"/> follow each other in one of the field's values: needs a full-text index with phrase matching.</summary>
public sealed record MatchPhraseCondition(string Key, string Phrase) : Condition
{
    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">Always: tokens are the key's full-text index's, so the index answers it.</exception>
    public override bool Matches(PointId id, Payload? payload) =>
        throw new InvalidOperationException($"match.phrase on `{Key}` is answered by its full-text index.");
}

/// <summary>Some string value of the field starts with <see cref="Prefix"/> (ordinal, case-sensitive, as Qdrant's <c>match.prefix</c>).</summary>
public sealed record MatchPrefixCondition(string Key, string Prefix) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        PayloadPath.Values(payload, Key).Any(v => v.ValueKind == JsonValueKind.String && v.GetString()!.StartsWith(Prefix, StringComparison.Ordinal));
}

/// <summary>Some numeric value of the field lies within all the given bounds.</summary>
public sealed record RangeCondition(string Key, double? Gt = null, double? Gte = null, double? Lt = null, double? Lte = null) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        PayloadPath.Values(payload, Key).Any(v => v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double x) && double.IsFinite(x) && Contains(x));

    /// <summary>True when <paramref name="x"/> lies within all the bounds.</summary>
    public bool Contains(double x) =>
        (Gt is not { } gt || x > gt) && (Gte is not { } gte || x >= gte) && (Lt is not { } lt || x < lt) && (Lte is not { } lte || x <= lte);
}

/// <summary>
/// Some value of the field is a date-time (an RFC 3339 string, see <see cref="Datetimes"/>) within all the given bounds,
/// compared as instants (to the microsecond).
/// </summary>
public sealed record DatetimeRangeCondition(string Key, DateTimeOffset? Gt = null, DateTimeOffset? Gte = null, DateTimeOffset? Lt = null, DateTimeOffset? Lte = null) : Condition
{
    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        PayloadPath.Values(payload, Key).Any(v => Datetimes.TryRead(v, out double instant) && AsRange().Contains(instant));

    /// <summary>The same bounds in microseconds since the Unix epoch, as a datetime index holds values.</summary>
    public RangeCondition AsRange() => new(Key, Datetimes.Microseconds(Gt), Datetimes.Microseconds(Gte), Datetimes.Microseconds(Lt), Datetimes.Microseconds(Lte));
}

/// <summary>
/// Date-times as Qdrant reads them: RFC 3339 (<c>2023-02-08T10:49:00Z</c>, with an offset, fractions of a second), also
/// with a space for the <c>T</c>, without a zone (UTC), or a date alone (midnight UTC); as microseconds since the epoch.
/// </summary>
public static class Datetimes
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd' 'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd' 'HH:mmK", "yyyy-MM-dd",
    ];

    /// <summary>Parses a date-time; false for anything else.</summary>
    public static bool TryParse(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParseExact(text, Formats, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out value);

    /// <summary>A JSON string holding a date-time, as microseconds since the epoch.</summary>
    public static bool TryRead(JsonElement value, out double microseconds)
    {
        microseconds = 0;
        if (value.ValueKind != JsonValueKind.String || !TryParse(value.GetString()!, out var instant))
        {
            return false;
        }

        microseconds = Microseconds(instant)!.Value;
        return true;
    }

    /// <summary>Microseconds since the Unix epoch (exact in a double for centuries either side).</summary>
    public static double? Microseconds(DateTimeOffset? instant) =>
        instant is { } value ? (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerMicrosecond : null;
}

/// <summary>Resolves payload key paths to the values they name.</summary>
internal static class PayloadPath
{
    /// <summary>Values at the path, with arrays at the end flattened into their elements.</summary>
    public static IEnumerable<JsonElement> Values(Payload? payload, string key)
    {
        foreach (var value in Raw(payload, key))
        {
            if (value.ValueKind == JsonValueKind.Array)
            {
                foreach (var element in value.EnumerateArray())
                {
                    yield return element;
                }
            }
            else
            {
                yield return value;
            }
        }
    }

    /// <summary>Values at the path as stored (arrays not flattened). <c>a[].b</c> steps into every element of <c>a</c>.</summary>
    public static IEnumerable<JsonElement> Raw(Payload? payload, string key)
    {
        if (payload is null)
        {
            return [];
        }

        IEnumerable<JsonElement> current = [payload.Root];
        foreach (string segment in key.Split('.'))
        {
            bool intoArray = segment.EndsWith("[]", StringComparison.Ordinal);
            string name = intoArray ? segment[..^2] : segment;
            current = current.SelectMany(element => Step(element, name, intoArray)).ToList();
        }

        return current;
    }

    public static bool ValueEquals(JsonElement stored, JsonElement wanted) => (stored.ValueKind, wanted.ValueKind) switch
    {
        (JsonValueKind.String, JsonValueKind.String) => stored.ValueEquals(wanted.GetString()),
        (JsonValueKind.Number, JsonValueKind.Number) => stored.TryGetInt64(out long a) && wanted.TryGetInt64(out long b)
            ? a == b
            : stored.TryGetDouble(out double x) && double.IsFinite(x) && wanted.TryGetDouble(out double y) && x == y, // numbers beyond double's range match nothing
        (JsonValueKind.True or JsonValueKind.False, JsonValueKind.True or JsonValueKind.False) => stored.ValueKind == wanted.ValueKind,
        _ => false,
    };

    private static List<JsonElement> Step(JsonElement element, string name, bool intoArray)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var child))
        {
            return [];
        }

        if (!intoArray)
        {
            return [child];
        }

        return child.ValueKind == JsonValueKind.Array ? [.. child.EnumerateArray()] : [];
    }
}

/// <summary>Shorthands for building conditions in code, e.g. <c>new Filter(Must: [Conditions.Match("city", "Berlin")])</c>.</summary>
public static class Conditions
{
    /// <summary>The field (or an element of it) equals the string.</summary>
    public static MatchValueCondition Match(string key, string value) => new(key, JsonSerializer.SerializeToElement(value));

    /// <summary>The field (or an element of it) equals the integer.</summary>
    public static MatchValueCondition Match(string key, long value) => new(key, JsonSerializer.SerializeToElement(value));

    /// <summary>The field (or an element of it) equals the boolean.</summary>
    public static MatchValueCondition Match(string key, bool value) => new(key, JsonSerializer.SerializeToElement(value));

    /// <summary>The field (or an element of it) is one of the strings.</summary>
    public static MatchAnyCondition MatchAny(string key, params IEnumerable<string> values) =>
        new(key, [.. values.Select(v => JsonSerializer.SerializeToElement(v))]);

    /// <summary>A numeric value of the field lies within the bounds.</summary>
    public static RangeCondition Range(string key, double? gt = null, double? gte = null, double? lt = null, double? lte = null) =>
        new(key, gt, gte, lt, lte);
}
