using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace VectorDb.Server.Api;

/// <summary>
/// A point's <c>vector</c> field as an upsert binds it. The common shape, a list of numbers (the unnamed dense vector),
/// is read straight into floats while the body is parsed: bound as a <see cref="JsonElement"/>, each vector became a
/// JSON document of its own and was parsed twice, about two thirds of the time a large upsert spent reading its body.
/// Every other shape (named vectors, sparse vectors, documents, multivectors, a list holding something other than
/// numbers) is kept as JSON for <see cref="VectorJson"/>, which reads it, or refuses it naming the field, as before.
/// </summary>
[JsonConverter(typeof(Converter))]
internal sealed class VectorField
{
    private VectorField(float[]? dense, JsonElement json)
    {
        Dense = dense;
        Json = json;
    }

    /// <summary>The vector when the field was a list of numbers; null for any other shape.</summary>
    public float[]? Dense { get; }

    /// <summary>The field as JSON when it was not a list of numbers.</summary>
    public JsonElement Json { get; }

    /// <summary>A field given as JSON.</summary>
    public static VectorField Of(JsonElement json) => new(null, json);

    /// <summary>A field that was a list of numbers, read already (a row of the batch form's columns).</summary>
    public static VectorField Of(float[] dense) => new(dense, default);

    /// <summary>
    /// Reads the numbers of a list (the reader on its start) up to its end exactly as <see cref="VectorJson.Dense"/>
    /// does (each number read as a double, then rounded to float), or returns null at the first value that is not a
    /// number; the caller then rewinds the reader.
    /// </summary>
    internal static float[]? TryReadNumbers(ref Utf8JsonReader reader)
    {
        float[] buffer = ArrayPool<float>.Shared.Rent(1024);
        try
        {
            int count = 0;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    return buffer.AsSpan(0, count).ToArray();
                }

                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out double number))
                {
                    return null;
                }

                if (count == buffer.Length)
                {
                    float[] larger = ArrayPool<float>.Shared.Rent(count * 2);
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<float>.Shared.Return(buffer);
                    buffer = larger;
                }

                buffer[count++] = (float)number;
            }

            return null;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the value the reader is on as JSON, as the serializer would have bound it.</summary>
    internal static JsonElement ReadJson(ref Utf8JsonReader reader, JsonSerializerOptions options) =>
        ((JsonConverter<JsonElement>)options.GetConverter(typeof(JsonElement))).Read(ref reader, typeof(JsonElement), options);

    /// <summary>Reads a list of numbers into floats; on anything else it goes back to where the value began and reads it as JSON.</summary>
    private sealed class Converter : JsonConverter<VectorField>
    {
        public override VectorField Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                // The serializer has buffered the whole value before calling a converter, so the reader can be rewound.
                var start = reader;
                if (TryReadNumbers(ref reader) is { } dense)
                {
                    return new VectorField(dense, default);
                }

                reader = start;
            }

            return new VectorField(null, ReadJson(ref reader, options));
        }

        public override void Write(Utf8JsonWriter writer, VectorField value, JsonSerializerOptions options) =>
            throw new NotSupportedException("A request's vector field is only read.");
    }
}

/// <summary>
/// The batch form's <c>vectors</c> as an upsert binds it: a list of lists of numbers (the unnamed vector's column) read
/// straight into floats, as <see cref="VectorField"/> reads a point's; any other shape (named columns, sparse vectors,
/// something that is not a number) kept as JSON for the reader that refuses or reads it.
/// </summary>
[JsonConverter(typeof(Converter))]
internal sealed class VectorColumns
{
    private VectorColumns(float[][]? dense, JsonElement json)
    {
        Dense = dense;
        Json = json;
    }

    /// <summary>One vector per point when the field was a list of lists of numbers; null for any other shape.</summary>
    public float[][]? Dense { get; }

    /// <summary>The field as JSON when it was not a list of lists of numbers.</summary>
    public JsonElement Json { get; }

    private sealed class Converter : JsonConverter<VectorColumns>
    {
        public override VectorColumns Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                var start = reader; // the whole value is buffered before a converter is called: the reader can be rewound
                var rows = new List<float[]>();
                while (reader.Read() && reader.TokenType == JsonTokenType.StartArray && VectorField.TryReadNumbers(ref reader) is { } row)
                {
                    rows.Add(row);
                }

                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    return new VectorColumns([.. rows], default);
                }

                reader = start;
            }

            return new VectorColumns(null, VectorField.ReadJson(ref reader, options));
        }

        public override void Write(Utf8JsonWriter writer, VectorColumns value, JsonSerializerOptions options) =>
            throw new NotSupportedException("A request's vectors are only read.");
    }
}
