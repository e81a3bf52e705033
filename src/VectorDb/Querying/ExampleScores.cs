namespace VectorDb.Querying;

/// <summary>
/// The scores Qdrant gives points against examples (recommend, discover, context, relevance feedback), from raw
/// similarities (higher is better: a dot product, or a negated distance). Each formula is Qdrant's, so that the same
/// request ranks the same way against either database.
/// </summary>
internal static class ExampleScores
{
    /// <summary>x / (1 + |x|): monotone, into (−1, 1).</summary>
    public static float FastSigmoid(float x) => x / (1f + MathF.Abs(x));

    /// <summary><see cref="FastSigmoid"/> mapped into (0, 1).</summary>
    public static float ScaledFastSigmoid(float x) => 0.5f * (FastSigmoid(x) + 1f);

    /// <summary>
    /// Recommend's best score: the best positive similarity squashed into (0, 1) when it beats the best negative one;
    /// else minus the best negative similarity squashed, in (−1, 0): every point nearer a positive example ranks above
    /// every point nearer a negative one.
    /// </summary>
    public static float BestScore(ReadOnlySpan<float> positive, ReadOnlySpan<float> negative)
    {
        float bestPositive = Max(positive), bestNegative = Max(negative);
        return bestPositive > bestNegative ? ScaledFastSigmoid(bestPositive) : -ScaledFastSigmoid(bestNegative);
    }

    /// <summary>Recommend's sum of scores: the positive similarities minus the negative ones.</summary>
    public static float SumScores(ReadOnlySpan<float> positive, ReadOnlySpan<float> negative) => Sum(positive) - Sum(negative);

    /// <summary>
    /// Discover: the number of context pairs whose positive example is nearer than its negative one, less the number
    /// where it is farther, plus the target similarity squashed into (0, 1) to order points within a rank.
    /// </summary>
    public static float Discover(float target, ReadOnlySpan<float> positive, ReadOnlySpan<float> negative)
    {
        int rank = 0;
        for (int i = 0; i < positive.Length; i++)
        {
            rank += Math.Sign(positive[i].CompareTo(negative[i]));
        }

        return rank + ScaledFastSigmoid(target);
    }

    /// <summary>
    /// Context: for each pair, how far the point lies on the negative side (0 when on the positive side), squashed and
    /// summed; points on the positive side of every pair all score 0.
    /// </summary>
    public static float Context(ReadOnlySpan<float> positive, ReadOnlySpan<float> negative)
    {
        float score = 0;
        for (int i = 0; i < positive.Length; i++)
        {
            score += FastSigmoid(MathF.Min(positive[i] - negative[i] - float.Epsilon, 0f));
        }

        return score;
    }

    /// <summary>
    /// Relevance feedback, Qdrant's naive strategy: a × the target similarity, plus, for every ordered pair of examples
    /// whose judged scores differ by d &gt; 0, dᵇ × c × (similarity to the better one − similarity to the worse one).
    /// </summary>
    public static float Feedback(float target, ReadOnlySpan<float> examples, ReadOnlySpan<float> judged, float a, float b, float c)
    {
        float score = a * target;
        for (int better = 0; better < examples.Length; better++)
        {
            for (int worse = 0; worse < examples.Length; worse++)
            {
                float confidence = judged[better] - judged[worse];
                if (confidence > 0)
                {
                    score += MathF.Pow(confidence, b) * c * (examples[better] - examples[worse]);
                }
            }
        }

        return score;
    }

    private static float Max(ReadOnlySpan<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float value in values)
        {
            max = MathF.Max(max, value);
        }

        return max;
    }

    private static float Sum(ReadOnlySpan<float> values)
    {
        float sum = 0;
        foreach (float value in values)
        {
            sum += value;
        }

        return sum;
    }
}
