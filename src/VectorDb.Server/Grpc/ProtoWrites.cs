using Google.Protobuf.Collections;
using VectorDb.Server.Api;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Point writes from Qdrant's protobuf messages, read and checked (server limits, strict mode) before anything is
/// written, as the REST API checks its bodies; each is run later with whether to wait until it is durable. The single
/// RPCs and <c>UpdateBatch</c> share them.
/// </summary>
internal sealed class ProtoWrites(ServerOptions limits, StrictMode strict)
{
    /// <summary>An upsert; a batch passes <paramref name="collected"/> to receive the points, whose total it holds to the limits too.</summary>
    public PreparedWrite Upsert(
        Collection collection, IList<Proto.PointStruct> given, Proto.Filter? updateFilter, Proto.UpdateMode? mode, string path, List<Point>? collected = null)
    {
        var points = given.Select((p, i) => ProtoPoints.Point(p, collection.Options, $"{path}points[{i}]")).ToList();
        collected?.AddRange(points);
        ServerOptions.Check("The number of points", points.Count, limits.MaxBatchPoints, nameof(limits.MaxBatchPoints));
        var options = new UpsertOptions
        {
            Mode = mode switch
            {
                null or Proto.UpdateMode.Upsert => UpsertMode.Upsert,
                Proto.UpdateMode.InsertOnly => UpsertMode.InsertOnly,
                Proto.UpdateMode.UpdateOnly => UpsertMode.UpdateOnly,
                var other => throw new InvalidRequestException($"`{path}update_mode` {other} is not known: use Upsert, InsertOnly or UpdateOnly."),
            },
            UpdateFilter = ProtoFilters.Read(updateFilter, $"{path}update_filter"),
        };
        StrictMode.Upsert(collection, points);
        StrictMode.Filter(collection, options.UpdateFilter, update: true);
        strict.Write(collection, points.Count);
        return wait => collection.UpsertAsync(points, options with { Wait = wait });
    }

    /// <summary>Deletes the selected points.</summary>
    public PreparedWrite Delete(Collection collection, Proto.PointsSelector? selector, string path) =>
        OnSelected(collection, selector, $"{path}points", (ids, wait) => collection.DeleteAsync(ids, wait));

    /// <summary>Sets payload keys of the selected points (at <paramref name="key"/>, a nested path, when given).</summary>
    public PreparedWrite SetPayload(Collection collection, MapField<string, Proto.Value> given, Proto.PointsSelector? selector, string? key, string path)
    {
        var payload = ProtoValues.Payload(given, $"{path}payload", emptyIsNull: false)!;
        StrictMode.PayloadUpdate(collection);
        if (key is not null)
        {
            _ = Payload.CheckedPath(key);
            return OnSelected(collection, selector, $"{path}points_selector", (ids, wait) => collection.SetPayloadAsync(ids, payload, key, wait));
        }

        return OnSelected(collection, selector, $"{path}points_selector", (ids, wait) => collection.SetPayloadAsync(ids, payload, wait));
    }

    /// <summary>Replaces the whole payload of the selected points.</summary>
    public PreparedWrite OverwritePayload(Collection collection, MapField<string, Proto.Value> given, Proto.PointsSelector? selector, string? key, string path)
    {
        if (key is not null)
        {
            throw new InvalidRequestException($"`{path}key` belongs to SetPayload; an overwrite replaces the whole payload.");
        }

        var payload = ProtoValues.Payload(given, $"{path}payload", emptyIsNull: false)!;
        StrictMode.PayloadUpdate(collection);
        return OnSelected(collection, selector, $"{path}points_selector", (ids, wait) => collection.OverwritePayloadAsync(ids, payload, wait));
    }

    /// <summary>Removes payload keys from the selected points.</summary>
    public PreparedWrite DeletePayload(Collection collection, IList<string> keys, Proto.PointsSelector? selector, string path)
    {
        List<string> names = keys.Count > 0 ? [.. keys] : throw new InvalidRequestException($"`{path}keys` (payload keys) is required.");
        return OnSelected(collection, selector, $"{path}points_selector", (ids, wait) => collection.DeletePayloadKeysAsync(ids, names, wait));
    }

    /// <summary>Removes the whole payload of the selected points.</summary>
    public PreparedWrite ClearPayload(Collection collection, Proto.PointsSelector? selector, string path) =>
        OnSelected(collection, selector, $"{path}points", (ids, wait) => collection.ClearPayloadAsync(ids, wait));

    /// <summary>Replaces some vectors of existing points, keeping their other vectors and payloads.</summary>
    public PreparedWrite UpdateVectors(Collection collection, IList<Proto.PointVectors> given, Proto.Filter? updateFilter, string path, List<Point>? collected = null)
    {
        ServerOptions.Check("The number of points", given.Count, limits.MaxBatchPoints, nameof(limits.MaxBatchPoints));
        var updates = given.Select((p, i) => ProtoPoints.WithVectors(
            new Point(ProtoPoints.Id(p.Id, $"{path}points[{i}].id"), null),
            p.Vectors ?? throw new InvalidRequestException($"`{path}points[{i}].vectors` is required."),
            collection.Options,
            $"{path}points[{i}].vectors")).ToList();
        collected?.AddRange(updates);
        var filter = ProtoFilters.Read(updateFilter, $"{path}update_filter");
        StrictMode.Upsert(collection, updates, payloads: false);
        StrictMode.Filter(collection, filter, update: true);
        strict.Write(collection, updates.Count);
        return wait => collection.UpdateVectorsAsync(updates, wait, filter);
    }

    /// <summary>Removes the named vectors from the selected points.</summary>
    public PreparedWrite DeleteVectors(Collection collection, Proto.PointsSelector? selector, Proto.VectorsSelector? vectors, string path)
    {
        List<string> names = vectors is { Names.Count: > 0 } ? [.. vectors.Names] : throw new InvalidRequestException($"`{path}vectors.names` (vector names) is required.");
        return OnSelected(collection, selector, $"{path}points_selector", (ids, wait) => collection.DeleteVectorsAsync(ids, names, wait));
    }

    /// <summary>A write on the selected points: ids read now, a filter's matches found when the write runs (after the operations before it in a batch).</summary>
    private PreparedWrite OnSelected(Collection collection, Proto.PointsSelector? selector, string path, Func<IReadOnlyList<PointId>, bool, Task> update)
    {
        var (ids, filter) = ProtoPoints.Selected(selector, path);
        if (filter is not null)
        {
            StrictMode.Filter(collection, filter, update: true);
        }

        strict.Write(collection);
        return ids is not null
            ? wait => update(ids, wait)
            : wait => update(collection.FindIds(filter!), wait);
    }
}
