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

/// <summary>Aliases were pointed at collections or removed, all at once (a rename is a removal and a setting).</summary>
[LogRecordKind(12)]
[MessagePackObject]
internal sealed record UpdateAliasesRecord(
    uint CollectionId,
    [property: Key(1)] IReadOnlyList<AliasChange> Changes) : DatabaseRecord(CollectionId)
{
    internal override void ApplyTo(IDatabaseState database) => database.ApplyUpdateAliases(this);
}

/// <summary>One alias set to a collection (by id), or removed (<see cref="CollectionId"/> null).</summary>
[MessagePackObject]
internal sealed record AliasChange([property: Key(0)] string Alias, [property: Key(1)] uint? CollectionId);

/// <summary>A collection was deleted with all its points.</summary>
[LogRecordKind(1)]
[MessagePackObject]
internal sealed record DropCollectionRecord(
    uint CollectionId) : DatabaseRecord(CollectionId)
{
    internal override void ApplyTo(IDatabaseState database) => database.ApplyDropCollection(this);
}
