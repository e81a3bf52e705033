using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using VectorDb;
using VectorDb.Query;
using VectorDb.Storage;

// Writes a small data directory covering every log record kind and checkpoint file of the engine it is built
// against, then (on a copy) reopens it with the same engine and writes what it holds to expected.json.
//   make-v1-data <output folder>
string output = Path.GetFullPath(args[0]);
string data = Path.Combine(output, "data");
if (Directory.Exists(output))
{
    Directory.Delete(output, recursive: true);
}

Directory.CreateDirectory(output);
var random = new Random(20261206);
float[] Vector(int dimensions) => [.. Enumerable.Range(0, dimensions).Select(_ => MathF.Round(random.NextSingle() * 2 - 1, 3))];

using (var database = VectorDatabase.Open(data, new StorageOptions { CheckpointOnDispose = false, CheckpointInterval = TimeSpan.FromHours(1) }))
{
    // Keyword values of 1,000+ points get value and border links; a tenant index gets a graph per value.
    var plain = database.CreateCollection("plain", new CollectionOptions { Dimensions = 8, Distance = DistanceMetric.Cosine, M = 6, EfConstruction = 24 });
    plain.Upsert(Enumerable.Range(0, 2_200).Select(i => new Point((ulong)i, Vector(8), Payload.FromObject(new
    {
        kind = i % 2 == 0 ? "even" : "odd",
        tenant = i < 1_100 ? "acme" : "globex",
        n = i,
        price = i * 0.5,
        flag = i % 3 == 0,
        tags = new[] { "t" + (i % 5), "all" },
    }))));
    plain.CreatePayloadIndex("kind", PayloadSchemaType.Keyword);
    plain.CreatePayloadIndex("tenant", PayloadSchemaType.Keyword, isTenant: true);
    plain.CreatePayloadIndex("n", PayloadSchemaType.Integer);
    plain.CreatePayloadIndex("price", PayloadSchemaType.Float);
    plain.CreatePayloadIndex("flag", PayloadSchemaType.Bool);
    plain.Upsert(new Point(Guid.Parse("5c56c793-69f3-4fbf-87e6-c4bf54c28c26"), Vector(8), Payload.FromObject(new { kind = "uuid" })));
    plain.Delete([3UL, 4UL]);
    plain.SetPayload([5UL], Payload.FromObject(new { note = "set" }));

    var half = database.CreateCollection("half", new CollectionOptions { Dimensions = 16, Distance = DistanceMetric.Euclid, DataType = VectorDataType.Float16, Matryoshka = [4, 8, 16] });
    half.Upsert(Enumerable.Range(0, 120).Select(i => new Point((ulong)i, Vector(16))));

    var pca = database.CreateCollection("pca", new CollectionOptions { Dimensions = 32, Distance = DistanceMetric.Dot, Pca = new PcaOptions { Dimensions = 8, FitAtPoints = 0, SamplePoints = 200 } });
    pca.Upsert(Enumerable.Range(0, 200).Select(i => new Point((ulong)i, Vector(32), Payload.FromObject(new { i }))));
    pca.FitRotation();

    var unlinked = database.CreateCollection("unlinked", new CollectionOptions { Dimensions = 4, Distance = DistanceMetric.Manhattan, DataType = VectorDataType.BFloat16, PayloadLinks = false });
    unlinked.Upsert(Enumerable.Range(0, 50).Select(i => new Point((ulong)i, Vector(4), Payload.FromObject(new { c = "v" + (i % 3) }))));
    unlinked.CreatePayloadIndex("c", PayloadSchemaType.Keyword);

    var dropped = database.CreateCollection("dropped", new CollectionOptions { Dimensions = 2 });
    dropped.Upsert([new Point(1, [1, 0])]);
    database.DeleteCollection("dropped");

    while (plain.IsIndexing)
    {
        Thread.Sleep(50); // checkpoints save links and value graphs only once they are built
    }

    database.Checkpoint();

    // After the checkpoint: every record kind again, replayed from the log on open.
    plain.Upsert(Enumerable.Range(2_200, 30).Select(i => new Point((ulong)i, Vector(8), Payload.FromObject(new { kind = "odd", tenant = "acme", n = i }))));
    plain.Upsert(new Point(6, Vector(8), Payload.FromObject(new { kind = "even", replaced = true })));
    plain.Delete([7UL, 2_201UL]);
    plain.SetPayload([8UL], Payload.FromObject(new { extra = 1 }));
    plain.OverwritePayload([9UL], Payload.FromObject(new { kind = "odd", only = true }));
    plain.DeletePayloadKeys([10UL], ["tags"]);
    plain.ClearPayload([11UL]);
    plain.CreatePayloadIndex("tags", PayloadSchemaType.Keyword);
    plain.DeletePayloadIndex("flag");
    pca.Upsert(new Point(500, Vector(32)));
    pca.FitRotation();
    var reused = database.CreateCollection("dropped", new CollectionOptions { Dimensions = 3, Distance = DistanceMetric.Euclid });
    reused.Upsert([new Point(1, [1, 2, 3], Payload.FromObject(new { again = true }))]);
}

