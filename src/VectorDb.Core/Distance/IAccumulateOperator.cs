using System.Runtime.Intrinsics;

namespace VectorDb.Distance;

/// <summary>
/// One step of an element-wise reduction over two vectors, in every width the driver in
/// <see cref="VectorMath"/> uses. Implementations are structs with static members so the JIT
/// specialises the driver per operator and nothing is dispatched virtually in the hot loop.
/// </summary>
/// <remarks>
/// Lanes where both inputs are zero must contribute nothing: the driver zeroes the lanes of the
/// last, overlapping vector that were already counted.
/// </remarks>
internal interface IAccumulateOperator
{
    static abstract float Invoke(float accumulator, float x, float y);

    static abstract Vector256<float> Invoke(Vector256<float> accumulator, Vector256<float> x, Vector256<float> y);

    static abstract Vector512<float> Invoke(Vector512<float> accumulator, Vector512<float> x, Vector512<float> y);
}

/// <summary>Σ x·y with fused multiply-add.</summary>
internal readonly struct DotOperator : IAccumulateOperator
{
    public static float Invoke(float accumulator, float x, float y) => MathF.FusedMultiplyAdd(x, y, accumulator);

    public static Vector256<float> Invoke(Vector256<float> accumulator, Vector256<float> x, Vector256<float> y) =>
        Vector256.FusedMultiplyAdd(x, y, accumulator);

    public static Vector512<float> Invoke(Vector512<float> accumulator, Vector512<float> x, Vector512<float> y) =>
        Vector512.FusedMultiplyAdd(x, y, accumulator);
}

/// <summary>Σ (x−y)².</summary>
internal readonly struct SquaredDifferenceOperator : IAccumulateOperator
{
    public static float Invoke(float accumulator, float x, float y)
    {
        float d = x - y;
        return MathF.FusedMultiplyAdd(d, d, accumulator);
    }

    public static Vector256<float> Invoke(Vector256<float> accumulator, Vector256<float> x, Vector256<float> y)
    {
        var d = x - y;
        return Vector256.FusedMultiplyAdd(d, d, accumulator);
    }

    public static Vector512<float> Invoke(Vector512<float> accumulator, Vector512<float> x, Vector512<float> y)
    {
        var d = x - y;
        return Vector512.FusedMultiplyAdd(d, d, accumulator);
    }
}

/// <summary>Σ |x−y|.</summary>
internal readonly struct AbsoluteDifferenceOperator : IAccumulateOperator
{
    public static float Invoke(float accumulator, float x, float y) => accumulator + MathF.Abs(x - y);

    public static Vector256<float> Invoke(Vector256<float> accumulator, Vector256<float> x, Vector256<float> y) =>
        accumulator + Vector256.Abs(x - y);

    public static Vector512<float> Invoke(Vector512<float> accumulator, Vector512<float> x, Vector512<float> y) =>
        accumulator + Vector512.Abs(x - y);
}
