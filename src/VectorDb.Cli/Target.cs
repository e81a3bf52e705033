using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;

namespace VectorDb.Cli;

/// <summary>Where a command reads or writes: a local database directory, or a server over REST.</summary>
internal sealed class Target : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly VectorDatabase? _database;
    private readonly HttpClient? _http;

    private Target(VectorDatabase? database, HttpClient? http) => (_database, _http) = (database, http);

    public static Option<string?> DataDir { get; } = new("--data-dir") { Description = "Local database directory (opened in-process)" };

    public static Option<string?> Url { get; } = new("--url") { Description = "Server URL, e.g. http://127.0.0.1:6333" };

    public static Option<string?> ApiKey { get; } = new("--api-key") { Description = "API key for --url" };

    public static void AddOptions(Command command)
    {
        command.Options.Add(DataDir);
        command.Options.Add(Url);
        command.Options.Add(ApiKey);
    }

    /// <exception cref="ArgumentException">Neither or both of --data-dir and --url.</exception>
    public static Target Open(ParseResult parse)
    {
        string? dataDir = parse.GetValue(DataDir), url = parse.GetValue(Url);
        if ((dataDir is null) == (url is null))
        {
            throw new ArgumentException("Give exactly one of --data-dir (a local database) and --url (a server).");
        }

        if (dataDir is not null)
        {
            return new Target(VectorDatabase.Open(dataDir), null);
        }

        var http = new HttpClient { BaseAddress = new Uri(url!), Timeout = TimeSpan.FromMinutes(5) };
        if (parse.GetValue(ApiKey) is { } key)
        {
            http.DefaultRequestHeaders.Add("api-key", key);
        }

        return new Target(null, http);
    }

    /// <summary>Creates the collection unless it exists.</summary>
    public async Task EnsureCollectionAsync(string name, int dimensions, DistanceMetric distance, VectorDataType dataType)
    {
        if (_database is not null)
        {
            if (!_database.CollectionExists(name))
            {
                _database.CreateCollection(name, new CollectionOptions { Dimensions = dimensions, Distance = distance, DataType = dataType });
            }

            return;
        }

        var exists = await SendAsync(HttpMethod.Get, $"/collections/{name}/exists", null);
        if (!exists.GetProperty("exists").GetBoolean())
        {
            await SendAsync(HttpMethod.Put, $"/collections/{name}", new { vectors = new { size = dimensions, distance = distance.ToString(), datatype = dataType.ToApiName() } });
        }
    }

    public async Task UpsertAsync(string collection, IReadOnlyList<Point> points)
    {
        if (_database is not null)
        {
            _database.GetCollection(collection).Upsert(points);
            return;
        }

        var body = new
        {
            points = points.Select(p => new
            {
                id = p.Id.IsUuid ? (object)p.Id.Uuid.ToString("D") : p.Id.Number,
                vector = p.Vector,
                payload = p.Payload?.Root,
            }),
        };
        await SendAsync(HttpMethod.Put, $"/collections/{collection}/points?wait=true", body);
    }

    /// <summary>Hits as (id, score, payload JSON).</summary>
    public async Task<IReadOnlyList<(string Id, float Score, string? Payload)>> QueryAsync(string collection, float[] vector, int limit, string? filterJson, int? ef)
    {
        if (_database is not null)
        {
            var hits = _database.GetCollection(collection).Search(vector, limit, new SearchOptions
            {
                Ef = ef,
                WithPayload = true,
                Filter = filterJson is null ? null : Query.FilterJson.Parse(filterJson),
            });
            return [.. hits.Select(h => (h.Id.ToString(), h.Score, h.Payload?.ToJson()))];
        }

        object? filter = filterJson is null ? null : JsonDocument.Parse(filterJson).RootElement;
        var result = await SendAsync(HttpMethod.Post, $"/collections/{collection}/points/query", new
        {
            query = vector,
            limit,
            with_payload = true,
            filter,
            @params = ef is null ? null : new { hnsw_ef = ef },
        });
        return [.. result.GetProperty("points").EnumerateArray().Select(p => (
            p.GetProperty("id").ToString(),
            p.GetProperty("score").GetSingle(),
            p.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.Object ? payload.GetRawText() : null))];
    }

    /// <summary>Takes a snapshot of a collection, or a full-storage one when <paramref name="collection"/> is null: (name, bytes, SHA-256).</summary>
    public async Task<(string Name, long Size, string Checksum)> CreateSnapshotAsync(string? collection)
    {
        if (_database is not null)
        {
            var snapshot = collection is null ? _database.CreateFullSnapshot() : _database.CreateSnapshot(collection);
            return (snapshot.Name, snapshot.Size, snapshot.Checksum);
        }

        return Snapshot(await SendAsync(HttpMethod.Post, $"{SnapshotsPath(collection)}?wait=true", null));
    }

    /// <summary>The snapshots of a collection, or the full-storage ones when <paramref name="collection"/> is null: (name, bytes, SHA-256).</summary>
    public async Task<IReadOnlyList<(string Name, long Size, string Checksum)>> ListSnapshotsAsync(string? collection)
    {
        if (_database is not null)
        {
            return [.. (collection is null ? _database.ListFullSnapshots() : _database.ListSnapshots(collection)).Select(s => (s.Name, s.Size, s.Checksum))];
        }

        return [.. (await SendAsync(HttpMethod.Get, SnapshotsPath(collection), null)).EnumerateArray().Select(Snapshot)];
    }

    /// <summary>
    /// Restores every collection and alias of a full-storage snapshot into a local database (a server restores one
    /// when it starts, with <c>--storage-snapshot</c>).
    /// </summary>
    public void RestoreFullSnapshot(string file, string? checksum, bool replaceExisting)
    {
        if (_database is null)
        {
            throw new ArgumentException(
                "A server restores a full-storage snapshot when it starts: `vectordb serve --storage-snapshot FILE` (with --force-snapshot to replace collections of the same names).");
        }

        _database.RestoreFullSnapshot(file, checksum, replaceExisting);
    }

    private static string SnapshotsPath(string? collection) => collection is null ? "/snapshots" : $"/collections/{collection}/snapshots";

    /// <summary>Restores a collection from a snapshot file on this machine (uploaded to a server), replacing one of that name.</summary>
    public async Task RestoreSnapshotAsync(string collection, string file, string? checksum)
    {
        if (_database is not null)
        {
            _database.RestoreSnapshot(collection, file, checksum);
            return;
        }

        using var content = new MultipartFormDataContent();
        await using var stream = File.OpenRead(file);
        content.Add(new StreamContent(stream), "snapshot", Path.GetFileName(file));
        string query = checksum is null ? "" : $"?checksum={Uri.EscapeDataString(checksum)}";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/collections/{collection}/snapshots/upload{query}") { Content = content };
        await SendAsync(request);
    }

    private static (string Name, long Size, string Checksum) Snapshot(JsonElement snapshot) =>
        (snapshot.GetProperty("name").GetString()!, snapshot.GetProperty("size").GetInt64(), snapshot.GetProperty("checksum").GetString()!);

    public ValueTask DisposeAsync()
    {
        _database?.Dispose();
        _http?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Sends a request and returns <c>result</c>; a Qdrant error becomes an exception with its message.</summary>
    private async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        return await SendAsync(request);
    }

    private async Task<JsonElement> SendAsync(HttpRequestMessage request)
    {
        var (method, path) = (request.Method, request.RequestUri);
        using var response = await _http!.SendAsync(request);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode)
        {
            string message = json.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object && status.TryGetProperty("error", out var error)
                ? error.GetString() ?? response.ReasonPhrase ?? ""
                : response.ReasonPhrase ?? "";
            throw new InvalidRequestException($"{(int)response.StatusCode} from {method} {path}: {message}");
        }

        return json.GetProperty("result").Clone();
    }
}
