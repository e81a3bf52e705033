using VectorDb.Hnsw;
using VectorDb.Storage;

namespace VectorDb.Persistence;

/// <summary>
/// Checkpoints write graph snapshots without their live nodes' rows (<see cref="HnswIndex.WriteSnapshot(Stream, bool)"/>):
/// the point store holds every point's vectors already, so each vector is on disk once. This gives a collection's
/// loaded graphs those rows back from the stored points.
/// </summary>
internal static class LeftOutRows
{
    private static readonly Dictionary<string, float[]> NoVectors = [];
    private static readonly Dictionary<string, float[][]> NoMultivectors = [];

    /// <summary>Whether some of the graphs wait for rows.</summary>
    public static bool Pending(IReadOnlyDictionary<string, HnswIndex> graphs) => graphs.Values.Any(graph => graph.RowsPending);

    /// <summary>
    /// Gives every waiting graph the point's vectors, on the nodes the point holds them on, where the snapshot left the
    /// row out (it keeps some: see <see cref="HnswIndex.AwaitsRow"/>). A point on a node its graph does not hold live
    /// is left to <c>Collection.Restore</c>'s check, a live node given no row to <see cref="Complete"/>'s.
    /// </summary>
    /// <exception cref="InvalidDataException">The point and a graph disagree.</exception>
    public static void Fill(IReadOnlyDictionary<string, HnswIndex> graphs, StoredPointVectors point)
    {
        if (point.Vector is { } unnamed)
        {
            Restore(graphs, "", point.InternalId, unnamed);
        }

        foreach (var (name, vector) in point.NamedVectors ?? NoVectors)
        {
            Restore(graphs, name, point.InternalId, vector);
        }

        foreach (var (name, members) in point.Multivectors ?? NoMultivectors)
        {
            if (Waiting(graphs, name) is null)
            {
                continue;
            }

            int[] nodes = point.MultivectorNodes?.GetValueOrDefault(name) is { } known && known.Length == members.Length
                ? known
                : throw new InvalidDataException($"node {point.InternalId}'s multivector \"{name}\" is stored without the nodes of its {members.Length} vectors");
            for (int i = 0; i < members.Length; i++)
            {
                Restore(graphs, name, nodes[i], members[i]);
            }
        }
    }

    /// <summary>Checks that every waiting graph got all its rows.</summary>
    /// <exception cref="InvalidDataException">Some live node got none.</exception>
    public static void Complete(IReadOnlyDictionary<string, HnswIndex> graphs)
    {
        foreach (var (name, graph) in graphs)
        {
            try
            {
                graph.CompleteRows();
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"vector \"{name}\": {e.Message}", e);
            }
        }
    }

    private static HnswIndex? Waiting(IReadOnlyDictionary<string, HnswIndex> graphs, string name) =>
        graphs.TryGetValue(name, out var graph) && graph.RowsPending ? graph : null;

    private static void Restore(IReadOnlyDictionary<string, HnswIndex> graphs, string name, int node, float[] vector)
    {
        if (Waiting(graphs, name) is { } graph && graph.AwaitsRow(node))
        {
            graph.RestoreRow(node, vector);
        }
    }
}
