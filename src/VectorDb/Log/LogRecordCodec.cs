using System.Collections.Frozen;
using System.Reflection;
using MessagePack;
using VectorDb.Storage;

namespace VectorDb.Log;

/// <summary>
/// Encodes log records for the write-ahead log, which stores bytes: <c>[format, tag, sequence, content]</c>, the content
/// being the record's MessagePack object. Records logged before there were formats and sequence numbers,
/// <c>[tag, content]</c>, are read as format 1 with sequence 0. The kinds are found once, from
/// <see cref="LogRecordKindAttribute"/>, so a new kind is one record type (and its test) and no switch to extend.
/// </summary>
internal static class LogRecordCodec
{
    /// <summary>The format written; a reader refuses a record of a later format rather than misread it.</summary>
    public const int Format = 2;

    private static readonly FrozenDictionary<int, Type> TypesByTag = FindKinds();
    private static readonly FrozenDictionary<Type, int> TagsByType = TypesByTag.ToFrozenDictionary(kind => kind.Value, kind => kind.Key);

    /// <summary>Every record kind by its tag.</summary>
    public static IReadOnlyDictionary<int, Type> Kinds => TypesByTag;

    public static byte[] Encode(LogRecord record)
    {
        if (!TagsByType.TryGetValue(record.GetType(), out int tag))
        {
            throw new ArgumentException($"{record.GetType().Name} is not a log record kind (it has no [LogRecordKind]).", nameof(record));
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(4);
        writer.Write(Format);
        writer.Write(tag);
        writer.Write(record.Sequence);
        MessagePackSerializer.Serialize(record.GetType(), ref writer, record, Serialization.Options);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <exception cref="InvalidDataException">The bytes are not a record of a kind and format this version knows.</exception>
    public static LogRecord Decode(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            int fields = reader.ReadArrayHeader();
            (int format, int tag, long sequence) = fields switch
            {
                2 => (1, reader.ReadInt32(), 0L),
                4 => (reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt64()),
                _ => throw new InvalidDataException($"A log record has {fields} fields."),
            };
            if (format > Format)
            {
                throw new InvalidDataException($"A log record has format {format}, newer than this version reads ({Format}).");
            }

            if (!TypesByTag.TryGetValue(tag, out var type))
            {
                throw new InvalidDataException($"Unknown log record tag {tag}.");
            }

            var record = (LogRecord?)MessagePackSerializer.Deserialize(type, ref reader, Serialization.Options)
                ?? throw new InvalidDataException($"A log record of tag {tag} is empty.");
            return record with { Sequence = sequence };
        }
        catch (MessagePackSerializationException e)
        {
            throw new InvalidDataException($"Cannot decode a log record: {e.Message}", e);
        }
    }

    private static FrozenDictionary<int, Type> FindKinds()
    {
        var kinds = new Dictionary<int, Type>();
        foreach (var type in typeof(LogRecord).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(LogRecord)) && !t.IsAbstract))
        {
            int tag = type.GetCustomAttribute<LogRecordKindAttribute>()?.Tag
                ?? throw new InvalidOperationException($"Log record {type.Name} has no [LogRecordKind].");
            if (!kinds.TryAdd(tag, type))
            {
                throw new InvalidOperationException($"Log records {kinds[tag].Name} and {type.Name} share tag {tag}.");
            }
        }

        return kinds.ToFrozenDictionary();
    }
}
