using System.Buffers;
using System.Runtime.InteropServices;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace VectorDb.Storage;

/// <summary>MessagePack options shared by the point store and the engine's log records: point ids and vectors in compact forms.</summary>
internal static class Serialization
{
    public static MessagePackSerializerOptions Options { get; } = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(
            [new PointIdFormatter(), new FloatArrayFormatter()],
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
