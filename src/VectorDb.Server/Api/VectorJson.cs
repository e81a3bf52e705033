using System.Text.Json;
using VectorDb.Query.Text;
using VectorDb.Sparse;

namespace VectorDb.Server.Api;

/// <summary>
/// Reads and writes vectors in Qdrant's JSON shapes: a point's vectors (a list for the unnamed vector, or a map of
/// names to dense lists, sparse <c>{"indices", "values"}</c> objects and BM25 documents), query vectors, and the
/// vectors of returned points. Whatever we do not build (inference models other than BM25) is refused by name.
/// </summary>
internal static class VectorJson
{
    /// <summary>The models whose text the server encodes itself: Qdrant's server-side BM25.</summary>
    private static readonly string[] Bm25Models = ["qdrant/bm25", "bm25"];

    /// <summary>A point to upsert, from its <c>vector</c> field (<paramref name="path"/> names it in errors).</summary>
    public static Point Point(PointId id, JsonElement vector, Payload? payload, CollectionOptions collection, string path)
    {
        var (unnamed, named, sparse, multi) = PointVectors(vector, collection, path);
        return new Point(id, unnamed, payload) { NamedVectors = named, SparseVectors = sparse, Multivectors = multi };
    }

    /// <summary>A point to upsert, from its <c>vector</c> field as bound (<paramref name="path"/> names it in errors).</summary>
    public static Point Point(PointId id, VectorField vector, Payload? payload, CollectionOptions collection, string path) =>
        vector.Dense is { } dense ? new Point(id, dense, payload) : Point(id, vector.Json, payload, collection, path);

    /// <summary>A point's vectors: a list (the unnamed vector) or a map of vector names to vectors.</summary>
    public static (float[]? Unnamed, Dictionary<string, float[]>? Named, Dictionary<string, SparseVector>? Sparse, Dictionary<string, float[][]>? Multi) PointVectors(
        JsonElement vector, CollectionOptions collection, string path)
    {
        if (vector.ValueKind == JsonValueKind.Array)
        {
            return (Dense(vector, path), null, null, null);
        }

        if (vector.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"`{path}` is a list of numbers or a map of vector names to vectors.");
        }

        if (IsDocument(vector) || vector.TryGetProperty("indices", out _))
        {
            throw new InvalidRequestException($"`{path}`: the collection's unnamed vector is dense; give sparse vectors and documents under the name of a sparse vector.");
        }

        float[]? unnamed = null;
        Dictionary<string, float[]>? named = null;
        Dictionary<string, SparseVector>? sparse = null;
        Dictionary<string, float[][]>? multi = null;
        foreach (var field in JsonText.Fields(vector))
        {
            string name = field.Name;
            var value = field.Value;
            string at = $"{path}.{name}";
            if (name.Length == 0)
            {
                unnamed = Dense(value, at);
            }
            else if (collection.SparseVectors?.ContainsKey(name) == true)
            {
                (sparse ??= new(StringComparer.Ordinal))[name] = SparseOrDocument(value, query: false, at);
            }
            else if (collection.NamedVectors?.GetValueOrDefault(name) is { Multivector: not null })
            {
                (multi ??= new(StringComparer.Ordinal))[name] = Multi(value, at);
            }
            else if (collection.NamedVectors?.ContainsKey(name) == true)
            {
                (named ??= new(StringComparer.Ordinal))[name] = Dense(value, at);
            }
            else
            {
                throw new InvalidRequestException($"Not existing vector name error: {name}");
            }
        }

