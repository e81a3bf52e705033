using MessagePack;

namespace VectorDb.Log;

/// <summary>A collection was created under a name, with an id never used before.</summary>
[LogRecordKind(0)]
[MessagePackObject]
internal sealed record CreateCollectionRecord(
    uint CollectionId,
    [property: Key(1)] string Name,
    [property: Key(2)] CollectionConfig Config) : DatabaseRecord(CollectionId)
{
    internal override void ApplyTo(IDatabaseState database) => database.ApplyCreateCollection(this);
}

/// <summary>A collection was deleted with all its points.</summary>
[LogRecordKind(1)]
[MessagePackObject]
internal sealed record DropCollectionRecord(
    uint CollectionId) : DatabaseRecord(CollectionId)
{
    internal override void ApplyTo(IDatabaseState database) => database.ApplyDropCollection(this);
}
