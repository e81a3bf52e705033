using Microsoft.Extensions.VectorData;

namespace VectorDb.VectorData;

/// <summary>
/// How an MEVD distance function maps onto one of the engine's metrics, and how the engine's score (Qdrant's conventions:
/// cosine and dot are similarities, Euclid and Manhattan distances) becomes the function's score and back.
/// </summary>
internal sealed class Scoring
{
    private readonly Func<double, double> _toScore;

    private Scoring(string function, DistanceMetric metric, bool higherIsBetter, Func<double, double> toScore)
    {
        Function = function;
        Metric = metric;
        HigherIsBetter = higherIsBetter;
        _toScore = toScore;
    }

    /// <summary>The MEVD distance function's name.</summary>
    public string Function { get; }

    /// <summary>The engine metric the collection is created with.</summary>
    public DistanceMetric Metric { get; }

    /// <summary>True when a higher score of <see cref="Function"/> means more similar.</summary>
    public bool HigherIsBetter { get; }

    /// <summary>The functions we serve (the default is cosine similarity, as in most embedding models).</summary>
    public static Scoring For(string? function) => function switch
    {
        null or DistanceFunction.CosineSimilarity => new(DistanceFunction.CosineSimilarity, DistanceMetric.Cosine, true, s => s),
        DistanceFunction.CosineDistance => new(function, DistanceMetric.Cosine, false, s => 1 - s),
        DistanceFunction.DotProductSimilarity => new(function, DistanceMetric.Dot, true, s => s),
        DistanceFunction.NegativeDotProductSimilarity => new(function, DistanceMetric.Dot, false, s => -s),
        DistanceFunction.EuclideanDistance => new(function, DistanceMetric.Euclid, false, s => s),
        DistanceFunction.EuclideanSquaredDistance => new(function, DistanceMetric.Euclid, false, s => s * s),
        DistanceFunction.ManhattanDistance => new(function, DistanceMetric.Manhattan, false, s => s),
        _ => throw new NotSupportedException(
            $"Distance function '{function}' is not supported by VectorDb; use {DistanceFunction.CosineSimilarity}, {DistanceFunction.CosineDistance}, " +
            $"{DistanceFunction.DotProductSimilarity}, {DistanceFunction.NegativeDotProductSimilarity}, {DistanceFunction.EuclideanDistance}, " +
            $"{DistanceFunction.EuclideanSquaredDistance} or {DistanceFunction.ManhattanDistance}."),
    };

    /// <summary>The function's score for the engine's score of a hit.</summary>
    public double ToScore(float engineScore) => _toScore(engineScore);

    /// <summary>True when a hit's score (in the function's units) passes MEVD's <c>ScoreThreshold</c>.</summary>
    public bool Passes(double score, double threshold) => HigherIsBetter ? score >= threshold : score <= threshold;
}
