using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;

namespace VectorDb;

/// <summary>
/// A point's payload: an immutable JSON object. It is stored as a detached <see cref="JsonElement"/>,
/// so concurrent readers need no locks and callers cannot change it after an upsert.
/// </summary>
public sealed class Payload : IEquatable<Payload>
{
    private static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web);

    private int _bytes = -1; // not measured yet

    private Payload(JsonElement root) => Root = root;

    /// <summary>A payload with no fields.</summary>
    public static Payload Empty { get; } = new(JsonDocument.Parse("{}").RootElement.Clone());

    /// <summary>The JSON object.</summary>
    public JsonElement Root { get; }

    /// <summary>Field names at the top level.</summary>
    public IEnumerable<string> Keys => Root.EnumerateObject().Select(p => p.Name);

    /// <summary>Parses a JSON object.</summary>
    /// <exception cref="InvalidRequestException">The text is not JSON or not an object.</exception>
    public static Payload Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return FromJson(document.RootElement);
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException($"Payload is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Wraps an object inside another payload, without copying it (to evaluate conditions on an array's elements).</summary>
    internal static Payload Within(JsonElement element) => new(element);

    /// <summary>Wraps a copy of a JSON object element.</summary>
    /// <exception cref="InvalidRequestException">The element is not an object.</exception>
    public static Payload FromJson(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"A payload must be a JSON object, not {element.ValueKind}.");
        }

        CheckText(element);
        return new Payload(element.Clone());
    }

    /// <summary>
    /// Builds a payload from a dictionary of JSON-serialisable values (strings, numbers, booleans, null,
    /// arrays, nested dictionaries).
    /// </summary>
    public static Payload From(IReadOnlyDictionary<string, object?> fields) => FromObject(fields);

    /// <summary>Builds a payload from any object that serialises to a JSON object, e.g. an anonymous type.</summary>
    /// <exception cref="InvalidRequestException">The value does not serialise to a JSON object.</exception>
    public static Payload FromObject<T>(T value)
    {
        JsonElement element;
        try
        {
            element = JsonSerializer.SerializeToElement(value, SerializerOptions);
        }
        catch (NotSupportedException e)
        {
            throw new InvalidRequestException($"Payload value cannot be represented as JSON: {e.Message}", e);
        }

        return FromJson(element);
    }

    /// <summary>The payload's size as its JSON text is kept, in UTF-8 bytes (measured once, on first use).</summary>
    public int Bytes
    {
        get
        {
            int bytes = Volatile.Read(ref _bytes);
            if (bytes < 0)
            {
                bytes = System.Text.Encoding.UTF8.GetByteCount(Root.GetRawText());
                Volatile.Write(ref _bytes, bytes);
            }

            return bytes;
        }
    }

    /// <summary>
    /// A copy whose parts (its text, the text's index and the document over them) are allocated one after the other,
    /// so that they lie together in memory and next to whatever the caller allocates right after it. The point table
    /// stores payloads this way beside each point's record: a search that reads its hits' payloads then touches one
    /// neighbourhood of memory per hit rather than several scattered ones (measured: most of the cost of reading cold
    /// payloads after a walk).
    /// </summary>
    /// <remarks>
    /// <see cref="JsonElement.ParseValue"/>, not <see cref="JsonDocument.ParseValue"/>: the document's form borrows its
    /// arrays from the shared pool (it is meant to be disposed), which a stored payload would keep for good; the
    /// element's form allocates them to size, fresh, here.
    /// </remarks>
    internal Payload Packed()
    {
        var text = JsonMarshal.GetRawUtf8Value(Root);
        if (text.Length == 2) // "{}"
        {
            return Empty;
        }

        var reader = new Utf8JsonReader(text);
        return new Payload(JsonElement.ParseValue(ref reader)) { _bytes = text.Length };
    }

    /// <summary>
    /// Asks the processor to start loading this payload's memory. Call it for each of several payloads (a search's
    /// hits) before reading any of them. A payload's parts (document, token index, text) are found through one another,
    /// so reading payloads in turn meets their cache misses one after another; prefetched first, they overlap.
    /// </summary>
    /// <remarks>
    /// A payload stored in a collection has its parts allocated just before it, so the range that ends with this object
    /// is prefetched. For a payload laid out otherwise the hint is wasted, never wrong: a prefetch changes nothing and
    /// cannot fault. Without x86 prefetch instructions (Arm64) the payload's text is read instead, which still lets
    /// several payloads' misses overlap, though not the links of one payload's chain.
    /// </remarks>
    public unsafe void Prefetch()
    {
        if (!Sse.IsSupported)
        {
            var text = JsonMarshal.GetRawUtf8Value(Root);
            _ = Volatile.Read(ref MemoryMarshal.GetReference(text)) + Volatile.Read(ref Unsafe.Add(ref MemoryMarshal.GetReference(text), text.Length - 1));
            return;
        }

        // The text, its token index (twelve bytes a token: up to six times the text for short values, twice it for
        // typical ones) and three object headers; capped, so a long payload gets its document, its index and the end
        // of its text.
        int bytes = Math.Max(_bytes, 0);
        int before = bytes > 277 ? MaxPrefetchBytes : (3 * bytes) + 192;
        var self = this;
        byte* start = (byte*)Unsafe.As<Payload, nint>(ref self);
        for (int offset = -before; offset < 64; offset += 64)
        {
            Sse.Prefetch0(start + offset);
        }
    }

    private const int MaxPrefetchBytes = 1024;

    /// <summary>Looks up a top-level field.</summary>
    public bool TryGetValue(string key, out JsonElement value) => Root.TryGetProperty(key, out value);

    /// <summary>Looks up a top-level field by its UTF-8 name (cheaper than by a string: the name is not transcoded on each lookup).</summary>
    public bool TryGetValue(ReadOnlySpan<byte> utf8Key, out JsonElement value) => Root.TryGetProperty(utf8Key, out value);

    /// <summary>This payload with the top-level keys of <paramref name="patch"/> set (added or replaced).</summary>
    public Payload With(Payload patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var kept = Root.EnumerateObject().Where(property => !patch.Root.TryGetProperty(property.Name, out _));
        return Build(kept.Concat(patch.Root.EnumerateObject()));
    }

    /// <summary>
    /// This payload with the keys of <paramref name="patch"/> set inside the object at <paramref name="path"/> (keys
    /// separated by dots): objects missing on the way are created, and a value on the way that is not an object is
    /// replaced by one.
    /// </summary>
    /// <exception cref="InvalidRequestException">An empty key in the path, or an array step (<c>[</c>), which is not supported.</exception>
    public Payload WithAt(string path, Payload patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var keys = CheckedPath(path);
        var root = System.Text.Json.Nodes.JsonObject.Create(Root)!.DeepClone().AsObject();
        var target = root;
        foreach (string key in keys)
        {
            if (target[key] is not System.Text.Json.Nodes.JsonObject next)
            {
                target[key] = next = [];
            }

            target = next;
        }

        foreach (var property in patch.Root.EnumerateObject())
        {
            target[property.Name] = System.Text.Json.Nodes.JsonNode.Parse(property.Value.GetRawText());
        }

        return FromJson(JsonSerializer.SerializeToElement(root));
    }

    /// <summary>The keys of a dotted path into nested objects.</summary>
    /// <exception cref="InvalidRequestException">An empty key, or an array step.</exception>
    public static IReadOnlyList<string> CheckedPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var keys = path.Split('.');
        if (keys.Any(key => key.Length == 0) || path.Contains('[', StringComparison.Ordinal))
        {
            throw new InvalidRequestException($"`key` {path} must be keys of nested objects separated by dots (array steps such as `a[]` or `a[0]` are not supported yet).");
        }

        return keys;
    }

    /// <summary>This payload without the given top-level keys.</summary>
    public Payload Without(IEnumerable<string> keys)
    {
        var removed = keys.ToHashSet(StringComparer.Ordinal);
        return Build(Root.EnumerateObject().Where(property => !removed.Contains(property.Name)));
    }

    /// <summary>The payload as compact JSON text.</summary>
    public string ToJson() => Root.GetRawText();

    /// <inheritdoc />
    public override string ToString() => ToJson();

    /// <summary>Structural JSON equality.</summary>
    public bool Equals(Payload? other) => other is not null && JsonElement.DeepEquals(Root, other.Root);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Payload);

    /// <inheritdoc />
    public override int GetHashCode() => Root.GetRawText().GetHashCode(StringComparison.Ordinal);

    /// <summary>Rejects keys and strings that cannot be read as text (lone surrogate escapes), so that
    /// filters and payload indexes can always read what was stored.</summary>
    private static void CheckText(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                JsonText.Read(element, "A payload string");
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    CheckText(item);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    try
                    {
                        _ = property.Name;
                    }
                    catch (InvalidOperationException e)
                    {
                        throw new InvalidRequestException($"A payload key is not valid text: {e.Message}", e);
                    }

                    CheckText(property.Value);
                }

                break;
        }
    }

    private static Payload Build(IEnumerable<JsonProperty> properties)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in properties)
            {
                property.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return new Payload(document.RootElement.Clone());
    }
}
