using System.Diagnostics;
using Grpc.Core;
using VectorDb.Server.Api;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Qdrant's <c>qdrant.Collections</c> gRPC service: collections and aliases as the REST API serves them. The cluster and
/// shard-key RPCs answer <c>Unimplemented</c>: this server is one node with one shard per collection.
/// </summary>
[BindServiceMethod(typeof(CollectionsService), nameof(BindService))]
internal class CollectionsService(VectorDatabase database, ServerOptions limits, StrictMode strict)
{
    private static readonly ReadFields DeleteFields = ReadFields.Of<Proto.DeleteCollection>("collection_name");
    private static readonly ReadFields AliasesFields = ReadFields.Of<Proto.ChangeAliases>("actions");

    /// <summary>Binds every RPC of <c>qdrant.Collections</c> to this class's methods of the same names.</summary>
    public static void BindService(ServiceBinderBase binder, CollectionsService? service) =>
        GrpcBinding.Bind(binder, Proto.CollectionsServiceReflection.Descriptor.Services.Single());

    public virtual Task<Proto.GetCollectionInfoResponse> Get(Proto.GetCollectionInfoRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var info = ProtoCollections.Describe(database.GetCollection(request.CollectionName));
        return Task.FromResult(new Proto.GetCollectionInfoResponse { Result = info, Time = Seconds(started) });
    }

    public virtual Task<Proto.ListCollectionsResponse> List(Proto.ListCollectionsRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var response = new Proto.ListCollectionsResponse();
        response.Collections.AddRange(database.ListCollections().Select(name => new Proto.CollectionDescription { Name = name }));
        response.Time = Seconds(started);
        return Task.FromResult(response);
    }

    public virtual async Task<Proto.CollectionOperationResponse> Create(Proto.CreateCollection request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var options = ProtoCollections.CreateOptions(request, limits);
        await database.CreateCollectionAsync(request.CollectionName, options);
        return new Proto.CollectionOperationResponse { Result = true, Time = Seconds(started) };
    }

    public virtual Task<Proto.CollectionOperationResponse> Update(Proto.UpdateCollection request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var change = ProtoCollections.UpdateRequest(request);
        CollectionsApi.Update(database.GetCollection(request.CollectionName), change, strict);
        return Task.FromResult(new Proto.CollectionOperationResponse { Result = true, Time = Seconds(started) });
    }

    public virtual async Task<Proto.CollectionOperationResponse> Delete(Proto.DeleteCollection request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        DeleteFields.Check(request);
        bool deleted = await database.DeleteCollectionAsync(request.CollectionName);
        return new Proto.CollectionOperationResponse { Result = deleted, Time = Seconds(started) };
    }

    public virtual Task<Proto.CollectionOperationResponse> UpdateAliases(Proto.ChangeAliases request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        AliasesFields.Check(request);
        database.UpdateAliases(request.Actions.Select((action, i) => action.ActionCase switch
        {
            Proto.AliasOperations.ActionOneofCase.CreateAlias => (AliasAction)new CreateAlias(
                Required(action.CreateAlias.AliasName, $"actions[{i}].create_alias.alias_name"), Required(action.CreateAlias.CollectionName, $"actions[{i}].create_alias.collection_name")),
            Proto.AliasOperations.ActionOneofCase.DeleteAlias => new DeleteAlias(Required(action.DeleteAlias.AliasName, $"actions[{i}].delete_alias.alias_name")),
            Proto.AliasOperations.ActionOneofCase.RenameAlias => new RenameAlias(
                Required(action.RenameAlias.OldAliasName, $"actions[{i}].rename_alias.old_alias_name"), Required(action.RenameAlias.NewAliasName, $"actions[{i}].rename_alias.new_alias_name")),
            _ => throw new InvalidRequestException($"`actions[{i}]` must hold one of create_alias, delete_alias, rename_alias."),
        }).ToList());
        return Task.FromResult(new Proto.CollectionOperationResponse { Result = true, Time = Seconds(started) });
    }

    public virtual Task<Proto.ListAliasesResponse> ListCollectionAliases(Proto.ListCollectionAliasesRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var collection = database.GetCollection(request.CollectionName);
        return Task.FromResult(Aliases(database.ListAliases(collection.Name), started));
    }

    public virtual Task<Proto.ListAliasesResponse> ListAliases(Proto.ListAliasesRequest request, ServerCallContext context) =>
        Task.FromResult(Aliases(database.ListAliases(), Stopwatch.GetTimestamp()));

    public virtual Task<Proto.CollectionExistsResponse> CollectionExists(Proto.CollectionExistsRequest request, ServerCallContext context)
    {
        long started = Stopwatch.GetTimestamp();
        return Task.FromResult(new Proto.CollectionExistsResponse
        {
            Result = new Proto.CollectionExists { Exists = database.CollectionExists(request.CollectionName) },
            Time = Seconds(started),
        });
    }

    public virtual Task<Proto.CollectionClusterInfoResponse> CollectionClusterInfo(Proto.CollectionClusterInfoRequest request, ServerCallContext context) =>
        throw SingleNode("qdrant.Collections/CollectionClusterInfo");

    public virtual Task<Proto.UpdateCollectionClusterSetupResponse> UpdateCollectionClusterSetup(Proto.UpdateCollectionClusterSetupRequest request, ServerCallContext context) =>
        throw SingleNode("qdrant.Collections/UpdateCollectionClusterSetup");

    public virtual Task<Proto.CreateShardKeyResponse> CreateShardKey(Proto.CreateShardKeyRequest request, ServerCallContext context) =>
        throw SingleNode("qdrant.Collections/CreateShardKey");

    public virtual Task<Proto.DeleteShardKeyResponse> DeleteShardKey(Proto.DeleteShardKeyRequest request, ServerCallContext context) =>
        throw SingleNode("qdrant.Collections/DeleteShardKey");

    public virtual Task<Proto.ListShardKeysResponse> ListShardKeys(Proto.ListShardKeysRequest request, ServerCallContext context) =>
        throw SingleNode("qdrant.Collections/ListShardKeys");

    private static Proto.ListAliasesResponse Aliases(IEnumerable<CollectionAlias> aliases, long started)
    {
        var response = new Proto.ListAliasesResponse();
        response.Aliases.AddRange(aliases.Select(alias => new Proto.AliasDescription { AliasName = alias.Alias, CollectionName = alias.Collection }));
        response.Time = Seconds(started);
        return response;
    }

    private static RpcException SingleNode(string rpc) =>
        new(new Status(StatusCode.Unimplemented, $"{rpc} is not implemented by this server: it is a single node, with one shard per collection."));

    private static string Required(string value, string path) =>
        string.IsNullOrEmpty(value) ? throw new InvalidRequestException($"`{path}` is required.") : value;

    private static double Seconds(long started) => Stopwatch.GetElapsedTime(started).TotalSeconds;
}
