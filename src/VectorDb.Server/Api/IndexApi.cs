using System.Diagnostics;
using System.Text.Json;

namespace VectorDb.Server.Api;

/// <summary>Body of <c>PUT /collections/{name}/index</c>: <c>field_schema</c> is a name or {"type": name, "is_tenant": bool, …}.</summary>
internal sealed record CreateFieldIndexRequest(string? FieldName, JsonElement? FieldSchema);

/// <summary>Payload field indexes: <c>PUT /collections/{name}/index</c>, <c>DELETE /collections/{name}/index/{field}</c>.</summary>
internal static class IndexApi
{
    public static RouteGroupBuilder MapIndexApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}/index").WithTags("Indexes");
        group.MapPut("/", (string name, CreateFieldIndexRequest request, HttpContext context, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            bool wait = RequestParsing.Wait(context);
            string field = string.IsNullOrWhiteSpace(request.FieldName) ? throw new InvalidRequestException("`field_name` is required.") : request.FieldName;
            db.GetCollection(name).CreatePayloadIndex(field, ParseSchema(request.FieldSchema), wait, IsTenant(request.FieldSchema));
            return QdrantResults.Ok(QdrantResults.UpdateResult(wait), start);
        });
        group.MapDelete("/{field}", (string name, string field, HttpContext context, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            bool wait = RequestParsing.Wait(context);
            db.GetCollection(name).DeletePayloadIndex(field, wait);
            return QdrantResults.Ok(QdrantResults.UpdateResult(wait), start);
        });
        return group;
    }

    /// <summary>Qdrant's lower-case schema names.</summary>
    public static string SchemaName(PayloadSchemaType schema) => schema.ToString().ToLowerInvariant();

    /// <summary><c>field_schema.is_tenant</c>: a graph per value (keyword and uuid; Qdrant's flag of that name).</summary>
    private static bool IsTenant(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.Object } parameters && parameters.TryGetProperty("is_tenant", out var flag) && flag.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False or JsonValueKind.Null => false,
            _ => throw new InvalidRequestException("`field_schema.is_tenant` must be true or false."),
        };

    private static PayloadSchemaType ParseSchema(JsonElement? element)
    {
        var name = element switch
        {
            { ValueKind: JsonValueKind.String } text => JsonText.Read(text, "field_schema"),
            { ValueKind: JsonValueKind.Object } parameters when parameters.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String => JsonText.Read(type, "field_schema.type"),
            _ => throw new InvalidRequestException("`field_schema` is required: a schema name, or an object with `type`."),
        };
        return name switch
        {
            "keyword" => PayloadSchemaType.Keyword,
            "integer" => PayloadSchemaType.Integer,
            "float" => PayloadSchemaType.Float,
            "bool" => PayloadSchemaType.Bool,
            "uuid" => PayloadSchemaType.Uuid,
            "geo" or "text" or "datetime" => throw new InvalidRequestException($"Payload index schema `{name}` is not supported yet (supported: keyword, integer, float, bool, uuid)."),
            _ => throw new InvalidRequestException($"Unknown payload index schema `{name}` (supported: keyword, integer, float, bool, uuid)."),
        };
    }
}
