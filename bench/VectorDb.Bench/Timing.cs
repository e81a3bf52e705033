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

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    public static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
