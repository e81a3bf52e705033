using VectorDb.Query;
using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>Full-text payload indexes in a collection: filters on them in searches and counts, kept through restarts.</summary>
public sealed class TextIndexTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static readonly string[] Texts = ["red apple pie", "green apple", "apple of my eye", "pie in the sky", "red sky at night"];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Text_conditions_use_the_index_and_its_analysis_survives_reopening(bool checkpoint)
    {
        var options = new TextIndexOptions { PhraseMatching = true, MinTokenLength = 2 };
        using (var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var collection = database.CreateCollection("t", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
            collection.Upsert(Texts.Select((text, i) => new Point((ulong)i, [i, 0], Payload.FromObject(new { text }))));
            Assert.Equal(2, collection.Count(FilterJson.Parse("""{"must": [{"key": "text", "match": {"text": "pie"}}]}"""))); // without an index: a substring
            Assert.Throws<InvalidRequestException>(() => collection.Count(FilterJson.Parse("""{"must": [{"key": "text", "match": {"text_any": "pie"}}]}""")));
            Assert.True(collection.CreatePayloadIndex("text", PayloadSchemaType.Text, text: options));
            Assert.False(collection.CreatePayloadIndex("text", PayloadSchemaType.Text, text: options with { }));
            Assert.Throws<InvalidRequestException>(() => collection.CreatePayloadIndex("n", PayloadSchemaType.Integer, text: options));
            if (checkpoint)
            {
                database.Checkpoint();
            }
        }

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            var collection = database.GetCollection("t");
            var index = Assert.Single(collection.PayloadIndexes);
            Assert.True(options.SameAs(index.Text));
            Assert.Equal(5, index.Points);
            Assert.Equal(3, collection.Count(FilterJson.Parse("""{"must": [{"key": "text", "match": {"text": "APPLE"}}]}""")));
            Assert.Equal(3, collection.Count(FilterJson.Parse("""{"must": [{"key": "text", "match": {"text_any": "pie sky"}}]}""")));
            Assert.Equal(1, collection.Count(FilterJson.Parse("""{"must": [{"key": "text", "match": {"phrase": "apple pie"}}]}""")));
            Assert.Equal(0, collection.Count(FilterJson.Parse("""{"must": [{"key": "text", "match": {"phrase": "pie apple"}}]}""")));
            var hits = collection.Search([4, 0], 2, new SearchOptions { Filter = FilterJson.Parse("""{"must": [{"key": "text", "match": {"text": "red"}}]}"""), Explain = true });
            Assert.Equal([4UL, 0UL], hits.Select(h => h.Id.Number));
            Assert.Equal(2, hits.Explain!.Estimate!.Value.Expected);
        }
    }

    [Fact]
    public void A_datetime_index_answers_ranges_of_instants_exactly()
    {
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("d", new CollectionOptions { Dimensions = 2, Distance = DistanceMetric.Euclid });
        string[] times = ["2023-02-08T10:49:00Z", "2023-02-08T12:00:00+01:00", "2023-02-09", "2024-01-01 00:00:00", "not a date"];
        collection.Upsert(times.Select((when, i) => new Point((ulong)i, [i, 0], Payload.FromObject(new { when }))));
        var range = FilterJson.Parse("""{"must": [{"key": "when", "range": {"gte": "2023-02-08T11:00:00Z", "lt": "2023-02-09T00:00:01Z"}}]}""");
        Assert.Equal(2, collection.Count(range)); // 11:00 UTC and the 9th at midnight
        collection.CreatePayloadIndex("when", PayloadSchemaType.Datetime);
        Assert.Equal(4, Assert.Single(collection.PayloadIndexes).Points);
        Assert.Equal(2, collection.Count(range));
        var hits = collection.Search([0, 0], 5, new SearchOptions { Filter = range, Explain = true });
        Assert.Equal([1UL, 2UL], hits.Select(h => h.Id.Number));
        Assert.True(hits.Explain!.Estimate!.Value.IsExact);
        Assert.Throws<InvalidRequestException>(() => collection.ScrollOrdered(new ScrollOrder("when"), 10));
    }
}
