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
}