        return (unnamed, named, sparse, multi);
    }

    /// <summary>A multivector: a list of dense vectors (at least one; the engine checks their lengths).</summary>
    public static float[][] Multi(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Array || (element.GetArrayLength() > 0 && element[0].ValueKind != JsonValueKind.Array))
        {
            throw new InvalidRequestException($"`{path}` is a multivector: give it as a list of vectors (lists of numbers).");
        }

        return [.. element.EnumerateArray().Select((vector, i) => Dense(vector, $"{path}[{i}]"))];
    }

    /// <summary>A dense vector: a list of numbers. A list of lists (a multivector) is refused.</summary>
    public static float[] Dense(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Object && IsDocument(element))
        {
            throw new InvalidRequestException($"`{path}`: {InferenceRefusal(element)}");
        }

        if (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() > 0 && element[0].ValueKind == JsonValueKind.Array)
        {
            throw new InvalidRequestException($"`{path}` is a list of vectors (a multivector), but its vector holds one vector per point.");
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException($"`{path}` must be a dense vector (a list of numbers).");
        }

        var vector = new float[element.GetArrayLength()];
        int i = 0;
        foreach (var component in element.EnumerateArray())
        {
            if (component.ValueKind != JsonValueKind.Number)
            {
                throw new InvalidRequestException($"`{path}[{i}]` is not a number: {component.GetRawText()}.");
            }

            vector[i++] = (float)component.GetDouble();
        }

        return vector;
    }

    /// <summary>
    /// A sparse vector, <c>{"indices": [...], "values": [...]}</c> (indices in any order, sorted here as Qdrant does), or a
    /// BM25 document <c>{"text", "model": "qdrant/bm25", "options"}</c> encoded as a stored document or a query.
    /// </summary>
    public static SparseVector SparseOrDocument(JsonElement element, bool query, string path)
    {
        if (element.ValueKind == JsonValueKind.Object && IsDocument(element))
        {
            return Document(element, query, path);
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"`{path}` must be a sparse vector ({{\"indices\": [...], \"values\": [...]}}) or a document ({{\"text\", \"model\": \"qdrant/bm25\"}}).");
        }

        if (JsonText.Fields(element).Select(f => f.Name).FirstOrDefault(name => name is not ("indices" or "values")) is { } unknown)
        {
            throw new InvalidRequestException($"Unknown field `{path}.{unknown}`.");
        }

        if (!element.TryGetProperty("indices", out var indicesJson) || indicesJson.ValueKind != JsonValueKind.Array
            || !element.TryGetProperty("values", out var valuesJson) || valuesJson.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidRequestException($"`{path}` needs `indices` and `values`, both lists.");
        }

        var indices = new uint[indicesJson.GetArrayLength()];
        int i = 0;
        foreach (var index in indicesJson.EnumerateArray())
        {
            indices[i] = index.ValueKind == JsonValueKind.Number && index.TryGetUInt32(out uint value)
                ? value
                : throw new InvalidRequestException($"`{path}.indices[{i}]` must be an integer from 0 to {uint.MaxValue}, got {index.GetRawText()}.");
            i++;
        }

        var values = new float[valuesJson.GetArrayLength()];
        i = 0;
        foreach (var weight in valuesJson.EnumerateArray())
        {
            values[i] = weight.ValueKind == JsonValueKind.Number
                ? (float)weight.GetDouble()
                : throw new InvalidRequestException($"`{path}.values[{i}]` is not a number: {weight.GetRawText()}.");
            i++;
        }

        try
        {
            return SparseVector.Create(indices, values);
        }
        catch (ArgumentException e)
        {
            throw new InvalidRequestException($"`{path}`: {e.Message}", e);
        }
    }

    /// <summary>
    /// A document given instead of a vector: <c>{"text", "model", "options"}</c>, or an image or object to embed. Told from
    /// a map of named vectors (which may well name one "text") by its <c>model</c> or <c>text</c> being a string, which
    /// no vector is.
    /// </summary>
    public static bool IsDocument(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object
        && ((element.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String)
            || (element.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String));

    /// <summary>Qdrant's server-side BM25 of a document's text: a stored document's weights, or a query's (1 per distinct term).</summary>
    private static SparseVector Document(JsonElement document, bool query, string path)
    {
        if (document.TryGetProperty("image", out _) || document.TryGetProperty("object", out _)
            || !document.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String
            || !Bm25Models.Contains(model.GetString()!.ToLowerInvariant()))
        {
            throw new InvalidRequestException($"`{path}`: {InferenceRefusal(document)}");
        }

        foreach (var field in JsonText.Fields(document))
        {
            string name = field.Name;
            if (name is not ("text" or "model" or "options"))
            {
                throw new InvalidRequestException($"Unknown field `{path}.{name}`.");
            }
        }

        string text = document.TryGetProperty("text", out var textJson) && textJson.ValueKind == JsonValueKind.String
            ? JsonText.Read(textJson, $"{path}.text")
            : throw new InvalidRequestException($"`{path}.text` (a string) is required.");
        var options = Bm25Json.Options(document.TryGetProperty("options", out var given) ? given : null, $"{path}.options");
        var encoder = new Bm25Encoder(options);
        return query ? encoder.EncodeQuery(text) : encoder.EncodeDocument(text);
    }

    private static string InferenceRefusal(JsonElement document) =>
        document.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String
            ? $"the model \"{model.GetString()}\" is not supported: this server encodes text itself only with \"qdrant/bm25\" (for sparse vectors); other models need embeddings computed by the client."
            : "documents to embed without a `model` are not supported: this server encodes text only with \"qdrant/bm25\" (for sparse vectors).";

    /// <summary>A returned point's vectors, as Qdrant shows them: a list when the collection has only its unnamed vector, else a map by name.</summary>
    public static object? Output(
        float[]? unnamed, IReadOnlyDictionary<string, float[]>? named, IReadOnlyDictionary<string, SparseVector>? sparse, IReadOnlyDictionary<string, float[][]>? multi,
        CollectionOptions collection, VectorSelector selector)
    {
        if (!selector.Wants)
        {
            return null;
        }

        if (collection.NamedVectors is not { Count: > 0 } && collection.SparseVectors is not { Count: > 0 })
        {
            return unnamed;
        }

        var vectors = new Dictionary<string, object>(StringComparer.Ordinal);
        if (unnamed is not null && selector.Includes(""))
        {
            vectors[""] = unnamed;
        }

        foreach (var (name, vector) in named ?? new Dictionary<string, float[]>())
        {
            if (selector.Includes(name))
            {
                vectors[name] = vector;
            }
        }

        foreach (var (name, vector) in sparse ?? new Dictionary<string, SparseVector>())
        {
            if (selector.Includes(name))
            {
                vectors[name] = new SparseVectorResponse(vector.Indices, vector.Values);
            }
        }

        foreach (var (name, vector) in multi ?? new Dictionary<string, float[][]>())
        {
            if (selector.Includes(name))
            {
                vectors[name] = vector;
            }
        }

        return vectors;
    }
}

