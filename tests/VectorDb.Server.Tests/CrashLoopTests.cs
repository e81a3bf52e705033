using System.Net.Http.Json;
using System.Text.Json;
using VectorDb.Tests;

namespace VectorDb.Server.Tests;

/// <summary>
/// A real server process under upserts, deletes and payload updates from several clients (all <c>wait=true</c>),
/// killed with SIGKILL at random moments; the collection keeps its rows on disk and searches int8 codes. Meanwhile
/// another client replaces the points of a second collection, which carry large payloads, round after round (so the
/// point store compacts and nodes are reused),
/// takes snapshots and creates and drops a third. After each restart: every acknowledged write is there with its exact
/// vector and payload, every acknowledged delete is absent, a write in flight at the kill is either wholly there
/// or wholly absent, the index agrees with the store, search recall holds, every snapshot listed is whole and the
/// second collection holds whole rounds.
/// 10 cycles by default; <c>VECTORDB_SOAK=1</c> runs 50, <c>VECTORDB_CRASH_CYCLES=N</c> runs N.
/// </summary>
public sealed class CrashLoopTests : IDisposable
{
    private const string Collection = "crash";
    private const int Dimensions = 16;
    private const int Clients = 3;
    private const string Churned = "churned";
    private const int ChurnedPoints = 50;
    private const int ChurnDimensions = 4;
    private static readonly string ChurnText = new('x', 4_000); // payload bytes fill the point store cheaply

    private static readonly float[][] RecallQueries = [.. Enumerable.Range(0, 20).Select(q => Workload.VectorOf((ulong)(777_000 + q), -1, Dimensions))];

    private readonly TempDirectory _directory = new();
    private readonly ITestOutputHelper _output;

    public CrashLoopTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Acknowledged_writes_survive_kill_9_of_the_server()
    {
        int cycles = int.TryParse(Environment.GetEnvironmentVariable("VECTORDB_CRASH_CYCLES"), out int n) ? n
            : Environment.GetEnvironmentVariable("VECTORDB_SOAK") == "1" ? 50 : 10;
        var random = new Random(20261126);
        var model = new Model();
        var recalls = new List<double>();
        long acknowledged = 0;
        int compactions = 0;
        for (int cycle = 0; cycle <= cycles; cycle++)
        {
            await using var server = await ServerProcess.StartAsync("--data-dir", _directory.Path, "--checkpoint-interval-seconds", "0.5");
            using var http = server.CreateClient();
            try
            {
                if (cycle == 0)
                {
                    // Rows on disk and searches on int8 codes: the file, its checksums and the codes go through every kill too.
                    await Workload.Expect(http, HttpMethod.Put, $"/collections/{Collection}", new
                    {
                        vectors = new { size = Dimensions, distance = "Euclid", on_disk = true },
                        quantization_config = new { scalar = new { type = "int8" } },
                    });
                    await Workload.Expect(http, HttpMethod.Put, $"/collections/{Collection}/index?wait=true", new { field_name = "c", field_schema = "integer" });
                    await Workload.Expect(http, HttpMethod.Put, $"/collections/{Churned}", new { vectors = new { size = ChurnDimensions, distance = "Dot" } });
                }
                else
                {
                    await VerifyAsync(http, model);
                    recalls.Add(await Workload.RecallAsync(http, Collection, RecallQueries));
                    await VerifyMaintenanceAsync(http);
                }

                if (cycle == cycles)
                {
                    // Last: a compaction is made certain, then killed right after, and the restarted server checked again.
                    await CompactAsync(server, http, cycle);
                    await server.KillAsync();
                    await using var restarted = await ServerProcess.StartAsync("--data-dir", _directory.Path);
                    using var after = restarted.CreateClient();
                    await VerifyAsync(after, model);
                    await VerifyMaintenanceAsync(after);
                    break;
                }

                // Writers run until the kill; what they had acknowledged by then must survive it.
                using var stop = new CancellationTokenSource();
                var writers = Enumerable.Range(0, Clients).Select(client => WriteUntilKilledAsync(server.Address, model, client, cycle, stop.Token))
                    .Append(MaintainUntilKilledAsync(server.Address, cycle, stop.Token)).ToArray();
                await Task.Delay(random.Next(200, 1500), TestContext.Current.CancellationToken);
                await server.KillAsync();
                await stop.CancelAsync();
                acknowledged += (await Task.WhenAll(writers)).Sum();
                compactions += server.Output.Count(line => line.Contains("Point store compacted", StringComparison.Ordinal));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException($"cycle {cycle} failed: {e.Message}\nserver output:\n{server.Tail()}", e);
            }
        }

        _output.WriteLine($"{cycles} kills survived; {acknowledged} acknowledged writes and maintenance requests; {compactions} compactions; {model.Present} points checked after the last restart; recall@10 min {recalls.Min():F3}");
        Assert.True(recalls.Min() >= 0.95, $"recall fell to {recalls.Min():F3}");

    }

