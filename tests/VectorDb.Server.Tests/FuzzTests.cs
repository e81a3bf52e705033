using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using VectorDb.Tests;

namespace VectorDb.Server.Tests;

/// <summary>
/// Thousands of generated malformed and hostile requests against a real server process: none may be answered
/// with a 5xx, every refusal carries an error message, the server stays up, and the stored reference collection
/// is byte for byte what it was (checksum of its info and every point, before and after).
/// <c>VECTORDB_FUZZ_REQUESTS=N</c> changes the count (default 2,400), <c>VECTORDB_FUZZ_SEED</c> the requests.
/// </summary>
public sealed class FuzzTests : IAsyncLifetime
{
    private const string Reference = "ref";
    private const string Scratch = "scratch";
    private const string Hybrid = "hybrid"; // named, sparse and multivectors; written to like the scratch collection
    private const int Dimensions = 8;
    private const int BodyLimit = 1 << 20;
    private const int ClosedOnOversizedBody = 0; // reported as status 0

    private static readonly JsonSerializerOptions Compact = new() { MaxDepth = 20_000 };

    private readonly TempDirectory _root = new();
    private readonly ITestOutputHelper _output;
    private ServerProcess _server = null!;
    private HttpClient _http = null!;

    public FuzzTests(ITestOutputHelper output) => _output = output;

