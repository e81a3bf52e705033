using VectorDb.PayloadIndexing;

namespace VectorDb.Query;

/// <summary>
/// A filter compiled for one query: decides per graph node, estimates its cardinality, and, where an index
/// allows, lists its candidates without looking at every point. Built by <see cref="FilterCompiler"/>.
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

    /// <summary>A graph of only points this filter requires (a tenant index's value), ready to search, or null.</summary>
    public virtual ValueGraph? Tenant => null;

    /// <summary>Links among only points this filter requires (a keyword index's value), ready to search, or null.</summary>
    public virtual ValueLinks? Links => null;

    /// <summary>
    /// The link layer of a keyword index whose values this filter requires or excludes (<c>label ∈ {1, 2}</c>,
    /// <c>label ≠ 3</c>): it links each point to points of its own value, so from a match it leads to matches (bar points
    /// holding several values). −1 for none.
    /// </summary>
    public virtual int ValueLinkLayer => -1;

    /// <summary>
    /// The border link layer of a keyword index whose values this filter excludes, and nothing else (<c>label ≠ 3</c>, <c>label ∉ {1, 2}</c>):
    /// it links each point to the nearest points holding none of its values, so from a point the filter rejects for its
    /// value it leads to points it accepts. −1 for none.
    /// </summary>
    public virtual int BorderLinkLayer => -1;

    /// <summary>What <see cref="BorderLinkLayer"/> would be for this filter's negation: a filter requiring values (<c>label = 3</c>), negated, excludes them.</summary>
    public virtual int ComplementBorderLinkLayer => -1;

    /// <summary>The layer all of <paramref name="layers"/> name, or −1 when they differ or name none.</summary>
    protected static int SameLayer(IEnumerable<int> layers) => layers.Distinct().ToList() is [var layer] ? layer : -1;

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

    private int[] DrawSample()
    {
        int bound = Source.NodeBound;
        var nodes = new List<int>(Math.Min(Total, 2 * SampleSize));
        double stride = Total <= 2 * SampleSize ? 1 : (double)bound / SampleSize;
        for (double position = 0; position < bound; position += stride)
        {
            int node = (int)position;
            if (Source.TryGetPoint(node, out _, out _))
            {
                nodes.Add(node);
            }
        }

        if (stride == 1 && nodes.Count != Total)
        {
            // Points came or went while sampling; a count on this sample is an estimate, not exact.
            return [.. nodes.Take(Math.Max(0, Math.Min(nodes.Count, Total - 1)))];
        }

        return [.. nodes];
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
internal sealed class PayloadPredicate(Condition condition, IPointSource source) : NodePredicate
{
    public override int Cost => 100;

    public override bool Matches(int node) => source.TryGetPoint(node, out var id, out var payload) && condition.Matches(id, payload);

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

    public override ValueGraph? Tenant => _parts.Select(p => p.Tenant).FirstOrDefault(graph => graph is not null);

    public override ValueLinks? Links => _parts.Select(p => p.Links).FirstOrDefault(links => links is not null);

    // A match of the AND matches each part, and a part's value links lead to that part's matches.
    public override int ValueLinkLayer => _parts.Select(p => p.ValueLinkLayer).FirstOrDefault(layer => layer >= 0, -1);

    // Only when every part excludes values of the same field: a node rejected by another condition is better looked
    // through along its graph links, which lead to nodes of any value.
    public override int BorderLinkLayer => SameLayer(_parts.Select(p => p.BorderLinkLayer));

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

    // Negated, the OR is the AND of its parts negated (see AllOfPredicate.BorderLinkLayer).
    public override int ComplementBorderLinkLayer => SameLayer(_parts.Select(p => p.ComplementBorderLinkLayer));

    public override bool CanList => _parts.All(p => p.CanList);

    public override bool MarksExactly => _parts.All(p => p.MarksExactly);

    public override bool TryMarkCandidates(NodeBitmap candidates)
    {
        // A part that cannot list makes the caller scan every point, so what the others marked does not matter.
        return _parts.All(part => part.TryMarkCandidates(candidates));
    }
}

/// <summary>None of its part's matches.</summary>
internal sealed class NotPredicate(NodePredicate part) : NodePredicate
{
    public override int Cost => part.Cost;

    public override bool Matches(int node) => !part.Matches(node);

    public override ColumnFilter? AsColumnFilter() => part.AsColumnFilter()?.Negate(this);

    // Excluding values is choosing the others; the complement of an AND or OR is not such a choice.
    public override int ValueLinkLayer => part is AllOfPredicate or AnyOfPredicate ? -1 : part.ValueLinkLayer;

    public override int BorderLinkLayer => part.ComplementBorderLinkLayer;

    public override int ComplementBorderLinkLayer => part.BorderLinkLayer;

    public override Cardinality Estimate(EstimationContext context) => part.Estimate(context).Complement(context.Total);
}
