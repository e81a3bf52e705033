using VectorDb.Log;
using VectorDb.Persistence;
using VectorDb.Spaces;
using VectorDb.Storage;

namespace VectorDb;

/// <summary>What checkpoints and recovery ask of a collection, and its end: dropped, or released when the database closes.</summary>
public sealed partial class Collection
{
    // Both are read before writers are kept out, so the collection may have been dropped meanwhile: never throw.
    long ICheckpointed.CheckpointBytesUpperBound
    {
        get
        {
            try
            {
                return IndexMemoryBytes;
            }
            catch (Exception e) when (e is CollectionNotFoundException or ObjectDisposedException)
            {
                return 0;
            }
        }
    }

    int ICheckpointed.PointCount => _table.LiveCount;

    /// <summary>
    /// Writes the graphs' snapshots (the unnamed vector's and each named dense vector's, without the rows of live nodes:
    /// the point store holds their vectors, and recovery gives them back), the fitted rotation and the
    /// payload indexes' links (or tenant graphs) into a checkpoint's folder; the caller keeps writers out. Links are
    /// written straight to their files: a tenant index's graphs hold copies of its points' vectors. Sparse vectors are
    /// in the point store, from which their postings are rebuilt on load.
    /// </summary>
    CollectionManifest ICheckpointed.WriteCheckpoint(string folder, CheckpointFiles files)
    {
        string? snapshotFile = null;
        var vectorFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, graph) in _spaces.Dense.Select(s => (s.Key, s.Value.Graph)).Concat(_spaces.Multi.Select(s => (s.Key, s.Value.Graph))))
        {
            string file = name.Length == 0 ? $"collection-{Id}.hnsw" : $"collection-{Id}.vector-{vectorFiles.Count}.hnsw";
            files.Capture(Path.Combine(folder, file), stream => graph.WriteSnapshot(stream, leaveOutLiveRows: true)); // the point store has the rows
            if (name.Length == 0)
            {
                snapshotFile = file;
            }
            else
            {
                vectorFiles[name] = file;
            }
        }

        string? rotationFile = null;
        if (_unnamed?.Adaptive.FittedAxes is var (axes, explained))
        {
            rotationFile = $"collection-{Id}.rotation";
            RotationFile.Write(Path.Combine(folder, rotationFile), axes, explained);
        }

        var linksFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in _payloadIndexes.KeysWithLinksToSave())
        {
            string linksFile = $"collection-{Id}.{linksFiles.Count}.links";
            files.Capture(Path.Combine(folder, linksFile), stream => _payloadIndexes.WriteLinks(key, stream));
            linksFiles[key] = linksFile;
        }

        return new CollectionManifest(
            Id,
            Name,
            CollectionConfig.From(Options),
            snapshotFile,
            Count(),
            [.. PayloadIndexes.Select(i => new PayloadIndexDefinition(i.Key, i.Schema, i.IsTenant, linksFiles.GetValueOrDefault(i.Key), i.Text))],
            rotationFile,
            LastSequence,
            vectorFiles.Count > 0 ? vectorFiles : null);
    }

    /// <summary>
    /// Attaches the points recovered from the store to graphs loaded from snapshots, after checking that they agree:
    /// every graph holds as many vectors as there are points with that vector, each on the point's node, and no two
    /// points share a node. Sparse vectors go into their indexes from the store.
    /// </summary>
    /// <exception cref="InvalidDataException">They disagree.</exception>
    internal void Restore(IReadOnlyDictionary<PointId, RecoveredPoint> points)
    {
        var spaces = _spaces;
        var counts = spaces.Dense.Keys.Concat(spaces.Multi.Keys).ToDictionary(name => name, _ => 0, StringComparer.Ordinal);
        int bound = spaces.Dense.Values.Select(space => space.NodeBound).DefaultIfEmpty(0).Max();
        bound = Math.Max(bound, points.Values.Select(p => p.InternalId + 1).DefaultIfEmpty(0).Max());
        _table.AllocatedUpTo(bound);
        foreach (var (id, point) in points)
        {
            int node = point.InternalId;
            if (node < 0 || _table.Stored(node) is not null)
            {
                throw new InvalidDataException($"point {id} refers to node {node}, which another point holds");
            }

            // No per-point collections here: millions of points are restored while the graphs' native memory is
            // already held, and in a memory-limited container short-lived garbage counts until it is collected.
            if (_unnamed is not null)
            {
                CountDense(id, node, "", spaces, counts);
            }

            foreach (string name in point.NamedVectors ?? [])
            {
                CountDense(id, node, name, spaces, counts);
            }

            if (point.MultivectorNodes is not null)
            {
                foreach (var (name, members) in point.MultivectorNodes)
                {
                    if (spaces.Multi.TryGetValue(name, out var space))
                    {
                        space.Restore(node, members);
                        counts[name] += members.Length;
                    }
                }
            }

            if (point.SparseVectors is not null)
            {
                foreach (var (name, sparse) in point.SparseVectors)
                {
                    if (spaces.Sparse.TryGetValue(name, out var space))
                    {
                        space.InsertUnpublished(node, sparse.ToVector());
                    }
                }
            }

            var payload = point.PayloadJson is null ? null : Payload.Parse(point.PayloadJson);
            _table.Record(node, id, payload);
            _table.Publish(node);
            _table.Map(id, node);
        }

        foreach (var (name, graph) in spaces.Dense.Select(s => (s.Key, s.Value.Graph)).Concat(spaces.Multi.Select(s => (s.Key, s.Value.Graph))))
        {
            if (counts[name] != graph.Count)
            {
                throw new InvalidDataException($"the store holds {counts[name]} vectors \"{name}\" but its graph {graph.Count}");
            }
        }

        _table.FreeUnused();
    }

    private static void CountDense(PointId id, int node, string name, VectorSpaces spaces, Dictionary<string, int> counts)
    {
        if (!spaces.Dense.TryGetValue(name, out var space) || !space.Holds(node))
        {
            throw new InvalidDataException($"point {id} has vector \"{name}\" on node {node}, which its graph does not hold live");
        }

        counts[name]++;
    }

    /// <summary>Deletes the collection's stored points and frees its graph.</summary>
    internal void Drop()
    {
        lock (_writeLock)
        {
            if (_durable is not null)
            {
                foreach (var (id, _) in _table.Nodes)
                {
                    _durable.Points.Delete(Id, id);
                }
            }

            Release();
            foreach (var space in _spaces.Dense.Values)
            {
                DeleteRowsFile(space);
            }
        }
    }

    /// <summary>The dense vectors whose rows are kept on disk.</summary>
    internal IReadOnlyList<string> VectorsWithRowFiles() => [.. _spaces.Dense.Where(space => space.Value.RowsFile is not null).Select(space => space.Key)];

    /// <summary>Copies a vector's row file (and its identity) to <paramref name="path"/>; the caller keeps writers out.</summary>
    internal void CopyRowFile(string vector, string path) => _spaces.Dense[vector].Graph.CopyRowFile(path);

    /// <summary>Where a dense vector of this collection keeps its rows when they are on disk; null without a data directory.</summary>
    private string? RowsFile(string vector) => _durable?.RowsFile(Id, vector);

    /// <summary>Removes a dropped vector's row file (a crash before this leaves it behind, unused).</summary>
    private static void DeleteRowsFile(Spaces.IVectorSpace space)
    {
        if (space is Spaces.DenseVectorSpace { RowsFile: { } file })
        {
            Hnsw.RowFile.Delete(file);
        }
    }

    /// <summary>Frees the graph's memory when the database closes (<paramref name="closing"/>) or the collection goes; the stored points stay.</summary>
    internal void Release(bool closing = false)
    {
        lock (_writeLock)
        {
            // Running reads still use the graph: wait for them, and let later ones find the collection gone.
            _table.MarkDropped(closed: closing);
            _payloadIndexes.Dispose();
            foreach (var space in _spaces.All)
            {
                space.Dispose();
            }
        }
    }
}

/// <summary>
/// A point as recovery found it in the store: the node it was on, its payload, its sparse vectors, the names of its
/// named dense vectors, and where its record is (-1: not in the store's log, e.g. read from a snapshot file).
/// </summary>
internal readonly record struct RecoveredPoint(
    int InternalId, string? PayloadJson, IReadOnlyDictionary<string, SparseData>? SparseVectors = null, IReadOnlyList<string>? NamedVectors = null,
    IReadOnlyDictionary<string, int[]>? MultivectorNodes = null, long StoreAddress = -1);
