using MessagePack;
using VectorDb.Storage;

namespace VectorDb.Log;

/// <summary>A point as logged: its vectors as given and its payload as JSON text.</summary>
[MessagePackObject]
internal sealed record PointData(
    [property: Key(0)] PointId Id,
    [property: Key(1)] float[]? Vector,
    [property: Key(2)] string? PayloadJson,
    [property: Key(3)] Dictionary<string, float[]>? NamedVectors = null, // records logged before named vectors have three keys
    [property: Key(4)] Dictionary<string, SparseData>? SparseVectors = null,
    [property: Key(5)] Dictionary<string, float[][]>? Multivectors = null)
{
    public static PointData From(Point point) => new(
        point.Id,
        point.Vector,
        point.Payload?.ToJson(),
        point.NamedVectors?.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal),
        point.SparseVectors?.ToDictionary(v => v.Key, v => new SparseData(v.Value.Indices, v.Value.Values), StringComparer.Ordinal),
        point.Multivectors?.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal));

    /// <exception cref="InvalidDataException">A sparse vector is malformed (a damaged record).</exception>
    public Point ToPoint() => new(Id, Vector, PayloadJson is null ? null : Payload.Parse(PayloadJson))
    {
        NamedVectors = NamedVectors,
        SparseVectors = SparseVectors?.ToDictionary(v => v.Key, v => v.Value.ToVector(), StringComparer.Ordinal),
        Multivectors = Multivectors,
    };
}

/// <summary>Sparse vectors in the form the engine uses.</summary>
internal static class SparseDataExtensions
{
    /// <exception cref="InvalidDataException">The stored vector is malformed.</exception>
    public static Sparse.SparseVector ToVector(this SparseData data)
    {
        try
        {
            return Sparse.SparseVector.Create(data.Indices, data.Values);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"A stored sparse vector is malformed: {e.Message}", e);
        }
    }

    public static SparseData ToData(this Sparse.SparseVector vector) => new(vector.Indices, vector.Values);
}

/// <summary>Points were inserted or replaced: those an upsert's mode and update filter admitted.</summary>
[LogRecordKind(2)]
[MessagePackObject]
internal sealed record UpsertPointsRecord(
    uint CollectionId,
    [property: Key(1)] IReadOnlyList<PointData> Points) : CollectionRecord(CollectionId)
{
    internal override int ApplyTo(ICollectionState collection) => collection.ApplyUpsert(collection.PrepareBatch(Points.Select(p => p.ToPoint())));
}

/// <summary>Points were deleted: those that existed among the ids asked for (or matched the filter).</summary>
[LogRecordKind(3)]
[MessagePackObject]
internal sealed record DeletePointsRecord(
    uint CollectionId,
    [property: Key(1)] IReadOnlyList<PointId> Ids) : CollectionRecord(CollectionId)
{
    internal override int ApplyTo(ICollectionState collection) => collection.ApplyDelete(Ids);
}

/// <summary>What an <see cref="UpdatePayloadRecord"/> does to each point's payload.</summary>
internal enum PayloadOperation
{
    /// <summary>Set the given top-level keys, keep the others.</summary>
    Set = 0,

    /// <summary>Replace the whole payload.</summary>
    Overwrite = 1,

    /// <summary>Remove the given keys.</summary>
    DeleteKeys = 2,

    /// <summary>Remove every key.</summary>
    Clear = 3,

    /// <summary>Set the given keys inside the object at a path (the record's only key), keep the others.</summary>
    SetAt = 4,
}

/// <summary>A collection's settings were changed; the record holds them all as they are after the change.</summary>
[LogRecordKind(13)]
[MessagePackObject]
internal sealed record UpdateSettingsRecord(
    uint CollectionId,
    [property: Key(1)] CollectionConfig Config) : CollectionRecord(CollectionId)
{
    internal override int ApplyTo(ICollectionState collection)
    {
        collection.ApplyUpdateSettings(Config.ToOptions());
        return 0;
    }
}

/// <summary>The payloads of existing points were changed.</summary>
[LogRecordKind(4)]
[MessagePackObject]
internal sealed record UpdatePayloadRecord(
    uint CollectionId,
    [property: Key(1)] IReadOnlyList<PointId> Ids,
    [property: Key(2)] PayloadOperation Operation,
    [property: Key(3)] string? PayloadJson,
    [property: Key(4)] IReadOnlyList<string>? Keys) : CollectionRecord(CollectionId)
{
    internal override int ApplyTo(ICollectionState collection) =>
        collection.ApplyPayloadUpdate(Ids, Operation, PayloadJson is null ? null : Payload.Parse(PayloadJson), Keys);
}