    /// <summary>
    /// Replaces the points of the churned collection with new ones, round after round, and between rounds takes a snapshot of the main collection or creates and drops a scratch collection, until
    /// the kill; returns how many requests were answered.
    /// </summary>
    private static async Task<int> MaintainUntilKilledAsync(Uri address, int cycle, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        int answered = 0;
        try
        {
            for (int round = 0; !stop.IsCancellationRequested; round++)
            {
                await ChurnAsync(http, cycle, round);
                switch (round % 4)
                {
                    case 1:
                        // A snapshot also takes a checkpoint, and a checkpoint compacts the point store once it is due.
                        await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/snapshots");
                        break;
                    case 3:
                        await Workload.Expect(http, HttpMethod.Delete, "/collections/scratch"); // left by a kill between its create and drop
                        await Workload.Expect(http, HttpMethod.Put, "/collections/scratch", new { vectors = new { size = 4, distance = "Dot" } });
                        await Workload.Expect(http, HttpMethod.Put, "/collections/scratch/points?wait=true", new { points = new[] { new { id = 1, vector = new[] { 1f, 0, 0, 0 } } } });
                        await Workload.Expect(http, HttpMethod.Delete, "/collections/scratch");
                        break;
                }

                answered++;
            }
        }
        catch (HttpRequestException)
        {
            // killed
        }

        return answered;
    }

    /// <summary>One round: new points in the churned collection, then the previous round's deleted, leaving a round's worth of garbage.</summary>
    private static async Task ChurnAsync(HttpClient http, int cycle, int round)
    {
        ulong first = (ulong)(((cycle * 10_000) + round) * ChurnedPoints);
        var points = Enumerable.Range(0, ChurnedPoints).Select(i => new { id = first + (ulong)i, vector = Workload.VectorOf(first + (ulong)i, 1, ChurnDimensions), payload = new { text = ChurnText } });
        await Workload.Expect(http, HttpMethod.Put, $"/collections/{Churned}/points?wait=true", new { points });
        await Workload.Expect(http, HttpMethod.Post, $"/collections/{Churned}/points/delete?wait=true", new
        {
            filter = new { must_not = new[] { new { has_id = Enumerable.Range(0, ChurnedPoints).Select(i => first + (ulong)i) } } },
        });
    }

