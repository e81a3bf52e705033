using System.Diagnostics;

namespace VectorDb.Bench;

/// <summary>Timed passes over a query set and the median the commands report (timings here are noisy: medians, not means).</summary>
public static class Timing
{
    /// <summary>Runs every query once, in order, single-threaded; returns queries per second.</summary>
    public static double Pass<T>(IReadOnlyList<T> queries, Action<T> search)
    {
        long start = Stopwatch.GetTimestamp();
        foreach (var query in queries)
        {
            search(query);
        }

        return queries.Count / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>
    /// Runs every query once under each of <paramref name="configurations"/>, single-threaded and interleaved: the queries
    /// in chunks of <paramref name="chunk"/>, each chunk under every configuration in turn, in a new random order each
    /// time. On a machine whose speed drifts by tens of percent within seconds, configurations timed one after another
    /// (a pass each) were compared across different drifts; interleaved, they share them. The order is random because a
    /// configuration's first queries pay for what the one before it evicted from the caches: a fixed order made that
    /// cost fall on some configurations more than on others.
    /// </summary>
    /// <param name="queries">How many queries.</param>
    /// <param name="configurations">How many configurations.</param>
    /// <param name="search">Runs query <c>q</c> under configuration <c>c</c>: <c>search(c, q)</c>.</param>
    /// <param name="seed">Seeds the orders.</param>
    /// <param name="chunk">Queries run under one configuration before the next takes over.</param>
    /// <returns>Each configuration's queries per second.</returns>
    public static double[] Interleaved(int queries, int configurations, Action<int, int> search, int seed, int chunk = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1);
        var ticks = new long[configurations];
        var order = Enumerable.Range(0, configurations).ToArray();
        var random = new Random(seed);
        for (int start = 0; start < queries; start += chunk)
        {
            int end = Math.Min(queries, start + chunk);
            random.Shuffle(order);
            foreach (int configuration in order)
            {
                long begin = Stopwatch.GetTimestamp();
                for (int query = start; query < end; query++)
                {
                    search(configuration, query);
                }

                ticks[configuration] += Stopwatch.GetTimestamp() - begin;
            }
        }

        return [.. ticks.Select(t => queries / (t / (double)Stopwatch.Frequency))];
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
