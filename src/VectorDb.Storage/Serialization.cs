using System.Buffers;
using System.Runtime.InteropServices;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace VectorDb.Storage;

/// <summary>MessagePack options shared by the log and the point store.</summary>
internal static class Serialization
{
    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(
            [new PointIdFormatter(), new FloatArrayFormatter(), new LogRecordFormatter()],
            [StandardResolverAllowPrivate.Instance]))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    public static byte[] Serialize<T>(T value) => MessagePackSerializer.Serialize(value, Options);

    /// <exception cref="InvalidDataException">The bytes are not a valid <typeparamref name="T"/>.</exception>
    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            return MessagePackSerializer.Deserialize<T>(bytes, Options);
        }
        catch (MessagePackSerializationException e)
        {
            throw new InvalidDataException($"Cannot decode a {typeof(T).Name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Vectors as one <c>bin</c> of little-endian float32s: 4 bytes per component instead of MessagePack's 5,
    /// and a block copy instead of a loop.
    /// </summary>
    private sealed class FloatArrayFormatter : IMessagePackFormatter<float[]?>
    {
        public void Serialize(ref MessagePackWriter writer, float[]? value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }

            writer.Write(MemoryMarshal.AsBytes(value.AsSpan()));
        }

        public float[]? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil())
            {
                return null;
            }

            var bytes = reader.ReadBytes() ?? throw new MessagePackSerializationException("Vector bytes are missing.");
            if (bytes.Length % sizeof(float) != 0)
            {
                throw new MessagePackSerializationException($"Vector has {bytes.Length} bytes, not a multiple of 4.");
            }

            var vector = new float[bytes.Length / sizeof(float)];
            bytes.CopyTo(MemoryMarshal.AsBytes(vector.AsSpan()));
            return vector;
        }
    }

    /// <summary>
    /// Log records as [tag, body]. MessagePack's own unions cannot be generated for internal types.
    /// </summary>
    private sealed class LogRecordFormatter : IMessagePackFormatter<LogRecord?>
    {
        public void Serialize(ref MessagePackWriter writer, LogRecord? value, MessagePackSerializerOptions options)
        {
            writer.WriteArrayHeader(2);
            switch (value)
            {
                case CreateCollectionRecord create:
                    Write(ref writer, 0, create, options);
                    break;
                case DropCollectionRecord drop:
                    Write(ref writer, 1, drop, options);
                    break;
                case UpsertPointsRecord upsert:
                    Write(ref writer, 2, upsert, options);
                    break;
                case DeletePointsRecord delete:
                    Write(ref writer, 3, delete, options);
                    break;
                case UpdatePayloadRecord payload:
                    Write(ref writer, 4, payload, options);
                    break;
                case CreatePayloadIndexRecord createIndex:
                    Write(ref writer, 5, createIndex, options);
                    break;
                case DeletePayloadIndexRecord deleteIndex:
                    Write(ref writer, 6, deleteIndex, options);
                    break;
                case SetRotationRecord rotation:
                    Write(ref writer, 7, rotation, options);
                    break;
                default:
                    throw new MessagePackSerializationException($"Unknown log record {value?.GetType().Name ?? "null"}.");
            }
        }

        public LogRecord? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.ReadArrayHeader() != 2)
            {
                throw new MessagePackSerializationException("A log record is a [tag, body] pair.");
            }

            return reader.ReadInt32() switch
            {
                0 => Read<CreateCollectionRecord>(ref reader, options),
                1 => Read<DropCollectionRecord>(ref reader, options),
                2 => Read<UpsertPointsRecord>(ref reader, options),
                3 => Read<DeletePointsRecord>(ref reader, options),
                4 => Read<UpdatePayloadRecord>(ref reader, options),
                5 => Read<CreatePayloadIndexRecord>(ref reader, options),
                6 => Read<DeletePayloadIndexRecord>(ref reader, options),
                7 => Read<SetRotationRecord>(ref reader, options),
                int tag => throw new MessagePackSerializationException($"Unknown log record tag {tag}."),
            };
        }

        private static void Write<T>(ref MessagePackWriter writer, int tag, T record, MessagePackSerializerOptions options)
        {
            writer.Write(tag);
            options.Resolver.GetFormatterWithVerify<T>().Serialize(ref writer, record, options);
        }

        private static T Read<T>(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
            options.Resolver.GetFormatterWithVerify<T>().Deserialize(ref reader, options);
    }

    /// <summary>An integer id as a MessagePack integer, a UUID as a 16-byte <c>bin</c>.</summary>
    private sealed class PointIdFormatter : IMessagePackFormatter<PointId>
    {
        public void Serialize(ref MessagePackWriter writer, PointId value, MessagePackSerializerOptions options)
        {
            if (value.IsUuid)
            {
                writer.Write(value.Uuid.ToByteArray());
            }
            else
            {
                writer.Write(value.Number);
            }
        }

        public PointId Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.NextMessagePackType == MessagePackType.Integer)
            {
                return new PointId(reader.ReadUInt64());
            }

            var bytes = reader.ReadBytes() ?? throw new MessagePackSerializationException("Point id is missing.");
            if (bytes.Length != 16)
            {
                throw new MessagePackSerializationException($"A UUID point id has 16 bytes, got {bytes.Length}.");
            }

            Span<byte> copy = stackalloc byte[16];
            bytes.CopyTo(copy);
            return new PointId(new Guid(copy));
        }
    }
}
