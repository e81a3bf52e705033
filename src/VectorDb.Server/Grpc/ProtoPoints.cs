using System.Text.Json;
using System.Text.Json.Nodes;
#pragma warning disable CS0612 // Qdrant's older vector fields (flat data, indices, vectors_count): clients still send and read them
using Google.Protobuf.Collections;
using VectorDb.Server.Api;
using VectorDb.Sparse;
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Points between Qdrant's protobuf messages and the engine: ids, the vectors of upserts and queries (each message form
/// Qdrant's clients send: the <c>dense</c>/<c>sparse</c>/<c>multi_dense</c> oneof and the older flat <c>data</c>),
/// selectors, and records and hits as replies.
/// </summary>
internal static class ProtoPoints
{
    /// <summary>A point id; <paramref name="path"/> names it in errors.</summary>
    public static PointId Id(Proto.PointId? id, string path) => id?.PointIdOptionsCase switch
    {
        Proto.PointId.PointIdOptionsOneofCase.Num => new PointId(id.Num),
        Proto.PointId.PointIdOptionsOneofCase.Uuid => Guid.TryParse(id.Uuid, out var uuid)
            ? new PointId(uuid)
            : throw new InvalidRequestException($"`{path}` is not a UUID: \"{id.Uuid}\"."),
        _ => throw new InvalidRequestException($"`{path}` (an unsigned integer or a UUID) is required."),
    };

    /// <summary>Point ids.</summary>
    public static List<PointId> Ids(IList<Proto.PointId> ids, string path) => [.. ids.Select((id, i) => Id(id, $"{path}[{i}]"))];

    /// <summary>An id as Qdrant sends it.</summary>
    public static Proto.PointId ToProto(PointId id) => id.IsUuid ? new Proto.PointId { Uuid = id.Uuid.ToString("D") } : new Proto.PointId { Num = id.Number };

    /// <summary>A point to upsert.</summary>
    public static Point Point(Proto.PointStruct point, CollectionOptions collection, string path)
    {
        var id = Id(point.Id, $"{path}.id");
        var payload = ProtoValues.Payload(point.Payload, $"{path}.payload");
        if (point.Vectors is null && collection.HasUnnamedVector)
        {
            throw new InvalidRequestException($"`{path}.vectors` is required.");
        }

        return WithVectors(new Point(id, null, payload), point.Vectors, collection, $"{path}.vectors");
    }

    /// <summary><paramref name="point"/> with the vectors of <paramref name="vectors"/>: one (the unnamed vector) or a map by name.</summary>
    public static Point WithVectors(Point point, Proto.Vectors? vectors, CollectionOptions collection, string path)
    {
        switch (vectors?.VectorsOptionsCase)
        {
            case null or Proto.Vectors.VectorsOptionsOneofCase.None:
                return point;
            case Proto.Vectors.VectorsOptionsOneofCase.Vector:
                return point with { Vector = Dense(vectors.Vector, "", path) };
            default:
                float[]? unnamed = null;
                Dictionary<string, float[]>? named = null;
                Dictionary<string, SparseVector>? sparse = null;
                Dictionary<string, float[][]>? multi = null;
                foreach (var (name, vector) in vectors.Vectors_.Vectors)
                {
                    string at = $"{path}.{name}";
                    if (name.Length == 0)
                    {
                        unnamed = Dense(vector, name, at);
                    }
                    else if (collection.SparseVectors?.ContainsKey(name) == true)
                    {
                        (sparse ??= new(StringComparer.Ordinal))[name] = Sparse(vector, at);
                    }
                    else if (collection.NamedVectors?.GetValueOrDefault(name) is { Multivector: not null })
                    {
                        (multi ??= new(StringComparer.Ordinal))[name] = Multi(vector, at);
                    }
                    else if (collection.NamedVectors?.ContainsKey(name) == true)
                    {
                        (named ??= new(StringComparer.Ordinal))[name] = Dense(vector, name, at);
                    }
                    else
                    {
                        throw new InvalidRequestException($"Not existing vector name error: {name}");
                    }
                }

                return point with { Vector = unnamed ?? point.Vector, NamedVectors = named, SparseVectors = sparse, Multivectors = multi };
        }
    }

