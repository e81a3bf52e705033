using VectorDb.Hnsw;
using VectorDb.Query;

namespace VectorDb.Spaces;

/// <summary>
/// What a collection holds per named vector: its points' vectors and the index that searches them. Today's is the
/// dense HNSW graph (<see cref="DenseVectorSpace"/>); a sparse inverted index, a multivector space and quantized rows
/// with originals on disk are to implement the same contract, so a collection can hold several over one point table.
/// </summary>
/// <remarks>
/// Node ids are the point table's. A write reserves a node and links it unpublished — searches pass through it but
/// never return it — then publishes it with the rest of its batch at once; a delete retires the node (a state flip, so
/// results stop returning it at once) and repairs its neighbors' links afterwards.
/// </remarks>
internal interface IVectorSpace : IDisposable
{
    /// <summary>The vector's name: <c>""</c> for a collection's unnamed vector.</summary>
    string Name { get; }

    /// <summary>Live (published, not deleted) vectors.</summary>
    int Count { get; }

    /// <summary>Every node id the space has handed out is below this.</summary>
    int NodeBound { get; }

    /// <summary>Bytes the space holds in memory (vectors, links, per-node state).</summary>
    long MemoryBytes { get; }

    /// <summary>True when the node is published and not deleted.</summary>
    bool IsLive(int node);

    /// <summary>Stores a vector on a new node and links it into the index, unpublished; safe to call from parallel inserts.</summary>
    int InsertUnpublished(ReadOnlySpan<float> vector);

    /// <summary>Makes an inserted node visible to searches.</summary>
    void Publish(int node);

    /// <summary>Takes a node out of search results; false when it was not live.</summary>
    bool Retire(int node);

    /// <summary>Repairs the links around a retired node, after the write has made its change visible.</summary>
    void Repair(int node);

    /// <summary>Copies a node's vector as the space stores it (normalised for cosine, rounded for half-width rows).</summary>
    void CopyVector(int node, Span<float> destination);

    /// <summary>
    /// The k nearest live nodes to <paramref name="query"/> that <paramref name="filter"/> accepts (all, when null),
    /// nearest first, planned and run as the space sees best; fills <paramref name="explain"/> when asked to.
    /// </summary>
    int Search(ReadOnlySpan<float> query, int k, SearchOptions options, NodePredicate? filter, IPointSource points, Span<Neighbor> results, out SearchExplain? explain, CancellationToken cancellation);

    /// <summary>Writes what a checkpoint saves of the space, for the space to be restored from it; writers are kept out.</summary>
    void WriteSnapshot(Stream stream);
}
