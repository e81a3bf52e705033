using System.Text.Json;
using System.Text.Json.Serialization;

namespace VectorDb.Server.Api.Validation;

/// <summary>
/// Base of every JSON object a request binds to. The fields that no property takes land in
/// <see cref="UnmappedFields"/>, where <see cref="RequestValidator"/> refuses them: a field of Qdrant's that we do not
/// implement (<see cref="RefusedAttribute"/>) or one that Qdrant does not have either.
/// </summary>
internal abstract record RequestBody
{
    /// <summary>Fields of the JSON object that match no property; null when there are none.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnmappedFields { get; init; }
}

/// <summary>A field of Qdrant's request object that this server does not implement: any value but null is a 400.</summary>
/// <param name="field">The field's JSON name.</param>
/// <param name="reason">Why, or what to do instead; completes "`field` is not supported yet: …".</param>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
internal sealed class RefusedAttribute(string field, string reason) : Attribute
{
    public string Field { get; } = field;

    public string Reason { get; } = reason;
}

/// <summary>
/// A field of which this server implements only the listed values (what a single node with vectors and payloads in
/// memory does anyway, e.g. <c>shard_number: 1</c>); any other value but null is a 400.
/// </summary>
/// <param name="reason">Why other values are refused; completes "`field` = v is not supported: …".</param>
/// <param name="values">The values implemented.</param>
[AttributeUsage(AttributeTargets.Property, Inherited = false)]
internal sealed class OnlyAttribute(string reason, params object[] values) : Attribute
{
    public string Reason { get; } = reason;

    public IReadOnlyList<object> Values { get; } = values;
}

/// <summary>
/// On a field bound as raw JSON because Qdrant takes it in several shapes: its object shape, which the handler reads
/// and validates as <see cref="Type"/> (documentation, and how the list of refused fields reaches inside it).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter, Inherited = false)]
internal sealed class ReadAsAttribute(Type type) : Attribute
{
    public Type Type { get; } = type;
}
