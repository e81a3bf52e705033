using System.Collections;
using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Refuses the fields a request carries that this server's protocol (Qdrant 1.20's messages) does not know, anywhere
/// in the message: protobuf keeps them aside and would let a newer client's setting be accepted and then ignored.
/// </summary>
internal static class UnknownFields
{
    private static readonly ConcurrentDictionary<Type, Shape> Shapes = new();

    /// <summary>Throws <see cref="InvalidRequestException"/> naming where the first unknown field is and its number.</summary>
    public static void Refuse(IMessage message)
    {
        if (Find(message) is var (path, number))
        {
            throw new InvalidRequestException(
                $"{(path.Length == 0 ? "The request" : $"`{path}`")} carries field number {number}, which this server (Qdrant 1.20's protocol) does not know: refused rather than ignored.");
        }
    }

    /// <summary>Where the first unknown field is (a path built only when there is one) and its number; null when none.</summary>
    private static (string Path, int Number)? Find(IMessage message)
    {
        var shape = Shapes.GetOrAdd(message.GetType(), Describe);
        if (shape.Unknown(message) is { } unknown)
        {
            return ("", FirstNumber(unknown));
        }

        foreach (var field in shape.Messages)
        {
            switch (field.Accessor.GetValue(message))
            {
                case IMessage nested when Find(nested) is var (path, number):
                    return (Join(field.Name, path), number);
                case IDictionary { Count: > 0 } map:
                    foreach (object? value in map.Values)
                    {
                        if (value is IMessage entry && Find(entry) is var (path, number))
                        {
                            return (Join($"{field.Name}.{KeyOf(map, entry)}", path), number);
                        }
                    }

                    break;
                case IList { Count: > 0 } list:
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (Find((IMessage)list[i]!) is var (path, number))
                        {
                            return (Join($"{field.Name}[{i}]", path), number);
                        }
                    }

                    break;
            }
        }

        return null;
    }

    private static string Join(string field, string inner) => inner.Length == 0 ? field : $"{field}.{inner}";

    private static object? KeyOf(IDictionary map, IMessage value)
    {
        foreach (DictionaryEntry entry in map)
        {
            if (ReferenceEquals(entry.Value, value))
            {
                return entry.Key;
            }
        }

        return null;
    }

    private static Shape Describe(Type type)
    {
        var unknownField = type.GetField("_unknownFields", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException($"{type} keeps no unknown fields where generated messages do.");
        var message = Expression.Parameter(typeof(IMessage));
        var read = Expression.Lambda<Func<IMessage, UnknownFieldSet?>>(Expression.Field(Expression.Convert(message, type), unknownField), message).Compile();
        var descriptor = ((IMessage)Activator.CreateInstance(type)!).Descriptor;
        FieldDescriptor[] messages = [.. descriptor.Fields.InDeclarationOrder().Where(f => f.FieldType == FieldType.Message
            && (!f.IsMap || f.MessageType.FindFieldByNumber(2).FieldType == FieldType.Message))];
        return new Shape(read, messages);
    }

    private static int FirstNumber(UnknownFieldSet unknown)
    {
        var bytes = new byte[unknown.CalculateSize()];
        var output = new CodedOutputStream(bytes);
        unknown.WriteTo(output);
        output.Flush();
        return WireFormat.GetTagFieldNumber(new CodedInputStream(bytes).ReadTag());
    }

    private sealed record Shape(Func<IMessage, UnknownFieldSet?> Unknown, FieldDescriptor[] Messages);
}
