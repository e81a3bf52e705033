using VectorDb.Log;
using VectorDb.Persistence;
using VectorDb.Points;
using VectorDb.Storage;

namespace VectorDb;

/// <summary>What checkpoints and recovery ask of a collection, and its end: dropped, or released when the database closes.</summary>
public sealed partial class Collection
{
    long ICheckpointed.CheckpointBytesUpperBound => IndexMemoryBytes;

    /// <summary>
    /// Writes the graph's snapshot, the fitted rotation and the payload indexes' links (or tenant graphs) into a
    /// checkpoint's folder; the caller keeps writers out. Links are written straight to their files: a tenant index's
    /// graphs hold copies of its points' vectors.
    /// </summary>
    CollectionManifest ICheckpointed.WriteCheckpoint(string folder)
    {
        string snapshotFile = $"collection-{Id}.hnsw";
        ChecksummedFile.Write(Path.Combine(folder, snapshotFile), _dense.WriteSnapshot);
        string? rotationFile = null;
        if (_dense.Adaptive.FittedAxes is var (axes, explained))
        {
            rotationFile = $"collection-{Id}.rotation";
            RotationFile.Write(Path.Combine(folder, rotationFile), axes, explained);
        }

        var linksFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in _payloadIndexes.KeysWithLinksToSave())
        {
            string linksFile = $"collection-{Id}.{linksFiles.Count}.links";
            ChecksummedFile.Write(Path.Combine(folder, linksFile), stream => _payloadIndexes.WriteLinks(key, stream));
            linksFiles[key] = linksFile;
        }

        return new CollectionManifest(
            Id,
            Name,
            CollectionConfig.From(Options),
            snapshotFile,
            Count(),
            [.. PayloadIndexes.Select(i => new PayloadIndexDefinition(i.Key, i.Schema, i.IsTenant, linksFiles.GetValueOrDefault(i.Key)))],
            rotationFile,
            LastSequence);
    }

    /// <summary>
    /// Attaches the points recovered from the store to a graph loaded from a snapshot, after checking that the
    /// two agree: the same number of points, and every point on a distinct live node.
    /// </summary>
    /// <exception cref="InvalidDataException">They disagree.</exception>
    internal void Restore(IReadOnlyDictionary<PointId, RecoveredPoint> points)
    {
        if (points.Count != _dense.Count)
        {
            throw new InvalidDataException($"the store holds {points.Count} points but the graph {_dense.Count}");
        }

        _table.EnsureCapacity(_dense.NodeBound);
        foreach (var (id, point) in points)
        {
            if ((uint)point.InternalId >= (uint)_dense.NodeBound || !_dense.IsLive(point.InternalId) || _table.Stored(point.InternalId) is not null)
            {
                throw new InvalidDataException($"point {id} refers to graph node {point.InternalId}, which is not a distinct live node");
            }

            var payload = point.PayloadJson is null ? null : Payload.Parse(point.PayloadJson);
            _table.Record(point.InternalId, new StoredPoint(id, payload));
            _table.Map(id, point.InternalId);
        }
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
        }
    }

    /// <summary>Frees the graph's memory when the database closes; the stored points stay.</summary>
    internal void Release()
    {
        lock (_writeLock)
        {
            // Running reads still use the graph: wait for them, and let later ones find the collection gone.
            _table.MarkDropped();
            _payloadIndexes.Dispose();
            _dense.Dispose();
        }
    }
}

/// <summary>A point as recovery found it in the store: the graph node it was on, and its payload.</summary>
internal readonly record struct RecoveredPoint(int InternalId, string? PayloadJson);
