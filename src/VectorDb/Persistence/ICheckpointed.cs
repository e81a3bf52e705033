namespace VectorDb.Persistence;

/// <summary>
/// What a checkpoint asks of each collection: to write its files into the checkpoint's folder and name them in its
/// manifest entry. The store knows nothing else of collections.
/// </summary>
internal interface ICheckpointed
{
    /// <summary>Most bytes its files can take, for the disk-space check a checkpoint makes before it starts.</summary>
    long CheckpointBytesUpperBound { get; }

    /// <summary>Points it holds now.</summary>
    int PointCount { get; }

    /// <summary>
    /// Takes its files for <paramref name="folder"/> through <paramref name="files"/> (captured now, written once writers
    /// are back) and returns its manifest entry; writers are kept out meanwhile.
    /// </summary>
    CollectionManifest WriteCheckpoint(string folder, CheckpointFiles files);
}
