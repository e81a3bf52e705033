using VectorDb.Hnsw;

namespace VectorDb.Query.Reach;

/// <summary>
/// Links among the points of each value held by at least <see cref="IValueReach.MinPoints"/> points, on an extra link
/// layer of the collection's graph (<see cref="HnswIndex.AddLinkLayer"/>): a filter requiring a value walks them, and
/// reaches the value's points wherever they lie — a tenant graph's reach without copying vectors. From then on every
/// point holding a value is also linked to the nearest points holding none of its values, on a second layer (border
/// links): a filter excluding a value ("any label but 3") rejects whole regions of the graph, and a walk looks through
/// them along these links to the matches around them. See docs/planner.md, "Value links" and "Border links".
/// </summary>
internal sealed class LinkedValues(IIndexedValues values, HnswIndex graph) : IValueReach
{
    // A value's linking starts from these of its points (spread over those it had when linking began) as well as
    // from the linked node's own graph neighbors holding it; searches start from them too.
    private const int Anchors = 16;

    // Border links are chosen again for every point each time the points grow by this factor (QueueBorderPass): 3
    // border searches per point in all besides the one at its insert. Inserting fashion-mnist with passes at ×2 / ×1.5 /
    // ×1.25 (a beam of 32), "any label but the query's" then had recall 0.981 / 0.986 / 0.988 at ef 16 (one pass after
    // the inserts: 0.986), and the build took 37 / 53 / 59 s (docs/planner.md).
    private const double BorderPassGrowth = 1.5;

    // A border link search is a two-hop walk of this beam. Inserting fashion-mnist with its label indexed, 8 / 16 / 32
    // gave "any label but the query's" recall 0.985 / 0.989 / 0.988 at ef 16, and builds of 32 / 35 / 49 s (docs/planner.md).
    private const int BorderSearchEf = 16;

    private readonly Lock _lock = new();
    private readonly ReachBuilder _builder = new();
    private ValueLinks?[] _links = []; // by value id, copied on write: set once the value's points are being linked
    private int _linkLayer = -1; // added when a value first has enough points: an index of ids or tags may never need it
    private int _borderLayer = -1; // added with _linkLayer
    private int _borderPassPoints = int.MaxValue / 2; // points when the last border pass was queued (QueueBorderPass)

    public bool Building => _builder.Building;

    public bool HasStateToSave
    {
        get
        {
            lock (_lock)
            {
                return !Building && _linkLayer >= 0;
            }
        }
    }

    public void Add(int node)
    {
        if (values.ValuesOf(node) is not { } held)
        {
            return;
        }

        foreach (int id in held)
        {
            var all = Volatile.Read(ref _links);
            if (id < all.Length && all[id] is { } links)
            {
                Link(links, node);
            }
            else if (values.PointsOf(id) >= IValueReach.MinPoints)
            {
                // Linking the value's 1,000 points inside this write would stall it; they are linked in the
                // background (this node among them), and its filters take the other strategies until then.
                _builder.QueueValue(id, (value, cancel) => LinksFor(value, cancel) is not null);
            }
        }

        if (Volatile.Read(ref _borderLayer) >= 0)
        {
            LinkBorder(node);
            QueueBorderPass(grown: true);
        }
    }

    /// <summary>Nothing to do: a removed node keeps its links, which walks pass through (as through graph tombstones) until a full block prunes them.</summary>
    public void Remove(int node)
    {
    }

    public void BuildAll()
    {
        for (int id = 0; id < values.ValueCount; id++)
        {
            if (values.PointsOf(id) >= IValueReach.MinPoints)
            {
                _builder.QueueValue(id, (value, cancel) => LinksFor(value, cancel) is not null);
            }
        }
    }

    public void WaitUntilBuilt() => _builder.Wait();

