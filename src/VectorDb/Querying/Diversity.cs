namespace VectorDb.Querying;

/// <summary>Picks a diverse set of hits among nearest candidates: by maximal marginal relevance, or for coverage.</summary>
internal static class Diversity
{
    /// <summary>
    /// Picks up to <paramref name="limit"/> of the candidates: first the most relevant, then each time the one with the
    /// highest λ · relevance − (1 − λ) · (its highest similarity to a pick so far), λ = 1 − diversity. Returns candidate
    /// indexes in pick order. Similarities are raw (higher is better) and computed only between a candidate and picks.
    /// </summary>
    public static List<int> Mmr(ReadOnlySpan<float> relevance, int limit, float diversity, Func<int, int, float> similarity, CancellationToken cancellation)
    {
        float lambda = 1f - diversity;
        int count = relevance.Length;
        var picked = new List<int>(Math.Min(limit, count));
        var taken = new bool[count];
        var redundancy = new float[count]; // each candidate's highest similarity to a pick so far
        Array.Fill(redundancy, float.NegativeInfinity);
        while (picked.Count < Math.Min(limit, count))
        {
            cancellation.ThrowIfCancellationRequested();
            int best = -1;
            float bestValue = float.NegativeInfinity;
            for (int i = 0; i < count; i++)
            {
                if (taken[i])
                {
                    continue;
                }

                float value = picked.Count == 0 ? relevance[i] : (lambda * relevance[i]) - ((1f - lambda) * redundancy[i]);
                if (best < 0 || value > bestValue)
                {
                    (best, bestValue) = (i, value);
                }
            }

            taken[best] = true;
            picked.Add(best);
            for (int i = 0; i < count; i++)
            {
                if (!taken[i])
                {
                    redundancy[i] = MathF.Max(redundancy[i], similarity(i, best));
                }
            }
        }

        return picked;
    }

    /// <summary>
    /// Greedy facility location: picks up to <paramref name="limit"/> of <paramref name="count"/> candidates, each time
    /// the one that most raises the sum over all candidates of their best similarity to a pick (the first pick: the
    /// candidate most similar to all others). Returns candidate indexes in pick order; ties go to the lower index
    /// (the nearer candidate).
    /// </summary>
    public static List<int> Cover(int count, int limit, Func<int, int, float> similarity, CancellationToken cancellation)
    {
        var similarities = new float[count, count];
        for (int i = 0; i < count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            for (int j = i; j < count; j++)
            {
                similarities[i, j] = similarities[j, i] = similarity(i, j);
            }
        }

        var covered = new float[count]; // each candidate's best similarity to a pick so far
        Array.Fill(covered, float.NegativeInfinity);
        var taken = new bool[count];
        var picked = new List<int>(Math.Min(limit, count));
        while (picked.Count < Math.Min(limit, count))
        {
            cancellation.ThrowIfCancellationRequested();
            int best = -1;
            double bestGain = double.NegativeInfinity;
            for (int x = 0; x < count; x++)
            {
                if (taken[x])
                {
                    continue;
                }

                double gain = 0;
                for (int c = 0; c < count; c++)
                {
                    float now = covered[c];
                    float with = similarities[c, x];
                    gain += float.IsNegativeInfinity(now) ? with : Math.Max(0f, with - now);
                }

                if (gain > bestGain)
                {
                    (best, bestGain) = (x, gain);
                }
            }

            taken[best] = true;
            picked.Add(best);
            for (int c = 0; c < count; c++)
            {
                covered[c] = MathF.Max(covered[c], similarities[c, best]);
            }
        }

        return picked;
    }
}
