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
}
