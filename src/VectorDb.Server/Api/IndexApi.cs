using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Body of <c>PUT /collections/{name}/index</c>: <c>field_schema</c> is a name or {"type": name, "is_tenant": bool, …}.</summary>
internal sealed record CreateFieldIndexRequest(string? FieldName, [property: ReadAs(typeof(PayloadSchemaParams))] JsonElement? FieldSchema) : RequestBody;

/// <summary>
/// The object form of <c>field_schema</c>, with the parameters of every type; those of the types not built (geo,
/// datetime) are never reached, since the type is refused first. The text parameters are read by <see cref="TextJson"/>.
/// </summary>
[Refused("memory", "payload indexes are kept in memory")]
internal sealed record PayloadSchemaParams(string? Type, bool? IsTenant) : RequestBody
{
    public string? Tokenizer { get; init; }

    public int? MinTokenLen { get; init; }

    public int? MaxTokenLen { get; init; }

    public bool? Lowercase { get; init; }

    [Only("tokens are not folded to ASCII", false)]
    public bool? AsciiFolding { get; init; }

    public bool? PhraseMatching { get; init; }

    public JsonElement? Stopwords { get; init; }

    public JsonElement? Stemmer { get; init; }

    /// <summary>Text parameters given for another type (which Qdrant would reject as a different schema).</summary>
    public bool HasTextParameters => Tokenizer is not null || MinTokenLen is not null || MaxTokenLen is not null || Lowercase is not null
        || AsciiFolding is not null || PhraseMatching is not null || Stopwords is { ValueKind: not JsonValueKind.Null } || Stemmer is { ValueKind: not JsonValueKind.Null };

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

    /// <summary>Qdrant's keyword option to serve <c>match.prefix</c>; every keyword index here answers it (from its distinct values).</summary>
    public bool? Prefix { get; init; }
}

/// <summary>Payload field indexes: <c>PUT /collections/{name}/index</c>, <c>DELETE /collections/{name}/index/{field}</c>.</summary>
internal static class IndexApi
{
    public static RouteGroupBuilder MapIndexApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}/index").WithTags("Indexes").AddEndpointFilter<RequestValidationFilter>();
        group.MapPut("/", async (string name, CreateFieldIndexRequest request, HttpContext context, VectorDatabase db, StrictMode strict) =>
        {
            bool wait = RequestParsing.Wait(context);
            string field = string.IsNullOrWhiteSpace(request.FieldName) ? throw new InvalidRequestException("`field_name` is required.") : request.FieldName;
            var (schema, isTenant, text) = ParseSchema(request.FieldSchema);
            var collection = db.GetCollection(name);
            StrictMode.CreateIndex(collection, field);
            strict.Write(collection);
            await collection.CreatePayloadIndexAsync(field, schema, wait, isTenant, text);
            return Qdrant.Updated(wait);
        }).WithMetadata(QueryParameters.Write);
        group.MapDelete("/{field}", async (string name, string field, HttpContext context, VectorDatabase db, StrictMode strict) =>
        {
            bool wait = RequestParsing.Wait(context);
            var collection = db.GetCollection(name);
            strict.Write(collection);
            await collection.DeletePayloadIndexAsync(field, wait);
            return Qdrant.Updated(wait);
        }).WithMetadata(QueryParameters.Write);
        return group;
    }

    /// <summary>Qdrant's lower-case schema names.</summary>
    public static string SchemaName(PayloadSchemaType schema) => schema.ToString().ToLowerInvariant();

    /// <summary><c>field_schema</c>: a schema name, or Qdrant's object form with <c>type</c> and its parameters.</summary>
    internal static (PayloadSchemaType Schema, bool IsTenant, TextIndexOptions? Text) ParseSchema(JsonElement? element)
    {
        switch (element)
        {
            case { ValueKind: JsonValueKind.String } text:
                return (SchemaType(JsonText.Read(text, "field_schema")), false, null);
            case { ValueKind: JsonValueKind.Object } parameters:
                var schema = SchemaType(parameters.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                    ? JsonText.Read(type, "field_schema.type")
                    : throw new InvalidRequestException("`field_schema.type` is required in the object form of `field_schema`."));
                var read = ServerJson.ReadBody<PayloadSchemaParams>(parameters, "field_schema");
                if ((read.Lookup is not null || read.Range is not null) && schema != PayloadSchemaType.Integer)
                {
                    throw new InvalidRequestException("`field_schema.lookup` and `field_schema.range` belong to integer indexes.");
                }

                if (read.Prefix is not null && schema != PayloadSchemaType.Keyword)
                {
                    throw new InvalidRequestException("`field_schema.prefix` belongs to keyword indexes.");
                }

                if (read.HasTextParameters && schema != PayloadSchemaType.Text)
                {
                    throw new InvalidRequestException("Tokenizer, token lengths, lower-casing, stop words, stemming and phrase matching belong to text indexes.");
                }

                return (schema, read.IsTenant ?? false, schema == PayloadSchemaType.Text ? TextJson.Options(read) : null);
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
        "text" => PayloadSchemaType.Text,
        "datetime" => PayloadSchemaType.Datetime,
        "geo" => PayloadSchemaType.Geo,
        _ => throw new InvalidRequestException($"Unknown payload index schema `{name}` (supported: keyword, integer, float, bool, uuid, text, datetime, geo)."),
    };
}
