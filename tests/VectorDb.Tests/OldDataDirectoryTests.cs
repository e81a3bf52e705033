using System.Text.Json;
using VectorDb.Query;

namespace VectorDb.Tests;

/// <summary>
/// A data directory written by an earlier engine (tests/Fixtures/v1-data, see its README) opens with the same contents,
/// both from its checkpoint and from its log, and keeps them through new writes, a new checkpoint and another open.
/// </summary>
public sealed class OldDataDirectoryTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void A_data_directory_written_before_opens_with_the_same_contents()
    {
        string fixture = Path.Combine(Repository.Root, "tests", "Fixtures", "v1-data");
        CopyDirectory(Path.Combine(fixture, "data"), _directory.Path);
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture, "expected.json")));

        using (var database = VectorDatabase.Open(_directory.Path))
        {
            AssertContents(database, expected.RootElement);
            database.GetCollection("plain").Upsert(new Point(90_000, [1, 2, 3, 4, 5, 6, 7, 8], Payload.FromObject(new { kind = "new" })));
            database.GetCollection("plain").Delete([90_000UL]);
        }

        var logger = new ListLogger();
        using (var database = VectorDatabase.Open(_directory.Path, logger: logger))
        {
            AssertContents(database, expected.RootElement);
        }

        // From the new checkpoint, whose graphs take live rows from the point store: no graph was rebuilt.
        Assert.DoesNotContain(logger.Messages, message => message.Contains("rebuilding", StringComparison.Ordinal));
    }

    private static void AssertContents(VectorDatabase database, JsonElement expected)
    {
        var collections = expected.GetProperty("collections").EnumerateArray().ToList();
        Assert.Equal(collections.Select(c => c.GetProperty("name").GetString()), database.ListCollections());
        foreach (var want in collections)
        {
            string name = want.GetProperty("name").GetString()!;
            var collection = database.GetCollection(name);
            var options = collection.Options;
            Assert.Equal(want.GetProperty("dimensions").GetInt32(), options.Dimensions);
            Assert.Equal(want.GetProperty("distance").GetString(), options.Distance.ToString());
            Assert.Equal(want.GetProperty("m").GetInt32(), options.M);
            Assert.Equal(want.GetProperty("ef_construction").GetInt32(), options.EfConstruction);
            Assert.Equal(want.GetProperty("datatype").GetString(), options.DataType.ToString());
            Assert.Equal(want.GetProperty("payload_links").GetBoolean(), options.PayloadLinks);
            Assert.Equal(want.GetProperty("matryoshka").ValueKind == JsonValueKind.Null ? null : want.GetProperty("matryoshka").EnumerateArray().Select(p => p.GetInt32()).ToList(), options.Matryoshka?.ToList());
            Assert.Equal(want.GetProperty("rotation_explained_variance").ValueKind == JsonValueKind.Null ? null : want.GetProperty("rotation_explained_variance").GetDouble(), collection.Rotation?.ExplainedVariance);
            Assert.Equal(want.GetProperty("count").GetInt32(), collection.Count());
            Assert.Equal(
                want.GetProperty("indexes").EnumerateArray().Select(i => $"{i.GetProperty("key").GetString()} {i.GetProperty("schema").GetString()} {i.GetProperty("tenant").GetBoolean()} {i.GetProperty("points").GetInt32()}"),
                collection.PayloadIndexes.Select(i => $"{i.Key} {i.Schema} {i.IsTenant} {i.Points}"));

            var points = collection.Scroll(null, 10_000, withVector: true, withPayload: true).Points;
            var wantPoints = want.GetProperty("points").EnumerateArray().ToList();
            Assert.Equal(wantPoints.Count, points.Count);
            for (int i = 0; i < points.Count; i++)
            {
                Assert.Equal(wantPoints[i].GetProperty("id").GetString(), points[i].Id.ToString());
                Assert.Equal(wantPoints[i].GetProperty("vector").EnumerateArray().Select(v => v.GetSingle()), points[i].Vector!);
                var payload = wantPoints[i].GetProperty("payload");
                Assert.True(payload.ValueKind == JsonValueKind.Null ? points[i].Payload is null : JsonElement.DeepEquals(payload, points[i].Payload!.Root), $"{name} point {points[i].Id}: {points[i].Payload}");
            }

            float[] query = [.. Enumerable.Range(0, 32).Select(i => (i % 7) / 7f - 0.4f)];
            var filter = name == "plain" ? new Filter(Must: [new MatchValueCondition("kind", JsonDocument.Parse("\"even\"").RootElement)]) : null;
            var hits = collection.Search(query.AsSpan(0, options.Dimensions), 5, new SearchOptions { Exact = true, Filter = filter });
            Assert.Equal(want.GetProperty("exact").EnumerateArray().Select(h => h.GetString()), hits.Select(h => h.Id.ToString()));
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
