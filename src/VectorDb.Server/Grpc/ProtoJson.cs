using System.Collections;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Writes a settings message (a collection's parameters, a payload index's) in the REST API's JSON shape, where Qdrant's
/// two APIs use the same snake_case names, so the REST reader checks it: its validation and its refusals of unknown or
/// unsupported fields apply to gRPC unchanged. Settings are cold paths; points and searches are mapped directly.
/// </summary>
internal static class ProtoJson
{
    /// <summary>The set fields of <paramref name="message"/>, renamed by <paramref name="renames"/> (proto name → REST name).</summary>
    public static JsonObject Object(IMessage message, IReadOnlyDictionary<string, string>? renames = null)
    {
        var json = new JsonObject();
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            bool given = ReadFields.IsSet(field, message)
                || (field.FieldType == FieldType.Enum && !field.HasPresence && !field.IsRepeated && IsValue(field.EnumType.FindValueByNumber(0).Name));
            if (given && Value(field, field.Accessor.GetValue(message)) is { } value)
            {
                json[renames?.GetValueOrDefault(field.Name) ?? field.Name] = value;
            }
        }

        return json;
    }

    /// <summary>The JSON body as the REST reader takes it.</summary>
    public static JsonElement Element(JsonNode node) => JsonSerializer.SerializeToElement(node);

    private static JsonNode? Value(FieldDescriptor field, object? value)
    {
        if (field.IsMap)
        {
            var map = new JsonObject();
            var valueField = field.MessageType.FindFieldByNumber(2);
            foreach (DictionaryEntry entry in (IDictionary)value!)
            {
                map[(string)entry.Key] = Single(valueField, entry.Value);
            }

            return map;
        }

        if (field.IsRepeated)
        {
            return new JsonArray([.. ((IEnumerable)value!).Cast<object?>().Select(item => Single(field, item))]);
        }

        return Single(field, value);
    }

    private static JsonNode? Single(FieldDescriptor field, object? value) => value switch
    {
        null => null,
        Proto.Value payload => JsonNode.Parse(ProtoValues.Json(payload, field.Name).GetRawText()),
        Proto.BinaryQuantizationQueryEncoding encoding => encoding.VariantCase == Proto.BinaryQuantizationQueryEncoding.VariantOneofCase.Setting
            ? encoding.Setting.ToString().ToLowerInvariant() // Qdrant's REST names: scalar4bits, scalar8bits
            : null,
        Proto.Disabled => "Disabled",
        Proto.KeywordPrefixParams => true, // an empty message that switches a keyword index's prefix matching on
        // Maps and alternatives that protobuf wraps in a message and JSON does not.
        Proto.VectorsConfig { ConfigCase: Proto.VectorsConfig.ConfigOneofCase.Params } vectors => Object(vectors.Params),
        Proto.VectorsConfig { ConfigCase: Proto.VectorsConfig.ConfigOneofCase.ParamsMap } vectors => Unwrapped(vectors.ParamsMap, "map"),
        Proto.VectorsConfigDiff { ConfigCase: Proto.VectorsConfigDiff.ConfigOneofCase.Params } vectors => Object(vectors.Params),
        Proto.VectorsConfigDiff { ConfigCase: Proto.VectorsConfigDiff.ConfigOneofCase.ParamsMap } vectors => Unwrapped(vectors.ParamsMap, "map"),
        Proto.SparseVectorConfig sparse => Unwrapped(sparse, "map"),
        Proto.StrictModeMultivectorConfig multivector => Unwrapped(multivector, "multivector_config"),
        Proto.StrictModeSparseConfig sparse => Unwrapped(sparse, "sparse_config"),
        IMessage message => Object(message),
        Enum when field.FieldType == FieldType.Enum => EnumName(field.EnumType, Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture)),
        string text => text,
        bool flag => flag,
        float number => number,
        double number => number,
        int number => number,
        uint number => number,
        long number => number,
        ulong number => number,
        ByteString => throw new InvalidRequestException($"`{field.Name}` holds bytes, which no setting takes."),
        _ => throw new InvalidOperationException($"{field.FullName}: no JSON form for {value.GetType().Name}."),
    };

    /// <summary>False for the zero values that mean "not set" (<c>UnknownDistance</c>, <c>Default</c>), true for real ones (<c>MaxSim</c>, <c>OneBit</c>).</summary>
    private static bool IsValue(string enumName) => !enumName.Contains("Unknown", StringComparison.Ordinal) && enumName != "Default";

    private static JsonNode Unwrapped(IMessage message, string field) => Object(message)[field]?.DeepClone() ?? new JsonObject();

    /// <summary>
    /// An enum value as the REST API spells it: distances as they are (<c>Cosine</c>), others in snake_case
    /// (<c>OneAndHalfBits</c> → <c>one_and_half_bits</c>); an unknown or default value as absent.
    /// </summary>
    private static JsonNode? EnumName(EnumDescriptor type, int number)
    {
        string name = type.FindValueByNumber(number)?.Name ?? throw new InvalidRequestException($"{number} is not a value of {type.Name}.");
        if (!IsValue(name))
        {
            return null;
        }

        if (type.ClrType == typeof(Proto.Distance))
        {
            return name;
        }

        var snake = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])))
            {
                snake.Append('_');
            }

            snake.Append(char.ToLowerInvariant(name[i]));
        }

        return snake.ToString();
    }
}
