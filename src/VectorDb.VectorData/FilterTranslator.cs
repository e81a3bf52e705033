using System.Collections;
using System.Globalization;
using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.Extensions.VectorData.ProviderServices;
using Microsoft.Extensions.VectorData.ProviderServices.Filter;
using VectorDb.Query;

namespace VectorDb.VectorData;

/// <summary>
/// Translates an MEVD LINQ filter into the engine's <see cref="Filter"/>, so that it runs in the engine (payload
/// indexes, the planner) rather than over records in memory. Supported: <c>==</c>, <c>!=</c>, <c>&lt;</c>,
/// <c>&lt;=</c>, <c>&gt;</c>, <c>&gt;=</c> against constants (captured variables included), <c>&amp;&amp;</c>,
/// <c>||</c>, <c>!</c>, bool members, null checks on scalar properties, <c>Contains</c> on array properties and on
/// lists of constants, and <c>array.Any(x =&gt; list.Contains(x))</c>. Anything else is a
/// <see cref="NotSupportedException"/> naming it.
/// </summary>
internal sealed class FilterTranslator : FilterTranslatorBase
{
    private static readonly FilterPreprocessingOptions Preprocessing = new() { SupportsParameterization = false };

    /// <summary>Matches no point (a negative key, which no point can have).</summary>
    private static readonly Filter Nothing = Not(new Filter());

    private const double MaxExactInteger = 9_007_199_254_740_992; // 2^53

    /// <summary>Translates <paramref name="filter"/> over records of <paramref name="model"/>.</summary>
    /// <exception cref="NotSupportedException">A construct the engine cannot evaluate.</exception>
    public static Filter Translate(LambdaExpression filter, CollectionModel model)
    {
        var translator = new FilterTranslator();
        var body = translator.PreprocessFilter(filter, model, Preprocessing);
        var condition = translator.Translate(body is LambdaExpression lambda ? lambda.Body : body);
        return condition as Filter ?? new Filter(Must: [condition]);
    }

    private Condition Translate(Expression node) => node switch
    {
        BinaryExpression { NodeType: ExpressionType.AndAlso } and => new Filter(Must: [Translate(and.Left), Translate(and.Right)]),
        BinaryExpression { NodeType: ExpressionType.OrElse } or => new Filter(Should: [Translate(or.Left), Translate(or.Right)]),
        UnaryExpression { NodeType: ExpressionType.Not } not => Not(Translate(not.Operand)),
        UnaryExpression { NodeType: ExpressionType.Convert } convert when convert.Type == typeof(bool) => Translate(convert.Operand),
        BinaryExpression comparison => Comparison(comparison),
        MethodCallExpression call => Call(call),
        ConstantExpression { Value: bool value } => value ? new Filter() : Nothing,
        _ when node.Type == typeof(bool) && TryBindProperty(node, out var property) => Equal(property, true),
        _ => throw Unsupported(node),
    };

    private static Filter Not(Condition condition) => new(MustNot: [condition]);

    private Condition Comparison(BinaryExpression comparison)
    {
        var (operation, property, value, side) = TryBindProperty(Unwrap(comparison.Left), out var left)
            ? (comparison.NodeType, left, Constant(comparison.Right), comparison.Left)
            : TryBindProperty(Unwrap(comparison.Right), out var right)
                ? (Mirrored(comparison.NodeType), right, Constant(comparison.Left), comparison.Right)
                : throw Unsupported(comparison, "a comparison needs a record property on one side and a constant on the other");

        // A float is stored as its shortest text ("0.1"), which reads back as the nearest double to that text, not as the
        // float widened: compared in double (with 0.1 rather than 0.1f) the engine and LINQ would disagree.
        if (Scalar(property.Type) == typeof(float) && Scalar(side.Type) != typeof(float))
        {
            throw Unsupported(comparison, "a float property compared as a double; write the constant as a float (e.g. 0.1f)");
        }

        if (value is null)
        {
            return operation switch
            {
                ExpressionType.Equal => IsNull(property, comparison),
                ExpressionType.NotEqual => Not(IsNull(property, comparison)),
                _ => throw Unsupported(comparison, "null can only be compared with == and !="),
            };
        }

        return operation switch
        {
            ExpressionType.Equal => Equal(property, value),
            ExpressionType.NotEqual => Not(Equal(property, value)),
            ExpressionType.LessThan => Range(property, value, comparison, lt: true),
            ExpressionType.LessThanOrEqual => Range(property, value, comparison, lte: true),
            ExpressionType.GreaterThan => Range(property, value, comparison, gt: true),
            ExpressionType.GreaterThanOrEqual => Range(property, value, comparison, gte: true),
            _ => throw Unsupported(comparison),
        };
    }

