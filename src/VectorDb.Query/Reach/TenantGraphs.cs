using VectorDb.Hnsw;

namespace VectorDb.Query.Reach;

/// <summary>
/// A graph per value held by at least <see cref="IValueReach.MinPoints"/> points (<see cref="ValueGraph"/>), for a tenant
/// index: a filter requiring one value is a plain search of that value's graph, as fast and accurate as an unfiltered
/// search of a collection its size. Each graph copies its points' vectors from the collection's graph.
/// </summary>
internal sealed class TenantGraphs(IIndexedValues values, HnswIndex collectionGraph) : IValueReach
{
    private readonly Lock _lock = new();
    private readonly ReachBuilder _builder = new();
    private ValueGraph?[] _graphs = []; // by value id, copied on write

    public bool Building => _builder.Building;

    public bool HasStateToSave
    {
        get
        {
            lock (_lock)
            {
                return !Building && ReadyGraphs().Count > 0;
            }
        }
    }

    /// <summary>Adds the node to its values' graphs, or queues the build of a value's graph that now has enough points.</summary>
    public void Add(int node)
    {
        if (values.ValuesOf(node) is not { } held)
        {
            return;
        }

        float[]? vector = null;
        foreach (int id in held)
        {
            var graphs = Volatile.Read(ref _graphs);
            if (id < graphs.Length && graphs[id] is { } graph)
            {
                if (vector is null)
                {
                    vector = new float[collectionGraph.Dimensions];
                    collectionGraph.CopyVector(node, vector);
                }

                graph.Add(node, vector);
            }
            else if (values.PointsOf(id) >= IValueReach.MinPoints)
            {
                // The value's graph is built in the background, this node among its points.
                _builder.QueueValue(id, (value, cancel) => GraphFor(value, cancel) is not null);
            }
        }
    }

    public void Remove(int node)
    {
        if (values.ValuesOf(node) is not { } held)
        {
            return;
        }

        var graphs = Volatile.Read(ref _graphs);
        foreach (int id in held)
        {
            if (id < graphs.Length)
            {
                graphs[id]?.Remove(node);
            }
        }
    }

    public void BuildAll()
    {
        for (int id = 0; id < values.ValueCount; id++)
        {
            if (values.PointsOf(id) >= IValueReach.MinPoints)
            {
                _builder.QueueValue(id, (value, cancel) => GraphFor(value, cancel) is not null);
            }
        }
    }

    public void WaitUntilBuilt() => _builder.Wait();

    public FilterReach For(int[] ids, bool excluding) =>
        !excluding && ids.Length == 1 && Volatile.Read(ref _graphs) is var graphs && ids[0] < graphs.Length && graphs[ids[0]] is { Ready: true } graph
            ? new FilterReach(Tenant: graph)
            : FilterReach.None;

    /// <summary>Writes each ready value's graph.</summary>
    public void Write(Stream stream)
    {
        lock (_lock)
        {
            var graphs = ReadyGraphs();
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(ReachFile.ValueGraphs);
            writer.Write(graphs.Count);
            foreach (var (graph, id) in graphs)
            {
                writer.Write(values.ValueOf(id));
                graph.Write(stream);
            }
        }
    }

    public void Restore(Stream stream) => ReachFile.Read(values.Key, () => RestoreFrom(stream));

    private void RestoreFrom(Stream stream)
    {
        lock (_lock)
        {
            using var reader = ReachFile.Open(stream, values.Key, ReachFile.ValueGraphs);
            var restored = new List<(int Id, ValueGraph Graph)>();
            try
            {
                int count = reader.ReadInt32();
                for (int i = 0; i < count; i++)
                {
                    string value = reader.ReadString();
                    var graph = ValueGraph.Read(collectionGraph, stream);
                    if (values.IdOf(value) is { } id)
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
    }

    /// <summary>Stops the building first, then frees the graphs.</summary>
    public void Dispose()
    {
        _builder.Dispose();
        foreach (var graph in Volatile.Read(ref _graphs))
        {
            graph?.Dispose();
        }
    }

    private List<(ValueGraph Graph, int Id)> ReadyGraphs() =>
        [.. Volatile.Read(ref _graphs).Select((graph, id) => (graph, id)).Where(entry => entry.graph is { Ready: true }).Select(entry => (entry.graph!, entry.id))];

    /// <summary>
    /// The value's graph; the first call after the value reaches <see cref="IValueReach.MinPoints"/> points creates it and
    /// adds all of them on all cores (from the background). Searches use it once <see cref="ValueGraph.Ready"/>.
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

        if (values.PointsOf(id) < IValueReach.MinPoints)
        {
            return null;
        }

        ValueGraph created;
        lock (_lock)
        {
            graphs = _graphs;
            if (id < graphs.Length && graphs[id] is { } raced)
            {
                return raced;
            }

            created = new ValueGraph(collectionGraph);
            var next = new ValueGraph?[Math.Max(graphs.Length, id + 1)];
            graphs.CopyTo(next, 0);
            next[id] = created;
            Volatile.Write(ref _graphs, next);
        }

        // Published first, then filled from the postings: a node indexed meanwhile is either in this list or adds
        // itself to the published graph (the graph ignores the repeat when it is both). Searches wait for Ready.
        Parallel.ForEach(
            values.HoldersOf(id),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancel },
            () => new float[collectionGraph.Dimensions],
            (holder, _, vector) =>
            {
                collectionGraph.CopyVector(holder, vector);
                created.Add(holder, vector);
                return vector;
            },
            _ => { });

        created.MarkReady();
        return created;
    }
}
