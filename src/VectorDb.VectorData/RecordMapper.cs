using System.Buffers;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData.ProviderServices;
using VectorDb.Query.Text;
using VectorDb.Sparse;

namespace VectorDb.VectorData;

/// <summary>
/// Maps records to points and back: the key to the point id (a string key to its name-based UUID, and to a payload
/// field of the key's name that records read it back from: <see cref="StringKeys"/>), data properties to payload fields
/// (by storage name, as JSON), vector properties to the point's vectors — the unnamed vector when the record has one
/// vector property, named vectors (by storage name) when it has several.
/// </summary>
internal sealed class RecordMapper
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    // Reading records is on the search path: the model's reflection-based accessors, boxing and JsonSerializer cost more
    // than the search itself for small records, so for record classes the constructor and one typed "read the JSON
    // value and set the property" delegate per property are compiled once.
    private readonly Func<object> _newRecord;
    private readonly Action<object, PointId, Payload?> _setKey;
    private readonly (byte[] Utf8Name, Action<object, JsonElement> Fill)[] _data; // names in UTF-8: a lookup by string transcodes it each time
    private readonly string? _stringKey; // the payload field that holds a string key, if the key is a string

    /// <summary>
    /// A mapper of records of <paramref name="recordType"/> (dynamic records: <c>Dictionary&lt;string, object?&gt;</c>),
    /// which <paramref name="createRecord"/> makes where the type has no parameterless constructor to compile.
    /// </summary>
    public RecordMapper(CollectionModel model, Type recordType, Func<object> createRecord)
    {
        Model = model;
        _newRecord = model.KeyProperty.PropertyInfo is not null && recordType.GetConstructor(Type.EmptyTypes) is { } constructor
            ? Expression.Lambda<Func<object>>(Expression.Convert(Expression.New(constructor), typeof(object))).Compile()
            : createRecord;
        _setKey = KeySetter(model.KeyProperty);
        _stringKey = model.KeyProperty.Type == typeof(string) ? model.KeyProperty.StorageName : null;
        _data = [.. model.DataProperties.Select(p => (System.Text.Encoding.UTF8.GetBytes(p.StorageName), Filler(p)))];
        KeywordFields = [.. model.DataProperties.Where(p => p.IsFullTextIndexed).Select(p => (p, KeywordVector(p)))];
    }

    /// <summary>The record model.</summary>
    public CollectionModel Model { get; }

    /// <summary>The engine's name of a vector property's vector.</summary>
    public string VectorName(VectorPropertyModel property) => Model.VectorProperties.Count == 1 ? "" : property.StorageName;

    /// <summary>The point id of a key, false for a negative integer key or an empty or malformed string key (which no point can have).</summary>
    /// <exception cref="NotSupportedException">A key of another type.</exception>
    public static bool TryPointId(object? key, out PointId id)
    {
        id = default;
        if (key is long and < 0 or int and < 0)
        {
            return false;
        }

        if (key is string text)
        {
            return StringKeys.TryIdOf(text, out id);
        }

        id = ToPointId(key);
        return true;
    }

    /// <summary>
    /// <see cref="TryPointId"/> for a key given to this collection: dynamic collections take keys as objects, and a key
    /// of another kind than the model's (a string for a Guid key, say) would name some other point.
    /// </summary>
    /// <exception cref="ArgumentException">A key of another kind than the collection's.</exception>
    public bool TryPointIdOfKey(object? key, out PointId id)
    {
        var expected = Model.KeyProperty.Type;
        bool fits = key is null || (expected == typeof(string) ? key is string : expected == typeof(Guid) ? key is Guid : key is ulong or long or int);
        return fits
            ? TryPointId(key, out id)
            : throw new ArgumentException($"Key {key} is a {key!.GetType().Name}; the keys of this collection are {expected.Name}.", nameof(key));
    }

    /// <summary>The point id of a key (a string key's is <see cref="StringKeys.IdOf"/>).</summary>
    /// <exception cref="ArgumentException">A negative integer key, or an empty string key.</exception>
    public static PointId ToPointId(object? key) => key switch
    {
        ulong number => number,
        long number and >= 0 => (ulong)number,
        int number and >= 0 => (ulong)number,
        Guid uuid => uuid,
        string text => StringKeys.IdOf(text),
        long or int => throw new ArgumentException($"Key {key} is negative; VectorDb point ids are unsigned integers or UUIDs.", nameof(key)),
        null => throw new ArgumentNullException(nameof(key)),
        _ => throw new NotSupportedException($"Keys of type {key.GetType().Name} are not supported; use ulong, long, int, Guid or string."),
    };

    /// <summary>
    /// The key of a stored point as <paramref name="type"/>, from its id — or, for a string key, from the payload field
    /// that holds it (<paramref name="payload"/>, field <paramref name="keyName"/>).
    /// </summary>
    private static MethodCallExpression KeyOf(Type type, Expression id, Expression payload, byte[] keyName) => type == typeof(string)
        ? Expression.Call(Method(nameof(KeyAsString)), id, payload, Expression.Constant(keyName))
        : Expression.Call(Method(type == typeof(Guid) ? nameof(KeyAsGuid) : type == typeof(long) ? nameof(KeyAsInt64) : type == typeof(int) ? nameof(KeyAsInt32) : nameof(KeyAsUInt64)), id);

    private static MethodInfo Method(string name) => typeof(RecordMapper).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!;

    private static string KeyAsString(PointId id, Payload? payload, byte[] keyName) =>
        payload is not null && payload.TryGetValue(keyName, out var key) && key.ValueKind == JsonValueKind.String && key.GetString() is { Length: > 0 } text
            ? text
            : throw new InvalidOperationException(
                $"Point {id} has no string key in its payload field '{System.Text.Encoding.UTF8.GetString(keyName)}': it was not written through a collection with string keys.");

    private static Guid KeyAsGuid(PointId id) => id.IsUuid ? id.Uuid : throw KeyMismatch(id, typeof(Guid));

    private static ulong KeyAsUInt64(PointId id) => id.IsUuid ? throw KeyMismatch(id, typeof(ulong)) : id.Number;

    private static long KeyAsInt64(PointId id) => !id.IsUuid && id.Number <= long.MaxValue ? (long)id.Number : throw KeyMismatch(id, typeof(long));

    private static int KeyAsInt32(PointId id) => !id.IsUuid && id.Number <= int.MaxValue ? (int)id.Number : throw KeyMismatch(id, typeof(int));

    private static InvalidOperationException KeyMismatch(PointId id, Type key) => new($"Point id {id} does not fit the record's {key.Name} key.");

    /// <summary>The point for a record; <paramref name="embeddings"/> holds, per vector property that generates them, the record's embedding.</summary>
    public Point ToPoint(object record, IReadOnlyDictionary<VectorPropertyModel, Embedding> embeddings)
    {
        object? key = Model.KeyProperty.GetValueAsObject(record);
        _ = TryPointIdOfKey(key, out _); // a key of the wrong kind in a dynamic record
        var id = ToPointId(key);
        var payload = ToPayload(record);
        var point = Model.VectorProperties.Count == 1
            ? new Point(id, VectorOf(record, Model.VectorProperty, embeddings), payload)
            : new Point(id, null, payload) { NamedVectors = NamedVectorsOf(record, embeddings) };
        return KeywordFields.Count == 0 ? point : point with { SparseVectors = KeywordVectorsOf(record) };
    }

    /// <summary>The full-text data properties, each with the sparse vector that holds its words' BM25 weights (for hybrid search).</summary>
    public IReadOnlyList<(DataPropertyModel Property, string Vector)> KeywordFields { get; }

    /// <summary>The engine's name of the BM25 sparse vector of a full-text data property (a name no vector property can take: they may not contain '.').</summary>
    public static string KeywordVector(DataPropertyModel property) => property.StorageName + ".bm25";

    /// <summary>Encodes text as Qdrant's server-side BM25 model does: document weights here, IDF at search time.</summary>
    public static Bm25Encoder Bm25 { get; } = new(new Bm25Options());

    private Dictionary<string, float[]> NamedVectorsOf(object record, IReadOnlyDictionary<VectorPropertyModel, Embedding> embeddings)
    {
        var named = new Dictionary<string, float[]>(Model.VectorProperties.Count, StringComparer.Ordinal);
        foreach (var property in Model.VectorProperties)
        {
            if (VectorOf(record, property, embeddings) is { } vector)
            {
                named[property.StorageName] = vector;
            }
        }

        return named;
    }

    private Dictionary<string, SparseVector> KeywordVectorsOf(object record)
    {
        var sparse = new Dictionary<string, SparseVector>(KeywordFields.Count, StringComparer.Ordinal);
        foreach (var (property, vector) in KeywordFields)
        {
            string? text = property.GetValueAsObject(record) switch
            {
                string single => single,
                IEnumerable<string?> many => string.Join(' ', many),
                _ => null,
            };
            if (!string.IsNullOrWhiteSpace(text) && Bm25.EncodeDocument(text) is { Count: > 0 } weights)
            {
                sparse[vector] = weights;
            }
        }

        return sparse;
    }

    /// <summary>
    /// Creates a record of a stored point; vectors only when <paramref name="vectors"/> is given. Not generic: a generic
    /// method called from the collection's shared generic code looks its instantiation up on every call.
    /// </summary>
    public object ToRecord(PointId id, Payload? payload, Func<string, float[]?>? vectors)
    {
        var record = _newRecord();
        _setKey(record, id, payload);
        if (payload is not null)
        {
            foreach (var (name, fill) in _data)
            {
                if (payload.TryGetValue(name, out var value))
                {
                    fill(record, value);
                }
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

    /// <summary>Sets the key of a stored point: compiled and typed for a record class, boxed through the model for dynamic records.</summary>
    private static Action<object, PointId, Payload?> KeySetter(KeyPropertyModel key)
    {
        var id = Expression.Parameter(typeof(PointId));
        var payload = Expression.Parameter(typeof(Payload));
        var convert = KeyOf(key.Type, id, payload, System.Text.Encoding.UTF8.GetBytes(key.StorageName));
        if (key.PropertyInfo is not { CanWrite: true, DeclaringType: { } declaring } info)
        {
            var boxed = Expression.Lambda<Func<PointId, Payload?, object>>(Expression.Convert(convert, typeof(object)), id, payload).Compile();
            return (record, point, fields) => key.SetValueAsObject(record, boxed(point, fields));
        }

        var record = Expression.Parameter(typeof(object));
        return Expression.Lambda<Action<object, PointId, Payload?>>(
            Expression.Assign(Expression.Property(Expression.Convert(record, declaring), info), convert),
            record,
            id,
            payload).Compile();
    }

    /// <summary>Reads a payload value into a data property: compiled and typed for a record class, boxed through the model for dynamic records.</summary>
    private static Action<object, JsonElement> Filler(DataPropertyModel property)
    {
        var read = typeof(RecordMapper).GetMethod(nameof(Read), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(property.Type);
        var json = Expression.Parameter(typeof(JsonElement));
        if (property.PropertyInfo is not { CanWrite: true, DeclaringType: { } declaring } info)
        {
            var boxed = Expression.Lambda<Func<JsonElement, object?>>(Expression.Convert(Expression.Call(read, json), typeof(object)), json).Compile();
            return (record, value) => property.SetValueAsObject(record, boxed(value));
        }

        var record = Expression.Parameter(typeof(object));
        return Expression.Lambda<Action<object, JsonElement>>(
            Expression.Assign(Expression.Property(Expression.Convert(record, declaring), info), Expression.Call(read, json)),
            record,
            json).Compile();
    }

    /// <summary>A payload value as <typeparamref name="T"/>: common scalars straight from the JSON, the rest by the serializer; null as the type's default.</summary>
    private static T? Read<T>(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return default;
        }

        // Each test is a constant for a value type T, so the JIT keeps only the one that holds (and no boxing).
        if (typeof(T) == typeof(string))
        {
            return (T)(object)value.GetString()!;
        }

        if (typeof(T) == typeof(int) || typeof(T) == typeof(int?))
        {
            return (T)(object)value.GetInt32();
        }

        if (typeof(T) == typeof(long) || typeof(T) == typeof(long?))
        {
            return (T)(object)value.GetInt64();
        }

        if (typeof(T) == typeof(bool) || typeof(T) == typeof(bool?))
        {
            return (T)(object)value.GetBoolean();
        }

        if (typeof(T) == typeof(double) || typeof(T) == typeof(double?))
        {
            return (T)(object)value.GetDouble();
        }

        if (typeof(T) == typeof(float) || typeof(T) == typeof(float?))
        {
            return (T)(object)value.GetSingle();
        }

        if (typeof(T) == typeof(Guid) || typeof(T) == typeof(Guid?))
        {
            return (T)(object)value.GetGuid();
        }

        return value.Deserialize<T>(Json);
    }

    private Payload ToPayload(object record)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (_stringKey is not null)
            {
                writer.WriteString(_stringKey, (string)Model.KeyProperty.GetValueAsObject(record)!);
            }

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
