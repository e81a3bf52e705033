using MessagePack;

namespace VectorDb.Log;

/// <summary>
/// One mutation of a database, as the write-ahead log holds it. Records are logical (what the user asked for, after
/// validation and conditions), so one <c>Apply</c> serves a live write, the replay of the log after a crash and, later, a
/// replica applying what its leader shipped. Each kind is one record type carrying its tag
/// (<see cref="LogRecordKindAttribute"/>), its content (MessagePack keys) and how it is applied; the log's framing
/// (<see cref="LogRecordCodec"/>) adds the format version and the sequence number.
/// </summary>
/// <param name="CollectionId">The collection the record changes (or creates, or drops); every kind logs it first.</param>
internal abstract record LogRecord([property: Key(0)] uint CollectionId)
{
    /// <summary>
    /// The record's place in its collection's history: 1 for the collection's creation, then one more per record.
    /// What replication orders and compares by; 0 in records logged before there were sequence numbers.
    /// </summary>
    [IgnoreMember]
    public long Sequence { get; init; }
}

/// <summary>A record that changes a collection's points, indexes or settings.</summary>
internal abstract record CollectionRecord(uint CollectionId) : LogRecord(CollectionId)
{
    /// <summary>Carries the record out; returns how many points it changed. The caller holds the collection's write lock.</summary>
    internal abstract int ApplyTo(ICollectionState collection);
}

/// <summary>A record that creates or drops a collection.</summary>
internal abstract record DatabaseRecord(uint CollectionId) : LogRecord(CollectionId)
{
    /// <summary>Carries the record out; the caller holds the database's lock (or is replaying the log).</summary>
    internal abstract void ApplyTo(IDatabaseState database);
}

/// <summary>
/// The tag a record kind is logged under. Tags are the log's format: a tag never changes meaning, and a new kind takes
/// a new tag (<see cref="LogRecordCodec"/> refuses two kinds with one tag when it starts).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class LogRecordKindAttribute(int tag) : Attribute
{
    public int Tag { get; } = tag;
}
