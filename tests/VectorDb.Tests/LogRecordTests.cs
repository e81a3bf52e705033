using MessagePack;
using VectorDb.Log;
using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>Every log record kind round-trips through the log's framing; sequence numbers order each collection's history.</summary>
public sealed class LogRecordTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>One record of every kind; a new kind adds its example here (the test below fails until it does).</summary>
    private static readonly LogRecord[] Examples =
    [
        new CreateCollectionRecord(3, "c", new CollectionConfig(4, DistanceMetric.Dot, 8, 64, [2, 4], null, VectorDataType.Float16, false, """{"a":1}""",
            new() { ["text"] = new DenseVectorConfig(3, DistanceMetric.Cosine, 8, 64, VectorDataType.Float32, [1, 3]) }, new() { ["bm25"] = new SparseVectorConfig(Idf: true) })),
        new DropCollectionRecord(3),
        new UpdateAliasesRecord(0, [new AliasChange("live", 3), new AliasChange("old", null)]),
        new UpdateSettingsRecord(3, CollectionConfig.From(new CollectionOptions { Dimensions = 4, StrictMode = new StrictModeOptions { Enabled = true, MaxQueryLimit = 5 }, Quantization = new ScalarQuantizationOptions { Quantile = 0.95f } })),
        new UpsertPointsRecord(3, [new PointData(1, [1, 2, 3, 4], """{"k":"v"}"""), new PointData(new PointId(Guid.NewGuid()), [4, 3, 2, 1], null)]),
        new DeletePointsRecord(3, [1, 7]),
        new UpdatePayloadRecord(3, [1], PayloadOperation.DeleteKeys, null, ["k"]),
        new CreatePayloadIndexRecord(3, "tenant", PayloadSchemaType.Keyword, IsTenant: true),
        new DeletePayloadIndexRecord(3, "tenant"),
        new SetRotationRecord(3, [0.5f, 0.5f, 0.5f, 0.5f], 0.75),
        new UpdateVectorsRecord(3, [new PointData(1, null, null, new() { ["text"] = [1, 2] }, new() { ["bm25"] = new SparseData([3, 9], [0.5f, 1.5f]) })]),
        new DeleteVectorsRecord(3, [1, 2], ["text", "bm25"]),
        new CreateVectorRecord(3, "text", new DenseVectorConfig(2, DistanceMetric.Euclid, 16, 100, VectorDataType.BFloat16, null, null, new QuantizationConfig(0, 0.99f, true)), null),

        new DeleteVectorRecord(3, "text"),
    ];

    public static TheoryData<string> Kinds => [.. Examples.Select(e => e.GetType().Name)];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_record_round_trips_with_its_sequence_number(string kind)
    {
        var numbered = Examples.Single(e => e.GetType().Name == kind) with { Sequence = 42 };

        var decoded = LogRecordCodec.Decode(LogRecordCodec.Encode(numbered));

        Assert.Equal(42, decoded.Sequence);
        Assert.Equal(numbered.GetType(), decoded.GetType());
        Assert.Equal(MessagePackSerializer.Serialize(numbered.GetType(), numbered, Serialization.Options), MessagePackSerializer.Serialize(decoded.GetType(), decoded, Serialization.Options));
    }

    [Fact]
    public void Every_kind_has_an_example()
    {
        Assert.Equal(LogRecordCodec.Kinds.Values.Select(t => t.Name).Order(), Examples.Select(e => e.GetType().Name).Order());
    }

    [Fact]
    public void A_record_logged_before_formats_reads_with_sequence_zero_and_a_later_format_is_refused()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        writer.Write(3);
        MessagePackSerializer.Serialize(ref writer, new DeletePointsRecord(9, [5]), Serialization.Options);
        writer.Flush();

        var old = Assert.IsType<DeletePointsRecord>(LogRecordCodec.Decode(buffer.WrittenMemory));
        Assert.Equal((0L, 9u), (old.Sequence, old.CollectionId));

        var later = LogRecordCodec.Encode(new DropCollectionRecord(1));
        later[1] = (byte)(LogRecordCodec.Format + 1); // the format is the first field, a positive fixint
        Assert.Throws<InvalidDataException>(() => LogRecordCodec.Decode(later));
    }

    [Fact]
    public void Each_collection_numbers_its_records_and_keeps_the_count_through_checkpoints_and_replay()
    {
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var a = database.CreateCollection("a", new CollectionOptions { Dimensions = 2 });
            var b = database.CreateCollection("b", new CollectionOptions { Dimensions = 2 });
            a.Upsert(new Point(1, [1, 0]));
            a.Upsert(new Point(2, [0, 1]));
            b.Upsert(new Point(1, [1, 1]));
            database.Checkpoint();
            a.Delete([1UL]);
            a.Delete([99UL]); // deletes nothing: not logged, not numbered
            Assert.Equal((4, 2), (a.LastSequence, b.LastSequence));
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var a = database.GetCollection("a");
            Assert.Equal((4, 2), (a.LastSequence, database.GetCollection("b").LastSequence));

            // A record already applied (a replica may be sent one twice) changes nothing.
            Assert.Equal(0, a.Apply(new DeletePointsRecord(a.Id, [2]) { Sequence = 4 }));
            Assert.Equal(1, a.Count());
        }
    }
}
