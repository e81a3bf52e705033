using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using VectorDb.Tests;

namespace VectorDb.VectorData.Tests;

public sealed class VectorDbCollectionTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Records_are_upserted_read_deleted_and_survive_a_reopen()
    {
        var hotels = HotelData.Make(50);
        await using (var database = await VectorDatabase.OpenAsync(_directory.Path))
        {
            using var store = new VectorDbVectorStore(database);
            var collection = store.GetCollection<ulong, Hotel>("hotels");
            Assert.False(await collection.CollectionExistsAsync());
            await collection.EnsureCollectionExistsAsync();
            await collection.EnsureCollectionExistsAsync(); // idempotent
            Assert.True(await collection.CollectionExistsAsync());
            Assert.Equal(["hotels"], await store.ListCollectionNamesAsync().ToListAsync());

            await collection.UpsertAsync(hotels);
            await collection.DeleteAsync([3UL, 4UL]);
            await collection.DeleteAsync(999UL); // unknown keys are ignored
            Assert.Null(await collection.GetAsync(3UL));

            var engine = database.GetCollection("hotels");
            Assert.Equal(48, engine.Count());
            Assert.Contains(engine.PayloadIndexes, i => i.Key == "Rating" && i.Schema == PayloadSchemaType.Integer);
            Assert.Contains(engine.PayloadIndexes, i => i.Key == "Tags" && i.Schema == PayloadSchemaType.Keyword);
        }

        await using (var reopened = await VectorDatabase.OpenAsync(_directory.Path))
        {
            var collection = new VectorDbVectorStore(reopened).GetCollection<ulong, Hotel>("hotels");
            var hotel = await collection.GetAsync(7UL, new RecordRetrievalOptions { IncludeVectors = true });
            Assert.NotNull(hotel);
            Assert.Equal(hotels[6].Name, hotel.Name);
            Assert.Equal(hotels[6].Tags, hotel.Tags);
            var expected = Normalised(hotels[6].Embedding.ToArray());
            Assert.Equal(expected, hotel.Embedding.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6);

            var some = await collection.GetAsync([1UL, 3UL, 9UL]).Select(h => h.Key).ToListAsync();
            Assert.Equal([1UL, 9UL], some);
            Assert.Equal(48, await collection.GetAsync(h => true, top: 100).CountAsync());
        }
    }

    [Theory]
    [InlineData(DistanceFunction.CosineSimilarity)]
    [InlineData(DistanceFunction.CosineDistance)]
    [InlineData(DistanceFunction.DotProductSimilarity)]
    [InlineData(DistanceFunction.NegativeDotProductSimilarity)]
    [InlineData(DistanceFunction.EuclideanDistance)]
    [InlineData(DistanceFunction.EuclideanSquaredDistance)]
    [InlineData(DistanceFunction.ManhattanDistance)]
    public async Task Scores_order_skip_and_threshold_follow_the_distance_function(string function)
    {
        using var database = VectorDatabase.InMemory();
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Key", typeof(ulong)),
                new VectorStoreDataProperty("Name", typeof(string)),
                new VectorStoreVectorProperty("Embedding", typeof(ReadOnlyMemory<float>), 4) { DistanceFunction = function, IndexKind = IndexKind.Flat },
            ],
        };
        var collection = new VectorDbVectorStore(database).GetCollection<ulong, Hotel>("hotels", definition);
        await collection.EnsureCollectionExistsAsync();
        var hotels = HotelData.Make(40);
        await collection.UpsertAsync(hotels);
        float[] query = [0.3f, 0.9f, 0.1f, 0.5f];

        var expected = hotels.Select(h => (h.Key, Score: Reference(function, query, h.Embedding.Span))).ToList();
        bool higherIsBetter = function is DistanceFunction.CosineSimilarity or DistanceFunction.DotProductSimilarity;
        expected = higherIsBetter ? [.. expected.OrderByDescending(e => e.Score)] : [.. expected.OrderBy(e => e.Score)];

        var hits = await collection.SearchAsync(query, top: 5, new VectorSearchOptions<Hotel> { Skip = 2 }).ToListAsync();
        Assert.Equal(expected.Skip(2).Take(5).Select(e => e.Key), hits.Select(h => h.Record.Key));
        for (int i = 0; i < hits.Count; i++)
        {
            Assert.Equal(expected[i + 2].Score, hits[i].Score!.Value, 4);
        }

        double threshold = expected[9].Score;
        var passing = await collection.SearchAsync(query, top: 40, new VectorSearchOptions<Hotel> { ScoreThreshold = threshold }).ToListAsync();
        Assert.InRange(passing.Count, 9, 11); // the tenth best, give or take a float rounding at the boundary
        Assert.All(passing, hit => Assert.True(higherIsBetter ? hit.Score >= threshold : hit.Score <= threshold));
    }

    private static double Reference(string function, float[] query, ReadOnlySpan<float> vector)
    {
        double dot = 0, qq = 0, vv = 0, l2 = 0, l1 = 0;
        for (int i = 0; i < query.Length; i++)
        {
            dot += query[i] * vector[i];
            qq += query[i] * query[i];
            vv += vector[i] * vector[i];
            l2 += (query[i] - vector[i]) * (query[i] - vector[i]);
            l1 += Math.Abs(query[i] - vector[i]);
        }

        double cosine = dot / Math.Sqrt(qq * vv);
        return function switch
        {
            DistanceFunction.CosineSimilarity => cosine,
            DistanceFunction.CosineDistance => 1 - cosine,
            DistanceFunction.DotProductSimilarity => dot,
            DistanceFunction.NegativeDotProductSimilarity => -dot,
            DistanceFunction.EuclideanDistance => Math.Sqrt(l2),
            DistanceFunction.EuclideanSquaredDistance => l2,
            _ => l1,
        };
    }

    private static float[] Normalised(float[] vector)
    {
        float norm = MathF.Sqrt(vector.Sum(x => x * x));
        return [.. vector.Select(x => x / norm)];
    }

    [Fact]
    public async Task Guid_keys_are_generated_when_empty_and_kept_when_given()
    {
        using var database = VectorDatabase.InMemory();
        var notes = new VectorDbVectorStore(database).GetCollection<Guid, GuidNote>("notes");
        await notes.EnsureCollectionExistsAsync();
        var given = Guid.NewGuid();
        var generated = new GuidNote { Text = "generated", Vector = [1, 2, 3] };
        await notes.UpsertAsync([new GuidNote { Id = given, Text = "given", Vector = [3, 2, 1] }, generated]);

        Assert.NotEqual(Guid.Empty, generated.Id);
        Assert.Equal("given", (await notes.GetAsync(given))!.Text);
        Assert.Equal("generated", (await notes.GetAsync(generated.Id))!.Text);
        var nearest = await notes.SearchAsync(new float[] { 1, 2, 3.5f }, top: 1).SingleAsync();
        Assert.Equal(generated.Id, nearest.Record.Id);
        Assert.Equal(0.5, nearest.Score!.Value, 5);
    }

    [Fact]
    public async Task String_keys_are_name_based_point_ids_read_back_from_the_payload()
    {
        using var database = VectorDatabase.InMemory();
        var notes = new VectorDbVectorStore(database).GetCollection<string, NamedNote>("notes");
        await notes.EnsureCollectionExistsAsync();
        await notes.UpsertAsync(
        [
            new NamedNote { Name = "doc-1", Text = "first", Embedding = [1, 0] },
            new NamedNote { Name = "ключ / two", Text = "second", Embedding = [0, 1] },
            new NamedNote { Name = "3", Text = "third", Embedding = [1, 1] },
        ]);

        // The id is RFC 9562's version 5 UUID of the key in our namespace: what Python's uuid.uuid5 gives too.
        Assert.Equal(new PointId(Guid.Parse("9c02631e-9be3-5cfe-af3d-75d1ea3c5473")), StringKeys.IdOf("doc-1"));
        Assert.Equal(Guid.Parse("886313e1-3b8a-5372-9b90-0c9aee199e5d"), StringKeys.NameBased(Guid.Parse("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "python.org"));
        var stored = database.GetCollection("notes").Get(StringKeys.IdOf("ключ / two"), withPayload: true)!;
        Assert.Equal("ключ / two", stored.Payload!.Root.GetProperty("Name").GetString());

        Assert.Equal("second", (await notes.GetAsync("ключ / two"))!.Text);
        Assert.Equal("ключ / two", (await notes.GetAsync("ключ / two"))!.Name);
        Assert.Null(await notes.GetAsync("doc-2"));
        Assert.Null(await notes.GetAsync(""));
        Assert.Equal(["3", "doc-1"], (await notes.GetAsync(["doc-1", "nope", "", "3"]).Select(n => n.Name).ToListAsync()).Order(StringComparer.Ordinal));
        Assert.Equal("doc-1", (await notes.SearchAsync(new float[] { 0.9f, 0.1f }, top: 1).SingleAsync()).Record.Name);
        Assert.Equal("third", (await notes.GetAsync(n => n.Name == "3", top: 5).SingleAsync()).Text);
        string[] wanted = ["3", "ключ / two"];
        Assert.Equal(2, await notes.GetAsync(n => wanted.Contains(n.Name), top: 5).CountAsync());
        Assert.Equal("doc-1", (await notes.SearchAsync(new float[] { 0, 1 }, top: 1, new() { Filter = n => n.Name != "ключ / two" && n.Name != "3" }).SingleAsync()).Record.Name);

        await notes.DeleteAsync("doc-1");
        Assert.Null(await notes.GetAsync("doc-1"));
        await notes.UpsertAsync(new NamedNote { Name = "3", Text = "third, again", Embedding = [1, 1] });
        Assert.Equal("third, again", (await notes.GetAsync("3"))!.Text);
        Assert.Equal(2, database.GetCollection("notes").Count());

        await Assert.ThrowsAsync<ArgumentException>(() => notes.UpsertAsync(new NamedNote { Name = "", Embedding = [1, 0] }));

        // A lone surrogate is not text UTF-8 can hold: such a key names no point (it would otherwise share "a\uFFFD"'s).
        await notes.UpsertAsync(new NamedNote { Name = "a\uFFFD", Text = "replacement character", Embedding = [1, 0] });
        await Assert.ThrowsAsync<ArgumentException>(() => notes.UpsertAsync(new NamedNote { Name = "a\uD800", Embedding = [1, 0] }));
        Assert.Null(await notes.GetAsync("a\uD800"));
        await notes.DeleteAsync("a\uD800");
        Assert.Equal("replacement character", (await notes.GetAsync("a\uFFFD"))!.Text);
        Assert.Empty(await notes.GetAsync(n => n.Name == "a\uD800", top: 5).ToListAsync());

        // A point written some other way, without the key in its payload, cannot be read as a record.
        database.GetCollection("notes").Upsert([new Point(StringKeys.IdOf("foreign"), [1, 0], Payload.Parse("""{"Text": "x"}"""))]);
        var foreign = await Assert.ThrowsAsync<VectorStoreException>(() => notes.GetAsync("foreign"));
        Assert.Contains("no string key", foreign.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dynamic_records_may_have_string_keys()
    {
        using var database = VectorDatabase.InMemory();
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Sku", typeof(string)),
                new VectorStoreDataProperty("Title", typeof(string)),
                new VectorStoreVectorProperty("Vector", typeof(float[]), 2) { DistanceFunction = DistanceFunction.EuclideanDistance },
            ],
        };
        var products = new VectorDbVectorStore(database).GetDynamicCollection("products", definition);
        await products.EnsureCollectionExistsAsync();
        await products.UpsertAsync(new Dictionary<string, object?> { ["Sku"] = "A-17", ["Title"] = "Lamp", ["Vector"] = new float[] { 0, 1 } });

        var lamp = await products.GetAsync("A-17");
        Assert.Equal("Lamp", lamp!["Title"]);
        Assert.Equal("A-17", lamp["Sku"]);
        Assert.Equal("A-17", (await products.SearchAsync(new float[] { 0, 0.9f }, top: 1).SingleAsync()).Record["Sku"]);

        // Dynamic keys are objects: one of another kind than the definition's is refused, not read as some other point.
        await Assert.ThrowsAsync<ArgumentException>(() => products.GetAsync(17UL));
        await Assert.ThrowsAsync<ArgumentException>(() => products.DeleteAsync(Guid.NewGuid()));
        await Assert.ThrowsAsync<InvalidCastException>(() => products.UpsertAsync(new Dictionary<string, object?> { ["Sku"] = Guid.NewGuid(), ["Title"] = "x", ["Vector"] = new float[] { 1, 1 } })); // MEVD's own check
        Assert.Equal(1, database.GetCollection("products").Count());
    }

    [Fact]
    public async Task Several_vector_properties_become_named_vectors_searched_by_choice()
    {
        using var database = VectorDatabase.InMemory();
        var products = new VectorDbVectorStore(database).GetCollection<int, Product>("products");
        await products.EnsureCollectionExistsAsync();
        await products.UpsertAsync(
        [
            new Product { Id = 1, Title = "lamp", TitleVector = new Embedding<float>(new float[] { 1, 0, 0 }), ImageVector = new Half[] { (Half)0, (Half)0 } },
            new Product { Id = 2, Title = "desk", TitleVector = new Embedding<float>(new float[] { 0, 1, 0 }), ImageVector = new Half[] { (Half)5, (Half)5 } },
        ]);

        var engine = database.GetCollection("products");
        Assert.Equal(0, engine.Options.Dimensions);
        Assert.Equal(VectorDataType.Float16, engine.Options.NamedVectors!["ImageVector"].DataType);

        var byTitle = await products.SearchAsync(new float[] { 0, 2, 0 }, top: 1, new VectorSearchOptions<Product> { VectorProperty = p => p.TitleVector }).SingleAsync();
        Assert.Equal(2, byTitle.Record.Id);
        Assert.Equal(2, byTitle.Score!.Value, 5);
        var byImage = await products.SearchAsync(new Half[] { (Half)1, (Half)0 }, top: 1, new VectorSearchOptions<Product> { VectorProperty = p => p.ImageVector, IncludeVectors = true }).SingleAsync();
        Assert.Equal(1, byImage.Record.Id);
        Assert.Equal(1, byImage.Score!.Value, 5);
        Assert.Equal(new Half[] { (Half)0, (Half)0 }, byImage.Record.ImageVector.ToArray());
        Assert.Equal(new float[] { 1, 0, 0 }, byImage.Record.TitleVector!.Vector.ToArray());

        await Assert.ThrowsAsync<InvalidOperationException>(() => products.SearchAsync(new float[] { 1, 0, 0 }, top: 1).ToListAsync().AsTask());
    }

    [Fact]
    public async Task Text_is_embedded_by_the_generator_on_upsert_and_search()
    {
        using var database = VectorDatabase.InMemory();
        var generator = new LetterEmbeddings();
        using var store = new VectorDbVectorStore(database, generator);
        var snippets = store.GetCollection<ulong, Snippet>("snippets");
        await snippets.EnsureCollectionExistsAsync();
        await snippets.UpsertAsync([new Snippet { Id = 1, Text = "aaaa bbbb" }, new Snippet { Id = 2, Text = "xyz xyz" }, new Snippet { Id = 3, Text = "hello" }]);
        Assert.Equal(1, generator.Calls); // one batch

        var hit = await snippets.SearchAsync("xyzzy", top: 1).SingleAsync();
        Assert.Equal(2UL, hit.Record.Id);
        Assert.Equal("xyz xyz", hit.Record.Text);
        var stored = database.GetCollection("snippets").Get(1, withVector: true)!.Vector!;
        var expected = LetterEmbeddings.Embed("aaaa bbbb");
        float norm = MathF.Sqrt(expected.Sum(x => x * x));
        Assert.Equal(expected.Select(x => x / norm), stored, (a, b) => Math.Abs(a - b) < 1e-6);

        await Assert.ThrowsAsync<NotSupportedException>(() => snippets.GetAsync(1UL, new RecordRetrievalOptions { IncludeVectors = true }));
    }

    [Fact]
    public async Task Dynamic_records_follow_the_definition()
    {
        using var database = VectorDatabase.InMemory();
        var definition = new VectorStoreCollectionDefinition
        {
            Properties =
            [
                new VectorStoreKeyProperty("Id", typeof(ulong)),
                new VectorStoreDataProperty("Title", typeof(string)) { IsIndexed = true },
                new VectorStoreDataProperty("Year", typeof(int)) { IsIndexed = true },
                new VectorStoreVectorProperty("Vector", typeof(float[]), 2) { DistanceFunction = DistanceFunction.EuclideanDistance },
            ],
        };
        var movies = new VectorDbVectorStore(database).GetDynamicCollection("movies", definition);
        await movies.EnsureCollectionExistsAsync();
        await movies.UpsertAsync(
        [
            new Dictionary<string, object?> { ["Id"] = 1UL, ["Title"] = "Alien", ["Year"] = 1979, ["Vector"] = new float[] { 0, 1 } },
            new Dictionary<string, object?> { ["Id"] = 2UL, ["Title"] = "Heat", ["Year"] = 1995, ["Vector"] = new float[] { 1, 0 } },
        ]);

        var heat = await movies.GetAsync(2UL);
        Assert.Equal("Heat", heat!["Title"]);
        Assert.Equal(1995, heat["Year"]);
        var old = await movies.GetAsync(m => (int)m["Year"]! < 1990, top: 10).SingleAsync();
        Assert.Equal(1UL, old["Id"]);
        var near = await movies.SearchAsync(new float[] { 0.9f, 0.1f }, top: 1).SingleAsync();
        Assert.Equal("Heat", near.Record["Title"]);
    }

    [Fact]
    public async Task Filtered_gets_are_ordered_and_paged_by_the_engine()
    {
        using var database = VectorDatabase.InMemory();
        var collection = new VectorDbVectorStore(database).GetCollection<ulong, Hotel>("hotels");
        await collection.EnsureCollectionExistsAsync();
        var hotels = HotelData.Make(100);
        await collection.UpsertAsync(hotels);

        var options = new FilteredRecordRetrievalOptions<Hotel> { OrderBy = o => o.Descending(h => h.Rating), Skip = 5 };
        var got = await collection.GetAsync(h => h.Parking, top: 10, options).ToListAsync();
        var expected = hotels.Where(h => h.Parking).OrderByDescending(h => h.Rating).Skip(5).Take(10).Select(h => h.Rating).ToList();
        Assert.Equal(expected, got.Select(h => h.Rating));

        var unordered = await collection.GetAsync(h => h.Rating == 2, top: 3, new() { Skip = 2 }).Select(h => h.Key).ToListAsync();
        Assert.Equal(hotels.Where(h => h.Rating == 2).Select(h => h.Key).Skip(2).Take(3), unordered);

        await Assert.ThrowsAsync<NotSupportedException>(() => collection.GetAsync(h => true, 5, new() { OrderBy = o => o.Ascending(h => h.Price) }).ToListAsync().AsTask());
        await Assert.ThrowsAsync<NotSupportedException>(() => collection.GetAsync(h => true, 5, new() { OrderBy = o => o.Ascending(h => h.Rating).Descending(h => h.Key) }).ToListAsync().AsTask());
    }

    [Fact]
    public async Task What_the_engine_cannot_honour_is_refused_with_our_or_MEVDs_exceptions()
    {
        using var database = VectorDatabase.InMemory();
        var store = new VectorDbVectorStore(database);

        var hamming = new VectorStoreCollectionDefinition
        {
            Properties = [new VectorStoreKeyProperty("Key", typeof(ulong)), new VectorStoreVectorProperty("Embedding", typeof(ReadOnlyMemory<float>), 4) { DistanceFunction = DistanceFunction.HammingDistance }],
        };
        Assert.Contains(DistanceFunction.HammingDistance, Assert.Throws<NotSupportedException>(() => store.GetCollection<ulong, Hotel>("h", hamming)).Message, StringComparison.Ordinal);
        var diskAnn = new VectorStoreCollectionDefinition
        {
            Properties = [new VectorStoreKeyProperty("Key", typeof(ulong)), new VectorStoreVectorProperty("Embedding", typeof(ReadOnlyMemory<float>), 4) { IndexKind = IndexKind.DiskAnn }],
        };
        Assert.Throws<NotSupportedException>(() => store.GetCollection<ulong, Hotel>("h", diskAnn));
        Assert.Contains("string", Assert.Throws<NotSupportedException>(() => store.GetCollection<DateTime, DatedNote>("h")).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new VectorDbCollection<ulong, Hotel>(database, "h", new VectorDbCollectionOptions { SearchEf = 0 }));

        var hotels = store.GetCollection<ulong, Hotel>("hotels");
        var missing = await Assert.ThrowsAsync<VectorStoreException>(() => hotels.UpsertAsync(HotelData.Make(1)));
        Assert.Equal("hotels", missing.CollectionName);

        await hotels.EnsureCollectionExistsAsync();
        var wrongLength = HotelData.Make(2);
        wrongLength[1].Embedding = new float[] { 1, 2, 3 };
        var refused = await Assert.ThrowsAsync<VectorStoreException>(() => hotels.UpsertAsync(wrongLength));
        Assert.IsType<DimensionMismatchException>(refused.InnerException);
        Assert.Equal("Upsert", refused.OperationName);
        Assert.Equal(0, database.GetCollection("hotels").Count()); // the batch is atomic

        var negative = store.GetCollection<long, GuidlessHotel>("negative");
        await negative.EnsureCollectionExistsAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => negative.UpsertAsync(new GuidlessHotel { Key = -1, Embedding = new float[] { 1, 0 } }));
        await negative.UpsertAsync(new GuidlessHotel { Key = 1, Embedding = new float[] { 1, 0 } });
        Assert.Null(await negative.GetAsync(-1)); // no point can have a negative key: found nowhere, as LINQ would
        await negative.DeleteAsync(-1);
        Assert.Empty(await negative.GetAsync(h => h.Key == -1, 10).ToListAsync());
        Assert.Single(await negative.GetAsync(h => h.Key != -1, 10).ToListAsync());
        Assert.Single(await negative.GetAsync([-1L, 1L]).ToListAsync());

        Assert.Throws<ArgumentException>(() => store.GetCollection<ulong, Hotel>("my hotels"));
        Assert.Throws<NotSupportedException>(() => store.GetCollection<ulong, DoublyIndexed>("doubly"));

        var otherShape = new VectorDbVectorStore(database).GetCollection<ulong, GuidNote2>("hotels");
        var misfit = await Assert.ThrowsAsync<VectorStoreException>(() => otherShape.EnsureCollectionExistsAsync());
        Assert.Contains("4-dimensional", misfit.Message, StringComparison.Ordinal);

        database.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => hotels.GetAsync(1UL));
    }

    public sealed class DoublyIndexed
    {
        [VectorStoreKey]
        public ulong Key { get; set; }

        [VectorStoreData(IsIndexed = true, IsFullTextIndexed = true)]
        public string Text { get; set; } = "";

        [VectorStoreVector(2)]
        public float[] Embedding { get; set; } = [];
    }

    public sealed class GuidlessHotel
    {
        [VectorStoreKey]
        public long Key { get; set; }

        [VectorStoreVector(2)]
        public ReadOnlyMemory<float> Embedding { get; set; }
    }

    public sealed class DatedNote
    {
        [VectorStoreKey]
        public DateTime Date { get; set; }

        [VectorStoreVector(2)]
        public float[] Embedding { get; set; } = [];
    }

    public sealed class GuidNote2
    {
        [VectorStoreKey]
        public ulong Key { get; set; }

        [VectorStoreVector(3)]
        public float[] Embedding { get; set; } = [];
    }

    [Fact]
    public async Task Metadata_and_the_engine_are_reachable_through_GetService()
    {
        using var database = VectorDatabase.InMemory();
        using var store = new VectorDbVectorStore(database);
        var hotels = store.GetCollection<ulong, Hotel>("hotels");
        var metadata = (VectorStoreCollectionMetadata)hotels.GetService(typeof(VectorStoreCollectionMetadata))!;
        Assert.Equal("vectordb", metadata.VectorStoreSystemName);
        Assert.Equal("hotels", metadata.CollectionName);
        Assert.Same(database, hotels.GetService(typeof(VectorDatabase)));
        Assert.Null(hotels.GetService(typeof(Collection)));
        await hotels.EnsureCollectionExistsAsync();
        Assert.Same(database.GetCollection("hotels"), hotels.GetService(typeof(Collection)));
        Assert.Equal("vectordb", ((VectorStoreMetadata)store.GetService(typeof(VectorStoreMetadata))!).VectorStoreSystemName);

        // An alias is not a collection for MEVD: it neither exists nor is written through.
        database.UpdateAliases([new CreateAlias("prod", "hotels")]);
        var byAlias = store.GetCollection<ulong, Hotel>("prod");
        Assert.False(await byAlias.CollectionExistsAsync());
        Assert.False(await store.CollectionExistsAsync("prod"));
        var alias = await Assert.ThrowsAsync<VectorStoreException>(() => byAlias.GetAsync(1UL));
        Assert.Contains("alias", alias.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<VectorStoreException>(() => byAlias.EnsureCollectionExistsAsync());

        await store.EnsureCollectionDeletedAsync("hotels");
        await store.EnsureCollectionDeletedAsync("hotels"); // nothing to delete
        Assert.False(await hotels.CollectionExistsAsync());
    }
}
