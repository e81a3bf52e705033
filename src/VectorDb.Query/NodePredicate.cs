using VectorDb.Query.Reach;

namespace VectorDb.Query;

/// <summary>
/// A filter compiled for one query: decides per graph node, estimates its cardinality, and, where an index
/// allows, lists its candidates without looking at every point. Built by <c>PayloadIndexing.FilterCompiler</c>.
/// </summary>
internal abstract class NodePredicate
{
    /// <summary>Relative cost of one <see cref="Matches"/> call; children of an AND are checked cheapest first.</summary>
    public virtual int Cost => 1;

    /// <summary>True when the point on <paramref name="node"/> satisfies the filter (liveness is checked elsewhere).</summary>
    public abstract bool Matches(int node);

    /// <summary>How many live points match.</summary>
    public abstract Cardinality Estimate(EstimationContext context);

    /// <summary>True when <see cref="TryMarkCandidates"/> can list without a scan of every point.</summary>
    public virtual bool CanList => false;

    /// <summary>What payload-aware reach offers this filter (a tenant's graph, a value's links, extra link layers).</summary>
    public virtual FilterReach Reach => FilterReach.None;

    /// <summary>This condition as an inline check of one field index's column, when it is one (see <see cref="ColumnFilter"/>); else null.</summary>
    public virtual ColumnFilter? AsColumnFilter() => null;

    /// <summary>Adds a superset of the matching nodes to <paramref name="candidates"/> and returns true, or returns
    /// false when only a scan of every point can find them.</summary>
    public virtual bool TryMarkCandidates(NodeBitmap candidates) => false;

    /// <summary>True when <see cref="TryMarkCandidates"/> marks exactly the matching nodes, so they need no check.</summary>
    public virtual bool MarksExactly => false;

    /// <summary>
    /// Appends the matching nodes in ascending order, listed from the indexes, and returns true; or returns false
    /// (appending nothing) when only a scan of every point can find them. Liveness is the caller's to check.
    /// </summary>
    public bool TryListMatches(int nodeBound, List<int> matches)
    {
        if (!CanList)
        {
            return false;
        }

        var candidates = NodeBitmap.Rent(nodeBound);
        int start = matches.Count;
        try
        {
            if (!TryMarkCandidates(candidates))
            {
                return false;
            }

            candidates.AppendTo(matches);
        }
        finally
        {
            NodeBitmap.Return(candidates);
        }

        if (MarksExactly)
        {
            return true;
        }

        int kept = start;
        for (int i = start; i < matches.Count; i++)
        {
            if (Matches(matches[i]))
            {
                matches[kept++] = matches[i];
            }
        }

        matches.RemoveRange(kept, matches.Count - kept);
        return true;
    }
}

/// <summary>State shared by the estimates of one filter: the population and a sample of it.</summary>
internal sealed class EstimationContext(IPointSource source)
{
    /// <summary>Points evaluated when a condition has no index to count it.</summary>
    public const int SampleSize = 512;

    private int[]? _sample;

    public IPointSource Source { get; } = source;

    public int Total { get; } = source.LiveCount;

    /// <summary>
    /// Live nodes to evaluate unindexed conditions on: all of them in a small collection, else an evenly
    /// strided sample (node order is insertion order, which is as good as random for payloads).
    /// </summary>
    public int[] Sample => _sample ??= DrawSample();

    /// <summary>True when <see cref="Sample"/> is the whole population, so counts on it are exact.</summary>
    public bool SampleIsComplete => Sample.Length == Total;

    /// <summary>
    /// The first <paramref name="count"/> matches of <paramref name="predicate"/> in <see cref="Sample"/>'s order,
    /// without drawing the whole sample when it was not drawn yet: a walk's footholds would otherwise cost every query
    /// a lookup of all its points.
    /// </summary>
    public int[] SampleMatches(NodePredicate predicate, int count)
    {
        if (_sample is { } drawn)
        {
            return [.. drawn.Where(predicate.Matches).Take(count)];
        }

        if (count <= 0)
        {
            return [];
        }

        // The filter before the point lookup: an index answers from a column, and only its matches are looked up.
        var matches = new List<int>(count);
        int bound = Source.NodeBound;
        double stride = Stride(bound);
        for (double position = 0; position < bound && matches.Count < count; position += stride)
        {
            int node = (int)position;
            if (predicate.Matches(node) && Source.TryGetPoint(node, out _, out _))
            {
                matches.Add(node);
            }
        }

        return [.. matches];
    }

    /// <summary>Whether <see cref="Sample"/> takes every live node: in a small collection.</summary>
    private bool SamplesEveryNode => Total <= 2 * SampleSize;

