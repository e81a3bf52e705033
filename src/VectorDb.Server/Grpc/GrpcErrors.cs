using Grpc.Core;
using Grpc.Core.Interceptors;
using VectorDb.Server.Api;
using VectorDb.Storage;

namespace VectorDb.Server.Grpc;

/// <summary>
/// One map from failures to gRPC statuses, the REST API's error map in gRPC terms: our exception types by meaning,
/// with the same messages. Anything else is a bug: <c>Internal</c>, its details in the log.
/// </summary>
internal sealed partial class GrpcErrors(ILogger<GrpcErrors> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception e) when (e is not RpcException)
        {
            var status = Map(e);
            if (status.StatusCode == StatusCode.Internal || e is ObjectDisposedException)
            {
                LogUnhandled(logger, e, context.Method);
            }

            throw new RpcException(status);
        }
    }

    /// <summary>The status a failure is answered with.</summary>
    public static Status Map(Exception exception) => exception switch
    {
        CollectionAlreadyExistsException e => new(StatusCode.AlreadyExists, e.Message),
        NotFoundException e => new(StatusCode.NotFound, e.Message),
        InvalidRequestException e => new(StatusCode.InvalidArgument, $"Wrong input: {e.Message}"),
        QueryTimeoutException e => new(StatusCode.DeadlineExceeded, e.Message),
        StrictModeException e => new(StatusCode.PermissionDenied, e.Message),
        RateLimitException e => new(StatusCode.ResourceExhausted, e.Message),
        StorageException e => new(StatusCode.Unavailable, e.Message),
        ObjectDisposedException => new(StatusCode.Unavailable, "The server is shutting down."),
        OperationCanceledException => new(StatusCode.Cancelled, "The call was cancelled."),
        DataCorruptionException e => new(StatusCode.Internal, $"Service internal error: {e.Message}"),
        _ => new(StatusCode.Internal, "Internal error; see the server log."),
    };

    [LoggerMessage(1, LogLevel.Error, "Unhandled error in {Method}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method);
}
