namespace VectorDb.Spaces;

/// <summary>
/// What a collection holds per vector name: its points' vectors of that name and the index that searches them — an
/// HNSW graph (<see cref="DenseVectorSpace"/>) or an inverted index (<see cref="SparseVectorSpace"/>). Every space of a
/// collection keeps a point's vector under the point's node (<see cref="Points.PointTable"/>), so filters, which
/// speak of nodes, work in every space alike. Inserting and searching take the space's kind of vector, so they are
/// on the classes.
/// </summary>
/// <remarks>
/// A write inserts a point's vectors unpublished — searches may pass through them but never return them — then
/// publishes its batch at once; a delete retires the node (results stop returning it at once) and repairs the index
/// around it afterwards, outside the visibility lock.
/// </remarks>
internal interface IVectorSpace : IDisposable
{
    /// <summary>The vector's name: <c>""</c> for a collection's unnamed vector.</summary>
    string Name { get; }

    /// <summary>Live (published, not retired) vectors.</summary>
    int Count { get; }

    /// <summary>Bytes the space holds in memory (vectors, links or postings, per-node state).</summary>
    long MemoryBytes { get; }

    /// <summary>True when the node holds a published vector of this space that was not retired.</summary>
    bool Holds(int node);

    /// <summary>Makes an inserted node visible to searches.</summary>
    void Publish(int node);

    /// <summary>Takes a node out of search results; false when it held no live vector here.</summary>
    bool Retire(int node);

    /// <summary>Cleans the index up around a retired node, after the write has made its change visible.</summary>
    void Repair(int node);
}
