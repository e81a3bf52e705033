using System.Text.Json;
using VectorDb.Hnsw;
using VectorDb.Query;

namespace VectorDb.PayloadIndexing;

/// <summary>
/// Exact string values (schemas keyword and uuid): each distinct value gets a dense id; postings map ids to
/// node sets; the column holds each node's value ids. For each value held by at least <see cref="MinTenantPoints"/>
/// points, a tenant index (<paramref name="tenantsOf"/> set) keeps a graph of its own (<see cref="ValueGraph"/>); an
/// index with <paramref name="linksIn"/> set instead links those points among themselves on a link layer of the
/// collection's graph (<see cref="HnswIndex.AddLinkLayer"/>): the same reach, without copying vectors. From then on
/// such an index also links every point holding a value to the nearest points holding none of its values, on a second
/// link layer (border links): a filter excluding a value ("any label but 3") rejects whole regions of the graph, and a
/// walk looks through them along these links to the matches around them.
/// </summary>
internal sealed class KeywordFieldIndex(string key, PayloadSchemaType schema, HnswIndex? tenantsOf = null, HnswIndex? linksIn = null) : PayloadFieldIndex(key, schema)
{
    /// <summary>Values held by fewer points get no graph or links: an exact scan of them is about as fast as a walk.</summary>
    public const int MinTenantPoints = 1000;

    // The kinds of what WriteLinks saves.
    private const byte SavedValueLinksWithoutBorders = 1; // before 2026-11-27 (session 17): linked again on load
    private const byte SavedValueLinks = 3;
    private const byte SavedValueGraphs = 2;

    // A value's linking starts from these of its points (spread over those it had when linking began) as well as
    // from the linked node's own graph neighbours holding it; searches start from them too.
    private const int Anchors = 16;

    private readonly Lock _tenantLock = new();
    private ValueGraph?[] _graphs = []; // by value id, copied on write
    private readonly HnswIndex? _linksIn = tenantsOf is null ? linksIn : null;
    private int _linkLayer = -1; // added when a value first has enough points: an index of ids or tags may never need it
    private int _borderLayer = -1; // added with _linkLayer
    private int _borderPassPoints = int.MaxValue / 2; // points when the last border pass was queued (QueueBorderPass)

    // Border links are chosen again for every point each time the points grow by this factor (QueueBorderPass): 3
    // border searches per point in all besides the one at its insert. Inserting fashion-mnist with passes at ×2 / ×1.5 /
    // ×1.25 (a beam of 32), "any label but the query's" then had recall 0.981 / 0.986 / 0.988 at ef 16 (one pass after
    // the inserts: 0.986), and the build took 37 / 53 / 59 s (docs/planner.md).
    private const double BorderPassGrowth = 1.5;

    // A border link search is a two-hop walk of this beam. Inserting fashion-mnist with its label indexed, 8 / 16 / 32
    // gave "any label but the query's" recall 0.985 / 0.989 / 0.988 at ef 16, and builds of 32 / 35 / 49 s (docs/planner.md).
    private const int BorderSearchEf = 16;
    private ValueLinks?[] _links = []; // by value id, copied on write: set once the value's points are being linked
    private readonly CancellationTokenSource _disposing = new();
    private Task _linking = Task.CompletedTask; // background linking, chained under _tenantLock
    private readonly HashSet<int> _linkingQueued = []; // values whose linking _linking holds, under _tenantLock
    private readonly Dictionary<string, int> _valueIds = new(StringComparer.Ordinal);
    private readonly List<HashSet<int>> _postings = [];
    private readonly Lock _postingsLock = new();
    // Per-node value ids, flat for the common single value: -1 = none, -2 = several (in _multi).
    private int[] _single = [];
    private int[]?[] _multi = [];
    private int _points;
    private int _multiValuedPoints; // while 0, summed postings count each point once
    private long _postingsTotal; // entries in all postings, under _postingsLock
    // Points whose key also holds numbers, booleans or objects, under _postingsLock: this index keeps only strings, so
    // while any point holds another kind, "none of these strings" cannot be answered from it (that value is none of them).
    private readonly HashSet<int> _otherKindHolders = [];