// The fixture is what the engine left on disk; the dump reopens a copy, so opening cannot change the fixture.
string copy = Path.Combine(Path.GetTempPath(), "make-v1-data-" + Guid.NewGuid().ToString("N"));
CopyDirectory(data, copy);
File.Delete(Path.Combine(data, "LOCK"));
var collections = new JsonArray();
using (var database = VectorDatabase.Open(copy, new StorageOptions { CheckpointOnDispose = false }))
{
    float[] query = [.. Enumerable.Range(0, 32).Select(i => (i % 7) / 7f - 0.4f)];
    foreach (string name in database.ListCollections())
    {
        var collection = database.GetCollection(name);
        var options = collection.Options;
        var page = collection.Scroll(null, 10_000, withVector: true, withPayload: true);
        var filter = name == "plain" ? new Filter(Must: [new MatchValueCondition("kind", JsonDocument.Parse("\"even\"").RootElement)]) : null;
        collections.Add(new JsonObject
        {
            ["name"] = name,
            ["dimensions"] = options.Dimensions,
            ["distance"] = options.Distance.ToString(),
            ["m"] = options.M,
            ["ef_construction"] = options.EfConstruction,
            ["datatype"] = options.DataType.ToString(),
            ["payload_links"] = options.PayloadLinks,
            ["matryoshka"] = options.Matryoshka is { } prefixes ? new JsonArray([.. prefixes.Select(p => (JsonNode)p)]) : null,
            ["pca_dims"] = options.PcaDimensions,
            ["rotation_explained_variance"] = collection.Rotation?.ExplainedVariance,
            ["count"] = collection.Count(),
            ["indexes"] = new JsonArray([.. collection.PayloadIndexes.Select(i => (JsonNode)new JsonObject { ["key"] = i.Key, ["schema"] = i.Schema.ToString(), ["tenant"] = i.IsTenant, ["points"] = i.Points })]),
            ["exact"] = new JsonArray([.. collection.Search(query.AsSpan(0, options.Dimensions), 5, new SearchOptions { Exact = true, Filter = filter }).Select(h => (JsonNode)h.Id.ToString())]),
            ["points"] = new JsonArray([.. page.Points.Select(p => (JsonNode)new JsonObject
            {
                ["id"] = p.Id.ToString(),
                ["vector"] = new JsonArray([.. p.Vector!.Select(v => (JsonNode)v)]),
                ["payload"] = p.Payload is null ? null : JsonNode.Parse(p.Payload.ToJson()),
            })]),
        });
    }
}

Directory.Delete(copy, recursive: true);
File.WriteAllText(Path.Combine(output, "expected.json"), new JsonObject { ["collections"] = collections }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {output}"));

static void CopyDirectory(string from, string to)
{
    Directory.CreateDirectory(to);
    foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
    {
        string target = Path.Combine(to, Path.GetRelativePath(from, file));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(file, target);
    }
}
