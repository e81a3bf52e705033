namespace VectorDb.Bench.Tests;

/// <summary>Interleaved timing runs what it is asked to, once each, and times each configuration on its own queries only.</summary>
public sealed class TimingTests
{
    [Fact]
    public void Interleaved_timing_runs_every_query_once_per_configuration_in_chunks_of_varying_order()
    {
        var runs = new List<(int Configuration, int Query)>();
        double[] qps = Timing.Interleaved(queries: 250, configurations: 3, (c, q) =>
        {
            runs.Add((c, q));
            if (c == 2)
            {
                Thread.SpinWait(200_000); // the slow configuration, by far
            }
        }, seed: 1, chunk: 100);

        Assert.Equal(750, runs.Count);
        Assert.Equal(750, runs.Distinct().Count());
        Assert.All(runs.Chunk(100).Take(3).Concat(runs.Skip(300).Chunk(100).Take(3)), chunk => Assert.Single(chunk.Select(r => r.Configuration).Distinct()));
        Assert.Equal(50, runs.Skip(600).TakeWhile(r => r.Configuration == runs[600].Configuration).Count()); // the last chunk is the rest

        // The order of the configurations within each chunk of queries: shuffled, so not always the same.
        var orders = new[] { runs[..300], runs[300..600], runs[600..] }.Select(chunk => string.Join(",", chunk.Select(r => r.Configuration).Distinct())).ToList();
        Assert.True(orders.Distinct().Count() > 1, string.Join(" | ", orders));
        Assert.True(qps[2] < qps[0] && qps[2] < qps[1], string.Join(", ", qps));
    }
}
