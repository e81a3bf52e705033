using System.Diagnostics;
using System.Globalization;
using VectorDb.CrashHost;
using VectorDb.Storage;
using VectorDb.Query;

namespace VectorDb.Tests;

/// <summary>
/// Runs the real engine in a child process writing with wait=true, kills it with SIGKILL at random moments,
/// and checks after each kill that every acknowledged write is there and every acknowledged delete is not.
/// Five cycles by default; set VECTORDB_CRASH_CYCLES for more.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ITestOutputHelper _output;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _childErrors = new();

    public CrashRecoveryTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Acknowledged_writes_survive_kill_9()
    {
        int cycles = int.TryParse(Environment.GetEnvironmentVariable("VECTORDB_CRASH_CYCLES"), out int n) ? n : 5;
        var random = new Random(20261126);
        var state = new AcknowledgedState();
        int kills = 0;
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            int acksBeforeKill = random.Next(5, 120);
            using var child = StartChild(state.NextId, seed: cycle);
            while (state.Acks < acksBeforeKill)
            {
                state.Apply(await ReadLineAsync(child));
            }

            child.Kill(entireProcessTree: true); // SIGKILL on Linux
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
            kills++;

            // Lines the child wrote before it died are acknowledgements too; a torn last line is not.
            string rest = await child.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var lines = rest.Split('\n');
            foreach (string line in lines[..^1])
            {
                state.Apply(line);
            }

            state.EndCycle();
            VerifyAfterCrash(state.Present, state.Deleted);
        }

        var acknowledged = state.Present;
        var deleted = state.Deleted;
        _output.WriteLine($"{kills} kills, {acknowledged.Count} acknowledged points and {deleted.Count} acknowledged deletes checked");
        Assert.Equal(cycles, kills);
    }

    /// <summary>What the child acknowledged, and what a kill left uncertain.</summary>
    private sealed class AcknowledgedState
    {
        private ulong? _deleting;

        public HashSet<ulong> Present { get; } = [];

        public HashSet<ulong> Deleted { get; } = [];

        public int Acks { get; private set; }

        /// <summary>First id the next child may use: past anything a killed child could have started writing.</summary>
        public ulong NextId { get; private set; }

        public void Apply(string line)
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "UPSERT":
                    for (ulong id = Parse(parts[1]); id <= Parse(parts[2]); id++)
                    {
                        Present.Add(id);
                        Deleted.Remove(id);
                        NextId = Math.Max(NextId, id + 1);
                    }

                    Acks++;
                    break;
                case "DELETING":
                    _deleting = Parse(parts[1]);
                    break;
                case "DELETE":
                    Present.Remove(Parse(parts[1]));
                    Deleted.Add(Parse(parts[1]));
                    _deleting = null;
                    Acks++;
                    break;
                case "READY":
                    break;
                default:
                    throw new Xunit.Sdk.XunitException($"Unexpected output from the child: {line}");
            }
        }

        /// <summary>A delete cut short by the kill may or may not have happened: stop asserting either way.</summary>
        public void EndCycle()
        {
            if (_deleting is ulong id)
            {
                Present.Remove(id);
                Deleted.Remove(id);
                _deleting = null;
            }

            Acks = 0;
            NextId += 64; // an upsert batch cut short by the kill is at most 40 ids
        }

        private static ulong Parse(string text) => ulong.Parse(text, CultureInfo.InvariantCulture);
    }

    private void VerifyAfterCrash(HashSet<ulong> acknowledged, HashSet<ulong> deleted)
    {
        // Open without a final checkpoint, so the next cycle also recovers through the log.
        var logger = new ListLogger();
        using var database = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }, logger);
        foreach (string message in logger.Messages)
        {
            _output.WriteLine(message);
        }

        if (acknowledged.Count == 0)
        {
            return;
        }

        var collection = database.GetCollection(CrashWorkload.Collection);
        foreach (ulong id in acknowledged)
        {
            var expected = CrashWorkload.PointFor(id);
            var actual = collection.Get(id) ?? throw new Xunit.Sdk.XunitException(
                $"Acknowledged point {id} was lost; recovery said: {string.Join(" | ", logger.Messages)}");
            Assert.Equal(expected.Vector, actual.Vector);
            Assert.Equal(expected.Payload, actual.Payload);
        }

        foreach (ulong id in deleted)
        {
            Assert.Null(collection.Get(id));
        }

        // The graph agrees with the store: a point's own vector finds it.
        ulong probe = acknowledged.Max();
        Assert.Equal(new PointId(probe), collection.Search(CrashWorkload.PointFor(probe).Vector, 1, new SearchOptions { Ef = 64 })[0].Id);

        // The value links (restored from the checkpoint, or made again) find what an exact scan finds.
        collection.WaitForPayloadLinks();
        var even = new Filter(Must: [Conditions.Match(CrashWorkload.LinkedField, "h0")]);
        if (collection.Count(even) >= 1_000)
        {
            var query = CrashWorkload.PointFor(probe).Vector;
            var exact = collection.Search(query, 10, new SearchOptions { Filter = even, Exact = true }).Select(h => h.Id);
            var linked = collection.Search(query, 10, new SearchOptions { Filter = even, Ef = 64, Strategy = SearchStrategy.ValueLinks });
            Assert.All(linked, h => Assert.Equal(0UL, h.Id.Number % 2));
            Assert.InRange(linked.Select(h => h.Id).Intersect(exact).Count(), 8, 10);
        }
    }

    private Process StartChild(ulong firstId, int seed)
    {
        string host = Path.Combine(AppContext.BaseDirectory, "VectorDb.CrashHost.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { host, _directory.Path, firstId.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        var child = Process.Start(start) ?? throw new InvalidOperationException("Cannot start the crash host.");
        _childErrors.Clear();
        child.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _childErrors.Enqueue(e.Data);
            }
        };
        child.BeginErrorReadLine();
        return child;
    }

    private async Task<string> ReadLineAsync(Process child)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line;
        try
        {
            line = await child.StandardOutput.ReadLineAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"The crash host hung; its last messages: {string.Join("\n", _childErrors.TakeLast(30))}");
        }

        if (line is null)
        {
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
            throw new Xunit.Sdk.XunitException($"The crash host exited early: {string.Join("\n", _childErrors.TakeLast(30))}");
        }

        return line;
    }
}
