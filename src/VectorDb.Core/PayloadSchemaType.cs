namespace VectorDb;

/// <summary>The kind of a payload field index, named as in Qdrant's <c>field_schema</c>.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Qdrant's schema names, which users type.")]
public enum PayloadSchemaType
{
    /// <summary>Exact string values: match value / any / except.</summary>
    Keyword,

    /// <summary>Numbers, for match on integers and range.</summary>
    Integer,

    /// <summary>Numbers, for range.</summary>
    Float,

    /// <summary>true / false.</summary>
    Bool,

    /// <summary>UUID strings, matched exactly as written.</summary>
    Uuid,

    /// <summary>Text split into tokens (<see cref="TextIndexOptions"/>): full-text match, match any token, phrase.</summary>
    Text,

    /// <summary>RFC 3339 date-times (strings), for datetime ranges.</summary>
    Datetime,

    /// <summary>Geo points (<c>{"lon", "lat"}</c>), for radius, bounding box and polygon conditions.</summary>
    Geo,
}

/// <summary>A field index as reported to users.</summary>
/// <param name="Key">The payload key path it indexes.</param>
/// <param name="Schema">Its kind.</param>
/// <param name="Points">How many points have at least one value it indexes.</param>
/// <param name="IsTenant">True when each value (held by enough points) has a graph of its own, for filters on one value.</param>
/// <param name="Text">A text index's analysis; null for other kinds.</param>
public sealed record PayloadIndexInfo(string Key, PayloadSchemaType Schema, int Points, bool IsTenant = false, TextIndexOptions? Text = null);
