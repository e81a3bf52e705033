using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace VectorDb;

/// <summary>
/// A point's external id: an unsigned 64-bit integer or a UUID, as in Qdrant. The two kinds never
/// compare equal, even when their bits coincide.
/// </summary>
public readonly struct PointId : IEquatable<PointId>, IComparable<PointId>
{
    private readonly Guid _uuid;
    private readonly ulong _number;

    /// <summary>Creates an integer id.</summary>
    public PointId(ulong number)
    {
        _number = number;
        _uuid = Guid.Empty;
        IsUuid = false;
    }

    /// <summary>Creates a UUID id.</summary>
    public PointId(Guid uuid)
    {
        _uuid = uuid;
        _number = 0;
        IsUuid = true;
    }

    /// <summary>True for a UUID id, false for an integer id.</summary>
    public bool IsUuid { get; }

    /// <summary>The integer value.</summary>
    /// <exception cref="InvalidOperationException">The id is a UUID.</exception>
    public ulong Number => IsUuid ? throw new InvalidOperationException("This point id is a UUID.") : _number;

    /// <summary>The UUID value.</summary>
    /// <exception cref="InvalidOperationException">The id is an integer.</exception>
    public Guid Uuid => IsUuid ? _uuid : throw new InvalidOperationException("This point id is an integer.");

    /// <summary>Converts an integer to an id.</summary>
    public static implicit operator PointId(ulong number) => new(number);

    /// <summary>Converts a UUID to an id.</summary>
    public static implicit operator PointId(Guid uuid) => new(uuid);

    /// <summary>Equality.</summary>
    public static bool operator ==(PointId left, PointId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(PointId left, PointId right) => !left.Equals(right);

    /// <summary>Ordering: integers first (numerically), then UUIDs.</summary>
    public static bool operator <(PointId left, PointId right) => left.CompareTo(right) < 0;

    /// <summary>Ordering: integers first (numerically), then UUIDs.</summary>
    public static bool operator >(PointId left, PointId right) => left.CompareTo(right) > 0;

    /// <summary>Ordering: integers first (numerically), then UUIDs.</summary>
    public static bool operator <=(PointId left, PointId right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering: integers first (numerically), then UUIDs.</summary>
    public static bool operator >=(PointId left, PointId right) => left.CompareTo(right) >= 0;

    /// <summary>Parses an unsigned integer or a UUID in any format <see cref="Guid.TryParse(string?, out Guid)"/> accepts.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out PointId id)
    {
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong number))
        {
            id = new PointId(number);
            return true;
        }

        if (Guid.TryParse(text, out Guid uuid))
        {
            id = new PointId(uuid);
            return true;
        }

        id = default;
        return false;
    }

    /// <inheritdoc />
    public bool Equals(PointId other) => IsUuid == other.IsUuid && _number == other._number && _uuid == other._uuid;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PointId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => IsUuid ? _uuid.GetHashCode() : _number.GetHashCode();

    /// <inheritdoc />
    public int CompareTo(PointId other)
    {
        if (IsUuid != other.IsUuid)
        {
            return IsUuid ? 1 : -1;
        }

        return IsUuid ? _uuid.CompareTo(other._uuid) : _number.CompareTo(other._number);
    }

    /// <summary>The integer in decimal, or the UUID in its hyphenated lower-case form.</summary>
    public override string ToString() => IsUuid ? _uuid.ToString("D") : _number.ToString(CultureInfo.InvariantCulture);

    /// <summary>A point id as Qdrant writes it in JSON: an unsigned integer or a UUID string.</summary>
    /// <exception cref="InvalidRequestException">Anything else.</exception>
    public static PointId FromJson(System.Text.Json.JsonElement element) => element.ValueKind switch
    {
        System.Text.Json.JsonValueKind.Number when element.TryGetUInt64(out ulong number) => new PointId(number),
        System.Text.Json.JsonValueKind.String when Guid.TryParse(JsonText.Read(element, "A point id"), out var uuid) => new PointId(uuid),
        System.Text.Json.JsonValueKind.Undefined => throw new InvalidRequestException("A point id is missing."),
        _ => throw new InvalidRequestException(
            $"Point id {element.GetRawText()} is invalid: use an unsigned integer or a UUID string."),
    };

    /// <summary>A JSON list of point ids.</summary>
    /// <exception cref="InvalidRequestException">Not a list of valid ids.</exception>
    public static IReadOnlyList<PointId> ListFromJson(System.Text.Json.JsonElement element) => element.ValueKind == System.Text.Json.JsonValueKind.Array
        ? [.. element.EnumerateArray().Select(FromJson)]
        : throw new InvalidRequestException("Expected a list of point ids.");
}
