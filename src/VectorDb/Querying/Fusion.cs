namespace VectorDb.Querying;

/// <summary>Combines ranked lists of hits (one per prefetch) into one, best first.</summary>
internal static class Fusion
{
    /// <summary>Qdrant's default rank constant: a first place scores 1/2, a second 1/3.</summary>
    public const int DefaultRrfK = 2;

    /// <summary>
    /// Reciprocal rank fusion as Qdrant computes it: a hit at 0-based position p of a list of weight w adds
    /// 1 / ((p + 1) / w + k − 1), nothing when w ≤ 0; scores sum over the lists that hold the hit. Only ranks count.
    /// Ties rank the hit found first (by list, then position) first.
    /// </summary>
    public static List<Hit> Rrf(IReadOnlyList<IReadOnlyList<Hit>> lists, int k, IReadOnlyList<float>? weights)
    {
        var fused = new Accumulator();
        for (int list = 0; list < lists.Count; list++)
        {
            float weight = weights?[list] ?? 1f;
            var hits = lists[list];
            for (int position = 0; position < hits.Count; position++)
            {
                fused.Add(hits[position].Node, weight <= 0 ? 0f : 1f / (((position + 1) / weight) + k - 1));
            }
        }

        return fused.BestFirst();
    }

    /// <summary>
    /// Distribution-based score fusion: each list's scores are mapped so that its mean − 3σ becomes 0 and its mean + 3σ
    /// becomes 1 (σ the sample standard deviation; not clamped; a list of one hit, or of equal scores, maps to 0.5),
    /// then summed per hit. Scores are raw (higher is better), so distances are fused the right way round.
    /// </summary>
    public static List<Hit> Dbsf(IReadOnlyList<IReadOnlyList<Hit>> lists)
    {
        var fused = new Accumulator();
        foreach (var hits in lists)
        {
            if (hits.Count == 0)
            {
                continue;
            }

            var (low, high) = ThreeSigmaRange(hits);
            foreach (var hit in hits)
            {
                fused.Add(hit.Node, low == high ? 0.5f : (hit.Score - low) / (high - low));
            }
        }

        return fused.BestFirst();
    }

    /// <summary>Mean ∓ 3 sample standard deviations of the hits' scores (Welford's method); equal bounds for one hit.</summary>
    private static (float Low, float High) ThreeSigmaRange(IReadOnlyList<Hit> hits)
    {
        if (hits.Count == 1)
        {
            return (hits[0].Score, hits[0].Score);
        }

        double mean = 0, squares = 0;
        for (int i = 0; i < hits.Count; i++)
        {
            double delta = hits[i].Score - mean;
            mean += delta / (i + 1);
            squares += delta * (hits[i].Score - mean);
        }

        double spread = 3 * Math.Sqrt(squares / (hits.Count - 1));
        return ((float)(mean - spread), (float)(mean + spread));
    }

    /// <summary>Sums scores per node, remembering the order nodes were first seen in for ties.</summary>
    private sealed class Accumulator
    {
        private readonly Dictionary<int, int> _slots = [];
        private readonly List<Hit> _hits = [];

        public void Add(int node, float score)
        {
            if (_slots.TryGetValue(node, out int slot))
            {
                _hits[slot] = _hits[slot] with { Score = _hits[slot].Score + score };
            }
            else
            {
                _slots[node] = _hits.Count;
                _hits.Add(new Hit(node, score));
            }
        }

        public List<Hit> BestFirst()
        {
            var order = Enumerable.Range(0, _hits.Count).ToArray();
            Array.Sort(order, (a, b) => _hits[a].Score != _hits[b].Score ? _hits[b].Score.CompareTo(_hits[a].Score) : a.CompareTo(b));
            return [.. order.Select(i => _hits[i])];
        }
    }
}
