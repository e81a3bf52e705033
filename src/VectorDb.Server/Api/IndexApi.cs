using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Body of <c>PUT /collections/{name}/index</c>: <c>field_schema</c> is a name or {"type": name, "is_tenant": bool, …}.</summary>
internal sealed record CreateFieldIndexRequest(string? FieldName, [property: ReadAs(typeof(PayloadSchemaParams))] JsonElement? FieldSchema) : RequestBody;

/// <summary>
/// The object form of <c>field_schema</c>, with the parameters of every type; those of the types not built (text,
/// geo, datetime) are never reached, since the type is refused first.
/// </summary>
[Refused("memory", "payload indexes are kept in memory")]
[Refused("tokenizer", TextIndex)]
[Refused("min_token_len", TextIndex)]
[Refused("max_token_len", TextIndex)]
[Refused("lowercase", TextIndex)]
[Refused("ascii_folding", TextIndex)]
[Refused("phrase_matching", TextIndex)]
[Refused("stopwords", TextIndex)]
[Refused("stemmer", TextIndex)]
internal sealed record PayloadSchemaParams(string? Type, bool? IsTenant) : RequestBody
{
    private const string TextIndex = "a parameter of text indexes, which are not built yet";

    [Only("payload indexes are kept in memory", false)]
    public bool? OnDisk { get; init; }

    [Only("a keyword or uuid index links its values' points unless the collection's `hnsw_config.payload_m` is 0", true)]
    public bool? EnableHnsw { get; init; }

    [Only("an integer index answers exact matches", true)]
    public bool? Lookup { get; init; }

    [Only("an integer index answers ranges", true)]
    public bool? Range { get; init; }

    [Only("points are stored by id, not ordered by a payload field", false)]
    public bool? IsPrincipal { get; init; }

    [Only("keyword prefix matching is not built yet", false)]
    public bool? Prefix { get; init; }
}

/// <summary>Payload field indexes: <c>PUT /collections/{name}/index</c>, <c>DELETE /collections/{name}/index/{field}</c>.</summary>
internal static class IndexApi
{
    public static RouteGroupBuilder MapIndexApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}/index").WithTags("Indexes").AddEndpointFilter<RequestValidationFilter>();
        group.MapPut("/", (string name, CreateFieldIndexRequest request, HttpContext context, VectorDatabase db) =>
        {
            bool wait = RequestParsing.Wait(context);
            string field = string.IsNullOrWhiteSpace(request.FieldName) ? throw new InvalidRequestException("`field_name` is required.") : request.FieldName;
            var (schema, isTenant) = ParseSchema(request.FieldSchema);
            db.GetCollection(name).CreatePayloadIndex(field, schema, wait, isTenant);
            return Qdrant.Updated(wait);
        }).WithMetadata(QueryParameters.Write);
        group.MapDelete("/{field}", (string name, string field, HttpContext context, VectorDatabase db) =>
        {
            bool wait = RequestParsing.Wait(context);
            db.GetCollection(name).DeletePayloadIndex(field, wait);
            return Qdrant.Updated(wait);
        }).WithMetadata(QueryParameters.Write);
        return group;
    }

    /// <summary>Qdrant's lower-case schema names.</summary>
    public static string SchemaName(PayloadSchemaType schema) => schema.ToString().ToLowerInvariant();

    /// <summary><c>field_schema</c>: a schema name, or Qdrant's object form with <c>type</c> and its parameters.</summary>
    private static (PayloadSchemaType Schema, bool IsTenant) ParseSchema(JsonElement? element)
    {
        switch (element)
        {
            case { ValueKind: JsonValueKind.String } text:
                return (SchemaType(JsonText.Read(text, "field_schema")), false);
            case { ValueKind: JsonValueKind.Object } parameters:
                var schema = SchemaType(parameters.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                    ? JsonText.Read(type, "field_schema.type")
                    : throw new InvalidRequestException("`field_schema.type` is required in the object form of `field_schema`."));
                var read = ServerJson.ReadBody<PayloadSchemaParams>(parameters, "field_schema");
                if ((read.Lookup is not null || read.Range is not null) && schema != PayloadSchemaType.Integer)
                {
                    throw new InvalidRequestException("`field_schema.lookup` and `field_schema.range` belong to integer indexes.");
                }

                return (schema, read.IsTenant ?? false);
            default:
                throw new InvalidRequestException("`field_schema` is required: a schema name, or an object with `type`.");
        }
    }

    private static PayloadSchemaType SchemaType(string name) => name switch
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
