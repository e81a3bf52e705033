using System.Buffers;
using System.Linq.Expressions;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace VectorDb.VectorData;

/// <summary>
/// Maps records to points and back: the key to the point id, data properties to payload fields (by storage name, as
/// JSON), vector properties to the point's vectors — the unnamed vector when the record has one vector property, named
/// vectors (by storage name) when it has several.
/// </summary>
internal sealed class RecordMapper
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    // Reading records is on the search path: the model's reflection-based accessors and JsonSerializer cost more than
    // the search itself for small records, so setters are compiled and common value types read straight from JSON.
    private readonly Func<object>? _newRecord;
    private readonly Action<object, object?> _setKey;
    private readonly (string StorageName, Func<JsonElement, object?> Read, Action<object, object?> Set, bool TakesNull)[] _data;

    /// <summary>A mapper of records of <paramref name="recordType"/> (dynamic records: <c>Dictionary&lt;string, object?&gt;</c>).</summary>
    public RecordMapper(CollectionModel model, Type recordType)
    {
        Model = model;
        _newRecord = model.KeyProperty.PropertyInfo is not null && recordType.GetConstructor(Type.EmptyTypes) is { } constructor
            ? Expression.Lambda<Func<object>>(Expression.Convert(Expression.New(constructor), typeof(object))).Compile()
            : null;
        _setKey = Setter(model.KeyProperty);
        _data = [.. model.DataProperties.Select(p => (p.StorageName, Reader(p.Type), Setter(p), !p.Type.IsValueType || Nullable.GetUnderlyingType(p.Type) is not null))];
    }

    /// <summary>The record model.</summary>
    public CollectionModel Model { get; }

    /// <summary>The engine's name of a vector property's vector.</summary>
    public string VectorName(VectorPropertyModel property) => Model.VectorProperties.Count == 1 ? "" : property.StorageName;

    /// <summary>The point id of a key.</summary>
    /// <exception cref="ArgumentException">A negative integer key.</exception>
    public static PointId ToPointId(object? key) => key switch
    {
        ulong number => number,
        long number and >= 0 => (ulong)number,
        int number and >= 0 => (ulong)number,
        Guid uuid => uuid,
        long or int => throw new ArgumentException($"Key {key} is negative; VectorDb point ids are unsigned integers or UUIDs.", nameof(key)),
        null => throw new ArgumentNullException(nameof(key)),
        _ => throw new NotSupportedException($"Keys of type {key.GetType().Name} are not supported; use ulong, long, int or Guid."),
    };

    /// <summary>The key of a point id, in the key property's type.</summary>
    public object ToKey(PointId id)
    {
        var type = Model.KeyProperty.Type;
        if (type == typeof(Guid))
        {
            return id.IsUuid ? id.Uuid : throw new VectorStoreException($"Point {id} has an integer id, but the record's key is a Guid.");
        }

        if (id.IsUuid)
        {
            throw new VectorStoreException($"Point {id} has a UUID id, but the record's key is an integer.");
        }

        return type == typeof(ulong) ? id.Number
            : type == typeof(long) && id.Number <= long.MaxValue ? (object)(long)id.Number
            : type == typeof(int) && id.Number <= int.MaxValue ? (object)(int)id.Number
            : throw new VectorStoreException($"Point id {id} does not fit the record's {type.Name} key.");
    }

    /// <summary>The point for a record; <paramref name="embeddings"/> holds, per vector property that generates them, the record's embedding.</summary>
    public Point ToPoint(object record, IReadOnlyDictionary<VectorPropertyModel, Embedding> embeddings)
    {
        var id = ToPointId(Model.KeyProperty.GetValueAsObject(record));
        var payload = ToPayload(record);
        if (Model.VectorProperties.Count == 1)
        {
            return new Point(id, VectorOf(record, Model.VectorProperty, embeddings), payload);
        }

        var named = new Dictionary<string, float[]>(Model.VectorProperties.Count, StringComparer.Ordinal);
        foreach (var property in Model.VectorProperties)
        {
            if (VectorOf(record, property, embeddings) is { } vector)
            {
                named[property.StorageName] = vector;
            }
        }

        return new Point(id, null, payload) { NamedVectors = named };
    }

    /// <summary>Creates a record of a stored point; vectors only when <paramref name="vectors"/> is given.</summary>
    public TRecord ToRecord<TRecord>(PointId id, Payload? payload, Func<string, float[]?>? vectors)
    {
        var record = _newRecord is null ? Model.CreateRecord<TRecord>()! : (TRecord)_newRecord();
        _setKey(record, ToKey(id));
        foreach (var (storageName, read, set, takesNull) in _data)
        {
            if (payload is not null && payload.TryGetValue(storageName, out var json) && read(json) is var value && (value is not null || takesNull))
            {
                set(record, value);
            }
        }

        if (vectors is not null)
        {
            foreach (var property in Model.VectorProperties)
            {
                property.SetValueAsObject(record, FromFloats(vectors(VectorName(property)), property.Type));
            }
        }

        return record;
    }

    /// <summary>A compiled setter of a record class's property; the model's own accessor for dynamic records.</summary>
    private static Action<object, object?> Setter(PropertyModel property)
    {
        if (property.PropertyInfo is not { CanWrite: true, DeclaringType: { } declaring } info)
        {
            return property.SetValueAsObject;
        }

        var record = Expression.Parameter(typeof(object));
        var value = Expression.Parameter(typeof(object));
        return Expression.Lambda<Action<object, object?>>(
            Expression.Assign(Expression.Property(Expression.Convert(record, declaring), info), Expression.Convert(value, info.PropertyType)),
            record,
            value).Compile();
    }

    /// <summary>Reads a payload value as the property's type: common scalars straight from the JSON, the rest by the serializer.</summary>
    private static Func<JsonElement, object?> Reader(Type type)
    {
        var scalar = Nullable.GetUnderlyingType(type) ?? type;
        Func<JsonElement, object?>? direct =
            scalar == typeof(string) ? e => e.GetString()
            : scalar == typeof(int) ? e => e.GetInt32()
            : scalar == typeof(long) ? e => e.GetInt64()
            : scalar == typeof(bool) ? e => e.GetBoolean()
            : scalar == typeof(double) ? e => e.GetDouble()
            : scalar == typeof(float) ? e => e.GetSingle()
            : scalar == typeof(Guid) ? e => e.GetGuid()
            : null;
        return direct is null
            ? e => e.Deserialize(type, Json)
            : e => e.ValueKind == JsonValueKind.Null ? null : direct(e);
    }

    private Payload ToPayload(object record)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in Model.DataProperties)
            {
                writer.WritePropertyName(property.StorageName);
                JsonSerializer.Serialize(writer, property.GetValueAsObject(record), property.Type, Json);
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return Payload.FromJson(document.RootElement);
    }

    private static float[]? VectorOf(object record, VectorPropertyModel property, IReadOnlyDictionary<VectorPropertyModel, Embedding> embeddings) =>
        embeddings.TryGetValue(property, out var embedding)
            ? ToFloats(embedding)
            : ToFloats(property.GetValueAsObject(record));

    /// <summary>A copy of a vector in one of the supported forms as float32 (the engine may normalise what it is given).</summary>
    public static float[]? ToFloats(object? vector) => vector switch
    {
        null => null,
        float[] floats => (float[])floats.Clone(),
        ReadOnlyMemory<float> memory => memory.ToArray(),
        Embedding<float> embedding => embedding.Vector.ToArray(),
        Half[] halves => Widen(halves),
        ReadOnlyMemory<Half> memory => Widen(memory.Span),
        Embedding<Half> embedding => Widen(embedding.Vector.Span),
        _ => throw new NotSupportedException($"Vectors of type {vector.GetType().Name} are not supported; use float[], ReadOnlyMemory<float>, Embedding<float> or their Half forms."),
    };

    private static object? FromFloats(float[]? vector, Type type)
    {
        if (vector is null)
        {
            return null;
        }

        if (type == typeof(float[]))
        {
            return vector;
        }

        if (type == typeof(ReadOnlyMemory<float>) || type == typeof(ReadOnlyMemory<float>?))
        {
            return new ReadOnlyMemory<float>(vector);
        }

        if (type == typeof(Embedding<float>))
        {
            return new Embedding<float>(vector);
        }

        var halves = new Half[vector.Length];
        for (int i = 0; i < vector.Length; i++)
        {
            halves[i] = (Half)vector[i];
        }

        return type == typeof(Half[]) ? halves
            : type == typeof(Embedding<Half>) ? new Embedding<Half>(halves)
            : new ReadOnlyMemory<Half>(halves);
    }

    private static float[] Widen(ReadOnlySpan<Half> halves)
    {
        var floats = new float[halves.Length];
        for (int i = 0; i < halves.Length; i++)
        {
            floats[i] = (float)halves[i];
        }

        return floats;
    }
}
