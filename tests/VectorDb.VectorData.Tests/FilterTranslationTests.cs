using System.Linq.Expressions;
using Microsoft.Extensions.VectorData;

namespace VectorDb.VectorData.Tests;

/// <summary>Every supported LINQ filter, run by the engine, returns exactly what LINQ to objects returns over the same records.</summary>
public sealed class FilterTranslationTests : IAsyncLifetime
{
    private static readonly List<Hotel> Hotels = HotelData.Make(300);
    private readonly VectorDatabase _database = VectorDatabase.InMemory();
    private VectorDbCollection<ulong, Hotel> _hotels = null!;

    public async ValueTask InitializeAsync()
    {
        _hotels = new VectorDbVectorStore(_database).GetCollection<ulong, Hotel>("hotels");
        await _hotels.EnsureCollectionExistsAsync();
        await _hotels.UpsertAsync(Hotels);
    }

    public ValueTask DisposeAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }

    public static TheoryData<string> Filters => [.. Cases.Keys];

    private static readonly string[] Wanted = ["pool", "quiet"];
    private static readonly string[] Names = ["hotel-3", "hotel-5"];
    private static readonly List<int> Ratings = [1, 4];
    private static readonly ulong[] Keys = [3, 5, 8, 300];

    private static readonly Dictionary<string, Expression<Func<Hotel, bool>>> Cases = new()
    {
        ["string equals"] = h => h.Name == "hotel-3",
        ["string not equals"] = h => h.Name != "hotel-3",
        ["constant on the left"] = h => "hotel-3" == h.Name,
        ["int equals"] = h => h.Rating == 4,
        ["int less than"] = h => h.Rating < 2,
        ["int at most"] = h => h.Rating <= 2,
        ["int greater than"] = h => h.Rating > 3,
        ["int at least, mirrored"] = h => 3 <= h.Rating,
        ["double range"] = h => h.Price > 100.25 && h.Price <= 180.25,
        ["double equals"] = h => h.Price == 87.25,
        ["float equals"] = h => h.Score == 0.3f,
        ["float greater than"] = h => h.Score > 0.7f,
        ["bool member"] = h => h.Parking,
        ["negated bool member"] = h => !h.Parking,
        ["bool equals false"] = h => h.Parking == false,
        ["datetime range"] = h => h.Opened >= new DateTimeOffset(2010, 1, 1, 0, 0, 0, TimeSpan.Zero) && h.Opened < new DateTimeOffset(2015, 6, 1, 0, 0, 0, TimeSpan.Zero),
        ["datetime equals"] = h => h.Opened == new DateTimeOffset(2003, 4, 1, 12, 0, 0, TimeSpan.Zero),
        ["null check"] = h => h.Name == null,
        ["not null check"] = h => h.Name != null,
        ["nullable guid is null"] = h => h.Owner == null,
        ["guid equals"] = h => h.Owner == new Guid(12, 0, 0, new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 }),
        ["or"] = h => h.Rating == 0 || h.Parking,
        ["not of an and"] = h => !(h.Rating == 1 && h.Parking),
        ["nested and/or"] = h => (h.Rating == 1 || h.Rating == 5) && (h.Name == "hotel-1" || !h.Parking),
        ["array contains"] = h => h.Tags.Contains("spa"),
        ["list contains"] = h => h.Floors.Contains(3),
        ["constants contain the property"] = h => Ratings.Contains(h.Rating),
        ["array of constants contains the property"] = h => Names.Contains(h.Name!),
        ["any of the array in the list"] = h => h.Tags.Any(t => Wanted.Contains(t)),
        ["key equals"] = h => h.Key == 42,
        ["key not equals"] = h => h.Key != 42,
        ["keys contain the key"] = h => Keys.Contains(h.Key),
        ["captured variable"] = CapturedRating(2),
        ["always true"] = h => true,
    };

    private static Expression<Func<Hotel, bool>> CapturedRating(int rating) => h => h.Rating == rating && h.Name != null;

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Engine_filter_returns_what_linq_returns(string name)
    {
        var filter = Cases[name];
        var expected = Hotels.Where(filter.Compile()).Select(h => h.Key).Order().ToList();
        Assert.NotEmpty(expected); // every case selects something, so a translation matching nothing fails

        var got = await _hotels.GetAsync(filter, top: 1_000).Select(h => h.Key).ToListAsync();
        Assert.Equal(expected, got.Order().ToList());

        // the same filter under a vector search that returns everything
        var hits = await _hotels.SearchAsync(new float[] { 1, 0, 0, 0 }, top: 1_000, new VectorSearchOptions<Hotel> { Filter = filter }).Select(r => r.Record.Key).ToListAsync();
        Assert.Equal(expected, hits.Order().ToList());
    }

    [Fact]
    public async Task Records_read_back_as_written()
    {
        var got = await _hotels.GetAsync(h => h.Rating >= 0, top: 21).ToListAsync();
        Assert.Equal(21, got.Count);
        foreach (var hotel in got)
        {
            var original = Hotels[(int)hotel.Key - 1];
            Assert.Equal(original.Name, hotel.Name);
            Assert.Equal(original.Rating, hotel.Rating);
            Assert.Equal(original.Price, hotel.Price);
            Assert.Equal(original.Score, hotel.Score);
            Assert.Equal(original.Parking, hotel.Parking);
            Assert.Equal(original.Opened, hotel.Opened);
            Assert.Equal(original.Tags, hotel.Tags);
            Assert.Equal(original.Floors, hotel.Floors);
            Assert.Equal(original.Owner, hotel.Owner);
            Assert.True(hotel.Embedding.IsEmpty); // vectors not requested
        }
    }

    public static TheoryData<string> UnsupportedFilters => [.. Unsupported.Keys];

    private static readonly Dictionary<string, Expression<Func<Hotel, bool>>> Unsupported = new()
    {
        ["substring"] = h => h.Name!.Contains("tel"),
        ["starts with"] = h => h.Name!.StartsWith("hotel", StringComparison.Ordinal),
        ["two properties"] = h => h.Rating == h.Floors.Count,
        ["string ordering"] = h => string.Compare(h.Name, "m", StringComparison.Ordinal) > 0,
        ["arithmetic on the property"] = h => h.Rating + 1 == 3,
        ["array null check"] = h => h.Tags == null,
        ["key range"] = h => h.Key > 5,
        ["float property compared as a double"] = h => h.Score == 0.3,
    };

    [Theory]
    [MemberData(nameof(UnsupportedFilters))]
    public async Task Filters_we_cannot_translate_are_refused_by_name(string name)
    {
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => _hotels.GetAsync(Unsupported[name], top: 10).ToListAsync().AsTask());
        Assert.Contains("VectorDb cannot translate", e.Message, StringComparison.Ordinal);
    }
}
