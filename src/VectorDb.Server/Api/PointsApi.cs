using System.Diagnostics;
using System.Text.Json;

namespace VectorDb.Server.Api;

internal sealed record PointStruct(JsonElement Id, JsonElement Vector, JsonElement? Payload);

internal sealed record PointsBatch(JsonElement Ids, JsonElement Vectors, JsonElement? Payloads);

/// <summary>Body of <c>PUT …/points</c>: the list form or the column (batch) form.</summary>
internal sealed record UpsertRequest(IReadOnlyList<PointStruct?>? Points, PointsBatch? Batch);

internal sealed record RetrieveRequest(JsonElement Ids, JsonElement? WithPayload, JsonElement? WithVector);

internal sealed record DeleteRequest(JsonElement? Points, JsonElement? Filter);

/// <summary>Body of the payload endpoints: which points (ids or filter), and the payload or keys.</summary>
internal sealed record PayloadRequest(JsonElement? Payload, JsonElement? Keys, JsonElement? Points, JsonElement? Filter, string? Key);

internal sealed record CountRequest(JsonElement? Filter, bool? Exact);

internal sealed record ScrollRequest(JsonElement? Offset, int? Limit, JsonElement? Filter, JsonElement? WithPayload, JsonElement? WithVector);

/// <summary><c>/collections/{name}/points</c>: upsert, retrieve, delete, count, scroll.</summary>
internal static class PointsApi
{
    public static RouteGroupBuilder MapPointsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}/points").WithTags("Points");
        group.MapPut("/", (string name, UpsertRequest request, HttpContext context, VectorDatabase db, ServerOptions limits) =>
        {
            long start = Stopwatch.GetTimestamp();
            bool wait = RequestParsing.Wait(context);
            var points = ToPoints(request);
            ServerOptions.Check("The number of points", points.Count, limits.MaxBatchPoints, nameof(limits.MaxBatchPoints));
            db.GetCollection(name).Upsert(points, wait);
            return QdrantResults.Ok(QdrantResults.UpdateResult(wait), start);
        });
        group.MapPost("/", (string name, RetrieveRequest request, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            var payload = RequestParsing.PayloadSelector(request.WithPayload, defaultValue: true);
            bool withVector = RequestParsing.WithVector(request.WithVector);
            var records = db.GetCollection(name).Get(RequestParsing.PointIds(request.Ids), withVector, payload.WantsPayload);
            return QdrantResults.Ok(records.Select(r => Record(r, payload)), start);
        });
        group.MapGet("/{id}", (string name, string id, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            var pointId = RequestParsing.PointId(id);
            var record = db.GetCollection(name).Get(pointId)
                ?? throw new NotFoundException($"No point with id {pointId} found");
            return QdrantResults.Ok(Record(record, PayloadSelector.All), start);
        });
        group.MapPost("/delete", (string name, DeleteRequest request, HttpContext context, VectorDatabase db) =>
        {
            long start = Stopwatch.GetTimestamp();
            bool wait = RequestParsing.Wait(context);
            var collection = db.GetCollection(name);
            collection.Delete(Selected(collection, request.Points, request.Filter), wait);

            return QdrantResults.Ok(QdrantResults.UpdateResult(wait), start);
        });
        group.MapPost("/payload", (string name, PayloadRequest request, HttpContext context, VectorDatabase db) =>
            UpdatePayload(name, request, context, db, (c, ids, wait) => c.SetPayload(ids, RequiredPayload(request), wait)));
        group.MapPut("/payload", (string name, PayloadRequest request, HttpContext context, VectorDatabase db) =>
            UpdatePayload(name, request, context, db, (c, ids, wait) => c.OverwritePayload(ids, RequiredPayload(request), wait)));
        group.MapPost("/payload/delete", (string name, PayloadRequest request, HttpContext context, VectorDatabase db) =>
            UpdatePayload(name, request, context, db, (c, ids, wait) => c.DeletePayloadKeys(ids, RequiredKeys(request), wait)));
        group.MapPost("/payload/clear", (string name, PayloadRequest request, HttpContext context, VectorDatabase db) =>
            UpdatePayload(name, request, context, db, (c, ids, wait) => c.ClearPayload(ids, wait)));
        group.MapPost("/count", (string name, CountRequest? request, HttpContext context, VectorDatabase db, ServerOptions limits) =>
        {
            long start = Stopwatch.GetTimestamp();
            var collection = db.GetCollection(name);
            var filter = Query.FilterJson.Parse(request?.Filter);
            return QdrantResults.Ok(new { count = QueryTimeout.Run(context, limits, cancellation => collection.Count(filter, cancellation)) }, start);
        });
        group.MapPost("/scroll", (string name, ScrollRequest? request, VectorDatabase db, ServerOptions limits) =>
        {
            ServerOptions.Check("limit", request?.Limit ?? 0, limits.MaxLimit, nameof(limits.MaxLimit));
            long start = Stopwatch.GetTimestamp();
            int limit = request?.Limit ?? 10;
            PointId? offset = request?.Offset is { ValueKind: not JsonValueKind.Null } o ? RequestParsing.PointId(o) : null;
            var payload = RequestParsing.PayloadSelector(request?.WithPayload, defaultValue: true);
            var page = db.GetCollection(name).Scroll(offset, limit, RequestParsing.WithVector(request?.WithVector), payload.WantsPayload, Query.FilterJson.Parse(request?.Filter));
            return QdrantResults.Ok(
                new { points = page.Points.Select(r => Record(r, payload)), next_page_offset = page.NextOffset is { } next ? IdJson(next) : null },
                start);
        });
        return group;
    }

    private static IResult UpdatePayload(string name, PayloadRequest request, HttpContext context, VectorDatabase db, Action<Collection, IReadOnlyList<PointId>, bool> update)
    {
        long start = Stopwatch.GetTimestamp();
        bool wait = RequestParsing.Wait(context);
        if (request.Key is not null)
        {
            throw new InvalidRequestException("Setting payload under a nested `key` is not supported yet.");
        }

        var collection = db.GetCollection(name);
        update(collection, Selected(collection, request.Points, request.Filter), wait);
        return QdrantResults.Ok(QdrantResults.UpdateResult(wait), start);
    }

    /// <summary>The points a request names: a list of ids, or a filter.</summary>
    private static IReadOnlyList<PointId> Selected(Collection collection, JsonElement? points, JsonElement? filter) =>
        points is { ValueKind: not JsonValueKind.Null } ids
            ? RequestParsing.PointIds(ids)
            : collection.FindIds(Query.FilterJson.Parse(filter) ?? throw new InvalidRequestException("Send `points` (a list of ids) or `filter`."));

    private static Payload RequiredPayload(PayloadRequest request) =>
        RequestParsing.Payload(request.Payload) ?? throw new InvalidRequestException("`payload` (an object) is required.");

    private static List<string> RequiredKeys(PayloadRequest request) =>
        request.Keys is { ValueKind: JsonValueKind.Array } keys
            ? [.. keys.EnumerateArray().Select(RequestParsing.KeyName)]
            : throw new InvalidRequestException("`keys` (a list of payload keys) is required.");

    /// <summary>Integer ids as JSON numbers, UUIDs as strings, as Qdrant writes them.</summary>
    public static object IdJson(PointId id) => id.IsUuid ? id.Uuid.ToString("D") : id.Number;

    public static object Record(PointRecord record, PayloadSelector payload) =>
        new { id = IdJson(record.Id), payload = payload.Apply(record.Payload), vector = record.Vector };

    private static List<Point> ToPoints(UpsertRequest request)
    {
        if (request.Points is { } points)
        {
            return [.. RequestParsing.Items(points, "points").Select(p => new Point(RequestParsing.PointId(p.Id), RequestParsing.Vector(p.Vector), RequestParsing.Payload(p.Payload)))];
        }

        if (request.Batch is not { } batch)
        {
            throw new InvalidRequestException("Send either `points` or `batch`.");
        }

        var ids = RequestParsing.PointIds(batch.Ids);
        if (batch.Vectors.ValueKind != JsonValueKind.Array || batch.Vectors.GetArrayLength() != ids.Count)
        {
            throw new InvalidRequestException("`batch.vectors` must be a list with one vector per id.");
        }

        var payloads = batch.Payloads is { ValueKind: JsonValueKind.Array } list ? list.EnumerateArray().ToList() : null;
        if (payloads is not null && payloads.Count != ids.Count)
        {
            throw new InvalidRequestException("`batch.payloads` must have one payload per id.");
        }

        var vectors = batch.Vectors.EnumerateArray().ToList();
        return [.. ids.Select((id, i) => new Point(id, RequestParsing.Vector(vectors[i]), payloads is null ? null : RequestParsing.Payload(payloads[i])))];
    }
}
