using VectorDb.Distance;

namespace VectorDb;

/// <summary>Conversions between a metric's internal distance and its user-facing score.</summary>
public static class DistanceMetricExtensions
{
    /// <summary>True when a higher score means more similar (cosine, dot).</summary>
    public static bool HigherIsBetter(this DistanceMetric metric) => metric is DistanceMetric.Cosine or DistanceMetric.Dot;

    /// <summary>The score reported to users for an internal distance (lower-is-better) value.</summary>
    public static float ToScore(this DistanceMetric metric, float distance) => metric switch
    {
        DistanceMetric.Cosine or DistanceMetric.Dot => -distance,
        DistanceMetric.Euclid => MathF.Sqrt(MathF.Max(distance, 0f)),
        _ => distance,
    };

    /// <summary>The internal distance for a user-facing score; inverse of <see cref="ToScore"/>.</summary>
    public static float FromScore(this DistanceMetric metric, float score) => metric switch
    {
        DistanceMetric.Cosine or DistanceMetric.Dot => -score,
        DistanceMetric.Euclid => score * score,
        _ => score,
    };

    /// <summary>Distance between two prepared vectors, lower is closer.</summary>
    public static float Distance(this DistanceMetric metric, ReadOnlySpan<float> x, ReadOnlySpan<float> y) => metric switch
    {
        DistanceMetric.Cosine or DistanceMetric.Dot => -VectorMath.Dot(x, y),
        DistanceMetric.Euclid => VectorMath.SquaredEuclidean(x, y),
        DistanceMetric.Manhattan => VectorMath.Manhattan(x, y),
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown distance metric."),
    };
}
