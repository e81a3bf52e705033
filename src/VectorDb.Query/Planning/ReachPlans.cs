using VectorDb.Hnsw;
using VectorDb.Query.Reach;

namespace VectorDb.Query.Planning;

/// <summary>A search of the graph a tenant index keeps for the one value the filter requires.</summary>
internal sealed class TenantGraphPlan(ValueGraph tenant, Func<string> reason, double? cost) : SearchPlan(SearchStrategy.TenantGraph, reason, cost)
{
    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics)
    {
        int found;
        try
        {
            found = tenant.Graph.Search(input.Query, input.K, input.Ef, results, new TenantFilter(tenant, input.Graph, input.Predicate), statistics);
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

    /// <summary>
    /// Admits the nodes of a value graph whose collection node is live — not deleted, and published: a batch being
    /// upserted is in the value graph before the collection shows it — and matches the whole filter.
    /// </summary>
    private readonly struct TenantFilter(ValueGraph tenant, HnswIndex collectionGraph, NodePredicate predicate) : INodeFilter
    {
        public bool Accept(int id)
        {
            int node = tenant.CollectionNode(id);
            return collectionGraph.IsLive(node) && predicate.Matches(node);
        }
    }
}

/// <summary>A walk of the links a keyword index keeps among the points of the one value the filter requires.</summary>
internal sealed class ValueLinksPlan(ValueLinks links, Func<string> reason, double? cost) : SearchPlan(SearchStrategy.ValueLinks, reason, cost)
{
    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics)
    {
        var predicate = input.Predicate;
        return predicate.AsColumnFilter() is { } column
            ? input.Graph.SearchLinkLayer(links.Layer, input.Query, input.K, input.Ef, results, column, links.Anchors, statistics)
            : input.Graph.SearchLinkLayer(links.Layer, input.Query, input.K, input.Ef, results, new PredicateFilter(predicate), links.Anchors, statistics);
    }

    public override SearchPlan OnPrefix(PrefixSearch prefix, HnswIndex graph, int k) =>
        new PrefixValueLinksPlan(links, () => $"{Reason}; {prefix.Describe(k, graph.Dimensions)}", CostMicroseconds, prefix);
}

/// <summary>A walk of a value's links on a prefix, its shortlist of matches rescored with the whole vector.</summary>
internal sealed class PrefixValueLinksPlan(ValueLinks links, Func<string> reason, double? cost, PrefixSearch prefix) : SearchPlan(SearchStrategy.ValueLinks, reason, cost)
{
    public override int? SearchDimensions => prefix.Dimensions;

    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics)
    {
        var predicate = input.Predicate;
        int shortlist = prefix.Shortlist(input.K);
        return predicate.AsColumnFilter() is { } column
            ? input.Graph.SearchLinkLayerAdaptive(links.Layer, input.Query, input.K, input.Ef, prefix.Dimensions, shortlist, results, column, links.Anchors, statistics)
            : input.Graph.SearchLinkLayerAdaptive(links.Layer, input.Query, input.K, input.Ef, prefix.Dimensions, shortlist, results, new PredicateFilter(predicate), links.Anchors, statistics);
    }
}
