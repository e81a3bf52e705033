using System.Text.Json;
using VectorDb.Query;

namespace VectorDb.Server.Api;

/// <summary>Reads Qdrant's formula expressions (score boosting) into <see cref="FormulaExpression"/>s.</summary>
internal static class FormulaExpressionJson
{
    private const int MaxDepth = 32;

    /// <summary>
    /// A number; a string (a variable: <c>$score</c>, <c>$score[i]</c> or a payload key); or an object naming an operation
    /// (<c>sum</c>, <c>mult</c>, <c>neg</c>, <c>abs</c>, <c>div</c>, <c>sqrt</c>, <c>pow</c>, <c>exp</c>, <c>log10</c>,
    /// <c>ln</c>, <c>geo_distance</c>, <c>datetime</c>, <c>datetime_key</c>, <c>lin_decay</c>, <c>exp_decay</c>,
    /// <c>gauss_decay</c>); any other object is a filter condition, worth 1 when a point satisfies it.
    /// </summary>
    public static FormulaExpression Parse(JsonElement element, string path, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidRequestException($"`{path}`: formulas nest at most {MaxDepth} levels deep.");
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                return new ConstantTerm(element.TryGetDouble(out double constant) ? constant : throw new InvalidRequestException($"`{path}` is not a finite number."));
            case JsonValueKind.String:
                return new VariableTerm(JsonText.Read(element, $"`{path}`"));
            case JsonValueKind.Object:
                break;
            default:
                throw new InvalidRequestException($"`{path}` must be a number, a variable name or an expression object.");
        }

        var fields = JsonText.Fields(element).ToList();
        if (fields is not [var only] || !IsOperation(only.Name))
        {
            return new ConditionTerm(FilterJson.ParseCondition(element, path));
        }

        string at = $"{path}.{only.Name}";
        var value = only.Value;
        FormulaExpression Inner(JsonElement inner, string innerPath) => Parse(inner, innerPath, depth + 1);
        FormulaExpression Field(string name) => value.ValueKind == JsonValueKind.Object && value.TryGetProperty(name, out var operand) && operand.ValueKind != JsonValueKind.Null
            ? Inner(operand, $"{at}.{name}")
            : throw new InvalidRequestException($"`{at}.{name}` is required.");
        double? Number(string name) => value.TryGetProperty(name, out var number) && number.ValueKind != JsonValueKind.Null
            ? number.ValueKind == JsonValueKind.Number && number.TryGetDouble(out double read) ? read : throw new InvalidRequestException($"`{at}.{name}` must be a finite number.")
            : null;
        void Only(params string[] names)
        {
            if (value.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidRequestException($"`{at}` must be an object.");
            }

            if (JsonText.Fields(value).FirstOrDefault(f => !names.Contains(f.Name)) is { Value.ValueKind: not JsonValueKind.Undefined } unknown)
            {
                throw new InvalidRequestException($"Unknown field `{at}.{unknown.Name}`.");
            }
        }

        switch (only.Name)
        {
            case "sum" or "mult":
                return value.ValueKind == JsonValueKind.Array
                    ? new OperationTerm(only.Name == "sum" ? FormulaOperator.Sum : FormulaOperator.Mult, [.. value.EnumerateArray().Select((item, i) => Inner(item, $"{at}[{i}]"))])
                    : throw new InvalidRequestException($"`{at}` must be a list of expressions.");
            case "neg" or "abs" or "sqrt" or "exp" or "log10" or "ln":
                var unary = only.Name switch
                {
                    "neg" => FormulaOperator.Neg,
                    "abs" => FormulaOperator.Abs,
                    "sqrt" => FormulaOperator.Sqrt,
                    "exp" => FormulaOperator.Exp,
                    "log10" => FormulaOperator.Log10,
                    _ => FormulaOperator.Ln,
                };
                return new OperationTerm(unary, [Inner(value, at)]);
            case "div":
                Only("left", "right", "by_zero_default");
                return new OperationTerm(FormulaOperator.Div, [Field("left"), Field("right")], Number("by_zero_default"));
            case "pow":
                Only("base", "exponent");
                return new OperationTerm(FormulaOperator.Pow, [Field("base"), Field("exponent")]);
            case "geo_distance":
                Only("origin", "to");
                var origin = value.TryGetProperty("origin", out var point) ? FilterJson.ParseGeoPoint(point, $"{at}.origin") : throw new InvalidRequestException($"`{at}.origin` is required.");
                return new GeoDistanceTerm(origin, value.TryGetProperty("to", out var to) ? JsonText.Read(to, $"`{at}.to`") : throw new InvalidRequestException($"`{at}.to` is required."));
            case "datetime":
                string text = JsonText.Read(value, $"`{at}`");
                return new DatetimeTerm(Datetimes.TryParse(text, out var instant) ? instant : throw new InvalidRequestException($"`{at}` is not an RFC 3339 date-time: {text}."), null);
            case "datetime_key":
                return new DatetimeTerm(null, JsonText.Read(value, $"`{at}`"));
            default: // lin_decay, exp_decay, gauss_decay
                Only("x", "target", "scale", "midpoint");
                var kind = only.Name switch { "lin_decay" => DecayKind.Linear, "exp_decay" => DecayKind.Exponential, _ => DecayKind.Gaussian };
                FormulaExpression? target = value.TryGetProperty("target", out var given) && given.ValueKind != JsonValueKind.Null ? Inner(given, $"{at}.target") : null;
                return new DecayTerm(kind, Field("x"), target, Number("scale") ?? 1, Number("midpoint") ?? 0.5);
        }
    }

    private static bool IsOperation(string name) => name is "sum" or "mult" or "neg" or "abs" or "div" or "sqrt" or "pow" or "exp" or "log10" or "ln"
        or "geo_distance" or "datetime" or "datetime_key" or "lin_decay" or "exp_decay" or "gauss_decay";
}
