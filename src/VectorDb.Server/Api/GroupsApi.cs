using System.Text.Json;
using System.Text.Json.Serialization;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Body of <c>POST …/points/query/groups</c>: a query request (without offset) and how to group its hits.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record QueryGroupsRequest(
    JsonElement? Query, int? Limit, float? ScoreThreshold, JsonElement? Filter, JsonElement? WithPayload, JsonElement? WithVector, SearchParams? Params,
    string? GroupBy, int? GroupSize, [property: ReadAs(typeof(WithLookup))] JsonElement? WithLookup) : RequestBody
{
    [ReadAs(typeof(PrefetchRequest))]
    public JsonElement? Prefetch { get; init; }

    public string? Using { get; init; }

    public LookupLocation? LookupFrom { get; init; }

    public JsonElement? WithVectors { get; init; }

    /// <summary>The same request as a plain query, which the groups are made of.</summary>
    public QueryRequest AsQuery() => new(Query, Limit, Offset: null, ScoreThreshold, Filter, WithPayload, WithVector, Params)
    {
        Prefetch = Prefetch,
        Using = Using,
        LookupFrom = LookupFrom,
        WithVectors = WithVectors,
    };
}

/// <summary><c>with_lookup</c>: the collection whose point of each group's id is returned with the group.</summary>
internal sealed record WithLookup(string? Collection, JsonElement? WithPayload, JsonElement? WithVectors) : RequestBody
{
    public JsonElement? WithVector { get; init; }
}

/// <summary>A group of hits, and the point its id names in the lookup collection.</summary>
internal sealed record GroupResponse(object Id, IReadOnlyList<ScoredPointResponse> Hits)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public PointResponse? Lookup { get; init; }
}

internal sealed record GroupsResponse(IReadOnlyList<GroupResponse> Groups);

/// <summary>How a grouped request groups its hits: <c>group_by</c>, <c>group_size</c>, <c>with_lookup</c>.</summary>
internal sealed record Grouping(string? GroupBy, int? GroupSize, JsonElement? WithLookup);

/// <summary>Grouped queries: <c>points/query/groups</c>, and the older <c>points/search/groups</c> and <c>points/recommend/groups</c>.</summary>
internal static class GroupsApi
{
    public static GroupsResponse Query(VectorDatabase database, Collection collection, QueryGroupsRequest request, ServerOptions limits, CancellationToken cancellation) =>
        Grouped(
            database, collection, new QueryJson(database, collection).Stage(request.AsQuery()), new Grouping(request.GroupBy, request.GroupSize, request.WithLookup),
            request.WithPayload, RequestParsing.Alias(request.WithVector, "with_vector", request.WithVectors, "with_vectors"), request.Params, limits, cancellation);

    /// <summary>The hits of <paramref name="stage"/> in groups, rendered; shared by every grouped endpoint.</summary>
    public static GroupsResponse Grouped(
        VectorDatabase database, Collection collection, PointQuery stage, Grouping grouping, JsonElement? withPayload, JsonElement? withVector, SearchParams? parameters,
        ServerOptions limits, CancellationToken cancellation)
    {
        string groupBy = string.IsNullOrEmpty(grouping.GroupBy) ? throw new InvalidRequestException("`group_by` (a payload key) is required.") : grouping.GroupBy;
        int groupSize = grouping.GroupSize ?? 3;
        var payload = RequestParsing.PayloadSelector(withPayload, defaultValue: false);
        var vectors = VectorSelector.Parse(withVector, collection.Options);
        if (parameters?.Explain is not null)
        {
            throw new InvalidRequestException("`params.explain` is not supported by grouped queries: explain the same query through points/query.");
        }

        SearchApi.CheckLimits(stage, 0, limits);
        ServerOptions.Check("limit × group_size", (long)stage.Limit * groupSize, limits.MaxLimit, nameof(limits.MaxLimit));
        StrictMode.Query(collection, stage with { Limit = 1 });
        StrictMode.Limit(collection, (long)stage.Limit * groupSize, "limit × group_size");
        var lookup = Lookup(database, grouping.WithLookup);
        var groups = collection.QueryGroups(stage, groupBy, groupSize, new QueryOptions { WithPayload = payload.WantsPayload, WithVector = vectors.Wants }, cancellation);
        return new GroupsResponse([.. groups.Select(group => new GroupResponse(
            group.Id.Text ?? (object)group.Id.Number,
            [.. group.Hits.Select(hit => SearchApi.Response(hit, payload, vectors, collection.Options))])
        {
            Lookup = lookup is { } with ? LookedUp(with, group.Id) : null,
        })]);
    }

    /// <summary>Where and what to look up for each group, read from a collection name or a <see cref="WithLookup"/>; null without one.</summary>
    private static (Collection Collection, PayloadSelector Payload, VectorSelector Vectors)? Lookup(VectorDatabase database, JsonElement? element)
    {
        switch (element)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } name:
                return (database.GetCollection(JsonText.Read(name, "with_lookup")), PayloadSelector.All, VectorSelector.None);
            case { ValueKind: JsonValueKind.Object } given:
                var with = ServerJson.ReadBody<WithLookup>(given, "with_lookup");
                var other = database.GetCollection(with.Collection ?? throw new InvalidRequestException("`with_lookup.collection` is required."));
                return (other, RequestParsing.PayloadSelector(with.WithPayload, defaultValue: true),
                    VectorSelector.Parse(RequestParsing.Alias(with.WithVectors, "with_vectors", with.WithVector, "with_vector"), other.Options));
            default:
                throw new InvalidRequestException("`with_lookup` is a collection name or {\"collection\", \"with_payload\", \"with_vectors\"}.");
        }
    }

    /// <summary>The lookup collection's point whose id is the group's (an unsigned integer or a UUID); null when there is none.</summary>
    private static PointResponse? LookedUp((Collection Collection, PayloadSelector Payload, VectorSelector Vectors) lookup, GroupId group)
    {
        PointId? id = group.Text is { } text ? (Guid.TryParse(text, out var uuid) ? new PointId(uuid) : null) : group.Number >= 0 ? new PointId((ulong)group.Number) : null;
        return id is { } pointId && lookup.Collection.Get(pointId, lookup.Vectors.Wants, lookup.Payload.WantsPayload) is { } record
            ? PointsApi.Record(record, lookup.Payload, lookup.Vectors, lookup.Collection.Options)
            : null;
    }
}
