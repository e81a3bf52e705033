using System.Text.Json;
using VectorDb.Datasets;

namespace VectorDb.Bench.Http;

/// <summary>The body of a REST upsert, written straight from a data set's rows.</summary>
public static class PointsBody
{
    /// <summary>Writes <c>{"points": [{"id", "vector", "payload": {"n": id}?}, …]}</c> for <paramref name="ids"/>.</summary>
    public static void Write(Stream output, VectorSet data, IEnumerable<int> ids, bool numberPayload)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteStartArray("points");
        foreach (int i in ids)
        {
            json.WriteStartObject();
            json.WriteNumber("id", i);
            json.WriteStartArray("vector");
            foreach (float x in data[i])
            {
                json.WriteNumberValue(x);
            }

            json.WriteEndArray();
            if (numberPayload)
            {
                json.WriteStartObject("payload");
                json.WriteNumber("n", i);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The same points in the upsert's batch (column) form: <c>{"batch": {"ids", "vectors", "payloads"}}</c>.</summary>
    public static void WriteColumns(Stream output, VectorSet data, IReadOnlyList<int> ids, bool numberPayload)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteStartObject("batch");
        json.WriteStartArray("ids");
        foreach (int i in ids)
        {
            json.WriteNumberValue(i);
        }

        json.WriteEndArray();
        json.WriteStartArray("vectors");
        foreach (int i in ids)
        {
            json.WriteStartArray();
            foreach (float x in data[i])
            {
                json.WriteNumberValue(x);
            }

            json.WriteEndArray();
        }

        json.WriteEndArray();
        if (numberPayload)
        {
            json.WriteStartArray("payloads");
            foreach (int i in ids)
            {
                json.WriteStartObject();
                json.WriteNumber("n", i);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
