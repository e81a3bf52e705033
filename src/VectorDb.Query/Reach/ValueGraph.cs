using System.Collections.Concurrent;
using VectorDb.Hnsw;

namespace VectorDb.Query.Reach;

/// <summary>
/// An HNSW graph over the points holding one value of a tenant keyword index (<c>is_tenant</c>), kept beside the
/// collection's graph: a filter on that value is a plain search of this graph instead of a filtered walk of the
/// whole one, and points of the value that sit among other values' points are linked to each other, so a query
/// from anywhere finds them (a filtered walk of the whole graph reaches them only through the others). The graph
/// copies the vectors it holds; its nodes map to the collection's graph nodes.
/// </summary>
internal sealed class ValueGraph : IDisposable
{
    private readonly ConcurrentDictionary<int, int> _subOf = new(); // collection node → node here (−1 while being added)
    private readonly Lock _growLock = new();
    private int[] _nodeOf = new int[1024]; // node here → collection node
    private volatile bool _ready;

    public ValueGraph(HnswIndex collectionGraph) =>
        Graph = new HnswIndex(collectionGraph.Dimensions, collectionGraph.Metric, collectionGraph.Parameters);

    private ValueGraph(HnswIndex graph, int[] nodeOf) => (Graph, _nodeOf) = (graph, nodeOf);

    public HnswIndex Graph { get; }

    /// <summary>True once every point that held the value when the graph was created is in it; searches wait for that.</summary>
    public bool Ready => _ready;

    public void MarkReady() => _ready = true;

    /// <summary>The collection's node for a node of this graph; −1 for a node reserved a moment ago, not yet mapped.</summary>
    public int CollectionNode(int node) => Volatile.Read(ref _nodeOf) is var nodeOf && (uint)node < (uint)nodeOf.Length ? nodeOf[node] : -1;

    /// <summary>Adds the collection's node (once; a repeat is ignored). Safe to call from parallel inserts.</summary>
    public void Add(int collectionNode, ReadOnlySpan<float> vector)
    {
        if (!_subOf.TryAdd(collectionNode, -1))
        {
            return;
        }

        int node = Graph.Reserve(vector);
        lock (_growLock)
        {
            if (node >= _nodeOf.Length)
            {
                var grown = new int[Math.Max(node + 1, _nodeOf.Length * 2)];
                _nodeOf.CopyTo(grown, 0);
                Volatile.Write(ref _nodeOf, grown);
            }

            _nodeOf[node] = collectionNode;
        }

        _subOf[collectionNode] = node;
        Graph.Link(node);
    }

    /// <summary>Deletes the collection's node from this graph, if it is in it.</summary>
    public void Remove(int collectionNode)
    {
        if (_subOf.TryRemove(collectionNode, out int node) && node >= 0)
        {
            Graph.Delete(node);
        }
    }

    /// <summary>
    /// Writes the graph's snapshot and which collection node each of its nodes holds, for <see cref="Read"/> over the
    /// collection graph's snapshot written with it. The caller keeps the graph's writers out.
    /// </summary>
    public void Write(Stream stream)
    {
        Graph.WriteSnapshot(stream);
        var nodeOf = Volatile.Read(ref _nodeOf);
        int count = Graph.AllocatedCount;
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(count);
        for (int node = 0; node < count; node++)
        {
            writer.Write(nodeOf[node]);
        }
    }

    /// <summary>A ready value graph as <see cref="Write"/> saved it.</summary>
    /// <exception cref="InvalidDataException">The stream is not such a graph, or maps to nodes the collection's graph does not hold.</exception>
    public static ValueGraph Read(HnswIndex collectionGraph, Stream stream)
    {
        var graph = HnswIndex.ReadSnapshot(stream);
        try
        {
            if (graph.Dimensions != collectionGraph.Dimensions || graph.Metric != collectionGraph.Metric)
            {
                throw new InvalidDataException("A value graph of another dimension or metric than its collection's.");
            }

            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            int count = reader.ReadInt32();
            if (count != graph.AllocatedCount)
            {
                throw new InvalidDataException($"A value graph of {graph.AllocatedCount} nodes maps {count}.");
            }

            var read = new ValueGraph(graph, new int[Math.Max(count, 1024)]);
            for (int node = 0; node < count; node++)
            {
                int collectionNode = reader.ReadInt32();
                if ((uint)collectionNode >= (uint)collectionGraph.AllocatedCount)
                {
                    throw new InvalidDataException($"A value graph node maps to node {collectionNode}, which the collection's graph does not hold.");
                }

                read._nodeOf[node] = collectionNode;
                if (graph.IsLive(node))
                {
                    read._subOf[collectionNode] = node;
                }
            }

            read.MarkReady();
            return read;
        }
        catch (EndOfStreamException e)
        {
            graph.Dispose();
            throw new InvalidDataException("A value graph is truncated.", e);
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    public void Dispose() => Graph.Dispose();
}
