using System.Runtime.CompilerServices;

namespace VectorDb.Distance;

/// <summary>
/// A distance where lower means closer, between a float32 query already prepared for the metric (normalised for
/// cosine) and a stored row in the index's <see cref="VectorDataType"/>. Struct implementations let the graph code
/// be specialised per metric and row format by the JIT.
/// </summary>
internal interface IDistanceFunction
{
    /// <summary>True when the distance is a sum of per-dimension terms that are never negative (L2², L1): a partial
    /// sum over some dimensions is then a lower bound of the whole, which lets rescoring stop early.</summary>
    static virtual bool SumsNonNegativeTerms => false;

    /// <summary>Bytes per stored element of the rows this distance reads.</summary>
    static abstract int ElementBytes { get; }

    static abstract float Compute(ref float query, ref byte row, nuint length);
}

/// <summary>−(x·y): dot and cosine (on normalised vectors) as a distance.</summary>
internal readonly struct NegativeDotDistance<TRow> : IDistanceFunction
    where TRow : struct, IRowFormat
{
    public static int ElementBytes => TRow.ElementBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float query, ref byte row, nuint length) => -TRow.Aggregate<DotOperator>(ref query, ref row, length);
}

/// <summary>
/// A sum of per-dimension terms that are never negative: squared L2 (<see cref="SquaredDifferenceOperator"/>, whose
/// ordering equals L2's, the square root taken only for reported scores) and L1 (<see cref="AbsoluteDifferenceOperator"/>).
/// </summary>
/// <typeparam name="TRow">The stored rows' format.</typeparam>
/// <typeparam name="TTerm">The per-dimension term; it must never be negative (<see cref="SumsNonNegativeTerms"/>).</typeparam>
internal readonly struct NonNegativeSumDistance<TRow, TTerm> : IDistanceFunction
    where TRow : struct, IRowFormat
    where TTerm : struct, IAccumulateOperator
{
    public static bool SumsNonNegativeTerms => true;

    public static int ElementBytes => TRow.ElementBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Compute(ref float query, ref byte row, nuint length) => TRow.Aggregate<TTerm>(ref query, ref row, length);
}