    public override int Points => Volatile.Read(ref _points);

    public override bool IsTenant => tenantsOf is not null;

    public override void Remove(int node)
    {
        bool indexed = node < _single.Length && _single[node] != -1;
        int[] ids = indexed ? ValueIds(node) : [];
        if (indexed)
        {
            Volatile.Write(ref _single[node], -1);
        }

        lock (_postingsLock)
        {
            _otherKindHolders.Remove(node);
            foreach (int id in ids)
            {
                _postingsTotal -= _postings[id].Remove(node) ? 1 : 0;
            }
        }

        if (!indexed)
        {
            return;
        }

        if (ids.Length > 1)
        {
            Interlocked.Decrement(ref _multiValuedPoints);
        }

        var graphs = Volatile.Read(ref _graphs);
        foreach (int id in ids)
        {
            if (id < graphs.Length)
            {
                graphs[id]?.Remove(node);
            }
        }

        Interlocked.Decrement(ref _points);
    }

    /// <summary>
    /// Adds an indexed node to the graphs or links of its values, creating a value's graph (or linking its points)
    /// once it has enough points.
    /// </summary>
    public override void LinkTenant(int node)
    {
        if (node >= _single.Length || _single[node] == -1)
        {
            return;
        }

        if (_linksIn is not null)
        {
            foreach (int id in ValueIds(node))
            {
                var all = Volatile.Read(ref _links);
                if (id < all.Length && all[id] is { } links)
                {
                    Link(links, node);
                }
                else if (PointsOf(id) >= MinTenantPoints)
                {
                    // Linking the value's 1,000 points inside this write would stall it; they are linked in the
                    // background (this node among them), and its filters take the other strategies until then.
                    LinkInBackground(id);
                }
            }

            if (Volatile.Read(ref _borderLayer) >= 0)
            {
                LinkBorder(node);
                if (Points >= BorderPassGrowth * Volatile.Read(ref _borderPassPoints))
                {
                    QueueBorderPass(grown: true);
                }
            }

            return;
        }

        if (tenantsOf is null)
        {
            return;
        }

        float[]? vector = null;
        foreach (int id in ValueIds(node))
        {
            var graphs = Volatile.Read(ref _graphs);
            if (id < graphs.Length && graphs[id] is { } graph)
            {
                if (vector is null)
                {
                    vector = new float[tenantsOf.Dimensions];
                    tenantsOf.CopyVector(node, vector);
                }

                graph.Add(node, vector);
            }
            else if (PointsOf(id) >= MinTenantPoints)
            {
                // As for links: the value's graph is built in the background, this node among its points.
                LinkInBackground(id);
            }
        }
    }

    /// <summary>
    /// Starts linking the points of every value held by enough of them (or, for a tenant index, building each such
    /// value's graph), on all cores in the background: for an index created over existing points, which includes every
    /// keyword index of a database being opened, whose opening must not wait for those HNSW builds. Until a value is
    /// linked its filters take other strategies; points inserted meanwhile link themselves.
    /// </summary>
    public override void LinkAll()
    {
        if (_linksIn is null && tenantsOf is null)
        {
            return;
        }

        int values;
        lock (_postingsLock)
        {
            values = _postings.Count;
        }

        for (int id = 0; id < values; id++)
        {
            if (PointsOf(id) >= MinTenantPoints)
            {
                LinkInBackground(id);
            }
        }
    }

    /// <summary>
    /// True when there are value links, or ready value graphs of a tenant index, and no linking runs in the background
    /// (its half-made work is left to be done again after a load). The caller keeps writers out, so none can start.
    /// </summary>
    public override bool HasLinksToSave
    {
        get
        {
            lock (_tenantLock)
            {
                return !Linking && (_linksIn is not null ? _linkLayer >= 0 : ReadyGraphs().Count > 0);
            }
        }
    }

