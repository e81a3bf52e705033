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

    /// <summary>A field given as JSON (the batch form, tests).</summary>
    public static VectorField Of(JsonElement json) => new(null, json);

    /// <summary>
    /// Reads a list of numbers into floats exactly as <see cref="VectorJson.Dense"/> does (each number read as a double,
    /// then rounded to float); on anything else it goes back to where the value began and reads it as JSON.
    /// </summary>
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

            var element = ((JsonConverter<JsonElement>)options.GetConverter(typeof(JsonElement))).Read(ref reader, typeof(JsonElement), options);
            return new VectorField(null, element);
        }

        public override void Write(Utf8JsonWriter writer, VectorField value, JsonSerializerOptions options) =>
            throw new NotSupportedException("A request's vector field is only read.");

        /// <summary>The numbers of a list up to its end, or null at the first value that is not a number within double's range.</summary>
        private static float[]? TryReadNumbers(ref Utf8JsonReader reader)
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
    }
}