    /// <summary>An example given by value in the older recommend RPCs: a vector of the kind <paramref name="name"/> is.</summary>
    public static VectorInput Example(Proto.Vector vector, string name, CollectionOptions collection, string path) =>
        collection.SparseVectors?.ContainsKey(name) == true ? VectorInput.Of(Sparse(vector, path))
        : collection.NamedVectors?.GetValueOrDefault(name) is { Multivector: not null } ? VectorInput.Of(Multi(vector, path))
        : VectorInput.Of(Dense(vector, name, path));

    private static float[] Dense(Proto.Vector vector, string name, string path) => vector.VectorCase switch
    {
        Proto.Vector.VectorOneofCase.Dense => [.. vector.Dense.Data],
        Proto.Vector.VectorOneofCase.None when vector.Indices is null && !vector.HasVectorsCount => [.. vector.Data],
        Proto.Vector.VectorOneofCase.Document or Proto.Vector.VectorOneofCase.Image or Proto.Vector.VectorOneofCase.Object => throw Inference(path),
        _ => throw new InvalidRequestException($"`{path}` must be a dense vector: {(name.Length == 0 ? "the unnamed vector" : $"vector `{name}`")} is dense."),
    };

    private static SparseVector Sparse(Proto.Vector vector, string path)
    {
        switch (vector.VectorCase)
        {
            case Proto.Vector.VectorOneofCase.Sparse:
                return SparseOf(vector.Sparse.Indices, vector.Sparse.Values, path);
            case Proto.Vector.VectorOneofCase.Document:
                return Document(vector.Document, query: false, path);
            case Proto.Vector.VectorOneofCase.None when vector.Indices is not null:
                return SparseOf(vector.Indices.Data, vector.Data, path);
            default:
                throw new InvalidRequestException($"`{path}` must be a sparse vector (indices and values) or a BM25 document.");
        }
    }

    private static float[][] Multi(Proto.Vector vector, string path)
    {
        switch (vector.VectorCase)
        {
            case Proto.Vector.VectorOneofCase.MultiDense:
                return MultiOf(vector.MultiDense, path);
            case Proto.Vector.VectorOneofCase.None when vector.HasVectorsCount:
                int count = (int)vector.VectorsCount;
                if (count < 1 || vector.Data.Count % count != 0)
                {
                    throw new InvalidRequestException($"`{path}`: {vector.Data.Count} numbers do not split into {vector.VectorsCount} vectors of one length.");
                }

                int length = vector.Data.Count / count;
                return [.. Enumerable.Range(0, count).Select(i => vector.Data.Skip(i * length).Take(length).ToArray())];
            default:
                throw new InvalidRequestException($"`{path}` must be a multivector (several dense vectors).");
        }
    }

    /// <summary>A multivector: at least one vector (the engine checks their lengths).</summary>
    public static float[][] MultiOf(Proto.MultiDenseVector multi, string path) =>
        multi.Vectors.Count > 0 ? [.. multi.Vectors.Select(v => v.Data.ToArray())] : throw new InvalidRequestException($"`{path}` must hold at least one vector.");

    /// <summary>A sparse vector from its indices and weights (any order; sorted as Qdrant does).</summary>
    public static SparseVector SparseOf(IList<uint> indices, IList<float> values, string path)
    {
        try
        {
            return SparseVector.Create([.. indices], [.. values]);
        }
        catch (ArgumentException e)
        {
            throw new InvalidRequestException($"`{path}`: {e.Message}", e);
        }
    }

