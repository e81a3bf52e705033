using System.Text.Json;
using VectorDb.Query;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>A point of the list form of an upsert; <c>vectors</c> is the alias of <c>vector</c> that Qdrant accepts too.</summary>
internal sealed record PointStruct(JsonElement Id, VectorField? Vector, JsonElement? Payload) : RequestBody
{
    public VectorField? Vectors { get; init; }
}

/// <summary>The column form of an upsert.</summary>
internal sealed record PointsBatch(JsonElement Ids, VectorColumns? Vectors, JsonElement? Payloads) : RequestBody;

/// <summary>Body of <c>PUT …/points</c>: the list form or the column (batch) form, and the conditions of the write.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record UpsertRequest(IReadOnlyList<PointStruct?>? Points, PointsBatch? Batch, JsonElement? UpdateFilter = null, string? UpdateMode = null) : RequestBody;

[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record RetrieveRequest(JsonElement Ids, JsonElement? WithPayload, JsonElement? WithVector) : RequestBody
{
    public JsonElement? WithVectors { get; init; }
}

/// <summary>Qdrant's points selector: a list of ids, or a filter (delete, clear payload).</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record PointsSelector(JsonElement? Points, JsonElement? Filter) : RequestBody;

/// <summary>Body of set and overwrite payload: the payload, and which points (ids or filter).</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record SetPayloadRequest(JsonElement? Payload, JsonElement? Points, JsonElement? Filter, string? Key = null) : RequestBody;

/// <summary>Body of delete payload keys: the keys, and which points (ids or filter).</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record DeletePayloadRequest(JsonElement? Keys, JsonElement? Points, JsonElement? Filter) : RequestBody;

/// <summary><c>exact: false</c> allows an approximate count; ours is always exact, which that allows too.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record CountRequest(JsonElement? Filter, bool? Exact) : RequestBody;

[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record ScrollRequest(JsonElement? Offset, int? Limit, JsonElement? Filter, JsonElement? WithPayload, JsonElement? WithVector, [property: ReadAs(typeof(OrderBy))] JsonElement? OrderBy = null) : RequestBody
{
    public JsonElement? WithVectors { get; init; }
}

/// <summary><c>/collections/{name}/points</c>: upsert, retrieve, delete, payload updates, count, scroll.</summary>
internal static class PointsApi
{
    public static RouteGroupBuilder MapPointsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}/points").WithTags("Points").AddEndpointFilter<RequestValidationFilter>();
        group.MapPut("/", (string name, UpsertRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
            Write(name, context, db, collection => Upsert(collection, request, limits, strict)))
            .WithMetadata(QueryParameters.Write);
        group.MapPost("/", (string name, RetrieveRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var payload = RequestParsing.PayloadSelector(request.WithPayload, defaultValue: true);
            var collection = db.GetCollection(name);
            strict.Read(collection, context);
            var vectors = VectorSelector.Parse(RequestParsing.Alias(request.WithVector, "with_vector", request.WithVectors, "with_vectors"), collection.Options);
            var ids = RequestParsing.PointIds(request.Ids);
            var records = QueryTimeout.Run(context, limits, cancellation => collection.Get(ids, vectors.Wants, payload.WantsPayload, cancellation));
            return Qdrant.Ok(records.Select(r => Record(r, payload, vectors, collection.Options)).ToList());
        }).WithMetadata(QueryParameters.Read);
        group.MapGet("/{id}", (string name, string id, HttpContext context, VectorDatabase db, StrictMode strict) =>
        {
            var pointId = RequestParsing.PointId(id);
            var collection = db.GetCollection(name);
            strict.Read(collection, context);
            var record = collection.Get(pointId)
                ?? throw new NotFoundException($"No point with id {pointId} found");
            return Qdrant.Ok(Record(record, PayloadSelector.All, VectorSelector.All, collection.Options));
        }).WithMetadata(QueryParameters.PointRead);
        group.MapPost("/delete", (string name, PointsSelector request, HttpContext context, VectorDatabase db, StrictMode strict) =>
            Write(name, context, db, collection => Delete(collection, request, strict)))
            .WithMetadata(QueryParameters.Write);
        group.MapPost("/payload", (string name, SetPayloadRequest request, HttpContext context, VectorDatabase db, StrictMode strict) =>
            Write(name, context, db, collection => SetPayload(collection, request, strict)))
            .WithMetadata(QueryParameters.Write);
        group.MapPut("/payload", (string name, SetPayloadRequest request, HttpContext context, VectorDatabase db, StrictMode strict) =>
            Write(name, context, db, collection => OverwritePayload(collection, request, strict)))
            .WithMetadata(QueryParameters.Write);
        group.MapPost("/payload/delete", (string name, DeletePayloadRequest request, HttpContext context, VectorDatabase db, StrictMode strict) =>
            Write(name, context, db, collection => DeletePayload(collection, request, strict)))
            .WithMetadata(QueryParameters.Write);
        group.MapPost("/payload/clear", (string name, PointsSelector request, HttpContext context, VectorDatabase db, StrictMode strict) =>
            Write(name, context, db, collection => ClearPayload(collection, request, strict)))
            .WithMetadata(QueryParameters.Write);
        group.MapPost("/count", (string name, CountRequest? request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            var collection = db.GetCollection(name);
            var filter = FilterJson.Parse(request?.Filter);
            StrictMode.Filter(collection, filter, update: false);
            strict.Read(collection, context);
            return Qdrant.Ok(new CountResponse(QueryTimeout.Run(context, limits, cancellation => collection.Count(filter, cancellation))));
        }).WithMetadata(QueryParameters.Read);
        group.MapPost("/scroll", (string name, ScrollRequest? request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            ServerOptions.Check("limit", request?.Limit ?? 0, limits.MaxLimit, nameof(limits.MaxLimit));
            int limit = request?.Limit ?? 10;
            PointId? offset = request?.Offset is { ValueKind: not JsonValueKind.Null } o ? RequestParsing.PointId(o) : null;
            var order = ParseOrderBy(request?.OrderBy);
            if (order is not null && offset is not null)
            {
                throw new InvalidRequestException("Cannot use an `offset` when using `order_by`: page with `order_by.start_from` and a `must_not` `has_id` filter on the ids already seen with that value.");
            }

            var payload = RequestParsing.PayloadSelector(request?.WithPayload, defaultValue: true);
            var collection = db.GetCollection(name);
            var vectors = VectorSelector.Parse(RequestParsing.Alias(request?.WithVector, "with_vector", request?.WithVectors, "with_vectors"), collection.Options);
            var filter = FilterJson.Parse(request?.Filter);
            StrictMode.Limit(collection, limit);
            StrictMode.Filter(collection, filter, update: false);
            strict.Read(collection, context);
            var page = QueryTimeout.Run(context, limits, cancellation => order is null
                ? collection.Scroll(offset, limit, vectors.Wants, payload.WantsPayload, filter, cancellation)
                : collection.ScrollOrdered(order, limit, vectors.Wants, payload.WantsPayload, filter, cancellation));
            return Qdrant.Ok(new ScrollResponse([.. page.Points.Select(r => Record(r, payload, vectors, collection.Options))], page.NextOffset));
        }).WithMetadata(QueryParameters.Read);
        group.MapPut("/vectors", (string name, UpdateVectorsRequest request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
            Write(name, context, db, collection => UpdateVectors(collection, request, limits, strict)))
            .WithMetadata(QueryParameters.Write).WithSummary("Replace some vectors of existing points, keeping their other vectors and payloads");
        group.MapPost("/vectors/delete", (string name, DeleteVectorsRequest request, HttpContext context, VectorDatabase db, StrictMode strict) =>
            Write(name, context, db, collection => DeleteVectors(collection, request, strict)))
            .WithMetadata(QueryParameters.Write).WithSummary("Remove the named vectors from points, keeping their other vectors and payloads");
        group.MapPost("/batch", async (string name, UpdateOperations request, HttpContext context, VectorDatabase db, ServerOptions limits, StrictMode strict) =>
        {
            bool wait = RequestParsing.Wait(context);
            var collection = db.GetCollection(name);
            var operations = BatchOperations.Prepare(collection, request, limits, strict);
            return Qdrant.Ok(await BatchOperations.ApplyAsync(operations, wait));
        }).WithMetadata(QueryParameters.Write).WithSummary("Apply several point operations in order");
        return group;
    }

    /// <summary>Checks a write request, then applies it (waiting for it to be durable when asked) and answers with Qdrant's update result.</summary>
    /// <remarks>The write awaits its log commit without holding a request thread (the engine's async write path).</remarks>
    private static async Task<QdrantOk<UpdateResult>> Write(string name, HttpContext context, VectorDatabase db, Func<Collection, PreparedWrite> prepare)
    {
        bool wait = RequestParsing.Wait(context);
        await prepare(db.GetCollection(name))(wait);
        return Qdrant.Updated(wait);
    }

    /// <summary>
    /// An upsert, its points read and checked; the write happens when the result is called. A batch passes
    /// <c>collected</c> to receive the points, whose total it holds to the limits too.
    /// </summary>
    internal static PreparedWrite Upsert(Collection collection, UpsertRequest request, ServerOptions limits, StrictMode strict, List<Point>? collected = null)
    {
        var points = ToPoints(request, collection.Options);
        collected?.AddRange(points);
        ServerOptions.Check("The number of points", points.Count, limits.MaxBatchPoints, nameof(limits.MaxBatchPoints));
        var options = new UpsertOptions { Mode = ParseUpsertMode(request.UpdateMode), UpdateFilter = FilterJson.Parse(request.UpdateFilter, "update_filter") };
        StrictMode.Upsert(collection, points);
        StrictMode.Filter(collection, options.UpdateFilter, update: true);
        strict.Write(collection, points.Count);
        return wait => collection.UpsertAsync(points, options with { Wait = wait });
    }

    internal static PreparedWrite Delete(Collection collection, PointsSelector request, StrictMode strict) =>
        OnSelected(collection, strict, request.Points, request.Filter, (ids, wait) => collection.DeleteAsync(ids, wait));

    internal static PreparedWrite SetPayload(Collection collection, SetPayloadRequest request, StrictMode strict)
    {
        var payload = RequiredPayload(request.Payload);
        StrictMode.PayloadUpdate(collection);
        if (request.Key is { } key)
        {
            _ = Payload.CheckedPath(key);
            return OnSelected(collection, strict, request.Points, request.Filter, (ids, wait) => collection.SetPayloadAsync(ids, payload, key, wait));
        }

        return OnSelected(collection, strict, request.Points, request.Filter, (ids, wait) => collection.SetPayloadAsync(ids, payload, wait));
    }

    internal static PreparedWrite OverwritePayload(Collection collection, SetPayloadRequest request, StrictMode strict)
    {
        if (request.Key is not null)
        {
            throw new InvalidRequestException("`key` belongs to set_payload (POST); an overwrite replaces the whole payload.");
        }

        var payload = RequiredPayload(request.Payload);
        StrictMode.PayloadUpdate(collection);
        return OnSelected(collection, strict, request.Points, request.Filter, (ids, wait) => collection.OverwritePayloadAsync(ids, payload, wait));
    }

    internal static PreparedWrite DeletePayload(Collection collection, DeletePayloadRequest request, StrictMode strict)
    {
        var keys = RequiredKeys(request.Keys);
        return OnSelected(collection, strict, request.Points, request.Filter, (ids, wait) => collection.DeletePayloadKeysAsync(ids, keys, wait));
    }

    internal static PreparedWrite ClearPayload(Collection collection, PointsSelector request, StrictMode strict) =>
        OnSelected(collection, strict, request.Points, request.Filter, (ids, wait) => collection.ClearPayloadAsync(ids, wait));

    internal static PreparedWrite UpdateVectors(Collection collection, UpdateVectorsRequest request, ServerOptions limits, StrictMode strict, List<Point>? collected = null)
    {
        var points = RequestParsing.Items(request.Points, "points");
        ServerOptions.Check("The number of points", points.Count, limits.MaxBatchPoints, nameof(limits.MaxBatchPoints));
        var updates = points.Select((p, i) => VectorJson.Point(
            RequestParsing.PointId(p.Id),
            p.Vector ?? throw new InvalidRequestException($"`points[{i}].vector` is required."),
            null,
            collection.Options,
            $"points[{i}].vector")).ToList();
        collected?.AddRange(updates);
        var filter = FilterJson.Parse(request.UpdateFilter, "update_filter");
        StrictMode.Upsert(collection, updates, payloads: false);
        StrictMode.Filter(collection, filter, update: true);
        strict.Write(collection, updates.Count);
        return wait => collection.UpdateVectorsAsync(updates, wait, filter);
    }

    internal static PreparedWrite DeleteVectors(Collection collection, DeleteVectorsRequest request, StrictMode strict)
    {
        var names = request.Vector is { ValueKind: JsonValueKind.Array } list
            ? list.EnumerateArray().Select(n => n.ValueKind == JsonValueKind.String ? JsonText.Read(n, "vector") : throw new InvalidRequestException("`vector` lists vector names (strings).")).ToList()
            : throw new InvalidRequestException("`vector` (a list of vector names) is required.");
        return OnSelected(collection, strict, request.Points, request.Filter, (ids, wait) => collection.DeleteVectorsAsync(ids, names, wait));
    }

    /// <summary>
    /// A write on the points a request names: ids read now, a filter's matches found when the write runs (after the
    /// operations before it in a batch).
    /// </summary>
    private static PreparedWrite OnSelected(Collection collection, StrictMode strict, JsonElement? points, JsonElement? filter, Func<IReadOnlyList<PointId>, bool, Task> update)
    {
        bool hasIds = points is { ValueKind: not JsonValueKind.Null };
        bool hasFilter = filter is { ValueKind: not JsonValueKind.Null };
        switch (hasIds, hasFilter)
        {
            case (true, false):
                var ids = RequestParsing.PointIds(points!.Value);
                strict.Write(collection);
                return wait => update(ids, wait);
            case (false, true):
                var parsed = FilterJson.Parse(filter)!;
                StrictMode.Filter(collection, parsed, update: true);
                strict.Write(collection);
                return wait => update(collection.FindIds(parsed), wait);
            case (true, true):
                throw new InvalidRequestException("Send `points` (a list of ids) or `filter`, not both.");
            default:
                throw new InvalidRequestException("Send `points` (a list of ids) or `filter`.");
        }
    }

    private static Payload RequiredPayload(JsonElement? payload) =>
        RequestParsing.Payload(payload) ?? throw new InvalidRequestException("`payload` (an object) is required.");

    private static List<string> RequiredKeys(JsonElement? keys) =>
        keys is { ValueKind: JsonValueKind.Array } list
            ? [.. list.EnumerateArray().Select(RequestParsing.KeyName)]
            : throw new InvalidRequestException("`keys` (a list of payload keys) is required.");

    /// <summary><c>update_mode</c>: Qdrant's <c>upsert</c> (the default), <c>insert_only</c> or <c>update_only</c>.</summary>
    private static UpsertMode ParseUpsertMode(string? mode) => mode switch
    {
        null or "upsert" => UpsertMode.Upsert,
        "insert_only" => UpsertMode.InsertOnly,
        "update_only" => UpsertMode.UpdateOnly,
        _ => throw new InvalidRequestException($"update_mode must be upsert, insert_only or update_only, got `{mode}`."),
    };

    /// <summary><c>order_by</c>: a payload key, or {"key", "direction": "asc"|"desc", "start_from": number}.</summary>
    internal static ScrollOrder? ParseOrderBy(JsonElement? element)
    {
        switch (element)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } key:
                return new ScrollOrder(JsonText.Read(key, "order_by"));
            case { ValueKind: JsonValueKind.Object } order:
                var read = ServerJson.ReadBody<OrderBy>(order, "order_by");
                if (string.IsNullOrEmpty(read.Key))
                {
                    throw new InvalidRequestException("`order_by.key` (a payload key) is required.");
                }

                return new ScrollOrder(read.Key, read.Direction switch
                {
                    null or "asc" => false,
                    "desc" => true,
                    _ => throw new InvalidRequestException($"order_by.direction must be asc or desc, got `{read.Direction}`."),
                }, read.StartFrom switch
                {
                    null or { ValueKind: JsonValueKind.Null } => null,
                    { ValueKind: JsonValueKind.Number } number when number.TryGetDouble(out double value) && double.IsFinite(value) => value,
                    _ => throw new InvalidRequestException("order_by.start_from must be a number (ordering by a datetime index is not supported yet)."),
                });
            default:
                throw new InvalidRequestException("order_by is a payload key or an object with `key`, `direction` and `start_from`.");
        }
    }

    internal static PointResponse Record(PointRecord record, PayloadSelector payload, VectorSelector vectors, CollectionOptions collection) =>
        new(record.Id, payload.Apply(record.Payload), VectorJson.Output(record.Vector, record.NamedVectors, record.SparseVectors, record.Multivectors, collection, vectors)) { OrderValue = record.OrderValue };

    private static List<Point> ToPoints(UpsertRequest request, CollectionOptions collection)
    {
        if (request.Points is { } points)
        {
            if (request.Batch is not null)
            {
                throw new InvalidRequestException("Send either `points` or `batch`, not both.");
            }

            return [.. RequestParsing.Items(points, "points").Select((p, i) => VectorJson.Point(
                RequestParsing.PointId(p.Id),
                RequestParsing.Alias(p.Vector, $"points[{i}].vector", p.Vectors, $"points[{i}].vectors") ?? VectorField.Of(EmptyVectors(collection, $"points[{i}].vector")),
                RequestParsing.Payload(p.Payload),
                collection,
                $"points[{i}].vector"))];
        }

        if (request.Batch is not { } batch)
        {
            throw new InvalidRequestException("Send either `points` or `batch`.");
        }

        var ids = RequestParsing.PointIds(batch.Ids);
        var payloads = batch.Payloads switch
        {
            null or { ValueKind: JsonValueKind.Null } => null,
            { ValueKind: JsonValueKind.Array } list => list.EnumerateArray().ToList(),
            _ => throw new InvalidRequestException("`batch.payloads` must be a list with one payload (or null) per id."),
        };
        if (payloads is not null && payloads.Count != ids.Count)
        {
            throw new InvalidRequestException("`batch.payloads` must have one payload per id.");
        }

        var vectors = BatchVectors(batch.Vectors, ids.Count);
        return [.. ids.Select((id, i) => VectorJson.Point(id, vectors[i], payloads is null ? null : RequestParsing.Payload(payloads[i]), collection, $"batch.vectors[{i}]"))];
    }

    /// <summary>
    /// The batch form's vectors, one per id, each in the shape of a point's <c>vector</c>: a list of vectors (the unnamed
    /// vector's), or a map of vector names to lists of vectors.
    /// </summary>
    private static List<VectorField> BatchVectors(VectorColumns? given, int count)
    {
        if (given?.Dense is { } rows)
        {
            return rows.Length == count
                ? [.. rows.Select(VectorField.Of)]
                : throw new InvalidRequestException("`batch.vectors` must be a list with one vector per id.");
        }

        var columns = given?.Json ?? default;
        if (columns.ValueKind == JsonValueKind.Array)
        {
            return columns.GetArrayLength() == count
                ? [.. columns.EnumerateArray().Select(VectorField.Of)]
                : throw new InvalidRequestException("`batch.vectors` must be a list with one vector per id.");
        }

        if (columns.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException("`batch.vectors` is a list of vectors or a map of vector names to lists of vectors.");
        }

        var named = JsonText.Fields(columns).ToList();
        foreach (var field in named)
        {
            if (field.Value.ValueKind != JsonValueKind.Array || field.Value.GetArrayLength() != count)
            {
                throw new InvalidRequestException($"`batch.vectors.{field.Name}` must be a list with one vector per id.");
            }
        }

        // Rebuilt as one `{"name": vector, ...}` object per point, the shape VectorJson reads.
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var point = new System.Text.Json.Nodes.JsonObject();
            foreach (var field in named)
            {
                point[field.Name] = System.Text.Json.Nodes.JsonNode.Parse(field.Value[i].GetRawText());
            }

            return VectorField.Of(JsonSerializer.SerializeToElement(point));
        })];
    }

    /// <summary>A point without `vector`: allowed (as <c>{}</c>) in a collection without an unnamed vector.</summary>
    private static JsonElement EmptyVectors(CollectionOptions collection, string path) =>
        collection.HasUnnamedVector
            ? throw new InvalidRequestException($"`{path}` is required.")
            : JsonSerializer.SerializeToElement(new Dictionary<string, object>());
}

/// <summary>Body of <c>PUT …/points/vectors</c>: points with the vectors to replace.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record UpdateVectorsRequest(IReadOnlyList<PointVectorsStruct?>? Points, JsonElement? UpdateFilter = null) : RequestBody;

/// <summary>A point of a vector update: its id and the vectors to replace.</summary>
internal sealed record PointVectorsStruct(JsonElement Id, JsonElement? Vector) : RequestBody;

/// <summary>Body of <c>POST …/points/vectors/delete</c>: which points (ids or filter) and the names of the vectors to remove.</summary>
[Refused("shard_key", RequestParsing.OneShard)]
internal sealed record DeleteVectorsRequest(JsonElement? Points, JsonElement? Filter, JsonElement? Vector) : RequestBody;

/// <summary>A checked write, run when called with whether to wait until it is durable.</summary>
internal delegate Task PreparedWrite(bool wait);

/// <summary>The object form of <c>order_by</c>.</summary>
internal sealed record OrderBy(string? Key, string? Direction, JsonElement? StartFrom) : RequestBody;
