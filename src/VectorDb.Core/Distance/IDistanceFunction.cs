using System.Runtime.CompilerServices;

namespace VectorDb.Distance;

/// <summary>
/// A distance where lower means closer, over vectors already prepared for the metric (normalised for
/// cosine). Struct implementations let the graph code be specialised per metric by the JIT.
/// </summary>
internal interface IDistanceFunction
{
    /// <summary>True when the distance is a sum of per-dimension terms that are never negative (L2², L1): a partial
    /// sum over some dimensions is then a lower bound of the whole, which lets rescoring stop early.</summary>
    static virtual bool SumsNonNegativeTerms => false;

    static abstract float Compute(ref float x, ref float y, nuint length);
}

/// <summary>−(x·y): dot and cosine (on normalised vectors) as a distance.</summary>
internal readonly struct NegativeDotDistance : IDistanceFunction
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float x, ref float y, nuint length) => -VectorMath.Aggregate<DotOperator>(ref x, ref y, length);
}

/// <summary>Squared L2: ordering equals L2's, and the square root is taken only for reported scores.</summary>
internal readonly struct SquaredEuclideanDistance : IDistanceFunction
{
    public static bool SumsNonNegativeTerms => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float x, ref float y, nuint length) => VectorMath.Aggregate<SquaredDifferenceOperator>(ref x, ref y, length);
}

/// <summary>L1.</summary>
internal readonly struct ManhattanDistance : IDistanceFunction
{
    public static bool SumsNonNegativeTerms => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float x, ref float y, nuint length) => VectorMath.Aggregate<AbsoluteDifferenceOperator>(ref x, ref y, length);
}