    /// <summary>A document's BM25 weights (Qdrant's server-side BM25), read as the REST API reads <c>{"text", "model", "options"}</c>.</summary>
    public static SparseVector Document(Proto.Document document, bool query, string path)
    {
        var json = new JsonObject { ["text"] = document.Text, ["model"] = document.Model };
        if (document.Options.Count > 0)
        {
            json["options"] = JsonNode.Parse(ProtoValues.Payload(document.Options, $"{path}.options")!.ToJson());
        }

        return VectorJson.SparseOrDocument(JsonSerializer.SerializeToElement(json), query, path);
    }

    /// <summary>Images and objects to embed: this server embeds nothing but BM25 text.</summary>
    public static InvalidRequestException Inference(string path) =>
        new($"`{path}`: inference is not supported: this server encodes only documents for sparse vectors (model \"qdrant/bm25\"); other vectors must be computed by the client.");

    /// <summary><c>with_payload</c>; <paramref name="absent"/> when the selector is not given.</summary>
    public static PayloadSelector PayloadSelector(Proto.WithPayloadSelector? selector, bool absent, string path = "with_payload") => selector?.SelectorOptionsCase switch
    {
        null or Proto.WithPayloadSelector.SelectorOptionsOneofCase.None => absent ? Api.PayloadSelector.All : Api.PayloadSelector.None,
        Proto.WithPayloadSelector.SelectorOptionsOneofCase.Enable => selector.Enable ? Api.PayloadSelector.All : Api.PayloadSelector.None,
        Proto.WithPayloadSelector.SelectorOptionsOneofCase.Include => new Api.PayloadSelector([.. selector.Include.Fields], Include: true),
        Proto.WithPayloadSelector.SelectorOptionsOneofCase.Exclude => new Api.PayloadSelector([.. selector.Exclude.Fields], Include: false),
        _ => throw new InvalidRequestException($"`{path}` is not a selector this server knows."),
    };

    /// <summary><c>with_vectors</c>: none when absent.</summary>
    public static VectorSelector VectorSelector(Proto.WithVectorsSelector? selector, CollectionOptions collection, string path = "with_vectors") => selector?.SelectorOptionsCase switch
    {
        null or Proto.WithVectorsSelector.SelectorOptionsOneofCase.None => Api.VectorSelector.None,
        Proto.WithVectorsSelector.SelectorOptionsOneofCase.Enable => selector.Enable ? Api.VectorSelector.All : Api.VectorSelector.None,
        Proto.WithVectorsSelector.SelectorOptionsOneofCase.Include => Api.VectorSelector.Of(selector.Include.Names, collection),
        _ => throw new InvalidRequestException($"`{path}` is not a selector this server knows."),
    };

    /// <summary>A stored point as Qdrant returns it.</summary>
    public static Proto.RetrievedPoint Retrieved(PointRecord record, PayloadSelector payload, VectorSelector vectors, CollectionOptions collection)
    {
        var point = new Proto.RetrievedPoint
        {
            Id = ToProto(record.Id),
            Vectors = Output(record.Vector, record.NamedVectors, record.SparseVectors, record.Multivectors, collection, vectors),
            OrderValue = record.OrderValue is { } order ? OrderValue(order) : null,
        };
        ProtoValues.Fill(point.Payload, payload.Apply(record.Payload));
        return point;
    }

    /// <summary>A hit as Qdrant returns it.</summary>
    public static Proto.ScoredPoint Scored(ScoredPoint hit, PayloadSelector payload, VectorSelector vectors, CollectionOptions collection)
    {
        var point = new Proto.ScoredPoint
        {
            Id = ToProto(hit.Id),
            Score = hit.Score,
            Vectors = vectors.Wants ? Output(hit.Vector, hit.NamedVectors, hit.SparseVectors, hit.Multivectors, collection, vectors) : null,
            OrderValue = hit.OrderValue is { } order ? OrderValue(order) : null,
        };
        if (payload.WantsPayload)
        {
            ProtoValues.Fill(point.Payload, payload.Apply(hit.Payload));
        }

        return point;
    }

