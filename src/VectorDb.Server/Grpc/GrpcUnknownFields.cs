using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Refuses a request carrying fields this protocol version does not know (<see cref="UnknownFields"/>), after the API key
/// check, so that a caller without a key learns nothing about the protocol.
/// </summary>
internal sealed class GrpcUnknownFields : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        UnknownFields.Refuse((IMessage)request);
        return continuation(request, context);
    }
}
