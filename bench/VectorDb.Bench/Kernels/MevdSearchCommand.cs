using System.Diagnostics;
using System.Globalization;

namespace VectorDb.Bench.Kernels;

/// <summary>
/// <c>mevdsearch</c>: the three cases of <see cref="MevdSearchBenchmarks"/> (same data, same queries) timed in rounds
/// that alternate the cases, in one process — the ratio a noisy machine cannot give from BenchmarkDotNet, which runs one
/// case after the other. Reports microseconds per search per round, their medians, the ratios of the medians to the
/// direct search, and the median of the per-round ratios: each round's cases run within about a second of each other,
/// so the paired ratio cancels the machine's slow drifts (its speed changes by 20 % over tens of seconds here).
/// <code>mevdsearch [--rounds 41] [--searches 5000] [--out result.json]</code>
/// </summary>
public static class MevdSearchCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string[] argv = [.. args];
        int rounds = CommandLine.Option(argv, "--rounds") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 41;
        int searches = CommandLine.Option(argv, "--searches") is { } n ? int.Parse(n, CultureInfo.InvariantCulture) : 5_000;
        var benchmarks = new MevdSearchBenchmarks();
        benchmarks.Setup();
        try
        {
            var cases = new (string Name, Func<Task> Search)[]
            {
                ("Direct", () => { benchmarks.Direct(); return Task.CompletedTask; }),
                ("DirectReadingFields", () => { benchmarks.DirectReadingFields(); return Task.CompletedTask; }),
                ("Mevd", benchmarks.Mevd),
            };
            var micros = cases.ToDictionary(c => c.Name, _ => new List<double>());
            for (int round = -1; round < rounds; round++) // round -1 warms up (JIT tiers) and is not counted
            {
                foreach (var (name, search) in round % 2 == 0 ? cases : cases.Reverse())
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int i = 0; i < searches; i++)
                    {
                        await search();
                    }

                    if (round >= 0)
                    {
                        micros[name].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds / searches);
                    }
                }
            }

            double direct = Timing.Median(micros["Direct"]);
            var result = new Dictionary<string, object>
            {
                ["cpu"] = Environment.ProcessorCount + " logical cores",
                ["searches_per_round"] = searches,
                ["us_per_search"] = micros.ToDictionary(m => m.Key, m => m.Value.Select(v => Math.Round(v, 2)).ToList()),
                ["median_us"] = micros.ToDictionary(m => m.Key, m => Math.Round(Timing.Median(m.Value), 2)),
                ["ratio_to_direct"] = micros.ToDictionary(m => m.Key, m => Math.Round(Timing.Median(m.Value) / direct, 3)),
                ["paired_ratio_to_direct"] = micros.ToDictionary(
                    m => m.Key,
                    m => Math.Round(Timing.Median([.. m.Value.Select((us, round) => us / micros["Direct"][round])]), 3)),
            };
            CommandLine.Report(result, CommandLine.Option(argv, "--out"));

            return 0;
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }
}
