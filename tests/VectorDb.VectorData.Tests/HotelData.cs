namespace VectorDb.VectorData.Tests;

/// <summary>A deterministic set of hotels with varied values, nulls and arrays, for comparing filters with LINQ to objects.</summary>
internal static class HotelData
{
    private static readonly string[] AllTags = ["pool", "spa", "gym", "view", "quiet"];

    public static List<Hotel> Make(int count)
    {
        var random = new Random(7);
        var hotels = new List<Hotel>();
        for (int i = 0; i < count; i++)
        {
            hotels.Add(new Hotel
            {
                Key = (ulong)(i + 1),
                Name = i % 7 == 0 ? null : $"hotel-{i % 13}",
                Rating = i % 6,
                Price = Math.Round(50 + (i * 37 % 200) + 0.25, 2),
                Score = (i % 10) / 10f,
                Parking = i % 3 == 0,
                Opened = new DateTimeOffset(2000 + (i % 20), 1 + (i % 12), 1, 12, 0, 0, TimeSpan.Zero),
                Tags = [.. AllTags.Where((_, t) => (i >> t & 1) == 1)],
                Floors = [.. Enumerable.Range(1, i % 4)],
                Owner = i % 5 == 0 ? null : new Guid(i, 0, 0, [0, 0, 0, 0, 0, 0, 0, (byte)(i % 3)]),
                Embedding = new[] { (float)random.NextDouble() + 0.1f, (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble() },
            });
        }

        return hotels;
    }
}
