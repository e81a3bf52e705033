using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Body of <c>POST /collections/aliases</c>.</summary>
internal sealed record ChangeAliasesRequest(IReadOnlyList<AliasOperation?>? Actions) : RequestBody;

/// <summary>One alias action: exactly one of its fields.</summary>
internal sealed record AliasOperation(CreateAliasRequest? CreateAlias, DeleteAliasRequest? DeleteAlias, RenameAliasRequest? RenameAlias) : RequestBody;

internal sealed record CreateAliasRequest(string? CollectionName, string? AliasName) : RequestBody;

internal sealed record DeleteAliasRequest(string? AliasName) : RequestBody;

internal sealed record RenameAliasRequest(string? OldAliasName, string? NewAliasName) : RequestBody;

internal sealed record AliasDescription(string AliasName, string CollectionName);

internal sealed record AliasesResponse(IReadOnlyList<AliasDescription> Aliases);

/// <summary>Aliases: <c>POST /collections/aliases</c>, <c>GET /aliases</c>, <c>GET /collections/{name}/aliases</c>.</summary>
internal static class AliasesApi
{
    public static void MapAliasesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("").WithTags("Aliases").AddEndpointFilter<RequestValidationFilter>();
        group.MapPost("/collections/aliases", (ChangeAliasesRequest request, VectorDatabase db) =>
        {
            db.UpdateAliases(RequestParsing.Items(request.Actions, "actions").Select(Action));
            return Qdrant.Ok(true);
        }).WithMetadata(QueryParameters.CollectionWrite).WithSummary("Create, delete and rename aliases, all at once");
        group.MapGet("/aliases", (VectorDatabase db) => Qdrant.Ok(Describe(db.ListAliases())));
        group.MapGet("/collections/{name}/aliases", (string name, VectorDatabase db) =>
        {
            var collection = db.GetCollection(name);
            return Qdrant.Ok(Describe(db.ListAliases(collection.Name)));
        });
    }

    private static AliasesResponse Describe(IEnumerable<CollectionAlias> aliases) =>
        new([.. aliases.Select(alias => new AliasDescription(alias.Alias, alias.Collection))]);

    private static AliasAction Action(AliasOperation operation, int i) => operation switch
    {
        { CreateAlias: { } create, DeleteAlias: null, RenameAlias: null } => new CreateAlias(
            Required(create.AliasName, $"actions[{i}].create_alias.alias_name"), Required(create.CollectionName, $"actions[{i}].create_alias.collection_name")),
        { CreateAlias: null, DeleteAlias: { } delete, RenameAlias: null } => new DeleteAlias(Required(delete.AliasName, $"actions[{i}].delete_alias.alias_name")),
        { CreateAlias: null, DeleteAlias: null, RenameAlias: { } rename } => new RenameAlias(
            Required(rename.OldAliasName, $"actions[{i}].rename_alias.old_alias_name"), Required(rename.NewAliasName, $"actions[{i}].rename_alias.new_alias_name")),
        _ => throw new InvalidRequestException($"`actions[{i}]` must hold exactly one of create_alias, delete_alias, rename_alias."),
    };

    private static string Required(string? value, string path) =>
        string.IsNullOrEmpty(value) ? throw new InvalidRequestException($"`{path}` is required.") : value;
}