    public async ValueTask InitializeAsync()
    {
        _server = await ServerProcess.StartAsync("--data-dir", Path.Combine(_root.Path, "data"), "--max-request-body-bytes", BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Wait long for "100 Continue", so a body over the limit is refused before it is sent even on a busy machine.
        _http = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) }) { BaseAddress = _server.Address, Timeout = TimeSpan.FromSeconds(60) };
        await Send(HttpMethod.Put, $"/collections/{Reference}", """{"vectors": {"size": 8, "distance": "Cosine"}}""", expectOk: true);
        await Send(HttpMethod.Put, $"/collections/{Scratch}", """{"vectors": {"size": 8, "distance": "Euclid"}}""", expectOk: true);
        await Send(HttpMethod.Put, $"/collections/{Hybrid}", """{"vectors": {"text": {"size": 4, "distance": "Cosine"}, "colbert": {"size": 2, "distance": "Dot", "multivector_config": {"comparator": "max_sim"}}}, "sparse_vectors": {"bm25": {"modifier": "idf"}}}""", expectOk: true);
        var random = new Random(1);
        var points = Enumerable.Range(0, 300).Select(i => new JsonObject
        {
            ["id"] = i,
            ["vector"] = new JsonArray([.. Enumerable.Range(0, Dimensions).Select(_ => (JsonNode)(random.NextSingle() + 0.01f))]),
            ["payload"] = new JsonObject { ["kind"] = $"k{i % 7}", ["n"] = i, ["tags"] = new JsonArray("a", i % 2 == 0 ? "even" : "odd"), ["nested"] = new JsonObject { ["x"] = i * 0.5 } },
        });
        await Send(HttpMethod.Put, $"/collections/{Reference}/points?wait=true", new JsonObject { ["points"] = new JsonArray([.. points]) }.ToJsonString(), expectOk: true);
        await Send(HttpMethod.Put, $"/collections/{Reference}/index?wait=true", """{"field_name": "kind", "field_schema": "keyword"}""", expectOk: true);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task Hostile_requests_get_4xx_never_5xx_and_change_nothing()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("VECTORDB_FUZZ_REQUESTS"), out int n) ? n : 2_400;
        string before = await ChecksumAsync();
        string[] rootBefore = Directory.GetFileSystemEntries(_root.Path);
        int seed = int.TryParse(Environment.GetEnvironmentVariable("VECTORDB_FUZZ_SEED"), out int s) ? s : 20261126;
        var generator = new RequestGenerator(new Random(seed));
        var statuses = new Dictionary<int, int>();
        for (int i = 0; i < count; i++)
        {
            var request = generator.Next();
            int status = await SendFuzzed(request);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(_server.IsRunning, $"the server died after {request}:\n{_server.Tail()}");
        }

        Assert.Equal(200, (await _http.GetAsync(new Uri("/healthz", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode is System.Net.HttpStatusCode.OK ? 200 : 0);
        Assert.Equal(before, await ChecksumAsync());
        Assert.Equal(rootBefore, Directory.GetFileSystemEntries(_root.Path));
        _output.WriteLine($"{count} fuzzed requests (seed {seed}); statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}; 5xx: {statuses.Where(s => s.Key >= 500).Sum(s => s.Value)}");
    }

    [Fact]
    public async Task Concurrent_create_and_delete_of_one_collection_stay_consistent()
    {
        string before = await ChecksumAsync();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
        await Parallel.ForAsync(0, 8, TestContext.Current.CancellationToken, async (worker, cancel) =>
        {
            var random = new Random(worker);
            for (int i = 0; i < 60; i++)
            {
                var (method, path, body) = random.Next(4) switch
                {
                    0 => (HttpMethod.Put, "/collections/race", """{"vectors": {"size": 4, "distance": "Dot"}}"""),
                    1 => (HttpMethod.Delete, "/collections/race", null),
                    2 => (HttpMethod.Put, "/collections/race/points?wait=true", $$"""{"points": [{"id": {{i}}, "vector": [1, 2, 3, {{worker}}]}]}"""),
                    _ => (HttpMethod.Post, "/collections/race/points/search", """{"vector": [1, 0, 0, 0], "limit": 3}"""),
                };
                statuses.Add(await SendFuzzed(new FuzzRequest(method, path, body is null ? null : Encoding.UTF8.GetBytes(body), "application/json", MustRefuse: false)));
            }
        });

        Assert.All(statuses, status => Assert.Contains(status, new[] { 200, 404, 409 }));

        // Whatever the race left is a working collection or none at all.
        if ((await _http.GetAsync(new Uri("/collections/race", UriKind.Relative), TestContext.Current.CancellationToken)).IsSuccessStatusCode)
        {
            await Send(HttpMethod.Put, "/collections/race/points?wait=true", """{"points": [{"id": 999, "vector": [0, 0, 0, 1]}]}""", expectOk: true);
            await Send(HttpMethod.Post, "/collections/race/points/search", """{"vector": [0, 0, 0, 1], "limit": 1}""", expectOk: true);
            await Send(HttpMethod.Delete, "/collections/race", null, expectOk: true);
        }

        Assert.Equal(before, await ChecksumAsync());
        _output.WriteLine($"{statuses.Count} concurrent create/delete/upsert/search requests: {string.Join(", ", statuses.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"))}");
    }

    private async Task<int> SendFuzzed(FuzzRequest request)
    {
        using var message = new HttpRequestMessage(request.Method, request.Path);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);

            // As curl does for large bodies: ask first, so a refusal of the size arrives before the body is sent
            // (otherwise the server's closing the connection after its 413 breaks the client's pipe).
            message.Headers.ExpectContinue = request.Body.Length > BodyLimit;
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException) when (request.Body?.Length > BodyLimit && _server.IsRunning)
        {
            // The server answered 413 and closed the connection while the body was still being sent: refused all
            // the same (the next requests and the checksum show it is still up and unchanged).
            return ClosedOnOversizedBody;
        }

        using var answered = response;
        int status = (int)response.StatusCode;
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status < 500, $"{request} answered {status}: {text}\n{_server.Tail(10)}");
        if (request.MustRefuse)
        {
            Assert.True(status is >= 400 and < 500, $"{request} was accepted ({status}): {text}");
        }

        // Every refusal says why, in Qdrant's error shape; except Kestrel's own refusal of a request it cannot
        // parse at all (a NUL in the path), which never reaches the application and closes the connection.
        bool refusedByKestrel = status == 400 && response.Headers.ConnectionClose == true && text.Length == 0;
        if (status >= 400 && request.Method != HttpMethod.Head && !refusedByKestrel)
        {
            Assert.True(text.Length > 0, $"{request} answered {status} with an empty body");
            var error = JsonDocument.Parse(text).RootElement.GetProperty("status").GetProperty("error").GetString();
            Assert.False(string.IsNullOrWhiteSpace(error), $"{request} answered {status} without a message");
        }

        return status;
    }

    private async Task<string> Send(HttpMethod method, string path, string? body, bool expectOk)
    {
        using var message = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            message.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(message, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(!expectOk || response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return text;
    }

    /// <summary>SHA-256 of the reference collection's info and all of its points with vectors and payloads.</summary>
    private async Task<string> ChecksumAsync()
    {
        var info = JsonNode.Parse(await Send(HttpMethod.Get, $"/collections/{Reference}", null, expectOk: true))!["result"]!.ToJsonString();
        var points = JsonNode.Parse(await Send(HttpMethod.Post, $"/collections/{Reference}/points/scroll", """{"limit": 10000, "with_vector": true, "with_payload": true}""", expectOk: true))!["result"]!.ToJsonString();
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(info + points)));
    }

    /// <summary>One generated request; <see cref="MustRefuse"/> when it is invalid by construction (so a 2xx is a bug).</summary>
    private sealed record FuzzRequest(HttpMethod Method, string Path, byte[]? Body, string ContentType, bool MustRefuse)
    {
        public override string ToString() =>
            $"{Method} {Path} [{ContentType}] {(Body is null ? "(no body)" : Encoding.UTF8.GetString(Body.AsSpan(0, Math.Min(Body.Length, 300))))}";
    }

    /// <summary>
    /// Makes requests of many hostile kinds. Requests that could happen to be valid (random mutations, unknown
    /// fields) only write to the scratch collection; those aimed at the reference collection's data are invalid
    /// by construction and must be refused.
    /// </summary>
    private sealed class RequestGenerator(Random random)
    {
        private static readonly string[] Names =
        [
            "..", ".", "../ref", "..%2Fref", "%2e%2e%2f%2e%2e%2fetc", "..%5C..%5Cwindows", "a%2Fb", "%00", "ref%00", "con", "nul",
            "name with space", "%F0%9F%99%82", "%E2%80%AE" + "fer", "%ED%A0%80", "%FF%FE", ".hidden", "-", "_", new string('x', 300), new string('y', 5000),
            "%C0%AE%C0%AE", "\u00e9t\u00e9", "ref.", "REF",
        ];

        private const string Punctuation = "{}[],:\"\\-e.0";

        private static readonly string[] HostileNumbers = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "\"NaN\"", "1e-400", "0x10", "01", "+1", ".5", "1.", "--1"];

        private static readonly string[] BadIds = ["-1", "18446744073709551616", "1e20", "1.5", "\"abc\"", "\"\"", "true", "null", "{}", "[]", "\"00000000-0000-0000-0000-00000000000g\"", "\"-1\""];

        private static readonly JsonNode?[] WrongValues =
        [
            "text", 0, -1, 1.5, long.MaxValue, true, false, null, new JsonArray(), new JsonObject(), new JsonArray(new JsonArray(1)),
            new JsonObject { ["a"] = 1 }, "\u0000", "\ud83d\ude00", new string('z', 10_000),
        ];

        public FuzzRequest Next() => random.Next(13) switch
        {
            11 => BadNamedVector(),
            0 => Mutated(),
            1 => WrongType(),
            2 => WrongDimensions(),
            3 => HostileNumber(),
            4 => BadId(),
            5 => DeepFilter(),
            6 => Oversized(),
            7 => UnknownFields(),
            8 => Unicode(),
            9 => CollectionName(),
            10 => BadParameter(),
            _ => WrongMethodOrType(),
        };

        /// <summary>Valid requests to start from: reads of the reference collection, writes to the scratch one.</summary>
        private (HttpMethod Method, string Path, string Body) Template() => random.Next(16) switch
        {
            11 => (HttpMethod.Put, $"/collections/{Hybrid}/points?wait=true", """{"points": [{"id": 1, "vector": {"text": [1,2,3,4], "colbert": [[1,0],[0,1]], "bm25": {"text": "red apples and pears", "model": "qdrant/bm25", "options": {"k": 1.5}}}}, {"id": 2, "vector": {"bm25": {"indices": [3, 1], "values": [0.5, 1]}}}]}"""),
            12 => (HttpMethod.Post, $"/collections/{Hybrid}/points/query", """{"query": {"text": "apples", "model": "bm25"}, "using": "bm25", "limit": 3, "with_vector": ["text", "bm25"]}"""),
            13 => (HttpMethod.Post, $"/collections/{Hybrid}/points/query", """{"query": [[1, 0], [0, 1]], "using": "colbert", "params": {"hnsw_ef": 16}}"""),
            14 => (HttpMethod.Put, $"/collections/{Hybrid}/points/vectors?wait=true", """{"points": [{"id": 1, "vector": {"bm25": {"indices": [7], "values": [2]}, "text": [4,3,2,1]}}]}"""),
            15 => (HttpMethod.Post, $"/collections/{Hybrid}/points/vectors/delete?wait=true", """{"points": [2], "vector": ["bm25"]}"""),
            0 => (HttpMethod.Post, $"/collections/{Reference}/points/search", """{"vector": [1,2,3,4,5,6,7,8], "limit": 5, "filter": {"must": [{"key": "kind", "match": {"value": "k1"}}]}, "with_payload": true}"""),
            1 => (HttpMethod.Post, $"/collections/{Reference}/points/query", """{"query": {"nearest": [1,2,3,4,5,6,7,8]}, "limit": 3, "params": {"hnsw_ef": 32, "exact": false}}"""),
            2 => (HttpMethod.Post, $"/collections/{Reference}/points/scroll", """{"limit": 10, "offset": 5, "filter": {"should": [{"key": "n", "range": {"gte": 10, "lt": 20}}]}, "with_vector": true}"""),
            3 => (HttpMethod.Post, $"/collections/{Reference}/points/count", """{"filter": {"must_not": [{"has_id": [1, 2, 3]}, {"is_empty": {"key": "tags"}}]}, "exact": true}"""),
            4 => (HttpMethod.Post, $"/collections/{Reference}/points", """{"ids": [1, 2, 3], "with_payload": ["kind"], "with_vector": false}"""),
            5 => (HttpMethod.Post, $"/collections/{Reference}/points/search/batch", """{"searches": [{"vector": [1,2,3,4,5,6,7,8], "limit": 2}, {"vector": [8,7,6,5,4,3,2,1], "limit": 2}]}"""),
            6 => (HttpMethod.Put, $"/collections/{Scratch}/points?wait=true", """{"points": [{"id": 1, "vector": [1,2,3,4,5,6,7,8], "payload": {"a": 1}}, {"id": "5c56c793-69f3-4fbf-87e6-c4bf54c28c26", "vector": [0,0,0,0,0,0,0,1]}]}"""),
            7 => (HttpMethod.Post, $"/collections/{Scratch}/points/delete?wait=true", """{"filter": {"must": [{"key": "a", "match": {"any": [1, 2]}}]}}"""),
            8 => (HttpMethod.Post, $"/collections/{Scratch}/points/payload?wait=true", """{"points": [1, 2], "payload": {"b": [1, "x", null, {"c": true}]}}"""),
            9 => (HttpMethod.Put, $"/collections/{Scratch}/index", """{"field_name": "a", "field_schema": "integer"}"""),
            _ => (HttpMethod.Put, "/collections/fuzz-new", """{"vectors": {"size": 3, "distance": "Manhattan"}, "hnsw_config": {"m": 8, "ef_construct": 50}}"""),
        };

        private FuzzRequest Mutated()
        {
            var (method, path, body) = Template();
            var text = new StringBuilder(body);
            for (int edits = random.Next(1, 4); edits > 0 && text.Length > 0; edits--)
            {
                int at = random.Next(text.Length);
                switch (random.Next(4))
                {
                    case 0:
                        text.Length = at;
                        break;
                    case 1:
                        text.Remove(at, 1);
                        break;
                    case 2:
                        text.Insert(at, Punctuation[random.Next(Punctuation.Length)]);
                        break;
                    default:
                        text[at] = (char)random.Next(1, 0x3000);
                        break;
                }
            }

            return Request(method, ToScratchIfWrite(method, path), text.ToString(), mustRefuse: false);
        }

        private FuzzRequest WrongType()
        {
            var (method, path, body) = Template();
            var root = JsonNode.Parse(body)!;
            var containers = Containers(root).ToList();
            var target = containers[random.Next(containers.Count)];
            var value = WrongValues[random.Next(WrongValues.Length)]?.DeepClone();
            if (target is JsonObject obj && obj.Count > 0)
            {
                obj[obj.ElementAt(random.Next(obj.Count)).Key] = value;
            }
            else if (target is JsonArray array && array.Count > 0)
            {
                array[random.Next(array.Count)] = value;
            }
            else
            {
                root = value ?? JsonValue.Create("null")!;
            }

            return Request(method, ToScratchIfWrite(method, path), root.ToJsonString(), mustRefuse: false);
        }

        private FuzzRequest WrongDimensions()
        {
            int size = new[] { 0, 1, 7, 9, 16, 10_000 }[random.Next(6)];
            string vector = $"[{string.Join(',', Enumerable.Repeat("0.5", size))}]";
            return random.Next(3) switch
            {
                0 => Request(HttpMethod.Put, $"/collections/{Reference}/points?wait=true", $$"""{"points": [{"id": 9001, "vector": {{vector}}}]}""", mustRefuse: true),
                1 => Request(HttpMethod.Post, $"/collections/{Reference}/points/search", $$"""{"vector": {{vector}}, "limit": 3}""", mustRefuse: true),
                _ => Request(HttpMethod.Post, $"/collections/{Reference}/points/query", $$"""{"query": {{vector}}}""", mustRefuse: true),
            };
        }

        /// <summary>Malformed named, sparse, BM25 and multivectors: each must be refused, and the hybrid collection keeps its points.</summary>
        private FuzzRequest BadNamedVector()
        {
            string[] vectors =
            [
                """{"nope": [1,2,3,4]}""", """{"text": [1,2,3]}""", """{"text": {"indices": [1], "values": [1]}}""", """{"bm25": [1,2]}""",
                """{"bm25": {"indices": [1, 1], "values": [1, 2]}}""", """{"bm25": {"indices": [-1], "values": [1]}}""", """{"bm25": {"indices": [4294967296], "values": [1]}}""",
                """{"bm25": {"indices": [1, 2], "values": [1]}}""", """{"bm25": {"indices": [1], "values": ["x"]}}""", """{"bm25": {"text": "x", "model": "other/model"}}""",
                """{"bm25": {"text": "x", "model": "bm25", "options": {"language": "klingon"}}}""", """{"bm25": {"text": 5, "model": "bm25"}}""",
                """{"colbert": []}""", """{"colbert": [[1,2,3]]}""", """{"colbert": [1,2]}""", """{"colbert": [[1,0],[]]}""", """{"": [1,2,3,4]}""",
                """[1,2,3,4]""", """{"text": [[1,2,3,4]]}""",
            ];
            string vector = vectors[random.Next(vectors.Length)];
            string name = new[] { "text", "bm25", "colbert", "nope" }[random.Next(4)];
            return random.Next(3) switch
            {
                0 => Request(HttpMethod.Put, $"/collections/{Hybrid}/points?wait=true", """{"points": [{"id": 9100, "vector": {"text": [1,1,1,1]}}, {"id": 9101, "vector": """ + vector + "}]}", mustRefuse: true),
                1 => Request(HttpMethod.Put, $"/collections/{Hybrid}/points/vectors?wait=true", """{"points": [{"id": 1, "vector": """ + vector + "}]}", mustRefuse: true),
                _ => Request(HttpMethod.Post, $"/collections/{Hybrid}/points/query", "{\"using\": \"" + name + "\", \"query\": " + vector + "}", mustRefuse: false),
            };
        }

        private FuzzRequest HostileNumber()
        {
            string number = HostileNumbers[random.Next(HostileNumbers.Length)];
            bool harmless = number is "1e-400"; // may parse as 0, a valid component: such a write goes to the scratch collection
            return random.Next(4) switch
            {
                0 => Request(HttpMethod.Put, $"/collections/{(harmless ? Scratch : Reference)}/points?wait=true", $$"""{"points": [{"id": 9002, "vector": [{{number}},1,1,1,1,1,1,1]}]}""", mustRefuse: !harmless),
                1 => Request(HttpMethod.Post, $"/collections/{Reference}/points/search", $$"""{"vector": [1,1,1,1,1,1,1,{{number}}], "limit": 1}""", mustRefuse: !harmless),
                2 => Request(HttpMethod.Post, $"/collections/{Reference}/points/count", $$$"""{"filter": {"must": [{"key": "n", "range": {"gt": {{{number}}}}}]}}""", mustRefuse: false),
                _ => Request(HttpMethod.Post, $"/collections/{Reference}/points/search", $$"""{"vector": [1,1,1,1,1,1,1,1], "limit": {{number}}}""", mustRefuse: true),
            };
        }

        private FuzzRequest BadId()
        {
            string id = BadIds[random.Next(BadIds.Length)];
            return random.Next(4) switch
            {
                0 => Request(HttpMethod.Put, $"/collections/{Reference}/points?wait=true", $$"""{"points": [{"id": {{id}}, "vector": [1,1,1,1,1,1,1,1]}]}""", mustRefuse: true),
                1 => Request(HttpMethod.Post, $"/collections/{Reference}/points/delete?wait=true", $$"""{"points": [1, {{id}}]}""", mustRefuse: true),
                2 => Request(HttpMethod.Get, $"/collections/{Reference}/points/{Uri.EscapeDataString(id.Trim('"'))}", null, mustRefuse: true),
                _ => Request(HttpMethod.Post, $"/collections/{Reference}/points/payload?wait=true", $$$"""{"points": [{{{id}}}], "payload": {"x": 1}}""", mustRefuse: true),
            };
        }

        private FuzzRequest DeepFilter()
        {
            int depth = new[] { 65, 500, 10_000 }[random.Next(3)];
            string clause = new[] { "must", "should", "must_not" }[random.Next(3)];
            var text = new StringBuilder();
            for (int i = 0; i < depth; i++)
            {
                text.Append($$"""{"{{clause}}": [""");
            }

            text.Append("""{"key": "n", "match": {"value": 1}}""");
            for (int i = 0; i < depth; i++)
            {
                text.Append("]}");
            }

            string filter = text.ToString();
            return random.Next(3) switch
            {
                0 => Request(HttpMethod.Post, $"/collections/{Reference}/points/delete?wait=true", $$"""{"filter": {{filter}}}""", mustRefuse: true),
                1 => Request(HttpMethod.Post, $"/collections/{Reference}/points/search", $$"""{"vector": [1,1,1,1,1,1,1,1], "filter": {{filter}}}""", mustRefuse: true),
                _ => Request(HttpMethod.Post, $"/collections/{Reference}/points/count", $$"""{"filter": {{filter}}}""", mustRefuse: true),
            };
        }

        private FuzzRequest Oversized()
        {
            // Valid JSON (a long vector) just over the body limit, so only the size is wrong.
            int count = (BodyLimit / 4) + random.Next(1000);
            string body = $$"""{"points": [{"id": 9003, "vector": [{{string.Join(',', Enumerable.Repeat("0.5", count))}}]}]}""";
            return Request(HttpMethod.Put, $"/collections/{Reference}/points?wait=true", body, mustRefuse: true);
        }

        /// <summary>
        /// A valid request with a field Qdrant does not have, in any of its objects but the free-form ones (payloads):
        /// refused unless its value is null, which counts as absent.
        /// </summary>
        private FuzzRequest UnknownFields()
        {
            var (method, path, body) = Template();
            var root = JsonNode.Parse(body)!;
            var objects = Containers(root).OfType<JsonObject>().Where(o => !IsPayload(o)).ToList();
            var value = WrongValues[random.Next(WrongValues.Length)]?.DeepClone();
            objects[random.Next(objects.Count)][random.Next(3) switch { 0 => "unknown_field", 1 => "\u00fcnknown", _ => "Limit" }] = value;
            return Request(method, ToScratchIfWrite(method, path), root.ToJsonString(), mustRefuse: value is not null);
        }

        private static bool IsPayload(JsonNode node)
        {
            for (var current = node; current.Parent is { } parent; current = parent)
            {
                if (parent is JsonObject && current.GetPropertyName() == "payload")
                {
                    return true;
                }
            }

            return false;
        }

        private FuzzRequest Unicode()
        {
            string[] strings = ["\\u0000", "\\ud800", "\\udc00x", "\\ud83d\\ude00", "\u202e", "\u200b", "\ufeff", "e\u0301", "\\uFFFF", new string('\u00e9', 1000)];
            string s = strings[random.Next(strings.Length)];
            return random.Next(3) switch
            {
                0 => Request(HttpMethod.Post, $"/collections/{Scratch}/points/payload?wait=true", $$$"""{"points": [1], "payload": {"{{{s}}}": "{{{s}}}"}}""", mustRefuse: false),
                1 => Request(HttpMethod.Post, $"/collections/{Reference}/points/count", $$$"""{"filter": {"must": [{"key": "{{{s}}}", "match": {"value": "{{{s}}}"}}]}}""", mustRefuse: false),
                _ => Request(HttpMethod.Post, $"/collections/{Reference}/points/scroll", $$"""{"limit": 1, "offset": "{{s}}"}""", mustRefuse: true),
            };
        }

        private FuzzRequest CollectionName()
        {
            string name = Names[random.Next(Names.Length)];
            return random.Next(4) switch
            {
                0 => Request(HttpMethod.Put, $"/collections/{name}", """{"vectors": {"size": 2, "distance": "Dot"}}""", mustRefuse: false),
                1 => Request(HttpMethod.Get, $"/collections/{name}", null, mustRefuse: false),
                2 => Request(HttpMethod.Delete, $"/collections/{name}", null, mustRefuse: false),
                _ => Request(HttpMethod.Put, $"/collections/{name}/points?wait=true", """{"points": [{"id": 1, "vector": [1, 1]}]}""", mustRefuse: false),
            };
        }

        private FuzzRequest BadParameter()
        {
            string[] bodies =
            [
                """{"vector": [1,1,1,1,1,1,1,1], "limit": -1}""", """{"vector": [1,1,1,1,1,1,1,1], "limit": 0}""",
                """{"vector": [1,1,1,1,1,1,1,1], "limit": 10000000000}""", """{"vector": [1,1,1,1,1,1,1,1], "offset": -5}""",
                """{"vector": [1,1,1,1,1,1,1,1], "params": {"hnsw_ef": -1}}""", """{"vector": [1,1,1,1,1,1,1,1], "params": {"hnsw_ef": 100000000}}""",
                """{"vector": [0,0,0,0,0,0,0,0]}""", """{"vector": "12345678"}""", """{"vector": {"name": [1]}}""", """{}""", """[]""", "null", "\"text\"",
            ];
            string path = $"/collections/{Reference}/points/search" + new[] { "", "?timeout=0", "?timeout=-3", "?timeout=abc", "?wait=maybe" }[random.Next(5)];
            return Request(HttpMethod.Post, path, bodies[random.Next(bodies.Length)], mustRefuse: true);
        }

        private FuzzRequest WrongMethodOrType()
        {
            return random.Next(4) switch
            {
                0 => Request(new HttpMethod("PATCH"), $"/collections/{Reference}/points", """{"points": []}""", mustRefuse: true),
                1 => new FuzzRequest(HttpMethod.Put, $"/collections/{Reference}/points?wait=true", Encoding.UTF8.GetBytes("""{"points": [{"id": 9004, "vector": [1,1,1,1,1,1,1,1]}]}"""), "text/plain", MustRefuse: true),
                2 => new FuzzRequest(HttpMethod.Post, $"/collections/{Reference}/points/search", RandomBytes(), "application/json", MustRefuse: true),
                _ => Request(HttpMethod.Get, "/collections/" + new string('/', random.Next(1, 5)) + "..%2f..%2f..%2fetc%2fpasswd", null, mustRefuse: true),
            };
        }

        private byte[] RandomBytes()
        {
            var bytes = new byte[random.Next(1, 200)];
            random.NextBytes(bytes);
            bytes[0] = (byte)'{'; // JSON-looking, then garbage (invalid UTF-8 included)
            return bytes;
        }

        private static string ToScratchIfWrite(HttpMethod method, string path) =>
            path.Contains($"/{Reference}/", StringComparison.Ordinal) && !IsRead(method, path) ? path.Replace($"/{Reference}/", $"/{Scratch}/", StringComparison.Ordinal) : path;

        private static bool IsRead(HttpMethod method, string path) =>
            method == HttpMethod.Get || (method == HttpMethod.Post && path.EndsWith("/search", StringComparison.Ordinal) || path.EndsWith("/query", StringComparison.Ordinal)
            || path.EndsWith("/scroll", StringComparison.Ordinal) || path.EndsWith("/count", StringComparison.Ordinal) || path.EndsWith("/points", StringComparison.Ordinal)
            || path.EndsWith("/batch", StringComparison.Ordinal));

        private static IEnumerable<JsonNode> Containers(JsonNode node)
        {
            yield return node;
            var children = node switch
            {
                JsonObject obj => obj.Select(p => p.Value),
                JsonArray array => array.AsEnumerable(),
                _ => [],
            };
            foreach (var child in children.OfType<JsonNode>().Where(c => c is JsonObject or JsonArray))
            {
                foreach (var descendant in Containers(child))
                {
                    yield return descendant;
                }
            }
        }

        private static FuzzRequest Request(HttpMethod method, string path, string? body, bool mustRefuse) =>
            new(method, path, body is null ? null : Encoding.UTF8.GetBytes(body), "application/json", mustRefuse);
    }
}
