using VectorDb.Querying;

namespace VectorDb;

/// <summary>Relevance cut-offs calibrated per query against a sample of the collection.</summary>
public sealed partial class Collection
{
    /// <summary>Points a relevance cut-off's sample holds (fewer when the vector has fewer).</summary>
    public const int CutoffSampleSize = 4096;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, CutoffSample> _cutoffSamples = new(StringComparer.Ordinal);

    /// <summary>
    /// The raw similarity (higher is better) a hit must reach to be among the <paramref name="fraction"/> of the
    /// collection's points (those holding <paramref name="vector"/>) most similar to <paramref name="query"/>, estimated
    /// from the sample; null when the vector holds no points. The caller holds a read.
    /// </summary>
    private float? CutoffThreshold(QueryRun run, string vector, VectorInput query, double fraction)
    {
        var sample = SampleFor(vector);
        if (sample.Nodes.Length == 0)
        {
            return null;
        }

        var scores = run.Similarities(vector, query, sample.Nodes).Where(score => !float.IsNaN(score)).OrderDescending().ToArray();
        if (scores.Length == 0)
        {
            return null;
        }

        int rank = Math.Clamp((int)Math.Ceiling(fraction * scores.Length), 1, scores.Length);
        return scores[rank - 1];
    }

    /// <summary>
    /// The raw similarity a relevance cut-off of <paramref name="fraction"/> would keep hits from for a dense query: for
    /// measuring the estimate (benchmarks, tests); null when the vector holds no points.
    /// </summary>
    internal float? EstimateCutoff(string vector, float[] query, double fraction)
    {
        using var read = _table.ReadVisible();
        return CutoffThreshold(new QueryRun(this, explain: false, CancellationToken.None), vector, new DenseInput(query), fraction);
    }

    /// <summary>
    /// The vector's cut-off sample, drawn again when the vector's points have doubled or halved since it was drawn, or
    /// when a quarter of the sampled points have been deleted or rewritten (a rewrite moves a point to a new node).
    /// </summary>
    private CutoffSample SampleFor(string vector)
    {
        var space = _spaces.Find(vector) ?? throw UnknownVector(vector);
        int count = space.Count;
        if (_cutoffSamples.TryGetValue(vector, out var sample) && count <= 2 * sample.Count && 2 * count >= sample.Count
            && 4 * sample.Nodes.Count(space.Holds) >= 3 * sample.Nodes.Length)
        {
            return sample;
        }

        sample = new CutoffSample([.. RandomNodes(CutoffSampleSize, predicate: null, space, excluded: null, CancellationToken.None).Order()], count);
        _cutoffSamples[vector] = sample;
        return sample;
    }

    /// <summary>Sampled nodes (points deleted since drop out of it) and the vector's point count when drawn.</summary>
    private sealed record CutoffSample(int[] Nodes, int Count);

    private sealed partial class QueryRun
    {
        /// <summary>
        /// The stage's hits with its relevance cut-off applied (and the threshold it used in explain). A diversified
        /// stage applies it to its candidates, <paramref name="beforeSelection"/>, rather than to its picks.
        /// </summary>
        private StageResult CutOff(PointQuery stage, StageResult result, bool beforeSelection = false)
        {
            if (stage.Cutoff is not { Fraction: var fraction } || (!beforeSelection && stage.Query is NearestQuery { Mmr: not null } or NearestQuery { Coverage: not null }))
            {
                return result;
            }

            var input = ((NearestQuery)stage.Query!).Vector; // Check allows a cut-off on nearest stages only
            if (collection.CutoffThreshold(this, stage.Using, Resolve(input, stage.Using), fraction) is not { } threshold)
            {
                return result;
            }

            var kept = result.Hits.Where(hit => hit.Score >= threshold).ToList();
            return result with
            {
                Hits = kept,
                Explain = result.Explain is { } e ? e with { Stage = $"{e.Stage}, cut off at {result.Present(new Hit(0, threshold))} (the top {fraction:P3} of the sample)" } : null,
            };
        }
    }
}