    /// <summary>
    /// Churns ~12 MB of payloads through the point store, most of it deleted again: the checkpoints meanwhile (and those
    /// the snapshots take) compact it, so its log on disk stays a fraction of what was written.
    /// </summary>
    private async Task CompactAsync(ServerProcess server, HttpClient http, int cycle)
    {
        const int Rounds = 60;
        long before = PointLogBytes();
        for (int round = 0; round < Rounds; round++)
        {
            await ChurnAsync(http, cycle, round);
        }

        // Each snapshot takes a checkpoint, which compacts when due; the segments below a compaction go once the older
        // retained checkpoint does. A timer checkpoint during the churn can shift which of them compacts, so up to
        // three more are allowed before the bound must hold.
        // The log also holds the live points the other clients wrote over the cycles (how many depends on the machine's
        // speed), measured before the churn, and is truncated by whole 4 MiB segments: one segment of slack on top of that
        // and half the churn (without compaction it would hold all the churn and more).
        long written = (long)Rounds * ChurnedPoints * ChurnText.Length;
        long bound = before + (written / 2) + (4L << 20);
        long kept = long.MaxValue;
        for (int i = 0; i < 6 && (i < 3 || kept >= bound); i++)
        {
            await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/snapshots");
            kept = PointLogBytes();
        }

        _output.WriteLine($"point store log: {kept} bytes on disk after {written} bytes of payloads churned ({before} before)");
        Assert.Contains(server.Output, line => line.Contains("Point store compacted", StringComparison.Ordinal));
        Assert.True(kept < bound, $"the point store's log holds {kept} bytes after {written} bytes churned ({before} before)");
    }

    private long PointLogBytes() => Directory.EnumerateFiles(Path.Combine(_directory.Path, "points"), "hlog*").Sum(file => new FileInfo(file).Length);

    /// <summary>The churned collection holds whole rounds of points; every snapshot listed is whole; all but the newest two are deleted.</summary>
    private static async Task VerifyMaintenanceAsync(HttpClient http)
    {
        var churned = await Workload.Expect(http, HttpMethod.Post, $"/collections/{Churned}/points/count", new { exact = true });
        int count = churned.GetProperty("result").GetProperty("count").GetInt32();
        Assert.True(count % ChurnedPoints == 0, $"the churned collection holds {count} points, not whole rounds"); // a kill may fall between a round's two writes
        var snapshots = (await Workload.Expect(http, HttpMethod.Get, $"/collections/{Collection}/snapshots")).GetProperty("result").EnumerateArray().ToList();
        foreach (var snapshot in snapshots)
        {
            string name = snapshot.GetProperty("name").GetString()!;
            byte[] file = await http.GetByteArrayAsync($"/collections/{Collection}/snapshots/{name}");
            Assert.Equal(snapshot.GetProperty("checksum").GetString(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(file)));
        }

        foreach (var snapshot in snapshots.SkipLast(2))
        {
            await Workload.Expect(http, HttpMethod.Delete, $"/collections/{Collection}/snapshots/{snapshot.GetProperty("name").GetString()}");
        }
    }

