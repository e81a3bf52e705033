using VectorDb.Datasets;
using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

public sealed class LinkLayerTests
{
    private const int Points = 6000;
    private const int Class = 0; // T-shirt/top: close to shirts and pullovers, so some of its images lie among theirs

    /// <summary>
    /// Fashion-MNIST's real labels: one class's points linked among themselves on a link layer, searched from
    /// images of the other classes, must give that class's exact nearest points (docs/planner.md measures it against
    /// a filtered walk of the whole graph on all 60,000 points, where the difference shows).
    /// </summary>
    [Fact]
    public void A_link_layer_walk_finds_a_class_nearest_points_to_queries_from_other_classes()
    {
        var (rows, labels, queries, queryLabels) = LabelledFashionMnist();
        using var index = new HnswIndex(rows.Dimensions, DistanceMetric.Euclid, new HnswParameters { M = 16, EfConstruction = 100 });

        // Half the points go in before the layer exists and half after, so it must start empty and grow with the graph.
        int layer = -1;
        for (int row = 0; row < Points; row++)
        {
            layer = row == Points / 2 ? index.AddLinkLayer() : layer;
            Assert.Equal(row, index.Add(rows[row]));
        }

        var members = new LabelIs(labels, Class);
        int[] anchors = [.. Enumerable.Range(0, Points).Where(node => labels[node] == Class).Take(8)];
        for (int node = 0; node < Points; node++)
        {
            if (labels[node] == Class)
            {
                Assert.True(LinkAmong(index, layer, node, members, anchors));
            }
        }

        Assert.False(index.LinkInLayer(layer, Points, anchors, members)); // no such node

        double linked = 0;
        int asked = 0;
        var exact = new Neighbor[10];
        var found = new Neighbor[10];
        for (int q = 0; q < queries.Count; q++)
        {
            if (queryLabels[q] == Class)
            {
                continue;
            }

            asked++;
            Assert.Equal(10, index.ExactSearch(queries[q], 10, exact, members));
            int[] truth = [.. exact.Select(n => n.Id)];
            int n = index.SearchLinkLayer(layer, queries[q], 10, 32, found, members, anchors);
            Assert.Equal(10, n);
            Assert.All(found, hit => Assert.Equal(Class, labels[hit.Id]));
            Assert.True(found.Zip(found.Skip(1)).All(pair => pair.First.Distance <= pair.Second.Distance));
            linked += Recall.AtK(found, truth, 10);
        }

        Assert.InRange(linked / asked, 0.95, 1);

        // A removed layer is searched as empty; its handle is handed out again, and the new layer starts with no
        // links: a walk of it computes distances only to its footholds (the two seeds, and the entry and its
        // neighbors that match).
        var linkedWork = new SearchStatistics();
        index.SearchLinkLayer(layer, queries[1], 10, 32, found, members, anchors.AsSpan(0, 2), linkedWork);
        index.RemoveLinkLayer(layer);
        Assert.Equal(0, index.SearchLinkLayer(layer, queries[1], 10, 32, found, members, anchors)); // a query planned before the removal
        Assert.Throws<ArgumentOutOfRangeException>(() => index.LinkInLayer(layer, 0, anchors, members));
        Assert.Equal(layer, index.AddLinkLayer());
        var freshWork = new SearchStatistics();
        index.SearchLinkLayer(layer, queries[1], 10, 32, found, members, anchors.AsSpan(0, 2), freshWork);
        Assert.InRange(freshWork.NodesVisited, 1, 2 + 1 + 32);
        Assert.True(freshWork.DistanceComputations < linkedWork.DistanceComputations / 2, $"{freshWork.DistanceComputations} vs {linkedWork.DistanceComputations}");
    }

    /// <summary>
    /// "Any class but the query's own": its matches lie away from the query, beyond its own class's points. With every
    /// class linked among itself on a link layer, a two-hop walk also takes each match's own-class links, which lead
    /// only to matches, and finds more of the true nearest for the same beam. The graph is built one point at a time,
    /// so both walks see the same graph on every run.
    /// </summary>
    [Fact]
    public void A_two_hop_walk_excluding_a_value_also_follows_the_other_values_links()
    {
        var (rows, labels, queries, queryLabels) = LabelledFashionMnist();
        var (index, layer) = GraphWithLinkLayer(rows);
        using var disposing = index;
        var firstOfClass = Enumerable.Range(0, 10).Select(c => Enumerable.Range(0, Points).Where(node => labels[node] == c).Take(8).ToArray()).ToArray();
        for (int node = 0; node < Points; node++)
        {
            Assert.True(LinkAmong(index, layer, node, new LabelIs(labels, labels[node]), firstOfClass[labels[node]]));
        }

        var (withLinks, without) = ExcludingEachQuerysClass(index, labels, queries, queryLabels, valueLinks: layer, borderLinks: -1);

        Assert.True(withLinks.Recall > without.Recall + 0.005, $"recall {withLinks.Recall:F3} with the links, {without.Recall:F3} without");
        Assert.InRange(withLinks.Recall, 0.95, 1);
    }

