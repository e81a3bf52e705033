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
    public static void Refuse(IMessage message, string path = "")
    {
        var shape = Shapes.GetOrAdd(message.GetType(), Describe);
        if (shape.Unknown(message) is { } unknown)
        {
            throw new InvalidRequestException(
                $"{(path.Length == 0 ? "The request" : $"`{path}`")} carries field number {FirstNumber(unknown)}, which this server (Qdrant 1.20's protocol) does not know: refused rather than ignored.");
        }

        foreach (var field in shape.Messages)
        {
            string at = path.Length == 0 ? field.Name : $"{path}.{field.Name}";
            switch (field.Accessor.GetValue(message))
            {
                case IMessage nested:
                    Refuse(nested, at);
                    break;
                case IDictionary map:
                    foreach (DictionaryEntry entry in map)
                    {
                        if (entry.Value is IMessage value)
                        {
                            Refuse(value, $"{at}.{entry.Key}");
                        }
                    }

                    break;
                case IList list:
                    for (int i = 0; i < list.Count; i++)
                    {
                        Refuse((IMessage)list[i]!, $"{at}[{i}]");
                    }

                    break;
            }
        }
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