    /// <summary>An order-by value: an integer when it is whole and fits, as Qdrant gives integer fields.</summary>
    private static Proto.OrderValue OrderValue(double value) =>
        Math.Floor(value) == value && Math.Abs(value) < 9.007199254740992E15 ? new Proto.OrderValue { Int = (long)value } : new Proto.OrderValue { Float = value };

    /// <summary>
    /// A point's vectors as Qdrant returns them: one vector when the collection has only its unnamed vector, else a map by
    /// name. Each is written in both the current oneof and the older flat form, so clients of either generation read it.
    /// </summary>
    public static Proto.VectorsOutput? Output(
        float[]? unnamed, IReadOnlyDictionary<string, float[]>? named, IReadOnlyDictionary<string, SparseVector>? sparse, IReadOnlyDictionary<string, float[][]>? multi,
        CollectionOptions collection, VectorSelector selector)
    {
        if (!selector.Wants)
        {
            return null;
        }

        if (collection.NamedVectors is not { Count: > 0 } && collection.SparseVectors is not { Count: > 0 })
        {
            return unnamed is null ? null : new Proto.VectorsOutput { Vector = DenseOutput(unnamed) };
        }

        var map = new Proto.NamedVectorsOutput();
        if (unnamed is not null && selector.Includes(""))
        {
            map.Vectors[""] = DenseOutput(unnamed);
        }

        foreach (var (name, vector) in named ?? new Dictionary<string, float[]>())
        {
            if (selector.Includes(name))
            {
                map.Vectors[name] = DenseOutput(vector);
            }
        }

        foreach (var (name, vector) in sparse ?? new Dictionary<string, SparseVector>())
        {
            if (selector.Includes(name))
            {
                var output = new Proto.VectorOutput { Indices = new Proto.SparseIndices(), Sparse = new Proto.SparseVector() };
                output.Data.AddRange(vector.Values);
                output.Indices.Data.AddRange(vector.Indices);
                output.Sparse.Values.AddRange(vector.Values);
                output.Sparse.Indices.AddRange(vector.Indices);
                map.Vectors[name] = output;
            }
        }

        foreach (var (name, vectors) in multi ?? new Dictionary<string, float[][]>())
        {
            if (selector.Includes(name))
            {
                var output = new Proto.VectorOutput { VectorsCount = (uint)vectors.Length, MultiDense = new Proto.MultiDenseVector() };
                foreach (float[] vector in vectors)
                {
                    output.Data.AddRange(vector);
                    var dense = new Proto.DenseVector();
                    dense.Data.AddRange(vector);
                    output.MultiDense.Vectors.Add(dense);
                }

                map.Vectors[name] = output;
            }
        }

        return new Proto.VectorsOutput { Vectors = map };
    }

    private static Proto.VectorOutput DenseOutput(float[] vector)
    {
        var output = new Proto.VectorOutput { Dense = new Proto.DenseVector() };
        output.Data.AddRange(vector);
        output.Dense.Data.AddRange(vector);
        return output;
    }

    /// <summary>A points selector: ids, or a filter whose matches are found when the write runs.</summary>
    public static (List<PointId>? Ids, Query.Filter? Filter) Selected(Proto.PointsSelector? selector, string path) => selector?.PointsSelectorOneOfCase switch
    {
        Proto.PointsSelector.PointsSelectorOneOfOneofCase.Points => (Ids(selector.Points.Ids, $"{path}.points"), null),
        Proto.PointsSelector.PointsSelectorOneOfOneofCase.Filter => (null, ProtoFilters.Read(selector.Filter, $"{path}.filter")),
        _ => throw new InvalidRequestException($"`{path}` (point ids or a filter) is required."),
    };

    /// <summary>Fills a repeated field of hits.</summary>
    public static void AddHits(RepeatedField<Proto.ScoredPoint> target, IEnumerable<ScoredPoint> hits, PayloadSelector payload, VectorSelector vectors, CollectionOptions collection)
    {
        foreach (var hit in hits)
        {
            target.Add(Scored(hit, payload, vectors, collection));
        }
    }
}