    /// <summary>
    /// Writes what the index built among its values' points — the value links (the link layer, the border link layer,
    /// then each linked value with its anchors) or, for a tenant index, each ready value's graph — for <see cref="RestoreLinks"/> after the
    /// collection graph's snapshot is loaded. Call when <see cref="HasLinksToSave"/>, keeping writers out.
    /// </summary>
    public override void WriteLinks(Stream stream)
    {
        lock (_tenantLock)
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            if (_linksIn is not null)
            {
                writer.Write(SavedValueLinks);
                _linksIn.WriteLinkLayer(_linkLayer, stream);
                _linksIn.WriteLinkLayer(_borderLayer, stream);
                var linked = Volatile.Read(ref _links).Select((links, id) => (links, id)).Where(entry => entry.links is { Ready: true }).ToList();
                writer.Write(linked.Count);
                foreach (var (links, id) in linked)
                {
                    writer.Write(ValueOf(id));
                    writer.Write(links!.Anchors.Length);
                    foreach (int anchor in links.Anchors)
                    {
                        writer.Write(anchor);
                    }
                }

                return;
            }

            var graphs = ReadyGraphs();
            writer.Write(SavedValueGraphs);
            writer.Write(graphs.Count);
            foreach (var (graph, id) in graphs)
            {
                writer.Write(ValueOf(id));
                graph.Write(stream);
            }
        }
    }

    private List<(ValueGraph Graph, int Id)> ReadyGraphs() =>
        [.. Volatile.Read(ref _graphs).Select((graph, id) => (graph, id)).Where(entry => entry.graph is { Ready: true }).Select(entry => (entry.graph!, entry.id))];

    /// <summary>
    /// Takes back what <see cref="WriteLinks"/> wrote over the same collection graph, for an index just filled from the
    /// same points (a database being opened), before <see cref="LinkAll"/>: the values linked (or given a graph) then are
    /// ready at once, and only the others are linked in the background.
    /// </summary>
    /// <exception cref="InvalidDataException">What was saved does not fit this graph or this kind of index.</exception>
    public override void RestoreLinks(Stream stream)
    {
        lock (_tenantLock)
        {
            try
            {
                using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
                byte kind = reader.ReadByte();
                if (kind == SavedValueLinks && _linksIn is not null)
                {
                    RestoreValueLinks(reader, stream);
                }
                else if (kind == SavedValueLinksWithoutBorders && _linksIn is not null)
                {
                    throw new InvalidDataException($"The value links saved for `{Key}` predate border links; both are made again.");
                }
                else if (kind == SavedValueGraphs && tenantsOf is not null)
                {
                    RestoreValueGraphs(reader, stream);
                }
                else
                {
                    throw new InvalidDataException($"What was saved for `{Key}` belongs to another kind of index.");
                }
            }
            catch (Exception e) when (e is EndOfStreamException or IOException)
            {
                throw new InvalidDataException($"What was saved for `{Key}` is truncated.", e);
            }
        }
    }

    private void RestoreValueLinks(BinaryReader reader, Stream stream)
    {
        int layer = _linksIn!.ReadLinkLayer(stream);
        int borderLayer = -1;
        var restored = new List<(int Id, int[] Anchors)>();
        try
        {
            borderLayer = _linksIn.ReadLinkLayer(stream);
            int values = reader.ReadInt32();
            for (int i = 0; i < values; i++)
            {
                string value = reader.ReadString();
                int[] anchors = new int[reader.ReadInt32()];
                for (int a = 0; a < anchors.Length; a++)
                {
                    anchors[a] = reader.ReadInt32();
                    if ((uint)anchors[a] >= (uint)_linksIn.AllocatedCount)
                    {
                        throw new InvalidDataException($"A value link anchor names node {anchors[a]}, which the graph does not hold.");
                    }
                }

                if (ValueId(value) is { } id)
                {
                    restored.Add((id, anchors));
                }
            }
        }
        catch
        {
            _linksIn.RemoveLinkLayer(layer);
            if (borderLayer >= 0)
            {
                _linksIn.RemoveLinkLayer(borderLayer);
            }

            throw;
        }

        _linkLayer = layer;
        Volatile.Write(ref _borderLayer, borderLayer);
        _borderPassPoints = Math.Max(Points, 1);
        var all = new ValueLinks?[restored.Count == 0 ? 0 : restored.Max(r => r.Id) + 1];
        foreach (var (id, anchors) in restored)
        {
            var links = new ValueLinks(_linksIn, layer, anchors, new MatchIds(this, id));
            links.MarkReady();
            all[id] = links;
        }

        Volatile.Write(ref _links, all);
    }

    private void RestoreValueGraphs(BinaryReader reader, Stream stream)
    {
        var restored = new List<(int Id, ValueGraph Graph)>();
        try
        {
            int values = reader.ReadInt32();
            for (int i = 0; i < values; i++)
            {
                string value = reader.ReadString();
                var graph = ValueGraph.Read(tenantsOf!, stream);
                if (ValueId(value) is { } id)
                {
                    restored.Add((id, graph));
                }
                else
                {
                    graph.Dispose();
                }
            }
        }
        catch
        {
            restored.ForEach(entry => entry.Graph.Dispose());
            throw;
        }

        var all = new ValueGraph?[restored.Count == 0 ? 0 : restored.Max(r => r.Id) + 1];
        foreach (var (id, graph) in restored)
        {
            all[id] = graph;
        }

        Volatile.Write(ref _graphs, all);
    }

    private int? ValueId(string value)
    {
        lock (_postingsLock)
        {
            return _valueIds.TryGetValue(value, out int id) ? id : null;
        }
    }

    private string ValueOf(int id)
    {
        lock (_postingsLock)
        {
            return _valueIds.First(entry => entry.Value == id).Key;
        }
    }

    /// <summary>Waits for the linking started so far (<see cref="LinkAll"/>, values reaching enough points) to finish.</summary>
    public override void WaitForLinks()
    {
        // Linking may queue more (a border pass), which is waited for too.
        Task waited;
        do
        {
            waited = Volatile.Read(ref _linking);
            waited.Wait();
        }
        while (waited != Volatile.Read(ref _linking));
    }

    public override bool Linking => !Volatile.Read(ref _linking).IsCompleted;

    /// <summary>Queues the linking of a value's points (or the build of its graph) after the work already queued, once per value.</summary>
    private void LinkInBackground(int id)
    {
        lock (_tenantLock)
        {
            if (_disposing.IsCancellationRequested || !_linkingQueued.Add(id))
            {
                return;
            }

            var cancel = _disposing.Token;
            _linking = _linking.ContinueWith(
                _ =>
                {
                    if (_linksIn is not null ? LinksFor(id, cancel) is null : GraphFor(id, cancel) is null)
                    {
                        // Too few points after all (some were deleted meanwhile): queued again when it has enough.
                        lock (_tenantLock)
                        {
                            _linkingQueued.Remove(id);
                        }
                    }
                },
                cancel,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
        }
    }

    private int PointsOf(int id)
    {
        lock (_postingsLock)
        {
            return _postings[id].Count;
        }
    }

    protected override void Dispose(bool disposing)
    {
        // Background linking stops first: it uses the link layer removed below.
        _disposing.Cancel();
        try
        {
            Volatile.Read(ref _linking).Wait();
        }
        catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is OperationCanceledException))
        {
        }

        foreach (var graph in Volatile.Read(ref _graphs))
        {
            graph?.Dispose();
        }

        lock (_tenantLock)
        {
            _disposing.Dispose(); // under the lock, where LinkInBackground reads its token
            if (_linkLayer >= 0)
            {
                _linksIn!.RemoveLinkLayer(_linkLayer);
                _linksIn.RemoveLinkLayer(_borderLayer);
                _linkLayer = -1;
                _borderLayer = -1;
            }
        }

        base.Dispose(disposing);
    }

    private int[] ValueIds(int node) => _single[node] >= 0 ? [_single[node]] : _multi[node]!;

    /// <summary>
    /// The value's graph; the first call after the value reaches <see cref="MinTenantPoints"/> points creates it and
    /// adds all of them on all cores (from the background, <see cref="LinkInBackground"/>). Searches use it once
    /// <see cref="ValueGraph.Ready"/>.
    /// </summary>
    /// <param name="id">The value's id.</param>
    /// <param name="cancel">Stops the build (the index is being dropped).</param>
    private ValueGraph? GraphFor(int id, CancellationToken cancel)
    {
        var graphs = Volatile.Read(ref _graphs);
        if (id < graphs.Length && graphs[id] is { } existing)
        {
            return existing;
        }

        lock (_postingsLock)
        {
            if (_postings[id].Count < MinTenantPoints)
            {
                return null;
            }
        }

        ValueGraph created;
        lock (_tenantLock)
        {
            graphs = _graphs;
            if (id < graphs.Length && graphs[id] is { } raced)
            {
                return raced;
            }

            created = new ValueGraph(tenantsOf!);
            var next = new ValueGraph?[Math.Max(graphs.Length, id + 1)];
            graphs.CopyTo(next, 0);
            next[id] = created;
            Volatile.Write(ref _graphs, next);
        }

        // Published first, then filled from the postings: a node indexed meanwhile is either in this list or adds
        // itself to the published graph (the graph ignores the repeat when it is both). Searches wait for Ready.
        int[] holders;
        lock (_postingsLock)
        {
            holders = [.. _postings[id]];
        }

        Parallel.ForEach(
            holders,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancel },
            () => new float[tenantsOf!.Dimensions],
            (holder, _, vector) =>
            {
                tenantsOf!.CopyVector(holder, vector);
                created.Add(holder, vector);
                return vector;
            },
            _ => { });

        created.MarkReady();
        return created;
    }

    /// <summary>
    /// The value's links; the first call after the value reaches <see cref="MinTenantPoints"/> points links all of
    /// them on all cores (from the background, <see cref="LinkInBackground"/>). A node indexed meanwhile links itself,
    /// and may be linked twice, which only re-selects its links. Searches use the links once <see cref="ValueLinks.Ready"/>.
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
        lock (_tenantLock)
        {
            all = _links;
            if (id < all.Length && all[id] is { } raced)
            {
                return raced;
            }

            lock (_postingsLock)
            {
                if (_postings[id].Count < MinTenantPoints)
                {
                    return null;
                }

                holders = [.. _postings[id]];
            }

            if (_linkLayer < 0)
            {
                _linkLayer = _linksIn!.AddLinkLayer();
                Volatile.Write(ref _borderLayer, _linksIn.AddLinkLayer());
                firstLinked = true;
            }

            created = new ValueLinks(_linksIn!, _linkLayer, [.. Enumerable.Range(0, Anchors).Select(i => holders[i * holders.Length / Anchors])], new MatchIds(this, id));
            var next = new ValueLinks?[Math.Max(all.Length, id + 1)];
            all.CopyTo(next, 0);
            next[id] = created;
            Volatile.Write(ref _links, next);
        }

        if (firstLinked)
        {
            QueueBorderPass(grown: false); // after this value's linking, and that of the values queued with it (LinkAll)
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
        lock (_tenantLock)
        {
            if (_disposing.IsCancellationRequested || (grown && Points < BorderPassGrowth * _borderPassPoints))
            {
                return;
            }

            _borderPassPoints = Math.Max(Points, 1);
            var cancel = _disposing.Token;
            _linking = _linking.ContinueWith(
                _ =>
                {
                    var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancel };
                    Parallel.For(0, Volatile.Read(ref _single).Length, options, LinkBorder);
                },
                cancel,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Links a node on the border link layer to the nearest points holding none of its values, found by a two-hop
    /// walk of the graph filtered on that — the walk a query excluding its values takes.
    /// </summary>
    private void LinkBorder(int node)
    {
        var graph = _linksIn!;
        var single = Volatile.Read(ref _single);
        if ((uint)node >= (uint)single.Length || single[node] == -1)
        {
            return; // its values were removed meanwhile
        }

        int[] values = ValueIds(node);
        double holders = values.Sum(PointsOf);
        double share = graph.AllocatedCount == 0 ? 0 : 1 - (holders / graph.AllocatedCount);
        graph.LinkInLayerAcross(Volatile.Read(ref _borderLayer), node, new HoldsNoneOf(this, values), BorderSearchEf, share);
    }

    /// <summary>Nodes holding none of a set of value ids (or no value at all): the other side of their border.</summary>
    private readonly struct HoldsNoneOf(KeywordFieldIndex index, int[] values) : INodeFilter
    {
        public bool Accept(int id)
        {
            var single = Volatile.Read(ref index._single);
            if ((uint)id >= (uint)single.Length || single[id] == -1)
            {
                return true;
            }

            if (single[id] >= 0)
            {
                return Array.IndexOf(values, single[id]) < 0;
            }

            var multi = Volatile.Read(ref index._multi);
            return (uint)id >= (uint)multi.Length || multi[id] is not { } held || !held.AsSpan().ContainsAny(values);
        }
    }

    /// <summary>Links a node among the value's points, starting from its graph neighbours that hold the value and the anchors.</summary>
    private void Link(ValueLinks links, int node)
    {
        Span<int> entries = stackalloc int[links.Graph.Parameters.M * 2 + Anchors];
        int count = links.Graph.CopyNeighbours(node, entries);
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            if (links.Members.Matches(entries[i]))
            {
                entries[kept++] = entries[i];
            }
        }

        links.Anchors.CopyTo(entries[kept..]);
        links.Graph.LinkInLayer(links.Layer, node, entries[..(kept + links.Anchors.Length)], links.MembersFilter);
    }

    public override IndexedPredicate? TryCompile(Condition condition)
    {
        switch (condition)
        {
            case MatchValueCondition { Value.ValueKind: JsonValueKind.String } match:
                return new MatchIds(this, [match.Value.GetString()!]);
            case MatchAnyCondition any when any.Values.All(v => v.ValueKind == JsonValueKind.String):
                return new MatchIds(this, [.. any.Values.Select(v => v.GetString()!)]);
            case MatchExceptCondition except when !HoldsOtherKinds:
                // Only strings are held, so only the listed strings can be excluded: the other values are the matches.
                return new MatchIds(this, [.. except.Values.Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)], excluding: true);
            default:
                return null;
        }
    }

    private bool HoldsOtherKinds
    {
        get
        {
            lock (_postingsLock)
            {
                return _otherKindHolders.Count > 0;
            }
        }
    }

    protected override void AddValues(int node, IEnumerable<JsonElement> values)
    {
        var strings = new List<string>();
        bool otherKinds = false;
        foreach (var value in values)
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                strings.Add(value.GetString()!);
            }
            else
            {
                otherKinds |= value.ValueKind != JsonValueKind.Null;
            }
        }

        if (otherKinds)
        {
            lock (_postingsLock)
            {
                _otherKindHolders.Add(node);
            }
        }

        strings = [.. strings.Distinct(StringComparer.Ordinal)];
        if (strings.Count == 0)
        {
            return;
        }

        var ids = new int[strings.Count];
        lock (_postingsLock)
        {
            for (int i = 0; i < strings.Count; i++)
            {
                if (!_valueIds.TryGetValue(strings[i], out ids[i]))
                {
                    ids[i] = _postings.Count;
                    _valueIds[strings[i]] = ids[i];
                    _postings.Add([]);
                }

                _postingsTotal += _postings[ids[i]].Add(node) ? 1 : 0;
            }
        }

        if (node >= _single.Length)
        {
            var grown = Grow(_single, node);
            grown.AsSpan(_single.Length).Fill(-1);
            Volatile.Write(ref _single, grown);
        }

        if (ids.Length > 1)
        {
            Volatile.Write(ref _multi, Grow(_multi, Math.Max(node, _single.Length - 1)));
            Volatile.Write(ref _multi[node], ids);
            Interlocked.Increment(ref _multiValuedPoints);
        }

        Volatile.Write(ref _single[node], ids.Length > 1 ? -2 : ids[0]);
        Interlocked.Increment(ref _points);
    }

    /// <summary>
    /// Some value of the node is one of a set of strings (<c>match.value</c>, <c>match.any</c>), or, excluding them,
    /// some value is none of them (<c>match.except</c>, when the index holds only strings).
    /// </summary>
    private sealed class MatchIds : IndexedPredicate
    {
        private readonly KeywordFieldIndex _index;
        private readonly int[] _ids; // ids of the listed values that exist; the others are held by no point
        private readonly bool _excluding;

        public MatchIds(KeywordFieldIndex index, int valueId) => (_index, _ids) = (index, [valueId]);

        public MatchIds(KeywordFieldIndex index, IReadOnlyList<string> values, bool excluding = false)
        {
            (_index, _excluding) = (index, excluding);
            lock (index._postingsLock)
            {
                _ids = [.. values.Select(v => index._valueIds.GetValueOrDefault(v, -1)).Where(id => id >= 0).Distinct()];
            }
        }

        public override int Count
        {
            get
            {
                lock (_index._postingsLock)
                {
                    int listed = _ids.Sum(id => _index._postings[id].Count);
                    return _excluding ? (int)(_index._postingsTotal - listed) : listed;
                }
            }
        }

        // A point holding several values is in several postings.
        public override bool CountIsExact => (!_excluding && _ids.Length <= 1) || Volatile.Read(ref _index._multiValuedPoints) == 0;

        public override ValueGraph? Tenant =>
            !_excluding && _ids.Length == 1 && Volatile.Read(ref _index._graphs) is var graphs && _ids[0] < graphs.Length && graphs[_ids[0]] is { Ready: true } graph
                ? graph
                : null;

        public override ValueLinks? Links =>
            !_excluding && _ids.Length == 1 && Volatile.Read(ref _index._links) is var links && _ids[0] < links.Length && links[_ids[0]] is { Ready: true } linked
                ? linked
                : null;

        public override int ValueLinkLayer => Volatile.Read(ref _index._linkLayer);

        public override int BorderLinkLayer => _excluding ? Volatile.Read(ref _index._borderLayer) : -1;

        public override int ComplementBorderLinkLayer => _excluding ? -1 : Volatile.Read(ref _index._borderLayer);

        public override ColumnFilter? AsColumnFilter()
        {
            // Excluding, the column's answer is negated; a node holding no value or several still asks Matches.
            var listed = ColumnFilter.Keyword(Volatile.Read(ref _index._single), _ids, this);
            return _excluding ? listed?.Negate(this) : listed;
        }

        public override bool Matches(int node)
        {
            var single = Volatile.Read(ref _index._single);
            if ((uint)node >= (uint)single.Length)
            {
                return false;
            }

            int value = single[node];
            if (value >= 0)
            {
                return IsListed(value) != _excluding;
            }

            return value == -2 && Volatile.Read(ref _index._multi)[node] is { } values && values.Any(v => IsListed(v) != _excluding);
        }

        private bool IsListed(int value) => _ids.Length == 1 ? value == _ids[0] : Array.IndexOf(_ids, value) >= 0;

        public override void Mark(NodeBitmap candidates)
        {
            lock (_index._postingsLock)
            {
                var marked = _excluding ? Enumerable.Range(0, _index._postings.Count).Where(id => !IsListed(id)) : _ids;
                foreach (int id in marked)
                {
                    foreach (int node in _index._postings[id])
                    {
                        candidates.Add(node);
                    }
                }
            }
        }
    }
}
