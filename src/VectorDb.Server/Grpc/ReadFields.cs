using System.Collections;
using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace VectorDb.Server.Grpc;

/// <summary>
/// The fields of one message type that a handler reads: any other field that is set is refused by name, so a setting
/// is never accepted and then ignored. Made once per message type and handler (a static field), checked per call.
/// </summary>
internal sealed class ReadFields
{
    /// <summary>Why fields that single-node storage makes meaningless are refused.</summary>
    private static readonly Dictionary<string, string> Reasons = new(StringComparer.Ordinal)
    {
        ["shard_key_selector"] = "a collection has one shard on this single-node server",
        ["sharding_method"] = "a collection has one shard on this single-node server",
    };

    private readonly FieldDescriptor[] _others;
    private readonly Dictionary<string, string> _reasons;

    private ReadFields(FieldDescriptor[] others, Dictionary<string, string> reasons) => (_others, _reasons) = (others, reasons);

    /// <summary>These fields, with why some unread ones are refused (proto name → reason).</summary>
    public ReadFields Refusing(IReadOnlyDictionary<string, string> reasons)
    {
        var merged = new Dictionary<string, string>(_reasons, StringComparer.Ordinal);
        foreach (var (field, reason) in reasons)
        {
            merged[field] = reason;
        }

        return new ReadFields(_others, merged);
    }

    /// <summary>The fields named by <paramref name="read"/> (proto names) of <typeparamref name="T"/>.</summary>
    public static ReadFields Of<T>(params string[] read)
        where T : IMessage<T>, new()
    {
        var descriptor = new T().Descriptor;
        foreach (string name in read)
        {
            _ = descriptor.FindFieldByName(name) ?? throw new InvalidOperationException($"{descriptor.FullName} has no field `{name}`.");
        }

        return new ReadFields([.. descriptor.Fields.InDeclarationOrder().Where(f => !read.Contains(f.Name))], new(Reasons, StringComparer.Ordinal));
    }

    /// <summary>Throws <see cref="InvalidRequestException"/> naming the first field of <paramref name="message"/> that is set and not read.</summary>
    public void Check(IMessage message, string path = "")
    {
        foreach (var field in _others)
        {
            if (IsSet(field, message))
            {
                string where = path.Length == 0 ? field.Name : $"{path}.{field.Name}";
                throw new InvalidRequestException(_reasons.TryGetValue(field.Name, out string? reason)
                    ? $"`{where}` is not supported: {reason}."
                    : $"`{where}` is not supported by this server.");
            }
        }
    }

    /// <summary>True when <paramref name="field"/> of <paramref name="message"/> holds a value: present, non-empty, or not the default.</summary>
    public static bool IsSet(FieldDescriptor field, IMessage message)
    {
        if (field.IsRepeated || field.IsMap)
        {
            return field.Accessor.GetValue(message) is ICollection { Count: > 0 };
        }

        if (field.HasPresence)
        {
            return field.Accessor.HasValue(message);
        }

        return field.Accessor.GetValue(message) switch
        {
            null => false,
            string text => text.Length > 0,
            ByteString bytes => !bytes.IsEmpty,
            bool flag => flag,
            Enum value => Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0,
            IConvertible number => Convert.ToDouble(number, CultureInfo.InvariantCulture) != 0,
            _ => true,
        };
    }
}
