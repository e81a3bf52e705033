using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using Google.Protobuf.Collections;
using Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Payloads between Qdrant's protobuf <c>Value</c>s (JSON with 64-bit integers) and the JSON the engine keeps. An
/// integer stays an integer both ways; a whole number stored as a float (<c>1.0</c>) comes back as a double.
/// </summary>
internal static class ProtoValues
{
    /// <summary>A payload from its fields; null when there are none and <paramref name="emptyIsNull"/>.</summary>
    public static Payload? Payload(MapField<string, Value> fields, string path, bool emptyIsNull = true)
    {
        if (fields.Count == 0 && emptyIsNull)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteObject(writer, fields, path);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return VectorDb.Payload.FromJson(document.RootElement);
    }

    /// <summary>One value as JSON (a match value, a formula default).</summary>
    public static JsonElement Json(Value value, string path)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, value, path);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>Fills <paramref name="target"/> with the selected payload fields.</summary>
    public static void Fill(MapField<string, Value> target, Dictionary<string, JsonElement>? fields)
    {
        if (fields is null)
        {
            return;
        }

        foreach (var (key, value) in fields)
        {
            target[key] = ToValue(value);
        }
    }

    /// <summary>A JSON value as a protobuf value.</summary>
    public static Value ToValue(JsonElement json)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.String:
                return new Value { StringValue = json.GetString() };
            case JsonValueKind.Number:
                return IsInteger(json) && json.TryGetInt64(out long integer) ? new Value { IntegerValue = integer } : new Value { DoubleValue = json.GetDouble() };
            case JsonValueKind.True:
            case JsonValueKind.False:
                return new Value { BoolValue = json.ValueKind == JsonValueKind.True };
            case JsonValueKind.Object:
                var structure = new Struct();
                foreach (var field in json.EnumerateObject())
                {
                    structure.Fields[field.Name] = ToValue(field.Value);
                }

                return new Value { StructValue = structure };
            case JsonValueKind.Array:
                var list = new ListValue();
                foreach (var item in json.EnumerateArray())
                {
                    list.Values.Add(ToValue(item));
                }

                return new Value { ListValue = list };
            default:
                return new Value { NullValue = NullValue.NullValue };
        }
    }

    /// <summary>True for a number written without a fraction or exponent, as JSON integers are.</summary>
    private static bool IsInteger(JsonElement number) => JsonMarshal.GetRawUtf8Value(number).IndexOfAny(".eE"u8) < 0;

    /// <summary>
    /// A double as JSON that stays a double: a whole number keeps a fraction (<c>10.0</c>, not <c>10</c>), so that it
    /// comes back as a double, as it was given, and integer conditions do not start to match it.
    /// </summary>
    private static void WriteDouble(Utf8JsonWriter writer, double value, string path)
    {
        if (!double.IsFinite(value))
        {
            throw new InvalidRequestException($"`{path}` is {value}: payload numbers must be finite.");
        }

        Span<byte> text = stackalloc byte[40];
        if (!Utf8Formatter.TryFormat(value, text, out int written) || text[..written].IndexOfAny(".Ee"u8) >= 0)
        {
            writer.WriteNumberValue(value);
            return;
        }

        ".0"u8.CopyTo(text[written..]);
        writer.WriteRawValue(text[..(written + 2)], skipInputValidation: true);
    }

    private static void WriteObject(Utf8JsonWriter writer, MapField<string, Value> fields, string path)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in fields)
        {
            writer.WritePropertyName(key);
            Write(writer, value, $"{path}.{key}");
        }

        writer.WriteEndObject();
    }

    private static void Write(Utf8JsonWriter writer, Value value, string path)
    {
        switch (value.KindCase)
        {
            case Value.KindOneofCase.None:
            case Value.KindOneofCase.NullValue:
                writer.WriteNullValue();
                break;
            case Value.KindOneofCase.DoubleValue:
                WriteDouble(writer, value.DoubleValue, path);
                break;
            case Value.KindOneofCase.IntegerValue:
                writer.WriteNumberValue(value.IntegerValue);
                break;
            case Value.KindOneofCase.StringValue:
                writer.WriteStringValue(value.StringValue);
                break;
            case Value.KindOneofCase.BoolValue:
                writer.WriteBooleanValue(value.BoolValue);
                break;
            case Value.KindOneofCase.StructValue:
                WriteObject(writer, value.StructValue.Fields, path);
                break;
            case Value.KindOneofCase.ListValue:
                writer.WriteStartArray();
                for (int i = 0; i < value.ListValue.Values.Count; i++)
                {
                    Write(writer, value.ListValue.Values[i], $"{path}[{i}]");
                }

                writer.WriteEndArray();
                break;
            default:
                throw new InvalidRequestException($"`{path}` holds a kind of value this server does not know ({value.KindCase}).");
        }
    }
}