    /// <summary>
    /// "Any class but the query's own" again, now with border links: each point linked to the nearest points of other
    /// classes. A two-hop walk looks through the query's own class along them instead of along graph links, which lead
    /// mostly to more of its class, and finds more of the true nearest with fewer distances.
    /// </summary>
    [Fact]
    public void Border_links_lead_a_two_hop_walk_out_of_the_excluded_class()
    {
        var (rows, labels, queries, queryLabels) = LabelledFashionMnist();
        var (index, layer) = GraphWithLinkLayer(rows);
        using var disposing = index;
        for (int node = 0; node < Points; node++)
        {
            Assert.True(index.LinkInLayerAcross(layer, node, new LabelIsNot(labels, labels[node]), ef: 32, membersShare: 0.9));
        }

        Assert.False(index.LinkInLayerAcross(layer, Points, new LabelIsNot(labels, 0), ef: 32, membersShare: 0.9)); // no such node
        Assert.Throws<ArgumentOutOfRangeException>(() => index.LinkInLayerAcross(layer, 0, new LabelIsNot(labels, 0), ef: 0, membersShare: 0.9));
        var linked = new int[2 * 16];
        for (int node = 0; node < Points; node++)
        {
            int count = index.CopyLayerNeighbors(layer, node, linked);
            Assert.InRange(count, 1, linked.Length);
            Assert.All(linked[..count], other => Assert.NotEqual(labels[node], labels[other]));
        }

        var (withBorders, without) = ExcludingEachQuerysClass(index, labels, queries, queryLabels, valueLinks: -1, borderLinks: layer);

        string measured = $"recall {withBorders.Recall:F3} with border links, {without.Recall:F3} without; distances {withBorders.Distances} / {without.Distances}";
        Assert.True(withBorders.Recall > without.Recall + 0.005, measured);
        Assert.True(withBorders.Distances < without.Distances, measured);
        Assert.InRange(withBorders.Recall, 0.95, 1);
    }

    /// <summary>A graph of the rows, added one at a time (the same graph on every run), with an empty link layer.</summary>
    private static (HnswIndex Index, int Layer) GraphWithLinkLayer(VectorSet rows)
    {
        var index = new HnswIndex(rows.Dimensions, DistanceMetric.Euclid, new HnswParameters { M = 16, EfConstruction = 100 });
        int layer = index.AddLinkLayer();
        for (int row = 0; row < rows.Count; row++)
        {
            index.Add(rows[row]);
        }

        return (index, layer);
    }

    /// <summary>
    /// Mean recall@10 and distances of two-hop walks (ef 10) for "any class but the query's", with the given link layers
    /// and without; every hit checked against the filter.
    /// </summary>
    private static ((double Recall, long Distances) With, (double Recall, long Distances) Without) ExcludingEachQuerysClass(
        HnswIndex index, byte[] labels, VectorSet queries, byte[] queryLabels, int valueLinks, int borderLinks)
    {
        double with = 0, without = 0;
        var withWork = new SearchStatistics();
        var withoutWork = new SearchStatistics();
        var exact = new Neighbor[10];
        var found = new Neighbor[10];
        for (int q = 0; q < queries.Count; q++)
        {
            var others = new LabelIsNot(labels, queryLabels[q]);
            index.ExactSearch(queries[q], 10, exact, others);
            int[] truth = [.. exact.Select(n => n.Id)];

            Assert.Equal(10, index.Search(queries[q], 10, 10, found, others, new WalkOptions { TwoHop = true, AcceptedShare = 0.9, FollowLayer = valueLinks >= 0 ? valueLinks : null, LookThroughLayer = borderLinks >= 0 ? borderLinks : null }, withWork));
            Assert.All(found, hit => Assert.NotEqual(queryLabels[q], labels[hit.Id]));
            with += Recall.AtK(found, truth, 10);

            index.Search(queries[q], 10, 10, found, others, new WalkOptions { TwoHop = true, AcceptedShare = 0.9 }, withoutWork);
            without += Recall.AtK(found, truth, 10);
        }

        return ((with / queries.Count, withWork.DistanceComputations), (without / queries.Count, withoutWork.DistanceComputations));
    }

    private static (VectorSet Rows, byte[] Labels, VectorSet Queries, byte[] QueryLabels) LabelledFashionMnist() =>
        (TestData.FashionMnistBase(Points), DatasetReader.ReadIdxLabels(TestData.FashionMnist("train-labels-idx1-ubyte.gz"), Points),
         TestData.FashionMnistQueries(200), DatasetReader.ReadIdxLabels(TestData.FashionMnist("t10k-labels-idx1-ubyte.gz"), 200));

    /// <summary>Links a node on the layer among <paramref name="members"/>, starting from its graph neighbors that are members and from the anchors.</summary>
    /// <summary>Links a member on a layer from its graph neighbours that are members, and the anchors.</summary>
    internal static bool LinkAmong<TFilter>(HnswIndex index, int layer, int node, TFilter members, int[] anchors)
        where TFilter : struct, INodeFilter
    {
        Span<int> entries = stackalloc int[64];
        int near = 0;
        int count = index.CopyNeighbors(node, entries);
        for (int i = 0; i < count; i++)
        {
            if (members.Accept(entries[i]))
            {
                entries[near++] = entries[i];
            }
        }

        anchors.CopyTo(entries[near..]);
        return index.LinkInLayer(layer, node, entries[..(near + anchors.Length)], members);
    }

    private readonly struct LabelIs(byte[] labels, int label) : INodeFilter
    {
        public bool Accept(int id) => (uint)id < (uint)labels.Length && labels[id] == label;
    }

    private readonly struct LabelIsNot(byte[] labels, int label) : INodeFilter
    {
        public bool Accept(int id) => (uint)id < (uint)labels.Length && labels[id] != label;
    }
}
