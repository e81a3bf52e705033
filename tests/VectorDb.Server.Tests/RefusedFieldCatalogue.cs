using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Tests;

/// <summary>
/// Every request field and query-string parameter the server refuses by declaration (<see cref="RefusedAttribute"/>,
/// <see cref="OnlyAttribute"/>, <see cref="QueryParameters.Refused"/>), found from the running app's endpoints: what
/// docs/rest.md must list, and what the tests send to each endpoint.
/// </summary>
internal static class RefusedFieldCatalogue
{
    /// <summary>A refused field at one endpoint: its path in the body (or <c>?name</c>), a value that is refused, and why.</summary>
    public sealed record Refusal(string Method, string Route, string Field, string RefusedValues, object? Example, string Reason, bool IsQueryParameter);

    public static List<Refusal> From(EndpointDataSource endpoints)
    {
        var refusals = new List<Refusal>();
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            string route = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            foreach (string method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
            {
                if (endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType is { } body && typeof(RequestBody).IsAssignableFrom(body))
                {
                    Walk(body, "", (field, values, example, reason) => refusals.Add(new(method, route, field, values, example, reason, IsQueryParameter: false)), []);
                }

                foreach (var (name, reason) in endpoint.Metadata.GetMetadata<QueryParameters>()?.Refused ?? new Dictionary<string, string>())
                {
                    refusals.Add(new(method, route, name, "any", "1", reason, IsQueryParameter: true));
                }
            }
        }

        return refusals;
    }

    /// <summary>The Markdown table of docs/rest.md: one row per field, reason and refused values, with its endpoints.</summary>
    public static string Table(IEnumerable<Refusal> refusals)
    {
        var text = new StringBuilder();
        text.Append("| Field | Refused | Why | Endpoints |\n|---|---|---|---|\n");
        foreach (var row in refusals
            .GroupBy(r => (Field: r.IsQueryParameter ? $"?{r.Field}" : r.Field.Replace("[0]", "[]", StringComparison.Ordinal), r.RefusedValues, r.Reason))
            .OrderBy(g => g.Key.Field.StartsWith('?')).ThenBy(g => g.Key.Field, StringComparer.Ordinal).ThenBy(g => g.Key.Reason, StringComparer.Ordinal))
        {
            string endpoints = string.Join(", ", row.Select(r => $"`{r.Method} {r.Route}`").Distinct().Order(StringComparer.Ordinal));
            text.Append(CultureInfo.InvariantCulture, $"| `{row.Key.Field}` | {row.Key.RefusedValues} | {row.Key.Reason} | {endpoints} |\n");
        }

        return text.ToString();
    }

    private static void Walk(Type type, string path, Action<string, string, object?, string> found, HashSet<Type> seen)
    {
        if (!seen.Add(type))
        {
            return;
        }

        foreach (var refused in type.GetCustomAttributes<RefusedAttribute>())
        {
            found(Join(path, refused.Field), "any", 1, refused.Reason);
        }

        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            string name = Join(path, RequestValidator.JsonName(property));
            if (property.GetCustomAttribute<OnlyAttribute>() is { } only)
            {
                found(name, $"other than {string.Join(", ", only.Values.Select(Show))}", Other(property.PropertyType, only.Values[0]), only.Reason);
            }

            var nested = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (property.GetCustomAttribute<ReadAsAttribute>() is { } readAs)
            {
                Walk(readAs.Type, name, found, seen);
            }
            else if (typeof(RequestBody).IsAssignableFrom(nested))
            {
                Walk(nested, name, found, seen);
            }
            else if (nested.IsGenericType && nested.GetGenericArguments() is [var element] && typeof(RequestBody).IsAssignableFrom(element))
            {
                Walk(element, $"{name}[0]", found, seen);
            }
        }

        seen.Remove(type);
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static string Show(object value) => value switch
    {
        bool flag => flag ? "`true`" : "`false`",
        string text => $"`\"{text}\"`",
        _ => $"`{Convert.ToString(value, CultureInfo.InvariantCulture)}`",
    };

    /// <summary>A value of the property's type that the attribute does not allow.</summary>
    private static object Other(Type type, object allowed) => allowed switch
    {
        bool flag => !flag,
        int number => number + 1,
        string => "custom",
        _ => throw new NotSupportedException($"No refused example for {type.Name}."),
    };
}
