using System.Reflection;
using Google.Protobuf;
using Grpc.Core;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Binds a service class to one of Qdrant's gRPC services, described by the descriptors <c>Qdrant.Client</c> carries, so
/// requests and replies are the client's own message types and no .proto file is copied. Every RPC of the service is
/// bound: ASP.NET Core's binder then looks up a public virtual method of the same name declared on the class (hence the
/// service classes are not sealed), so a class that lacks one stops the server at start-up rather than leaving an RPC
/// unanswered.
/// </summary>
internal static class GrpcBinding
{
    private static readonly MethodInfo AddUnaryMethod = typeof(GrpcBinding).GetMethod(nameof(AddUnary), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>Adds every RPC of <paramref name="service"/> to <paramref name="binder"/>.</summary>
    public static void Bind(ServiceBinderBase binder, ServiceDescriptor service)
    {
        foreach (var method in service.Methods)
        {
            if (method.IsClientStreaming || method.IsServerStreaming)
            {
                throw new InvalidOperationException($"{service.FullName}/{method.Name} streams; only unary RPCs are bound.");
            }

            AddUnaryMethod.MakeGenericMethod(method.InputType.ClrType, method.OutputType.ClrType).Invoke(null, [binder, service.FullName, method.Name]);
        }
    }

    private static void AddUnary<TRequest, TResponse>(ServiceBinderBase binder, string service, string name)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        binder.AddMethod(new Method<TRequest, TResponse>(MethodType.Unary, service, name, Codec<TRequest>.Marshaller, Codec<TResponse>.Marshaller), (UnaryServerMethod<TRequest, TResponse>)null!);

    /// <summary>Reads and writes one message type straight from and to the transport's buffers.</summary>
    private static class Codec<T>
        where T : class, IMessage<T>, new()
    {
        private static readonly MessageParser<T> Parser = new(() => new T());

        public static readonly Marshaller<T> Marshaller = Marshallers.Create(Serialize, Deserialize);

        private static void Serialize(T message, SerializationContext context)
        {
            context.SetPayloadLength(message.CalculateSize());
            message.WriteTo(context.GetBufferWriter());
            context.Complete();
        }

        /// <summary>A message that does not parse is the caller's error (<c>InvalidArgument</c>), not the server's.</summary>
        private static T Deserialize(DeserializationContext context)
        {
            try
            {
                return Parser.ParseFrom(context.PayloadAsReadOnlySequence());
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Malformed {typeof(T).Name} message: {e.Message}"));
            }
        }
    }
}
