using System.Buffers;
using System.Runtime.InteropServices;
using VectorDb.Hnsw;
using VectorDb.PayloadIndexing;

namespace VectorDb.Query;

/// <summary>Runs a filtered search the way <see cref="QueryPlanner"/> chose, and completes it with an exact
/// scan when a graph strategy found fewer than k matches, so the result always has min(k, matches) hits.</summary>
internal static class FilteredSearch
{
    private const int MaxSeeds = 16;

    // Above this share matches are all over the graph and a walk meets them without footholds; drawing the sample
    // the seeds come from cost ~5 % of such a query (fashion-mnist, label ≠ own).
    private const double MaxSeededShare = 0.25;

    public static int Run(
        HnswIndex index,
        QueryPlanner planner,
        ReadOnlySpan<float> query,
        int k,
        int ef,
        NodePredicate predicate,
        IPointSource source,
        SearchStrategy? forced,
        Span<Neighbor> results,
        out SearchExplain explain,
        CancellationToken cancellation = default)
    {
        var context = new EstimationContext(source);
        var estimate = predicate.Estimate(context);
        bool listable = predicate.CanList;
        var tenant = predicate.Tenant;
        var links = predicate.Links;
        var (strategy, reason, costs) = planner.Choose(estimate, context.Total, predicate, listable, k, ef, tenant?.Graph.Count ?? 0, links is null ? 0 : LinkedPoints(links));
        var statistics = new SearchStatistics();
        Neighbor? entry = null;
        if (forced is null && QueryPlanner.NeedsNeighbourhood(strategy, costs, estimate, context.Total))
        {
            if (predicate.BorderLinkLayer >= 0)
            {
                (strategy, reason) = QueryPlanner.ChooseBorderTraversal(estimate, context.Total);
            }
            else
            {
                double around = index.NeighbourhoodShare(query, new PredicateFilter(predicate), statistics, out entry);
                (strategy, reason) = QueryPlanner.ChooseTraversal(around, estimate, context.Total);
            }
        }

        if (forced is { } chosen && chosen != strategy)
        {
            (strategy, reason) = (chosen, "forced by the query");
        }

        if (strategy == SearchStrategy.TwoHopGraph && predicate.ValueLinkLayer >= 0)
        {
            reason += "; each match also leads on through the links among its value's points";
        }

        if (strategy == SearchStrategy.TwoHopGraph && predicate.BorderLinkLayer >= 0 && !reason.Contains(QueryPlanner.BorderLinksReason, StringComparison.Ordinal))
        {
            reason += "; " + QueryPlanner.BorderLinksReason;
        }

        double share = context.Total == 0 ? 0 : estimate.Expected / (double)context.Total;
        int? matches = null;
        SearchStrategy? fallbackFrom = null;
        int found = strategy switch
        {
            SearchStrategy.NoMatches => 0,
            SearchStrategy.ExactScan => Exact(index, query, k, predicate, results, statistics, out matches, cancellation),
            SearchStrategy.FilteredGraph => Traverse(index, query, k, ef, predicate, twoHop: false, Seeds(context, predicate, estimate), share, entry, results, statistics),
            SearchStrategy.TwoHopGraph => Traverse(index, query, k, ef, predicate, twoHop: true, Seeds(context, predicate, estimate), share, entry, results, statistics),
            SearchStrategy.PostFilter => PostFilter(index, query, k, ef, predicate, estimate, context.Total, results, statistics),
            SearchStrategy.TenantGraph => tenant is not null
                ? TenantSearch(tenant, index, query, k, ef, predicate, results, statistics)
                : throw new InvalidRequestException("Strategy TenantGraph needs a filter requiring one value of a tenant index that has a graph of its own (1,000 points or more)."),
            SearchStrategy.ValueLinks => links is not null
                ? WalkLinks(links, index, query, k, ef, predicate, links.Anchors, results, statistics)
                : throw new InvalidRequestException($"Strategy ValueLinks needs a filter requiring one value of a keyword index held by {KeywordFieldIndex.MinTenantPoints:N0} points or more."),
            _ => throw new InvalidRequestException($"Strategy {strategy} does not apply to a filtered search."),
        };

        cancellation.ThrowIfCancellationRequested();
        if (found < k && strategy is SearchStrategy.FilteredGraph or SearchStrategy.TwoHopGraph or SearchStrategy.PostFilter or SearchStrategy.TenantGraph or SearchStrategy.ValueLinks)
        {
            fallbackFrom = strategy;
            strategy = SearchStrategy.ExactScan;
            found = Exact(index, query, k, predicate, results, statistics, out matches, cancellation);
        }

        explain = new SearchExplain(strategy, reason, estimate, matches, costs, statistics.DistanceComputations, statistics.NodesVisited, fallbackFrom, Math.Max(ef, k));
        return found;
    }