/// <summary><c>with_vector</c>: none, all, or the vectors of some names.</summary>
internal sealed record VectorSelector(bool Wants, IReadOnlySet<string>? Names)
{
    public static VectorSelector None { get; } = new(false, null);

    public static VectorSelector All { get; } = new(true, null);

    public bool Includes(string name) => Wants && (Names is null || Names.Contains(name));

    /// <summary>true/false, or a list of vector names (<c>""</c>: the unnamed vector) that the collection has.</summary>
    public static VectorSelector Parse(JsonElement? element, CollectionOptions collection) => element switch
    {
        null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined or JsonValueKind.False } => None,
        { ValueKind: JsonValueKind.True } => All,
        { ValueKind: JsonValueKind.Array } names => Listed(names, collection),
        _ => throw new InvalidRequestException("with_vector must be true, false or a list of vector names."),
    };

    private static VectorSelector Listed(JsonElement names, CollectionOptions collection) =>
        Of(names.EnumerateArray().Select(name => name.ValueKind == JsonValueKind.String
            ? JsonText.Read(name, "with_vector")
            : throw new InvalidRequestException("with_vector lists vector names (strings).")), collection);

    /// <summary>The vectors of <paramref name="names"/> (<c>""</c>: the unnamed vector), each of which the collection must have; none when empty.</summary>
    public static VectorSelector Of(IEnumerable<string> names, CollectionOptions collection)
    {
        var selected = new HashSet<string>(StringComparer.Ordinal);
        foreach (string vector in names)
        {
            bool exists = vector.Length == 0 ? collection.HasUnnamedVector : collection.NamedVectors?.ContainsKey(vector) == true || collection.SparseVectors?.ContainsKey(vector) == true;
            if (!exists)
            {
                throw new InvalidRequestException($"Not existing vector name error: {vector}");
            }

            selected.Add(vector);
        }

        return selected.Count == 0 ? None : new VectorSelector(true, selected);
    }
}
