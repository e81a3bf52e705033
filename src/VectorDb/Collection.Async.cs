using VectorDb.Log;
using VectorDb.Query;
using VectorDb.Storage;

namespace VectorDb;

/// <summary>
/// Asynchronous twins of the collection's writes. Each validates and applies its write on the calling thread exactly as
/// its synchronous twin does (the write is CPU work under the collection's write lock), then awaits the log commit
/// without holding a thread, so many concurrent writers share one commit.
/// </summary>
/// <remarks>
/// Cancellation: the token is observed while the write waits behind other asynchronous writers of the collection and
/// just before it starts (an <see cref="OperationCanceledException"/> then means nothing was written). Once started it
/// runs on the calling thread — waiting, if need be, for synchronous writers and for a checkpoint's cut — and once it is
/// applied it stands and the call completes when it is durable: a caller told "cancelled" would believe its write had
/// not happened.
/// </remarks>
public sealed partial class Collection
{
    /// <summary>Asynchronous <see cref="Upsert(IEnumerable{Point}, UpsertOptions)"/>.</summary>
    /// <param name="points">The points.</param>
    /// <param name="options">Mode, update filter and durability; <see cref="UpsertOptions.Default"/> when null.</param>
    /// <param name="cancellation">See the class remarks: observed until the write is applied.</param>
    /// <returns>How many points were written.</returns>
    /// <exception cref="DimensionMismatchException">A vector has the wrong length.</exception>
    /// <exception cref="InvalidRequestException">A vector has NaN/infinite components or zero norm under cosine, or the filter is invalid.</exception>
    /// <exception cref="StorageException">The write could not be logged (it was not applied), or not committed.</exception>
    public async Task<int> UpsertAsync(IEnumerable<Point> points, UpsertOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= UpsertOptions.Default;
        int written = (await WriteAsync(options.Wait, UpsertWrite(points, options), cancellation).ConfigureAwait(false)).Changed;
        ScheduleRotationFit();
        return written;
    }

    /// <summary>Asynchronous upsert of one point. See <see cref="UpsertAsync(IEnumerable{Point}, UpsertOptions?, CancellationToken)"/>.</summary>
    public Task<int> UpsertAsync(Point point, UpsertOptions? options = null, CancellationToken cancellation = default) =>
        UpsertAsync([point], options, cancellation);

    /// <summary>Asynchronous <see cref="Delete(IEnumerable{PointId}, bool)"/>.</summary>
    /// <returns>How many points were deleted.</returns>
    public async Task<int> DeleteAsync(IEnumerable<PointId> ids, bool wait = true, CancellationToken cancellation = default) =>
        (await WriteAsync(wait, DeleteWrite(ids), cancellation).ConfigureAwait(false)).Changed;

    /// <summary>Asynchronous <see cref="Delete(Filter, bool)"/>; the token also stops the search for matching points.</summary>
    /// <returns>How many points were deleted.</returns>
    public async Task<int> DeleteAsync(Filter filter, bool wait = true, CancellationToken cancellation = default) =>
        await DeleteAsync(FindIds(filter, cancellation), wait, cancellation).ConfigureAwait(false);

    /// <summary>Asynchronous <see cref="SetPayload(IEnumerable{PointId}, Payload, bool)"/>.</summary>
    /// <returns>How many points exist among <paramref name="ids"/> and were updated.</returns>
    public async Task<int> SetPayloadAsync(IEnumerable<PointId> ids, Payload payload, bool wait = true, CancellationToken cancellation = default) =>
        (await WriteAsync(wait, SetPayloadWrite(ids, payload), cancellation).ConfigureAwait(false)).Changed;

    /// <summary>Asynchronous <see cref="SetPayload(IEnumerable{PointId}, Payload, string, bool)"/>.</summary>
    /// <returns>How many points exist among <paramref name="ids"/> and were updated.</returns>
    public async Task<int> SetPayloadAsync(IEnumerable<PointId> ids, Payload payload, string key, bool wait = true, CancellationToken cancellation = default) =>
        (await WriteAsync(wait, SetPayloadWrite(ids, payload, key), cancellation).ConfigureAwait(false)).Changed;

    /// <summary>Asynchronous <see cref="OverwritePayload"/>.</summary>
    /// <returns>How many points exist among <paramref name="ids"/> and were updated.</returns>
    public async Task<int> OverwritePayloadAsync(IEnumerable<PointId> ids, Payload payload, bool wait = true, CancellationToken cancellation = default) =>
        (await WriteAsync(wait, OverwritePayloadWrite(ids, payload), cancellation).ConfigureAwait(false)).Changed;

    /// <summary>Asynchronous <see cref="DeletePayloadKeys"/>.</summary>
    /// <returns>How many points exist among <paramref name="ids"/> and were updated.</returns>
    public async Task<int> DeletePayloadKeysAsync(IEnumerable<PointId> ids, IEnumerable<string> keys, bool wait = true, CancellationToken cancellation = default) =>
        (await WriteAsync(wait, DeletePayloadKeysWrite(ids, keys), cancellation).ConfigureAwait(false)).Changed;

    /// <summary>Asynchronous <see cref="ClearPayload"/>.</summary>
    /// <returns>How many points exist among <paramref name="ids"/> and were updated.</returns>
    public async Task<int> ClearPayloadAsync(IEnumerable<PointId> ids, bool wait = true, CancellationToken cancellation = default) =>
        (await WriteAsync(wait, PayloadWrite(ids, PayloadOperation.Clear, null, null), cancellation).ConfigureAwait(false)).Changed;

    /// <summary>Asynchronous <see cref="UpdateVectors"/>.</summary>
    /// <returns>How many points were updated.</returns>
    public async Task<int> UpdateVectorsAsync(IEnumerable<Point> points, bool wait = true, Filter? updateFilter = null, CancellationToken cancellation = default) =>
        (await WriteAsync(wait, UpdateVectorsWrite(points, updateFilter), cancellation).ConfigureAwait(false)).Changed;

    /// <summary>Asynchronous <see cref="DeleteVectors"/>.</summary>
    /// <returns>How many points were updated.</returns>
    public async Task<int> DeleteVectorsAsync(IEnumerable<PointId> ids, IEnumerable<string> names, bool wait = true, CancellationToken cancellation = default) =>
        (await WriteAsync(wait, DeleteVectorsWrite(ids, names), cancellation).ConfigureAwait(false)).Changed;

    /// <summary>
    /// Asynchronous <see cref="CreatePayloadIndex"/>. The index is logged and usable when the task completes; a tenant
    /// index's graphs and value links are built in the background afterwards (<see cref="IsIndexing"/>).
    /// </summary>
    /// <returns>False when an identical index already existed.</returns>
    public async Task<bool> CreatePayloadIndexAsync(string key, PayloadSchemaType schema, bool wait = true, bool isTenant = false, TextIndexOptions? text = null, CancellationToken cancellation = default) =>
        (await WriteAsync(wait, CreatePayloadIndexWrite(key, schema, isTenant, text), cancellation).ConfigureAwait(false)).Written;

    /// <summary>Asynchronous <see cref="DeletePayloadIndex"/>.</summary>
    /// <returns>False when there was none.</returns>
    public async Task<bool> DeletePayloadIndexAsync(string key, bool wait = true, CancellationToken cancellation = default) =>
        (await WriteAsync(wait, DeletePayloadIndexWrite(key), cancellation).ConfigureAwait(false)).Written;
}
