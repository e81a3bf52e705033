using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using VectorDb.Storage;

namespace VectorDb.Server.Api;

/// <summary>
/// One map from failures to HTTP answers in Qdrant's error shape: our exception types by meaning, malformed
/// bodies as 400, oversized bodies as 413. Anything else is a bug and a 500 whose details stay in the log.
/// </summary>
internal sealed partial class ErrorHandler(ILogger<ErrorHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, message) = Map(exception);
        if (status >= 500)
        {
            LogUnhandled(logger, exception, context.Request.Path);
        }

        await Qdrant.Error(context, status, message).ExecuteAsync(context);
        return true;
    }

    public static (int Status, string Message) Map(Exception exception) => exception switch
    {
        CollectionAlreadyExistsException e => (StatusCodes.Status409Conflict, e.Message),
        NotFoundException e => (StatusCodes.Status404NotFound, e.Message),
        InvalidRequestException e => (StatusCodes.Status400BadRequest, $"Wrong input: {e.Message}"),
        QueryTimeoutException e => (StatusCodes.Status408RequestTimeout, e.Message),
        StrictModeException e => (StatusCodes.Status403Forbidden, e.Message),
        RateLimitException e => (StatusCodes.Status429TooManyRequests, e.Message),
        StorageException e => (StatusCodes.Status503ServiceUnavailable, e.Message),
        ObjectDisposedException => (StatusCodes.Status503ServiceUnavailable, "The server is shutting down."), // the database closed under the request
        DataCorruptionException e => (StatusCodes.Status500InternalServerError, $"Service internal error: {e.Message}"),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge, "Request body is too large."),
        BadHttpRequestException e => (StatusCodes.Status400BadRequest, $"Format error in JSON body: {Innermost(e).Message}"),
        JsonException e => (StatusCodes.Status400BadRequest, $"Format error in JSON body: {e.Message}"),
        _ => (StatusCodes.Status500InternalServerError, "Internal error; see the server log."),
    };

    private static Exception Innermost(Exception exception) => exception.InnerException is { } inner ? Innermost(inner) : exception;

    [LoggerMessage(1, LogLevel.Error, "Unhandled error on {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, PathString path);
}
