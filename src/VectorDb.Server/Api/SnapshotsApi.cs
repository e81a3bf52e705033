using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Body of <c>PUT /collections/{name}/snapshots/recover</c>.</summary>
/// <param name="Location">A <c>file://</c> URL of a snapshot on the server's disk.</param>
/// <param name="Priority">Which data wins when replicas disagree: one node holds the one replica, so every priority restores the snapshot.</param>
/// <param name="Checksum">The SHA-256 the file must have (hex); it is not restored otherwise.</param>
/// <param name="ApiKey">The key for an http(s) location, which this server does not fetch.</param>
internal sealed record RecoverSnapshotRequest(string? Location, string? Priority = null, string? Checksum = null, string? ApiKey = null) : RequestBody;

/// <summary>A snapshot as Qdrant describes it.</summary>
internal sealed record SnapshotDescription(string Name, string CreationTime, long Size, string Checksum);

/// <summary>
/// Collection snapshots as Qdrant serves them: create, list, download, delete, recover from a <c>file://</c> location or
/// an upload. A snapshot is VectorDb's own format (<c>docs/architecture.md</c>); Qdrant's are refused by name.
/// </summary>
internal static class SnapshotsApi
{
    public static void MapSnapshotsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/collections/{name}/snapshots").WithTags("Snapshots").AddEndpointFilter<RequestValidationFilter>();
        group.MapGet("/", (string name, VectorDatabase db) => Qdrant.Ok(db.ListSnapshots(name).Select(Describe).ToList()))
            .WithSummary("List the snapshots of a collection");
        group.MapPost("/", (string name, HttpContext context, VectorDatabase db, ILogger<SnapshotDescription> logger) =>
        {
            db.GetCollection(name); // a missing collection is a 404 now, not a failure in the background
            return Create(context, () => db.CreateSnapshot(name), $"collection {name}", logger);
        }).WithMetadata(QueryParameters.Wait).WithSummary("Take a snapshot of a collection: a consistent cut at a checkpoint, writers held only while it runs");
        group.MapGet("/{snapshot}", (string name, string snapshot, VectorDatabase db) =>
            Results.File(db.SnapshotPath(name, snapshot), "application/octet-stream", snapshot, enableRangeProcessing: true))
            .WithSummary("Download a snapshot");
        group.MapDelete("/{snapshot}", (string name, string snapshot, VectorDatabase db) =>
            db.DeleteSnapshot(name, snapshot) ? Qdrant.Ok(true) : throw new NotFoundException($"Snapshot {snapshot} of collection {name} not found."))
            .WithMetadata(QueryParameters.Wait).WithSummary("Delete a snapshot");
        group.MapPut("/recover", (string name, RecoverSnapshotRequest request, HttpContext context, VectorDatabase db) =>
        {
            RequireWait(context);
            CheckPriority(request.Priority);
            if (request.ApiKey is not null)
            {
                throw new InvalidRequestException("`api_key` is the key of an http(s) location, which this server does not fetch snapshots from: use a file:// location or upload the file.");
            }

            db.RestoreSnapshot(name, LocalPath(request.Location), request.Checksum);
            return Qdrant.Ok(true);
        }).WithMetadata(QueryParameters.Wait).WithSummary("Restore a collection from a snapshot on the server's disk (file://), replacing one of that name");
        group.MapPost("/upload", async (string name, HttpContext context, VectorDatabase db) =>
        {
            RequireWait(context);
            CheckPriority(context.Request.Query["priority"].FirstOrDefault());
            string file = await ReceiveAsync(context, db);
            try
            {
                db.RestoreSnapshot(name, file, context.Request.Query["checksum"].FirstOrDefault());
            }
            finally
            {
                File.Delete(file);
            }

            return Qdrant.Ok(true);
        }).WithMetadata(QueryParameters.SnapshotUpload).Accepts<IFormFile>("multipart/form-data")
            .WithSummary("Restore a collection from an uploaded snapshot (multipart form field `snapshot`), replacing one of that name");
    }

    /// <summary>
    /// Full-storage snapshots (<c>/snapshots</c>): every collection and alias at one checkpoint, taken, listed,
    /// downloaded and deleted as Qdrant serves them. As in Qdrant, one is restored when the server starts
    /// (<c>--storage-snapshot</c>, <c>--force-snapshot</c>), not through the API.
    /// </summary>
    public static void MapFullSnapshotsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/snapshots").WithTags("Snapshots").AddEndpointFilter<RequestValidationFilter>();
        group.MapGet("/", (VectorDatabase db) => Qdrant.Ok(db.ListFullSnapshots().Select(Describe).ToList())).WithSummary("List full-storage snapshots");
        group.MapPost("/", (HttpContext context, VectorDatabase db, ILogger<SnapshotDescription> logger) =>
        {
            db.ListFullSnapshots(); // a database in memory is a 400 now, not a failure in the background
            return Create(context, db.CreateFullSnapshot, "the whole storage", logger);
        })
            .WithMetadata(QueryParameters.Wait).WithSummary("Take a snapshot of every collection and alias at one checkpoint");
        group.MapGet("/{snapshot}", (string snapshot, VectorDatabase db) =>
            Results.File(db.FullSnapshotPath(snapshot), "application/octet-stream", snapshot, enableRangeProcessing: true))
            .WithSummary("Download a full-storage snapshot");
        group.MapDelete("/{snapshot}", (string snapshot, VectorDatabase db) =>
            db.DeleteFullSnapshot(snapshot) ? Qdrant.Ok(true) : throw new NotFoundException($"Full-storage snapshot {snapshot} not found."))
            .WithMetadata(QueryParameters.Wait).WithSummary("Delete a full-storage snapshot");
    }

    /// <summary>
    /// Takes a snapshot now (<c>wait=true</c>, the default) and describes it, or starts it in the background and
    /// answers 202 (a failure is then logged).
    /// </summary>
    private static IResult Create(HttpContext context, Func<SnapshotInfo> take, string what, ILogger logger)
    {
        if (RequestParsing.Wait(context, absent: true))
        {
            return Qdrant.Ok(Describe(take()));
        }

        _ = Task.Run(() =>
        {
            try
            {
                take();
            }
            catch (Exception e) when (e is VectorDbException or IOException or InvalidDataException or UnauthorizedAccessException or ObjectDisposedException)
            {
                SnapshotLog.CreateFailed(logger, what, e);
            }
        });
        return Accepted(context);
    }

    private static SnapshotDescription Describe(SnapshotInfo snapshot) =>
        new(snapshot.Name, snapshot.CreationTime.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), snapshot.Size, snapshot.Checksum);

    /// <summary>Qdrant's answer to work started in the background: <c>{"result": null, "status": "accepted"}</c>, 202.</summary>
    private static IResult Accepted(HttpContext context) =>
        Results.Json(new { result = (object?)null, status = "accepted", time = RequestClock.Seconds(context) }, statusCode: StatusCodes.Status202Accepted);

    /// <summary>A restore answers once it is done and durable: <c>wait=false</c>, which asks for an answer before, is refused.</summary>
    private static void RequireWait(HttpContext context)
    {
        if (!RequestParsing.Wait(context, absent: true))
        {
            throw new InvalidRequestException("`wait=false` is not supported here yet: a restore answers once it is done and durable.");
        }
    }

    private static void CheckPriority(string? priority)
    {
        if (priority is not (null or "replica" or "snapshot" or "no_sync"))
        {
            throw new InvalidRequestException($"`priority` must be replica, snapshot or no_sync, got `{priority}`.");
        }
    }

    /// <summary>The file a recover request names: a <c>file://</c> URL; http(s) locations are refused by name.</summary>
    private static string LocalPath(string? location)
    {
        if (string.IsNullOrEmpty(location))
        {
            throw new InvalidRequestException("`location` is required: a file:// URL of the snapshot on the server's disk.");
        }

        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri))
        {
            throw new InvalidRequestException($"`location` must be a file:// URL, got `{location}`.");
        }

        return uri.Scheme switch
        {
            "file" => File.Exists(uri.LocalPath) ? uri.LocalPath : throw new NotFoundException($"Snapshot file {uri.LocalPath} not found."),
            "http" or "https" => throw new InvalidRequestException(
                $"`location` {location}: this server does not download snapshots from http(s) locations; fetch the file and upload it (POST …/snapshots/upload) or give a file:// location."),
            _ => throw new InvalidRequestException($"`location` must be a file:// URL, got scheme `{uri.Scheme}`."),
        };
    }

    /// <summary>Streams the multipart field <c>snapshot</c> into a file in the data directory, without the body-size limit of other requests.</summary>
    private static async Task<string> ReceiveAsync(HttpContext context, VectorDatabase db)
    {
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null; // a snapshot is as large as its collection
        }

        string boundary = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? HeaderUtilities.RemoveQuotes(type.Boundary).Value ?? ""
            : "";
        if (boundary.Length == 0)
        {
            throw new InvalidRequestException("Upload the snapshot as multipart/form-data, in a field named `snapshot`.");
        }

        var reader = new MultipartReader(boundary, context.Request.Body) { BodyLengthLimit = null };
        while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
        {
            if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                && disposition.Name.Equals("snapshot", StringComparison.Ordinal))
            {
                string file = System.IO.Path.Combine(
                    db.Path ?? throw new InvalidRequestException("Snapshots need a database on disk; this one is in memory."), "snapshots", $".upload-{Guid.NewGuid():N}");
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
                try
                {
                    await using var target = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
                    await section.Body.CopyToAsync(target, context.RequestAborted);
                }
                catch
                {
                    File.Delete(file);
                    throw;
                }

                return file;
            }
        }

        throw new InvalidRequestException("The upload has no field named `snapshot`.");
    }
}

/// <summary>Log messages of snapshots taken in the background.</summary>
internal static partial class SnapshotLog
{
    [LoggerMessage(1, LogLevel.Error, "Snapshot of {What} failed")]
    public static partial void CreateFailed(ILogger logger, string what, Exception exception);
}