    /// <summary>One client's writes, each to ids only it touches, one at a time; returns how many were acknowledged.</summary>
    private static async Task<int> WriteUntilKilledAsync(Uri address, Model model, int client, int cycle, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        var random = new Random((cycle * 31) + client);
        int acknowledged = 0;
        while (!stop.IsCancellationRequested)
        {
            var owned = model.Owned(client);
            var (method, path, body, changes) = (random.Next(10), owned.Count) switch
            {
                ( < 6, _) or (_, < 8) => Upsert(model, client, random, owned),
                ( < 8, _) => Delete(random, owned),
                _ => SetPayload(model, random, owned),
            };
            model.Begin(changes);
            try
            {
                using var response = await http.SendAsync(new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) }, CancellationToken.None);
                string text = await response.Content.ReadAsStringAsync(CancellationToken.None);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
                }
            }
            catch (HttpRequestException)
            {
                return acknowledged; // killed: this write stays in doubt
            }

            model.Acknowledge(changes);
            acknowledged++;
        }

        return acknowledged;
    }

    private static (HttpMethod, string, object, Dictionary<ulong, PointState?>) Upsert(Model model, int client, Random random, List<ulong> owned)
    {
        var changes = new Dictionary<ulong, PointState?>();
        int size = random.Next(1, 17);
        for (int i = 0; i < size; i++)
        {
            ulong id = owned.Count > 0 && random.Next(2) == 0 ? owned[random.Next(owned.Count)] : model.NewId(client);
            changes[id] = new PointState(client, random.Next(1, 1_000_000), Extra: null);
        }

        var points = changes.Select(c => new { id = c.Key, vector = Workload.VectorOf(c.Key, c.Value!.Version, Dimensions), payload = new { c = c.Value.Client, v = c.Value.Version } });
        return (HttpMethod.Put, $"/collections/{Collection}/points?wait=true", new { points }, changes);
    }

    private static (HttpMethod, string, object, Dictionary<ulong, PointState?>) Delete(Random random, List<ulong> owned)
    {
        var ids = Enumerable.Range(0, random.Next(1, 5)).Select(_ => owned[random.Next(owned.Count)]).Distinct().ToArray();
        return (HttpMethod.Post, $"/collections/{Collection}/points/delete?wait=true", new { points = ids }, ids.ToDictionary(id => id, _ => (PointState?)null));
    }

    private static (HttpMethod, string, object, Dictionary<ulong, PointState?>) SetPayload(Model model, Random random, List<ulong> owned)
    {
        int extra = random.Next(1, 1_000_000);
        var ids = Enumerable.Range(0, random.Next(1, 5)).Select(_ => owned[random.Next(owned.Count)]).Distinct().ToArray();
        var changes = ids.ToDictionary(id => id, id => (PointState?)(model.Expected(id)! with { Extra = extra }));
        return (HttpMethod.Post, $"/collections/{Collection}/points/payload?wait=true", new { points = ids, payload = new { extra } }, changes);
    }

    /// <summary>Compares the restarted server with the model point by point, then takes what it found as the truth.</summary>
    private static async Task VerifyAsync(HttpClient http, Model model)
    {
        var ids = model.Known();
        var found = new Dictionary<ulong, PointState>();
        foreach (var chunk in ids.Chunk(1000))
        {
            var body = await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points", new { ids = chunk, with_vector = true, with_payload = true });
            foreach (var point in body.GetProperty("result").EnumerateArray())
            {
                ulong id = point.GetProperty("id").GetUInt64();
                var payload = point.GetProperty("payload");
                var state = new PointState(
                    payload.GetProperty("c").GetInt32(),
                    payload.GetProperty("v").GetInt32(),
                    payload.TryGetProperty("extra", out var extra) ? extra.GetInt32() : null);
                float[] vector = [.. point.GetProperty("vector").EnumerateArray().Select(x => x.GetSingle())];
                Assert.True(vector.SequenceEqual(Workload.VectorOf(id, state.Version, Dimensions)), $"point {id} has a vector that no write gave it");
                found[id] = state;
            }
        }

        // A write the kill caught in flight is all there or not at all: the log holds it as one record.
        foreach (var write in model.InFlight())
        {
            int applied = write.Count(change => Equals(found.GetValueOrDefault(change.Key), change.Value));
            int notApplied = write.Count(change => Equals(found.GetValueOrDefault(change.Key), model.Expected(change.Key)));
            Assert.True(applied == write.Count || notApplied == write.Count, $"a write of {write.Count} points in flight at the kill is half applied ({applied} applied)");
        }

        foreach (ulong id in ids)
        {
            var actual = found.TryGetValue(id, out var state) ? state : null;
            Assert.True(model.Allows(id, actual), $"point {id} is {actual?.ToString() ?? "absent"}; acknowledged {model.Expected(id)?.ToString() ?? "absent"}, in doubt {model.DoubtFor(id)}");
            model.Settle(id, actual);
        }

        // The index agrees with the store: counts, the ids a scroll lists, and the payload index's counts.
        int present = model.Present;
        Assert.Equal(present, (await Workload.Expect(http, HttpMethod.Get, $"/collections/{Collection}")).GetProperty("result").GetProperty("points_count").GetInt32());
        Assert.Equal(present, (await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points/count", new { exact = true })).GetProperty("result").GetProperty("count").GetInt32());
        var scrolled = new HashSet<ulong>();
        object? offset = null;
        do
        {
            var page = (await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points/scroll", new { limit = 1000, offset, with_payload = false })).GetProperty("result");
            scrolled.UnionWith(page.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("id").GetUInt64()));
            offset = page.GetProperty("next_page_offset") is { ValueKind: JsonValueKind.Number } next ? next.GetUInt64() : null;
        }
        while (offset is not null);
        Assert.True(scrolled.SetEquals(found.Keys), $"scroll lists {scrolled.Count} ids, retrieve found {found.Count}");
        for (int client = 0; client < Clients; client++)
        {
            var filter = new { must = new[] { new { key = "c", match = new { value = client } } } };
            int count = (await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points/count", new { filter, exact = true })).GetProperty("result").GetProperty("count").GetInt32();
            Assert.Equal(found.Values.Count(s => s.Client == client), count);
        }

        // Exact lookups: a sample of points, searched for by their own vectors, are their own nearest (distance 0).
        foreach (var (id, state) in found.Take(50))
        {
            var hits = await Workload.Expect(http, HttpMethod.Post, $"/collections/{Collection}/points/search", new { vector = Workload.VectorOf(id, state.Version, Dimensions), limit = 1, @params = new { exact = true } });
            var top = hits.GetProperty("result")[0];
            Assert.Equal(id, top.GetProperty("id").GetUInt64());
            Assert.Equal(0f, top.GetProperty("score").GetSingle());
        }
    }




    /// <summary>What a point holds: who wrote it, the version of its vector and payload, and a later payload key.</summary>
    private sealed record PointState(int Client, int Version, int? Extra);

    /// <summary>What the server acknowledged, and what a kill left in doubt (a write sent but not answered).</summary>
    private sealed class Model
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<ulong, PointState?> _expected = [];
        private readonly Dictionary<ulong, PointState?> _doubt = [];
        private readonly List<Dictionary<ulong, PointState?>> _inFlight = [];
        private readonly ulong[] _nextId = [.. Enumerable.Range(0, Clients).Select(c => (ulong)c * 1_000_000_000)];

        public int Present
        {
            get
            {
                lock (_lock)
                {
                    return _expected.Values.Count(s => s is not null);
                }
            }
        }

        public ulong NewId(int client)
        {
            lock (_lock)
            {
                return _nextId[client]++;
            }
        }

        public List<ulong> Owned(int client)
        {
            lock (_lock)
            {
                return [.. _expected.Where(e => e.Value?.Client == client).Select(e => e.Key)];
            }
        }

        public PointState? Expected(ulong id)
        {
            lock (_lock)
            {
                return _expected.GetValueOrDefault(id);
            }
        }

        public string DoubtFor(ulong id)
        {
            lock (_lock)
            {
                return _doubt.TryGetValue(id, out var state) ? state?.ToString() ?? "delete" : "none";
            }
        }

        public void Begin(Dictionary<ulong, PointState?> changes)
        {
            lock (_lock)
            {
                foreach (var (id, state) in changes)
                {
                    _doubt[id] = state;
                }

                _inFlight.Add(changes);
            }
        }

        public void Acknowledge(Dictionary<ulong, PointState?> changes)
        {
            lock (_lock)
            {
                foreach (var (id, state) in changes)
                {
                    _expected[id] = state;
                    _doubt.Remove(id);
                }

                _inFlight.Remove(changes);
            }
        }

        public List<Dictionary<ulong, PointState?>> InFlight()
        {
            lock (_lock)
            {
                return [.. _inFlight];
            }
        }

        public List<ulong> Known()
        {
            lock (_lock)
            {
                return [.. _expected.Keys.Union(_doubt.Keys)];
            }
        }

        public bool Allows(ulong id, PointState? actual)
        {
            lock (_lock)
            {
                return Equals(_expected.GetValueOrDefault(id), actual) || (_doubt.TryGetValue(id, out var doubt) && Equals(doubt, actual));
            }
        }

        public void Settle(ulong id, PointState? actual)
        {
            lock (_lock)
            {
                _expected[id] = actual;
                _doubt.Remove(id);
                _inFlight.Clear();
            }
        }
    }
}
