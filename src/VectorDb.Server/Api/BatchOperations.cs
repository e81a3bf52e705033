using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Body of <c>POST …/points/batch</c>: point operations, applied in order.</summary>
internal sealed record UpdateOperations(IReadOnlyList<UpdateOperation?>? Operations) : RequestBody;

/// <summary>One operation of a batch: exactly one of its fields, each shaped as its own endpoint's body.</summary>
internal sealed record UpdateOperation(
    UpsertRequest? Upsert, PointsSelector? Delete, SetPayloadRequest? SetPayload, SetPayloadRequest? OverwritePayload,
    DeletePayloadRequest? DeletePayload, PointsSelector? ClearPayload, UpdateVectorsRequest? UpdateVectors, DeleteVectorsRequest? DeleteVectors) : RequestBody;

/// <summary>
/// <c>points/batch</c> as Qdrant runs it: every operation is read and checked before any is applied, then they are
/// applied in order; one that fails stops the batch with the earlier ones applied (each is its own logged write).
/// </summary>
internal static class BatchOperations
{
    /// <summary>Each operation's kind and its checked write; the points the upserts add up to are held to the limits of one upsert.</summary>
    public static List<(string Kind, PreparedWrite Write)> Prepare(Collection collection, UpdateOperations request, ServerOptions limits, StrictMode strict)
    {
        var upserted = new List<Point>();
        List<(string Kind, PreparedWrite Write)> operations =
            [.. RequestParsing.Items(request.Operations, "operations").Select((operation, i) => Prepared(collection, operation, limits, strict, upserted, $"operations[{i}]"))];
        ServerOptions.Check("The number of points the batch upserts", upserted.Count, limits.MaxBatchPoints, nameof(limits.MaxBatchPoints));
        if (upserted.Count > 0)
        {
            StrictMode.Upsert(collection, upserted); // a batch that only deletes stays allowed at a storage limit
        }
        return operations;
    }

    /// <summary>
    /// Applies the operations in order. With <paramref name="wait"/> each waits for its record to be durable: the last
    /// one may write nothing (a delete of missing points), so it cannot vouch for the ones before it.
    /// </summary>
    public static async Task<List<UpdateResult>> ApplyAsync(List<(string Kind, PreparedWrite Write)> operations, bool wait)
    {
        var results = new List<UpdateResult>(operations.Count);
        for (int i = 0; i < operations.Count; i++)
        {
            try
            {
                await operations[i].Write(wait);
            }
            catch (InvalidRequestException e)
            {
                throw new InvalidRequestException($"`operations[{i}].{operations[i].Kind}` failed, the {i} before it applied: {e.Message}", e);
            }

            results.Add(new UpdateResult(0, wait ? "completed" : "acknowledged"));
        }

        return results;
    }

    private static (string Kind, PreparedWrite Write) Prepared(
        Collection collection, UpdateOperation operation, ServerOptions limits, StrictMode strict, List<Point> upserted, string path)
    {
        var given = new (string Kind, object? Body)[]
        {
            ("upsert", operation.Upsert), ("delete", operation.Delete), ("set_payload", operation.SetPayload), ("overwrite_payload", operation.OverwritePayload),
            ("delete_payload", operation.DeletePayload), ("clear_payload", operation.ClearPayload), ("update_vectors", operation.UpdateVectors), ("delete_vectors", operation.DeleteVectors),
        }.Where(field => field.Body is not null).ToList();
        if (given is not [var (kind, body)])
        {
            throw new InvalidRequestException(given.Count == 0
                ? $"`{path}` names no operation: give one of upsert, delete, set_payload, overwrite_payload, delete_payload, clear_payload, update_vectors, delete_vectors."
                : $"`{path}` names {given.Count} operations ({string.Join(", ", given.Select(g => g.Kind))}): give one per item.");
        }

        try
        {
            return (kind, body switch
            {
                UpsertRequest upsert => PointsApi.Upsert(collection, upsert, limits, strict, upserted),
                PointsSelector selector when kind == "delete" => PointsApi.Delete(collection, selector, strict),
                PointsSelector selector => PointsApi.ClearPayload(collection, selector, strict),
                SetPayloadRequest set when kind == "set_payload" => PointsApi.SetPayload(collection, set, strict),
                SetPayloadRequest overwrite => PointsApi.OverwritePayload(collection, overwrite, strict),
                DeletePayloadRequest delete => PointsApi.DeletePayload(collection, delete, strict),
                UpdateVectorsRequest update => PointsApi.UpdateVectors(collection, update, limits, strict, upserted),
                DeleteVectorsRequest delete => PointsApi.DeleteVectors(collection, delete, strict),
                _ => throw new InvalidOperationException($"No write for {kind}."),
            });
        }
        catch (InvalidRequestException e)
        {
            throw new InvalidRequestException($"`{path}.{kind}`: {e.Message}", e);
        }
    }
}
