using MessagePack;

namespace VectorDb.Storage;

/// <summary>
/// One mutation in the write-ahead log. Records are logical (what the user asked for), so replaying them
/// through the normal write path rebuilds both the point store and the graph. Encoded as [tag, body]; new kinds
/// get new tags, existing tags never change meaning.
/// </summary>
internal abstract record LogRecord;

/// <summary>The settings a collection was created with, as persisted.</summary>
[MessagePackObject]
internal sealed record CollectionConfig(
    [property: Key(0)] int Dimensions,
    [property: Key(1)] DistanceMetric Distance,
    [property: Key(2)] int M,
    [property: Key(3)] int EfConstruction,
    [property: Key(4)] int[]? Matryoshka = null,
    [property: Key(5)] PcaConfig? Pca = null,
    [property: Key(6)] VectorDataType DataType = VectorDataType.Float32,
    [property: Key(7)] bool PayloadLinks = true, // logs written before value links have seven fields
    [property: Key(8)] string? MetadataJson = null); // and before collection metadata, eight

/// <summary>A collection's PCA settings as persisted (dimensions resolved from their default).</summary>
[MessagePackObject]
internal sealed record PcaConfig(
    [property: Key(0)] int Dimensions,
    [property: Key(1)] int FitAtPoints,
    [property: Key(2)] int SamplePoints);

/// <summary>A point as logged and stored: its vector as given and its payload as JSON text.</summary>
[MessagePackObject]
internal sealed record PointData(
    [property: Key(0)] PointId Id,
    [property: Key(1)] float[] Vector,
    [property: Key(2)] string? PayloadJson);

[MessagePackObject]
internal sealed record CreateCollectionRecord(
    [property: Key(0)] uint CollectionId,
    [property: Key(1)] string Name,
    [property: Key(2)] CollectionConfig Config) : LogRecord;

[MessagePackObject]
internal sealed record DropCollectionRecord(
    [property: Key(0)] uint CollectionId) : LogRecord;

[MessagePackObject]
internal sealed record UpsertPointsRecord(
    [property: Key(0)] uint CollectionId,
    [property: Key(1)] IReadOnlyList<PointData> Points) : LogRecord;

[MessagePackObject]
internal sealed record DeletePointsRecord(
    [property: Key(0)] uint CollectionId,
    [property: Key(1)] IReadOnlyList<PointId> Ids) : LogRecord;

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
}

[MessagePackObject]
internal sealed record UpdatePayloadRecord(
    [property: Key(0)] uint CollectionId,
    [property: Key(1)] IReadOnlyList<PointId> Ids,
    [property: Key(2)] PayloadOperation Operation,
    [property: Key(3)] string? PayloadJson,
    [property: Key(4)] IReadOnlyList<string>? Keys) : LogRecord;

[MessagePackObject]
internal sealed record CreatePayloadIndexRecord(
    [property: Key(0)] uint CollectionId,
    [property: Key(1)] string Key,
    [property: Key(2)] PayloadSchemaType Schema,
    [property: Key(3)] bool IsTenant = false) : LogRecord; // logs written before tenant indexes have three fields

[MessagePackObject]
internal sealed record DeletePayloadIndexRecord(
    [property: Key(0)] uint CollectionId,
    [property: Key(1)] string Key) : LogRecord;

/// <summary>A fitted PCA rotation: the leading axes (row-major, rows × dimensions) adaptive searches walk.</summary>
[MessagePackObject]
internal sealed record SetRotationRecord(
    [property: Key(0)] uint CollectionId,
    [property: Key(1)] float[] Axes,
    [property: Key(2)] double ExplainedVariance) : LogRecord;
