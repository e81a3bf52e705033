using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace VectorDb.Server.Api.Validation;

/// <summary>
/// Refuses what a bound request holds but this server would not carry out: unknown fields, fields of Qdrant's that are
/// not implemented, and values of partly implemented fields that are not. Walks the bound object and the
/// <see cref="RequestBody"/> objects and lists inside it; fields bound as raw JSON are checked by their own parsers.
/// </summary>
internal static class RequestValidator
{
    private static readonly ConcurrentDictionary<Type, BodyShape> Shapes = new();

    /// <summary>Throws <see cref="InvalidRequestException"/> naming the first field that is refused, with its path.</summary>
    public static void Validate(RequestBody body, string path = "")
    {
        var shape = Shapes.GetOrAdd(body.GetType(), BodyShape.Of);
        if (body.UnmappedFields is { Count: > 0 } unmapped)
        {
            foreach (var (name, value) in unmapped)
            {
                if (value.ValueKind == JsonValueKind.Null)
                {
                    continue; // null counts as absent
                }

                throw new InvalidRequestException(shape.Refused.TryGetValue(name, out string? reason)
                    ? $"`{Join(path, name)}` is not supported yet: {reason}."
                    : $"Unknown field `{Join(path, name)}`.");
            }
        }

        foreach (var field in shape.Fields)
        {
            object? value = field.Property.GetValue(body);
            switch (value)
            {
                case null:
                    break;
                case RequestBody nested:
                    Validate(nested, Join(path, field.Name));
                    break;
                case IEnumerable list and not string when field.HoldsBodies:
                    int i = 0;
                    foreach (var item in list)
                    {
                        if (item is RequestBody element)
                        {
                            Validate(element, $"{Join(path, field.Name)}[{i}]");
                        }

                        i++;
                    }

                    break;
                default:
                    if (field.Only is { } only && !only.Values.Contains(value))
                    {
                        throw new InvalidRequestException($"`{Join(path, field.Name)}` = {Display(value)} is not supported: {only.Reason}.");
                    }

                    break;
            }
        }
    }

    /// <summary>The JSON name of a request property, as the server's naming policy spells it.</summary>
    public static string JsonName(PropertyInfo property) => JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static string Display(object value) => value switch
    {
        bool flag => flag ? "true" : "false",
        string text => $"\"{text}\"",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>What the validator needs to know of one request type, found once by reflection.</summary>
    private sealed record BodyShape(IReadOnlyDictionary<string, string> Refused, IReadOnlyList<BodyField> Fields)
    {
        public static BodyShape Of(Type type) => new(
            type.GetCustomAttributes<RefusedAttribute>().ToDictionary(r => r.Field, r => r.Reason, StringComparer.Ordinal),
            [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.Name != nameof(RequestBody.UnmappedFields) && p.GetIndexParameters().Length == 0)
                .Select(p => new BodyField(p, JsonName(p), p.GetCustomAttribute<OnlyAttribute>(), HoldsBodies(p.PropertyType)))
                .Where(f => f.Only is not null || f.HoldsBodies || typeof(RequestBody).IsAssignableFrom(f.Property.PropertyType))]);

        private static bool HoldsBodies(Type type) =>
            type != typeof(string) && type.GetInterfaces().Append(type)
                .Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>) && typeof(RequestBody).IsAssignableFrom(i.GetGenericArguments()[0]));
    }

    private sealed record BodyField(PropertyInfo Property, string Name, OnlyAttribute? Only, bool HoldsBodies);
}
