namespace VectorDb.Querying;

/// <summary>Maximal marginal relevance: picks hits one by one, trading relevance for novelty.</summary>
internal static class Mmr
{
    /// <summary>
    /// Picks up to <paramref name="limit"/> of the candidates: first the most relevant, then each time the one with the
    /// highest λ · relevance − (1 − λ) · (its highest similarity to a pick so far), λ = 1 − diversity. Returns candidate
    /// indexes in pick order. Similarities are raw (higher is better) and computed only between a candidate and picks.
    /// </summary>
    public static List<int> Select(ReadOnlySpan<float> relevance, int limit, float diversity, Func<int, int, float> similarity)
    {
        float lambda = 1f - diversity;
        int count = relevance.Length;
        var picked = new List<int>(Math.Min(limit, count));
        var taken = new bool[count];
        var redundancy = new float[count]; // each candidate's highest similarity to a pick so far
        Array.Fill(redundancy, float.NegativeInfinity);
        while (picked.Count < Math.Min(limit, count))
        {
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
}
