using System.Text.Json;

namespace VectorDb.Query;

/// <summary>A point on the Earth: longitude and latitude in degrees (Qdrant's <c>{"lon", "lat"}</c>).</summary>
public readonly record struct GeoPoint(double Lon, double Lat)
{
    /// <summary>The Earth's mean radius in metres, as the haversine distance uses it.</summary>
    public const double EarthRadiusMeters = 6_371_008.8;

    /// <summary>True when longitude lies in [-180, 180] and latitude in [-90, 90].</summary>
    public bool IsValid => Lon is >= -180 and <= 180 && Lat is >= -90 and <= 90;

    /// <summary>Great-circle distance in metres (haversine).</summary>
    public double DistanceTo(GeoPoint other)
    {
        double lat1 = double.DegreesToRadians(Lat), lat2 = double.DegreesToRadians(other.Lat);
        double dLat = lat2 - lat1, dLon = double.DegreesToRadians(other.Lon - Lon);
        double h = (Math.Sin(dLat / 2) * Math.Sin(dLat / 2)) + (Math.Cos(lat1) * Math.Cos(lat2) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2));
        return 2 * EarthRadiusMeters * Math.Asin(Math.Min(1, Math.Sqrt(h)));
    }

    /// <summary>A payload value that is a geo point (an object with numeric <c>lon</c> and <c>lat</c>, valid).</summary>
    public static bool TryRead(JsonElement value, out GeoPoint point)
    {
        point = default;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("lon", out var lon) || lon.ValueKind != JsonValueKind.Number
            || !value.TryGetProperty("lat", out var lat) || lat.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        point = new GeoPoint(lon.GetDouble(), lat.GetDouble());
        return point.IsValid;
    }
}

/// <summary>A condition on the geo points at a key: some point lies within a region.</summary>
public abstract record GeoCondition(string Key) : Condition
{
    /// <summary>True when the region holds the point.</summary>
    public abstract bool Contains(GeoPoint point);

    /// <inheritdoc />
    public override bool Matches(PointId id, Payload? payload) =>
        PayloadPath.Values(payload, Key).Any(v => GeoPoint.TryRead(v, out var point) && Contains(point));
}

/// <summary>Within <see cref="RadiusMeters"/> of <see cref="Center"/> (great-circle distance).</summary>
public sealed record GeoRadiusCondition(string Key, GeoPoint Center, double RadiusMeters) : GeoCondition(Key)
{
    /// <inheritdoc />
    public override bool Contains(GeoPoint point) => Center.DistanceTo(point) <= RadiusMeters;
}

/// <summary>
/// Within the box from <see cref="TopLeft"/> to <see cref="BottomRight"/>, borders included; a box whose left edge
/// lies east of its right edge crosses the antimeridian.
/// </summary>
public sealed record GeoBoundingBoxCondition(string Key, GeoPoint TopLeft, GeoPoint BottomRight) : GeoCondition(Key)
{
    /// <inheritdoc />
    public override bool Contains(GeoPoint point) =>
        point.Lat <= TopLeft.Lat && point.Lat >= BottomRight.Lat
        && (TopLeft.Lon <= BottomRight.Lon
            ? point.Lon >= TopLeft.Lon && point.Lon <= BottomRight.Lon
            : point.Lon >= TopLeft.Lon || point.Lon <= BottomRight.Lon);
}

/// <summary>Inside the <see cref="Exterior"/> ring and outside every ring of <see cref="Interiors"/> (rings closed, on the lon/lat plane).</summary>
public sealed record GeoPolygonCondition(string Key, IReadOnlyList<GeoPoint> Exterior, IReadOnlyList<IReadOnlyList<GeoPoint>> Interiors) : GeoCondition(Key)
{
    /// <inheritdoc />
    public override bool Contains(GeoPoint point) => Inside(Exterior, point) && !Interiors.Any(ring => Inside(ring, point));

    /// <summary>Ray casting: how many edges a ray eastwards from the point crosses, odd meaning inside.</summary>
    private static bool Inside(IReadOnlyList<GeoPoint> ring, GeoPoint point)
    {
        bool inside = false;
        for (int i = 0, j = ring.Count - 1; i < ring.Count; j = i++)
        {
            var (a, b) = (ring[i], ring[j]);
            if ((a.Lat > point.Lat) != (b.Lat > point.Lat)
                && point.Lon < ((b.Lon - a.Lon) * (point.Lat - a.Lat) / (b.Lat - a.Lat)) + a.Lon)
            {
                inside = !inside;
            }
        }

        return inside;
    }
}