    public FilterReach For(int[] ids, bool excluding)
    {
        int layer = Volatile.Read(ref _linkLayer);
        int border = Volatile.Read(ref _borderLayer);
        var all = Volatile.Read(ref _links);
        return new FilterReach(
            Links: !excluding && ids.Length == 1 && ids[0] < all.Length && all[ids[0]] is { Ready: true } linked ? linked : null,
            FollowLayer: layer >= 0 ? layer : null,
            LookThroughLayer: excluding && border >= 0 ? border : null,
            ComplementLookThroughLayer: !excluding && border >= 0 ? border : null);
    }

    /// <summary>Writes the link layer, the border link layer, then each linked value with its anchors.</summary>
    public void Write(Stream stream)
    {
        lock (_lock)
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(ReachFile.ValueLinks);
            graph.WriteLinkLayer(_linkLayer, stream);
            graph.WriteLinkLayer(_borderLayer, stream);
            var linked = Volatile.Read(ref _links).Select((links, id) => (links, id)).Where(entry => entry.links is { Ready: true }).ToList();
            writer.Write(linked.Count);
            foreach (var (links, id) in linked)
            {
                writer.Write(values.ValueOf(id));
                writer.Write(links!.Anchors.Length);
                foreach (int anchor in links.Anchors)
                {
                    writer.Write(anchor);
                }
            }
        }
    }

    public void Restore(Stream stream) => ReachFile.Read(values.Key, () => RestoreFrom(stream));

    private void RestoreFrom(Stream stream)
    {
        lock (_lock)
        {
            using var reader = ReachFile.Open(stream, values.Key, ReachFile.ValueLinks);
            int layer = graph.ReadLinkLayer(stream);
            int borderLayer = -1;
            var restored = new List<(int Id, int[] Anchors)>();
            try
            {
                borderLayer = graph.ReadLinkLayer(stream);
                int count = reader.ReadInt32();
                for (int i = 0; i < count; i++)
                {
                    string value = reader.ReadString();
                    int[] anchors = new int[reader.ReadInt32()];
                    for (int a = 0; a < anchors.Length; a++)
                    {
                        anchors[a] = reader.ReadInt32();
                        if ((uint)anchors[a] >= (uint)graph.AllocatedCount)
                        {
                            throw new InvalidDataException($"A value link anchor names node {anchors[a]}, which the graph does not hold.");
                        }
                    }

                    if (values.IdOf(value) is { } id)
                    {
                        restored.Add((id, anchors));
                    }
                }
            }
            catch
            {
                graph.RemoveLinkLayer(layer);
                if (borderLayer >= 0)
                {
                    graph.RemoveLinkLayer(borderLayer);
                }

                throw;
            }

            _linkLayer = layer;
            Volatile.Write(ref _borderLayer, borderLayer);
            _borderPassPoints = Math.Max(values.Points, 1);
            var all = new ValueLinks?[restored.Count == 0 ? 0 : restored.Max(r => r.Id) + 1];
            foreach (var (id, anchors) in restored)
            {
                var links = new ValueLinks(graph, layer, anchors, values.Holding(id));
                links.MarkReady();
                all[id] = links;
            }

            Volatile.Write(ref _links, all);
        }
    }

    /// <summary>Stops the building first (it uses the layers removed next), then removes the layers.</summary>
    public void Dispose()
    {
        _builder.Dispose();
        lock (_lock)
        {
            if (_linkLayer >= 0)
            {
                graph.RemoveLinkLayer(_linkLayer);
                graph.RemoveLinkLayer(_borderLayer);
                _linkLayer = -1;
                _borderLayer = -1;
            }
        }
    }

    /// <summary>
    /// The value's links; the first call after the value reaches <see cref="IValueReach.MinPoints"/> points links all of
    /// them on all cores (from the background). A node indexed meanwhile links itself, and may be linked twice, which
    /// only re-selects its links. Searches use the links once <see cref="ValueLinks.Ready"/>.
    /// </summary>
    /// <param name="id">The value's id.</param>
    /// <param name="cancel">Stops the linking (the index is being dropped).</param>
    private ValueLinks? LinksFor(int id, CancellationToken cancel)
    {
        var all = Volatile.Read(ref _links);
        if (id < all.Length && all[id] is { } existing)
        {
            return existing;
        }

        int[] holders;
        ValueLinks created;
        bool firstLinked = false;
        lock (_lock)
        {
            all = _links;
            if (id < all.Length && all[id] is { } raced)
            {
                return raced;
            }

            holders = values.HoldersOf(id);
            if (holders.Length < IValueReach.MinPoints)
            {
                return null;
            }

            if (_linkLayer < 0)
            {
                _linkLayer = graph.AddLinkLayer();
                Volatile.Write(ref _borderLayer, graph.AddLinkLayer());
                firstLinked = true;
            }

            created = new ValueLinks(graph, _linkLayer, [.. Enumerable.Range(0, Anchors).Select(i => holders[i * holders.Length / Anchors])], values.Holding(id));
            var next = new ValueLinks?[Math.Max(all.Length, id + 1)];
            all.CopyTo(next, 0);
            next[id] = created;
            Volatile.Write(ref _links, next);
        }

        if (firstLinked)
        {
            QueueBorderPass(grown: false); // after this value's linking, and that of the values queued with it (BuildAll)
        }

        // The anchors first, one by one, so every later point finds linked ones to start from.
        foreach (int anchor in created.Anchors)
        {
            Link(created, anchor);
        }

        var rest = holders.Except(created.Anchors).ToArray();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancel };
        Parallel.ForEach(rest, options, holder => Link(created, holder));
        created.MarkReady();
        return created;
    }

    /// <summary>
    /// Queues a pass linking every point holding a value on the border layer, after the work already queued (the
    /// linking of values queued with it, so their points are in the pass). Each point's border links are chosen again
    /// among all the points now there, merged with those it has: a point inserted among few others of other values
    /// linked to the nearest of those, and points of other values inserted later near it seldom choose it in turn.
    /// </summary>
    /// <param name="grown">Only when the points have grown by <see cref="BorderPassGrowth"/> since the last pass was queued.</param>
    private void QueueBorderPass(bool grown)
    {
        if (grown && values.Points < BorderPassGrowth * Volatile.Read(ref _borderPassPoints))
        {
            return; // the common case, checked without the builder's lock
        }

        _builder.Queue(
            cancel =>
            {
                var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancel };
                Parallel.For(0, graph.AllocatedCount, options, LinkBorder);
            },
            when: () =>
            {
                if (grown && values.Points < BorderPassGrowth * _borderPassPoints)
                {
                    return false;
                }

                _borderPassPoints = Math.Max(values.Points, 1);
                return true;
            });
    }

    /// <summary>
    /// Links a node on the border link layer to the nearest points holding none of its values, found by a two-hop
    /// walk of the graph filtered on that — the walk a query excluding its values takes.
    /// </summary>
    private void LinkBorder(int node)
    {
        if (values.ValuesOf(node) is not { } held)
        {
            return; // its values were removed meanwhile
        }

        double holders = held.Sum(values.PointsOf);
        double share = graph.AllocatedCount == 0 ? 0 : 1 - (holders / graph.AllocatedCount);
        graph.LinkInLayerAcross(Volatile.Read(ref _borderLayer), node, new HoldsNoneOf(values, held), BorderSearchEf, share);
    }

    /// <summary>Links a node among the value's points, starting from its graph neighbors that hold the value and the anchors.</summary>
    private static void Link(ValueLinks links, int node)
    {
        Span<int> entries = stackalloc int[links.Graph.Parameters.M * 2 + Anchors];
        int count = links.Graph.CopyNeighbors(node, entries);
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            if (links.Members.Holds(entries[i]))
            {
                entries[kept++] = entries[i];
            }
        }

        links.Anchors.CopyTo(entries[kept..]);
        links.Graph.LinkInLayer(links.Layer, node, entries[..(kept + links.Anchors.Length)], links.Filter);
    }

    /// <summary>Nodes holding none of a set of values (or no value at all): the other side of their border.</summary>
    private readonly struct HoldsNoneOf(IIndexedValues values, int[] held) : INodeFilter
    {
        public bool Accept(int id) => values.HoldsNoneOf(id, held);
    }
}