/// <summary>A payload index was created (or replaced, with another schema or tenancy).</summary>
[LogRecordKind(5)]
[MessagePackObject]
internal sealed record CreatePayloadIndexRecord(
    uint CollectionId,
    [property: Key(1)] string Key,
    [property: Key(2)] PayloadSchemaType Schema,
    [property: Key(3)] bool IsTenant = false, // logs written before tenant indexes have three fields
    [property: Key(4)] TextIndexConfig? Text = null) : CollectionRecord(CollectionId) // and before text indexes, four
{
    internal override int ApplyTo(ICollectionState collection)
    {
        collection.ApplyCreatePayloadIndex(Key, Schema, IsTenant, text: Text?.ToOptions());
        return 0;
    }
}

/// <summary>A text index's analysis as logged.</summary>
[MessagePackObject]
internal sealed record TextIndexConfig(
    [property: Key(0)] TokenizerKind Tokenizer,
    [property: Key(1)] bool Lowercase,
    [property: Key(2)] string[]? StopWords,
    [property: Key(3)] bool EnglishStemmer,
    [property: Key(4)] int? MinTokenLength,
    [property: Key(5)] int? MaxTokenLength,
    [property: Key(6)] bool PhraseMatching)
{
    public static TextIndexConfig From(TextIndexOptions options) => new(
        options.Tokenizer, options.Lowercase, options.StopWords is { } words ? [.. words] : null, options.EnglishStemmer, options.MinTokenLength, options.MaxTokenLength, options.PhraseMatching);

    public TextIndexOptions ToOptions() => new()
    {
        Tokenizer = Tokenizer,
        Lowercase = Lowercase,
        StopWords = StopWords,
        EnglishStemmer = EnglishStemmer,
        MinTokenLength = MinTokenLength,
        MaxTokenLength = MaxTokenLength,
        PhraseMatching = PhraseMatching,
    };
}

/// <summary>A payload index was deleted.</summary>
[LogRecordKind(6)]
[MessagePackObject]
internal sealed record DeletePayloadIndexRecord(
    uint CollectionId,
    [property: Key(1)] string Key) : CollectionRecord(CollectionId)
{
    internal override int ApplyTo(ICollectionState collection)
    {
        collection.ApplyDeletePayloadIndex(Key);
        return 0;
    }
}

/// <summary>A PCA rotation was fitted: the leading axes (row-major, rows × dimensions) adaptive searches walk.</summary>
[LogRecordKind(7)]
[MessagePackObject]
internal sealed record SetRotationRecord(
    uint CollectionId,
    [property: Key(1)] float[] Axes,
    [property: Key(2)] double ExplainedVariance) : CollectionRecord(CollectionId)
{
    internal override int ApplyTo(ICollectionState collection)
    {
        collection.ApplyRotation(Axes, ExplainedVariance);
        return 0;
    }
}

/// <summary>Some vectors of existing points were replaced (or added), their other vectors and payloads kept.</summary>
[LogRecordKind(8)]
[MessagePackObject]
internal sealed record UpdateVectorsRecord(
    uint CollectionId,
    [property: Key(1)] IReadOnlyList<PointData> Points) : CollectionRecord(CollectionId)
{
    internal override int ApplyTo(ICollectionState collection) => collection.ApplyUpdateVectors([.. Points.Select(p => p.ToPoint())]);
}

/// <summary>Vectors of these names were removed from existing points.</summary>
[LogRecordKind(9)]
[MessagePackObject]
internal sealed record DeleteVectorsRecord(
    uint CollectionId,
    [property: Key(1)] IReadOnlyList<PointId> Ids,
    [property: Key(2)] IReadOnlyList<string> Names) : CollectionRecord(CollectionId)
{
    internal override int ApplyTo(ICollectionState collection) => collection.ApplyDeleteVectors(Ids, Names);
}

/// <summary>A named vector was added to the collection: dense or sparse, one of the two configs given.</summary>
[LogRecordKind(10)]
[MessagePackObject]
internal sealed record CreateVectorRecord(
    uint CollectionId,
    [property: Key(1)] string Name,
    [property: Key(2)] DenseVectorConfig? Dense,
    [property: Key(3)] SparseVectorConfig? Sparse) : CollectionRecord(CollectionId)
{
    internal override int ApplyTo(ICollectionState collection)
    {
        collection.ApplyCreateVector(Name, Dense?.ToOptions(), Sparse?.ToOptions());
        return 0;
    }
}

/// <summary>A named vector was removed from the collection, with every point's vector of that name.</summary>
[LogRecordKind(11)]
[MessagePackObject]
internal sealed record DeleteVectorRecord(
    uint CollectionId,
    [property: Key(1)] string Name) : CollectionRecord(CollectionId)
{
    internal override int ApplyTo(ICollectionState collection)
    {
        collection.ApplyDeleteVector(Name);
        return 0;
    }
}