    /// <summary>The step between sampled node ids below <paramref name="bound"/>: 1 in a small collection.</summary>
    private double Stride(int bound) => SamplesEveryNode ? 1 : (double)bound / SampleSize;

    /// <summary>Live nodes, evenly strided over the node ids (every one in a small collection).</summary>
    private IEnumerable<int> SampledNodes()
    {
        int bound = Source.NodeBound;
        double stride = Stride(bound);
        for (double position = 0; position < bound; position += stride)
        {
            int node = (int)position;
            if (Source.TryGetPoint(node, out _, out _))
            {
                yield return node;
            }
        }
    }

    private int[] DrawSample()
    {
        int[] nodes = [.. SampledNodes()];
        if (SamplesEveryNode && nodes.Length != Total)
        {
            // Points came or went while sampling; a count on this sample is an estimate, not exact.
            return nodes[..Math.Max(0, Math.Min(nodes.Length, Total - 1))];
        }

        return nodes;
    }
}

/// <summary>Matches every point (an empty filter).</summary>
internal sealed class MatchAllPredicate : NodePredicate
{
    public static MatchAllPredicate Instance { get; } = new();

    public override int Cost => 0;

    public override bool Matches(int node) => true;

    public override Cardinality Estimate(EstimationContext context) => Cardinality.Exactly(context.Total);
}

/// <summary>A condition without an index: evaluated on the stored payload; estimated on a sample.</summary>
internal sealed class PayloadPredicate(Condition condition, IPointSource source) : SampledPredicate
{
    public override int Cost => 100;

    public override bool Matches(int node) => source.TryGetPoint(node, out var id, out var payload) && condition.Matches(id, payload);
}

/// <summary>A test of the node itself (which vectors it holds), without an index; estimated on a sample.</summary>
internal sealed class NodeTestPredicate(Func<int, bool> test, IPointSource source) : SampledPredicate
{
    public override int Cost => 10;

    public override bool Matches(int node) => source.TryGetPoint(node, out _, out _) && test(node);
}

/// <summary>A predicate estimated by checking a sample of the points.</summary>
internal abstract class SampledPredicate : NodePredicate
{
    public override Cardinality Estimate(EstimationContext context)
    {
        var sample = context.Sample;
        if (sample.Length == 0)
        {
            return new Cardinality(0, 0, context.Total);
        }

        int hits = sample.Count(Matches);
        if (context.SampleIsComplete)
        {
            return Cardinality.Exactly(hits);
        }

        // Three standard errors either side of the sampled share (at least one sample's worth).
        double share = (double)hits / sample.Length;
        double margin = (3 * Math.Sqrt(share * (1 - share) / sample.Length)) + (1.0 / sample.Length);
        int total = context.Total;
        return new Cardinality(
            hits == 0 ? 0 : Math.Max(1, (int)(total * Math.Max(0, share - margin))),
            (int)Math.Round(total * share),
            hits == sample.Length ? total : (int)Math.Ceiling(total * Math.Min(1, share + margin)));
    }
}

/// <summary>The point's id is one of a set: resolved to nodes once, so counted and listed exactly.</summary>
internal sealed class NodeSetPredicate(HashSet<int> nodes) : NodePredicate
{
    public override bool Matches(int node) => nodes.Contains(node);

    public override Cardinality Estimate(EstimationContext context) => Cardinality.Exactly(nodes.Count);

    public override bool CanList => true;

    public override bool MarksExactly => true;

    public override bool TryMarkCandidates(NodeBitmap candidates)
    {
        foreach (int node in nodes)
        {
            candidates.Add(node);
        }

        return true;
    }
}

/// <summary>All of its parts.</summary>
internal sealed class AllOfPredicate(NodePredicate[] parts) : NodePredicate
{
    // Intersect postings of a part estimated to match at most this many times the smallest listed part.
    private const long IntersectMaxRatio = 16;

    private readonly NodePredicate[] _parts = [.. parts.OrderBy(p => p.Cost)];
    private Cardinality[]? _estimates;

    public override int Cost => _parts.Sum(p => p.Cost);

    public override FilterReach Reach => FilterReach.AllOf([.. _parts.Select(p => p.Reach)]);

    public override bool Matches(int node)
    {
        foreach (var part in _parts)
        {
            if (!part.Matches(node))
            {
                return false;
            }
        }

        return true;
    }

    public override Cardinality Estimate(EstimationContext context)
    {
        _estimates = [.. _parts.Select(p => p.Estimate(context))];
        return Cardinality.AllOf(_estimates, context.Total);
    }

    public override bool CanList => _parts.Any(p => p.CanList);

