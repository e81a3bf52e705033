using System.Globalization;
using System.Text.Json;
using VectorDb.Query;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Formula queries (score boosting) from Qdrant's protobuf expressions into the engine's <see cref="FormulaExpression"/>,
/// with the REST reader's rules: bounded nesting, RFC 3339 date-times, conditions read as filters read them.
/// </summary>
internal static class ProtoFormulas
{
    private const int MaxDepth = 32;

    /// <summary>A formula query and its variables' defaults.</summary>
    public static FormulaQuery Read(Proto.Formula formula, string path) => new(
        Expression(formula.Expression ?? throw new InvalidRequestException($"`{path}.expression` is required."), $"{path}.expression", 0),
        formula.Defaults.Count == 0 ? null : formula.Defaults.ToDictionary(d => d.Key, d => ProtoValues.Json(d.Value, $"{path}.defaults.{d.Key}"), StringComparer.Ordinal));

    private static FormulaExpression Expression(Proto.Expression? expression, string path, int depth)
    {
        if (expression is null)
        {
            throw new InvalidRequestException($"`{path}` is required.");
        }

        if (depth > MaxDepth)
        {
            throw new InvalidRequestException($"`{path}`: formulas nest at most {MaxDepth} levels deep.");
        }

        FormulaExpression Inner(Proto.Expression? inner, string name) => Expression(inner, $"{path}.{name}", depth + 1);
        List<FormulaExpression> List(IList<Proto.Expression> items, string name) => [.. items.Select((item, i) => Expression(item, $"{path}.{name}[{i}]", depth + 1))];
        OperationTerm Unary(FormulaOperator op, Proto.Expression operand, string name) => new(op, [Inner(operand, name)]);

        return expression.VariantCase switch
        {
            Proto.Expression.VariantOneofCase.Constant => new ConstantTerm(Number(expression.Constant, $"{path}.constant")),
            Proto.Expression.VariantOneofCase.Variable => new VariableTerm(expression.Variable),
            Proto.Expression.VariantOneofCase.Condition => new ConditionTerm(ProtoFilters.Condition(expression.Condition, $"{path}.condition")),
            Proto.Expression.VariantOneofCase.GeoDistance => new GeoDistanceTerm(
                ProtoFilters.Point(expression.GeoDistance.Origin, $"{path}.geo_distance.origin"),
                expression.GeoDistance.To.Length > 0 ? expression.GeoDistance.To : throw new InvalidRequestException($"`{path}.geo_distance.to` (a payload key) is required.")),
            Proto.Expression.VariantOneofCase.Datetime => new DatetimeTerm(
                Datetimes.TryParse(expression.Datetime, out var instant) ? instant : throw new InvalidRequestException($"`{path}.datetime` is not an RFC 3339 date-time: {expression.Datetime}."), null),
            Proto.Expression.VariantOneofCase.DatetimeKey => new DatetimeTerm(null, expression.DatetimeKey),
            Proto.Expression.VariantOneofCase.Sum => new OperationTerm(FormulaOperator.Sum, List(expression.Sum.Sum, "sum")),
            Proto.Expression.VariantOneofCase.Mult => new OperationTerm(FormulaOperator.Mult, List(expression.Mult.Mult, "mult")),
            Proto.Expression.VariantOneofCase.Div => new OperationTerm(FormulaOperator.Div,
                [Inner(expression.Div.Left, "div.left"), Inner(expression.Div.Right, "div.right")],
                expression.Div.HasByZeroDefault ? Number(expression.Div.ByZeroDefault, $"{path}.div.by_zero_default") : null),
            Proto.Expression.VariantOneofCase.Pow => new OperationTerm(FormulaOperator.Pow, [Inner(expression.Pow.Base, "pow.base"), Inner(expression.Pow.Exponent, "pow.exponent")]),
            Proto.Expression.VariantOneofCase.Neg => Unary(FormulaOperator.Neg, expression.Neg, "neg"),
            Proto.Expression.VariantOneofCase.Abs => Unary(FormulaOperator.Abs, expression.Abs, "abs"),
            Proto.Expression.VariantOneofCase.Sqrt => Unary(FormulaOperator.Sqrt, expression.Sqrt, "sqrt"),
            Proto.Expression.VariantOneofCase.Exp => Unary(FormulaOperator.Exp, expression.Exp, "exp"),
            Proto.Expression.VariantOneofCase.Log10 => Unary(FormulaOperator.Log10, expression.Log10, "log10"),
            Proto.Expression.VariantOneofCase.Ln => Unary(FormulaOperator.Ln, expression.Ln, "ln"),
            Proto.Expression.VariantOneofCase.LinDecay => Decay(DecayKind.Linear, expression.LinDecay, $"{path}.lin_decay", depth),
            Proto.Expression.VariantOneofCase.ExpDecay => Decay(DecayKind.Exponential, expression.ExpDecay, $"{path}.exp_decay", depth),
            Proto.Expression.VariantOneofCase.GaussDecay => Decay(DecayKind.Gaussian, expression.GaussDecay, $"{path}.gauss_decay", depth),
            Proto.Expression.VariantOneofCase.Acosh or Proto.Expression.VariantOneofCase.Max or Proto.Expression.VariantOneofCase.Min =>
                throw new InvalidRequestException($"`{path}.{JsonNamingPolicy.SnakeCaseLower.ConvertName(expression.VariantCase.ToString())}` is not supported yet (over REST either): use sum, mult, div, pow, neg, abs, sqrt, exp, log10, ln or a decay."),
            _ => throw new InvalidRequestException($"`{path}` names no kind of expression."),
        };
    }

    private static DecayTerm Decay(DecayKind kind, Proto.DecayParamsExpression decay, string path, int depth) => new(
        kind,
        Expression(decay.X, $"{path}.x", depth + 1),
        decay.Target is null ? null : Expression(decay.Target, $"{path}.target", depth + 1),
        decay.HasScale ? Number(decay.Scale, $"{path}.scale") : 1,
        decay.HasMidpoint ? Number(decay.Midpoint, $"{path}.midpoint") : 0.5);

    /// <summary>
    /// A protobuf float as the double its shortest text means (0.1f as 0.1, as JSON's 0.1 is read), so both APIs score
    /// alike; NaN and infinities, which JSON cannot carry, are refused.
    /// </summary>
    private static double Number(float value, string path) => float.IsFinite(value)
        ? double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)
        : throw new InvalidRequestException($"`{path}` must be a finite number, got {value}.");
}