    /// <summary>
    /// Up to <see cref="MaxSeeds"/> matches from the estimation sample, spread over the collection: footholds
    /// for a graph search whose query lies far from every match; none for a filter matching a large share.
    /// </summary>
    private static int[] Seeds(EstimationContext context, NodePredicate predicate, Cardinality estimate) =>
        estimate.Expected > MaxSeededShare * context.Total ? [] : [.. context.Sample.Where(predicate.Matches).Take(MaxSeeds)];

    /// <summary>A graph walk checking the filter inline from a field index's column when it is one condition, else through the predicate.</summary>
    private static int Traverse(
        HnswIndex index, ReadOnlySpan<float> query, int k, int ef, NodePredicate predicate, bool twoHop, int[] seeds, double share, Neighbor? entry, Span<Neighbor> results,
        SearchStatistics statistics) =>
        predicate.AsColumnFilter() is { } column
            ? index.Search(query, k, ef, results, column, twoHop, statistics, seeds, share, entry, predicate.ValueLinkLayer, predicate.BorderLinkLayer)
            : index.Search(query, k, ef, results, new PredicateFilter(predicate), twoHop, statistics, seeds, share, entry, predicate.ValueLinkLayer, predicate.BorderLinkLayer);

    private static int LinkedPoints(ValueLinks links) => links.Members is IndexedPredicate { Count: var count } ? count : 0;

    /// <summary>A walk of the value's links, checking the whole filter inline when it is one condition.</summary>
    private static int WalkLinks(
        ValueLinks links, HnswIndex index, ReadOnlySpan<float> query, int k, int ef, NodePredicate predicate, int[] seeds, Span<Neighbor> results, SearchStatistics statistics) =>
        predicate.AsColumnFilter() is { } column
            ? index.SearchLinkLayer(links.Layer, query, k, ef, results, column, seeds, statistics)
            : index.SearchLinkLayer(links.Layer, query, k, ef, results, new PredicateFilter(predicate), seeds, statistics);

    private static int Exact(
        HnswIndex index, ReadOnlySpan<float> query, int k, NodePredicate predicate, Span<Neighbor> results, SearchStatistics statistics, out int? matches,
        CancellationToken cancellation)
    {
        var listed = new List<int>();
        if (!predicate.TryListMatches(index.AllocatedCount, listed))
        {
            matches = null;
            return index.ExactSearch(query, k, results, new PredicateFilter(predicate), statistics, cancellation);
        }

        matches = listed.Count;
        return index.ExactSearch(query, k, results, CollectionsMarshal.AsSpan(listed), statistics, cancellation);
    }

    /// <summary>Searches the value's own graph, admitting its nodes that are live in the collection and match the whole filter.</summary>
    private static int TenantSearch(
        ValueGraph tenant, HnswIndex index, ReadOnlySpan<float> query, int k, int ef, NodePredicate predicate, Span<Neighbor> results, SearchStatistics statistics)
    {
        int found;
        try
        {
            found = tenant.Graph.Search(query, k, ef, results, new TenantFilter(tenant, index, predicate), twoHop: false, statistics);
        }
        catch (ObjectDisposedException)
        {
            return 0; // the index was dropped or replaced meanwhile: the exact scan answers
        }

        for (int i = 0; i < found; i++)
        {
            results[i] = results[i] with { Id = tenant.CollectionNode(results[i].Id) };
        }

        return found;
    }

    private static int PostFilter(
        HnswIndex index, ReadOnlySpan<float> query, int k, int ef, NodePredicate predicate, Cardinality estimate, int total,
        Span<Neighbor> results, SearchStatistics statistics)
    {
        double share = Math.Max(estimate.Min, 1) / (double)total;
        int oversampled = (int)Math.Min(total, Math.Ceiling((k / share * 1.2) + 2));
        var buffer = ArrayPool<Neighbor>.Shared.Rent(oversampled);
        try
        {
            int found = index.Search(query, oversampled, (int)Math.Ceiling(Math.Max(ef, k) / share), buffer, default(AcceptAll), twoHop: false, statistics);
            int kept = 0;
            for (int i = 0; i < found && kept < k; i++)
            {
                if (predicate.Matches(buffer[i].Id))
                {
                    results[kept++] = buffer[i];
                }
            }

            return kept;
        }
        finally
        {
            ArrayPool<Neighbor>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// Admits the nodes of a value graph whose collection node is live — not deleted, and published: a batch being
/// upserted is in the value graph before the collection shows it — and matches the whole filter.
/// </summary>
internal readonly struct TenantFilter(ValueGraph tenant, HnswIndex collectionGraph, NodePredicate predicate) : INodeFilter
{
    public bool Accept(int id)
    {
        int node = tenant.CollectionNode(id);
        return collectionGraph.IsLive(node) && predicate.Matches(node);
    }
}

/// <summary>Admits the nodes a compiled filter matches.</summary>
internal readonly struct PredicateFilter(NodePredicate predicate) : INodeFilter
{
    public bool Accept(int id) => predicate.Matches(id);
}
