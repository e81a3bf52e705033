using System.Text.Json;

namespace VectorDb;

/// <summary>
/// Rescores the points of a stage's prefetches by an expression of their prefetch scores, payload values and conditions
/// (Qdrant's score boosting). Variables: <c>$score</c> (the first prefetch's score), <c>$score[i]</c> (the i-th's; a
/// point a prefetch did not return scores 0 unless <see cref="Defaults"/> gives one) and payload keys (a number;
/// <see cref="Defaults"/> stands in for a point lacking it, else the query fails). Higher results rank first.
/// </summary>
/// <param name="Formula">The expression.</param>
/// <param name="Defaults">Values for variables a point lacks, by variable name (<c>$score[1]</c>, a payload key).</param>
public sealed record FormulaQuery(FormulaExpression Formula, IReadOnlyDictionary<string, JsonElement>? Defaults = null) : QueryExpression;

/// <summary>A node of a formula; one of the records deriving from it.</summary>
public abstract record FormulaExpression;

/// <summary>A number.</summary>
public sealed record ConstantTerm(double Value) : FormulaExpression;

/// <summary>A variable: <c>$score</c>, <c>$score[i]</c>, or a payload key.</summary>
public sealed record VariableTerm(string Name) : FormulaExpression;

/// <summary>1 when the point satisfies the condition, else 0.</summary>
public sealed record ConditionTerm(Query.Condition Condition) : FormulaExpression;

/// <summary>Metres from <see cref="Origin"/> to the geo point at the payload key (haversine).</summary>
public sealed record GeoDistanceTerm(Query.GeoPoint Origin, string Key) : FormulaExpression;

/// <summary>A date-time as seconds since the epoch: a constant, or the payload key's value.</summary>
public sealed record DatetimeTerm(DateTimeOffset? Constant, string? Key) : FormulaExpression;

/// <summary>An operation on sub-expressions.</summary>
/// <param name="Operator">What to compute.</param>
/// <param name="Operands">Sum and Mult take any number; Div and Pow two; the others one.</param>
/// <param name="ByZeroDefault">Div's result when the divisor is 0 (else the query fails).</param>
public sealed record OperationTerm(FormulaOperator Operator, IReadOnlyList<FormulaExpression> Operands, double? ByZeroDefault = null) : FormulaExpression;

/// <summary>Operators of <see cref="OperationTerm"/>.</summary>
public enum FormulaOperator
{
    /// <summary>Sum of the operands.</summary>
    Sum,

    /// <summary>Product of the operands.</summary>
    Mult,

    /// <summary>Negation.</summary>
    Neg,

    /// <summary>Absolute value.</summary>
    Abs,

    /// <summary>First operand divided by the second.</summary>
    Div,

    /// <summary>Square root.</summary>
    Sqrt,

    /// <summary>First operand to the power of the second.</summary>
    Pow,

    /// <summary>e to the power of the operand.</summary>
    Exp,

    /// <summary>Base-10 logarithm.</summary>
    Log10,

    /// <summary>Natural logarithm.</summary>
    Ln,
}

/// <summary>
/// A decay of <see cref="X"/>'s distance from <see cref="Target"/> into (0, 1]: 1 at the target, <see cref="Midpoint"/>
/// at <see cref="Scale"/> away. Linear: max(0, 1 − λ·|x − t|), λ = (1 − midpoint)/scale; exponential: e^(λ·|x − t|),
/// λ = ln(midpoint)/scale; Gaussian: e^(λ·(x − t)²), λ = ln(midpoint)/scale².
/// </summary>
public sealed record DecayTerm(DecayKind Kind, FormulaExpression X, FormulaExpression? Target = null, double Scale = 1, double Midpoint = 0.5) : FormulaExpression;

/// <summary>Shapes of <see cref="DecayTerm"/>.</summary>
public enum DecayKind
{
    /// <summary>Linear.</summary>
    Linear,

    /// <summary>Exponential.</summary>
    Exponential,

    /// <summary>Gaussian.</summary>
    Gaussian,
}