    private static Type Scalar(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    private static ExpressionType Mirrored(ExpressionType operation) => operation switch
    {
        ExpressionType.LessThan => ExpressionType.GreaterThan,
        ExpressionType.LessThanOrEqual => ExpressionType.GreaterThanOrEqual,
        ExpressionType.GreaterThan => ExpressionType.LessThan,
        ExpressionType.GreaterThanOrEqual => ExpressionType.LessThanOrEqual,
        _ => operation,
    };

    private Condition Call(MethodCallExpression call)
    {
        if (TryMatchContains(call, out var source, out var item))
        {
            // array property contains a constant: some element equals it
            if (TryBindProperty(Unwrap(source), out var array) && RecordModelBuilder.ElementType(array.Type) is not null)
            {
                return Equal(array, Constant(item) ?? throw Unsupported(call, "Contains(null) on an array property"));
            }

            // a list of constants contains the property's value
            if (TryBindProperty(Unwrap(item), out var scalar))
            {
                return AnyOf(scalar, Values(source, call), call);
            }

            throw Unsupported(call, "Contains needs an array property or a list of constants");
        }

        // array.Any(x => list.Contains(x)): some element is one of the list's values
        if (call.Method.DeclaringType == typeof(Enumerable) && call.Method.Name == nameof(Enumerable.Any) && call.Arguments.Count == 2
            && TryBindProperty(Unwrap(call.Arguments[0]), out var property) && RecordModelBuilder.ElementType(property.Type) is not null
            && call.Arguments[1] is LambdaExpression { Body: MethodCallExpression inner } predicate
            && TryMatchContains(inner, out var list, out var element) && Unwrap(element) == predicate.Parameters[0])
        {
            return AnyOf(property, Values(list, call), call);
        }

        throw Unsupported(call);
    }

    private static Condition Equal(PropertyModel property, object value)
    {
        if (property is KeyPropertyModel)
        {
            return RecordMapper.TryPointId(value, out var id) ? new HasIdCondition(new HashSet<PointId> { id }) : Nothing;
        }

        return value switch
        {
            string or bool or int or long or short or byte or sbyte or ushort or uint or ulong or Guid => new MatchValueCondition(property.StorageName, Json(value)),
            float or double or decimal => new RangeCondition(property.StorageName, Gte: Number(value), Lte: Number(value)),
            DateTimeOffset or DateTime => new DatetimeRangeCondition(property.StorageName, Gte: Instant(value), Lte: Instant(value)),
            Enum => throw new NotSupportedException($"Filter on '{property.ModelName}': enum values are not supported data property types."),
            _ => throw new NotSupportedException($"Filter on '{property.ModelName}': values of type {value.GetType().Name} cannot be compared."),
        };
    }

    private static Condition Range(PropertyModel property, object value, Expression node, bool gt = false, bool gte = false, bool lt = false, bool lte = false)
    {
        if (property is KeyPropertyModel)
        {
            throw Unsupported(node, "keys can only be compared with == and !=");
        }

        if (value is DateTimeOffset or DateTime)
        {
            var at = Instant(value);
            return new DatetimeRangeCondition(property.StorageName, gt ? at : null, gte ? at : null, lt ? at : null, lte ? at : null);
        }

        if (value is string or bool or Guid)
        {
            throw Unsupported(node, $"{value.GetType().Name} values can only be compared with == and !=");
        }

        if (value is long or ulong && Math.Abs(Convert.ToDouble(value, CultureInfo.InvariantCulture)) > MaxExactInteger)
        {
            throw Unsupported(node, $"payload numbers are doubles, exact up to ±2^53; a range bound of {value} would be rounded");
        }

        double number = Number(value);
        return new RangeCondition(property.StorageName, gt ? number : null, gte ? number : null, lt ? number : null, lte ? number : null);
    }

    private static Condition AnyOf(PropertyModel property, IReadOnlyList<object?> values, Expression node)
    {
        if (values.Any(v => v is null))
        {
            throw Unsupported(node, "a list holding null");
        }

        if (property is KeyPropertyModel)
        {
            var ids = new HashSet<PointId>();
            foreach (var value in values)
            {
                if (RecordMapper.TryPointId(value, out var id))
                {
                    ids.Add(id);
                }
            }

            return ids.Count > 0 ? new HasIdCondition(ids) : Nothing;
        }

        return values.All(v => v is string or bool or int or long or short or byte or sbyte or ushort or uint or ulong or Guid)
            ? new MatchAnyCondition(property.StorageName, [.. values.Select(v => Json(v!))])
            : new Filter(Should: [.. values.Select(v => Equal(property, v!))]);
    }

    private static IsEmptyCondition IsNull(PropertyModel property, Expression node) =>
        property is KeyPropertyModel || RecordModelBuilder.ElementType(property.Type) is not null
            ? throw Unsupported(node, "null checks on keys and array properties")
            : new IsEmptyCondition(property.StorageName); // missing or null: what an unset property reads back as

    private static JsonElement Json(object value) => value is Guid uuid
        ? JsonSerializer.SerializeToElement(uuid.ToString("D"))
        : JsonSerializer.SerializeToElement(value, value.GetType());

    // A float is stored as its shortest round-trip text ("0.1"), which reads back as the double nearest that text,
    // not as the float widened; compare with the same double.
    private static double Number(object value) => value switch
    {
        float single => double.Parse(single.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        _ => Convert.ToDouble(value, CultureInfo.InvariantCulture),
    };

    private static DateTimeOffset Instant(object value) => value switch
    {
        DateTimeOffset instant => instant,
        DateTime { Kind: DateTimeKind.Local } local => new DateTimeOffset(local),
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        _ => throw new InvalidOperationException(),
    };

    private static Expression Unwrap(Expression node) =>
        node is UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } convert ? Unwrap(convert.Operand) : node;

    /// <summary>The value of an expression that does not depend on the record (constants, after preprocessing inlined captured variables).</summary>
    private static object? Constant(Expression node) => node switch
    {
        ConstantExpression constant => constant.Value,
        _ when new ParameterFinder().Finds(node) => throw Unsupported(node, "the other side of a comparison must not depend on the record"),
        _ => Expression.Lambda(node).Compile(preferInterpretation: true).DynamicInvoke(),
    };

    private static List<object?> Values(Expression list, Expression node) => Constant(list) switch
    {
        string => throw Unsupported(node, "string.Contains (substring search); use a full-text index through the engine's API"),
        IEnumerable values => [.. values.Cast<object?>()],
        _ => throw Unsupported(node, "Contains needs a list of constants"),
    };

    private static NotSupportedException Unsupported(Expression node, string? why = null) =>
        new($"VectorDb cannot translate the filter expression '{node}'{(why is null ? "" : $": {why}")}. " +
            "Supported: ==, !=, <, <=, >, >= against constants, &&, ||, !, bool properties, null checks, Contains on array properties or lists of constants, and array.Any(x => list.Contains(x)).");

    private sealed class ParameterFinder : ExpressionVisitor
    {
        private bool _found;

        public bool Finds(Expression node)
        {
            Visit(node);
            return _found;
        }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            _found = true;
            return node;
        }
    }
}