    /// <summary>
    /// Marks the candidates of the listable part with the fewest estimated matches, intersected with those of the
    /// other listable parts that are not much larger (marking a node costs less than checking one); the caller
    /// checks the whole predicate on what is left, so the remaining parts filter it.
    /// </summary>
    public override bool TryMarkCandidates(NodeBitmap candidates)
    {
        var listable = Enumerable.Range(0, _parts.Length)
            .Where(i => _parts[i].CanList)
            .OrderBy(i => _estimates?[i].Max ?? int.MaxValue)
            .ToList();
        if (listable.Count == 0)
        {
            return false;
        }

        // Intersecting would also drop what other parts of an enclosing OR marked: work apart, then add.
        var own = candidates.IsEmpty ? candidates : NodeBitmap.Rent(0);
        try
        {
            if (!_parts[listable[0]].TryMarkCandidates(own))
            {
                return false;
            }

            long smallest = _estimates?[listable[0]].Max ?? int.MaxValue;
            foreach (int i in listable.Skip(1).Where(i => _estimates is { } e && e[i].Max <= IntersectMaxRatio * smallest))
            {
                var other = NodeBitmap.Rent(0);
                try
                {
                    if (_parts[i].TryMarkCandidates(other))
                    {
                        own.IntersectWith(other);
                    }
                }
                finally
                {
                    NodeBitmap.Return(other);
                }
            }

            if (own != candidates)
            {
                candidates.UnionWith(own);
            }

            return true;
        }
        finally
        {
            if (own != candidates)
            {
                NodeBitmap.Return(own);
            }
        }
    }
}

/// <summary>Any of its parts.</summary>
internal sealed class AnyOfPredicate(NodePredicate[] parts) : NodePredicate
{
    private readonly NodePredicate[] _parts = [.. parts.OrderBy(p => p.Cost)];

    public override int Cost => _parts.Sum(p => p.Cost);

    public override bool Matches(int node)
    {
        foreach (var part in _parts)
        {
            if (part.Matches(node))
            {
                return true;
            }
        }

        return false;
    }

    public override Cardinality Estimate(EstimationContext context) =>
        Cardinality.AnyOf([.. _parts.Select(p => p.Estimate(context))], context.Total);

    public override FilterReach Reach => FilterReach.AnyOf([.. _parts.Select(p => p.Reach)]);

    public override bool CanList => _parts.All(p => p.CanList);

    public override bool MarksExactly => _parts.All(p => p.MarksExactly);

    public override bool TryMarkCandidates(NodeBitmap candidates)
    {
        // A part that cannot list makes the caller scan every point, so what the others marked does not matter.
        return _parts.All(part => part.TryMarkCandidates(candidates));
    }
}

/// <summary>At least <c>minCount</c> of its parts match (Qdrant's <c>min_should</c>).</summary>
internal sealed class AtLeastPredicate(NodePredicate[] parts, int minCount) : NodePredicate
{
    private readonly NodePredicate[] _parts = [.. parts.OrderBy(p => p.Cost)];

    public override int Cost => _parts.Sum(p => p.Cost);

    public override bool Matches(int node)
    {
        int matched = 0;
        for (int i = 0; i < _parts.Length; i++)
        {
            if (_parts[i].Matches(node) && ++matched >= minCount)
            {
                return true;
            }

            if (matched + (_parts.Length - i - 1) < minCount)
            {
                return false; // too few parts left to reach the count
            }
        }

        return minCount <= 0;
    }

    /// <summary>Somewhere between all parts (the fewest) and any part (the most); exact at those two ends.</summary>
    public override Cardinality Estimate(EstimationContext context)
    {
        if (minCount <= 0)
        {
            return Cardinality.Exactly(context.Total);
        }

        if (minCount > _parts.Length)
        {
            return Cardinality.Exactly(0);
        }

        var estimates = _parts.Select(p => p.Estimate(context)).ToList();
        var all = Cardinality.AllOf(estimates, context.Total);
        var any = Cardinality.AnyOf(estimates, context.Total);
        if (minCount == 1)
        {
            return any;
        }

        if (minCount == _parts.Length)
        {
            return all;
        }

        double share = (minCount - 1) / (double)(_parts.Length - 1);
        return new Cardinality(all.Min, (int)Math.Round(any.Expected + ((all.Expected - any.Expected) * share)), any.Max);
    }
}

/// <summary>None of its part's matches.</summary>
internal sealed class NotPredicate(NodePredicate part) : NodePredicate
{
    public override int Cost => part.Cost;

    public override bool Matches(int node) => !part.Matches(node);

    public override ColumnFilter? AsColumnFilter() => part.AsColumnFilter()?.Negate(this);

    public override FilterReach Reach => part.Reach.Negated(ofCombination: part is AllOfPredicate or AnyOfPredicate);

    public override Cardinality Estimate(EstimationContext context) => part.Estimate(context).Complement(context.Total);
}
