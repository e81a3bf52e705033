using System.Globalization;
using System.Text.Json;
using VectorDb.Query;
using VectorDb.Query.PayloadIndexing;
using VectorDb.Querying;

namespace VectorDb;

/// <summary>Formula rescoring of a stage's prefetched points.</summary>
public sealed partial class Collection
{
    private sealed partial class QueryRun
    {
        /// <summary>Scores the union of the prefetches' points by the formula, best first.</summary>
        private StageResult ScoreFormula(PointQuery stage, FormulaQuery query, List<StageResult> legs, int wanted)
        {
            var scores = legs.Select(leg => leg.Hits.GroupBy(hit => hit.Node).ToDictionary(group => group.Key, group => (double)leg.Present(group.First()))).ToList();
            int[] candidates = [.. legs.SelectMany(leg => leg.Hits).Select(hit => hit.Node).Distinct().Where(node => !_excluded.Contains(node)).Order()];
            var evaluator = new FormulaEvaluator(collection, query, scores);
            var hits = new List<Hit>(candidates.Length);
            foreach (int node in candidates)
            {
                cancellation.ThrowIfCancellationRequested();
                hits.Add(new Hit(node, evaluator.Score(node)));
            }

            hits.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Node.CompareTo(b.Node));
            return new StageResult(hits.Count > wanted ? hits[..wanted] : hits, null, Explained(stage, "formula over prefetched points", candidates.Length, null));
        }
    }

    /// <summary>Evaluates one formula for many points: conditions compiled once, variables read per point.</summary>
    private sealed class FormulaEvaluator
    {
        private readonly Collection _collection;
        private readonly FormulaQuery _query;
        private readonly IReadOnlyList<Dictionary<int, double>> _scores;
        private readonly Dictionary<Condition, NodePredicate> _conditions = new(ReferenceEqualityComparer.Instance);

        public FormulaEvaluator(Collection collection, FormulaQuery query, IReadOnlyList<Dictionary<int, double>> scores)
        {
            (_collection, _query, _scores) = (collection, query, scores);
            Prepare(query.Formula);
        }

        /// <summary>The formula's value for a point.</summary>
        /// <exception cref="InvalidRequestException">A variable the point lacks without a default, a value of the wrong type, or a result that is not a finite number.</exception>
        public float Score(int node)
        {
            double value = Evaluate(_query.Formula, node);
            float score = (float)value;
            return float.IsFinite(score)
                ? score
                : throw new InvalidRequestException($"The formula is not a finite number for point {_collection._table.Stored(node)?.Id}: {value}.");
        }

        /// <summary>Checks the formula's constants and compiles its conditions before any point is scored.</summary>
        private void Prepare(FormulaExpression expression)
        {
            switch (expression)
            {
                case VariableTerm { Name: var name } when ScoreIndex(name) is int index && index >= _scores.Count:
                    throw new InvalidRequestException($"Formula variable `{name}` names prefetch {index}, but the stage has {_scores.Count}.");
                case ConditionTerm { Condition: var condition }:
                    _conditions[condition] = FilterCompiler.Compile(condition, _collection._payloadIndexes, _collection._table);
                    break;
                case OperationTerm operation:
                    int expected = operation.Operator switch { FormulaOperator.Sum or FormulaOperator.Mult => -1, FormulaOperator.Div or FormulaOperator.Pow => 2, _ => 1 };
                    if (expected >= 0 && operation.Operands.Count != expected)
                    {
                        throw new InvalidRequestException($"Formula `{operation.Operator.ToString().ToLowerInvariant()}` takes {expected} operand(s), got {operation.Operands.Count}.");
                    }

                    foreach (var operand in operation.Operands)
                    {
                        Prepare(operand);
                    }

                    break;
                case DecayTerm decay:
                    if (!(decay.Scale > 0 && double.IsFinite(decay.Scale)))
                    {
                        throw new InvalidRequestException($"A decay's `scale` must be a positive number, got {decay.Scale}.");
                    }

                    if (!(decay.Midpoint is > 0 and < 1))
                    {
                        throw new InvalidRequestException($"A decay's `midpoint` must be between 0 and 1 (exclusive), got {decay.Midpoint}.");
                    }

                    Prepare(decay.X);
                    if (decay.Target is { } target)
                    {
                        Prepare(target);
                    }

                    break;
            }
        }

        private double Evaluate(FormulaExpression expression, int node) => expression switch
        {
            ConstantTerm constant => constant.Value,
            VariableTerm { Name: var name } when ScoreIndex(name) is int index =>
                _scores[index].TryGetValue(node, out double score) ? score : ScoreDefault(index),
            VariableTerm { Name: var key } => Number(Value(node, key, "number"), key),
            ConditionTerm { Condition: var condition } => _conditions[condition].Matches(node) ? 1 : 0,
            GeoDistanceTerm geo => geo.Origin.DistanceTo(GeoPoint.TryRead(Value(node, geo.Key, "geo point"), out var point)
                ? point
                : throw new InvalidRequestException($"Formula variable `{geo.Key}` of point {Id(node)} is not a geo point.")),
            DatetimeTerm { Constant: { } instant } => Seconds(instant),
            DatetimeTerm { Key: { } key } => Seconds(Value(node, key, "datetime") is { ValueKind: JsonValueKind.String } text && Datetimes.TryParse(text.GetString()!, out var instant)
                ? instant
                : throw new InvalidRequestException($"Formula variable `{key}` of point {Id(node)} is not a datetime.")),
            OperationTerm operation => Operate(operation, node),
            DecayTerm decay => Decay(decay, node),
            _ => throw new InvalidRequestException($"Unknown formula expression {expression.GetType().Name}."),
        };

        private double Operate(OperationTerm operation, int node)
        {
            double First() => Evaluate(operation.Operands[0], node);
            switch (operation.Operator)
            {
                case FormulaOperator.Sum:
                    return operation.Operands.Sum(operand => Evaluate(operand, node));
                case FormulaOperator.Mult:
                    double product = 1;
                    foreach (var operand in operation.Operands)
                    {
                        double factor = Evaluate(operand, node);
                        if (factor == 0)
                        {
                            return 0; // as Qdrant: a zero factor ends the product (and spares the others' variables)
                        }

                        product *= factor;
                    }

                    return product;
                case FormulaOperator.Div:
                    double left = First();
                    if (left == 0)
                    {
                        return 0;
                    }

                    double right = Evaluate(operation.Operands[1], node);
                    return right == 0 && operation.ByZeroDefault is { } byZero ? byZero : Finite(left / right, $"{left} / {right}");
                default:
                    double x = First();
                    return operation.Operator switch
                    {
                        FormulaOperator.Neg => -x,
                        FormulaOperator.Abs => Math.Abs(x),
                        FormulaOperator.Sqrt => Finite(Math.Sqrt(x), $"sqrt({x})"),
                        FormulaOperator.Pow => Finite(Math.Pow(x, Evaluate(operation.Operands[1], node)), $"pow({x}, …)"),
                        FormulaOperator.Exp => Finite(Math.Exp(x), $"exp({x})"),
                        FormulaOperator.Log10 => Finite(Math.Log10(x), $"log10({x})"),
                        _ => Finite(Math.Log(x), $"ln({x})"),
                    };
            }
        }

        private double Decay(DecayTerm decay, int node)
        {
            double x = Evaluate(decay.X, node);
            double target = decay.Target is { } given ? Evaluate(given, node) : 0;
            double distance = Math.Abs(x - target);
            return decay.Kind switch
            {
                DecayKind.Linear => Math.Max(0, 1 - ((1 - decay.Midpoint) / decay.Scale * distance)),
                DecayKind.Exponential => Math.Exp(Math.Log(decay.Midpoint) / decay.Scale * distance),
                _ => Math.Exp(Math.Log(decay.Midpoint) / (decay.Scale * decay.Scale) * distance * distance),
            };
        }

        /// <summary>The point's single value at the key, or the key's default.</summary>
        private JsonElement Value(int node, string key, string type)
        {
            var values = PayloadPath.Values(_collection._table.Stored(node)?.Payload, key).Where(value => value.ValueKind != JsonValueKind.Null).Take(2).ToList();
            return values switch
            {
                [var one] => one,
                [] => Default(key) ?? throw new InvalidRequestException($"Formula variable `{key}`: no value found in the payload of point {Id(node)} nor in `defaults` (expected a {type})."),
                _ => throw new InvalidRequestException($"Formula variable `{key}` of point {Id(node)} holds several values; a {type} is expected."),
            };
        }

        private JsonElement? Default(string name) => _query.Defaults?.TryGetValue(name, out var value) == true ? value : null;

        /// <summary>A prefetch's score for a point it did not return: the default given as <c>$score[i]</c> (or <c>$score</c> for 0) if a number, else 0.</summary>
        private double ScoreDefault(int index) =>
            (Default($"$score[{index}]") ?? (index == 0 ? Default("$score") : null)) is { ValueKind: JsonValueKind.Number } value ? value.GetDouble() : 0;

        private static double Number(JsonElement value, string key) => value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : throw new InvalidRequestException($"Formula variable `{key}` is not a number: {value.GetRawText()}.");

        private PointId? Id(int node) => _collection._table.Stored(node)?.Id;

        private static double Seconds(DateTimeOffset instant) => Datetimes.Microseconds(instant)!.Value / 1_000_000.0;

        private static double Finite(double value, string expression) =>
            double.IsFinite(value) ? value : throw new InvalidRequestException($"The formula's {expression} is not a finite number.");

        /// <summary>The prefetch a score variable names (<c>$score</c> is 0), or null for a payload key.</summary>
        private static int? ScoreIndex(string name) =>
            name == "$score" ? 0
            : name.StartsWith("$score[", StringComparison.Ordinal) && name.EndsWith(']') && int.TryParse(name.AsSpan(7, name.Length - 8), NumberStyles.None, CultureInfo.InvariantCulture, out int index) ? index
            : null;
    }
}
