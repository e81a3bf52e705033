using VectorDb.Sparse;

namespace VectorDb;

/// <summary>A point to upsert: id, vectors and optional payload.</summary>
/// <param name="Id">External id (unsigned integer or UUID).</param>
/// <param name="Vector">
/// The unnamed vector; its length must equal the collection's dimension. Required in a collection with an unnamed
/// vector, null in one without.
/// </param>
/// <param name="Payload">Optional JSON payload.</param>
public sealed record Point(PointId Id, float[]? Vector, Payload? Payload = null)
{
    /// <summary>Named dense vectors by name; a point may lack any of the collection's. Null: none.</summary>
    public IReadOnlyDictionary<string, float[]>? NamedVectors { get; init; }

    /// <summary>Sparse vectors by name; a point may lack any of the collection's. Null: none.</summary>
    public IReadOnlyDictionary<string, SparseVector>? SparseVectors { get; init; }

    /// <summary>Multivectors (several vectors under one name) by name; a point may lack any of the collection's. Null: none.</summary>
    public IReadOnlyDictionary<string, float[][]>? Multivectors { get; init; }
}

/// <summary>A stored point as returned by <c>Collection.Get</c>.</summary>
/// <param name="Id">External id.</param>
/// <param name="Vector">The stored unnamed vector (L2-normalised for cosine collections, as Qdrant does), or null when not requested or the collection has none.</param>
/// <param name="Payload">The payload, or null when the point has none or it was not requested.</param>
public sealed record PointRecord(PointId Id, float[]? Vector, Payload? Payload)
{
    /// <summary>In a page scrolled in the order of a payload field: the value this record stands for (a point holding
    /// several values appears once per value); null otherwise.</summary>
    public double? OrderValue { get; init; }

    /// <summary>The point's named dense vectors, when vectors were requested and it has some.</summary>
    public IReadOnlyDictionary<string, float[]>? NamedVectors { get; init; }

    /// <summary>The point's sparse vectors, when vectors were requested and it has some.</summary>
    public IReadOnlyDictionary<string, SparseVector>? SparseVectors { get; init; }

    /// <summary>The point's multivectors, when vectors were requested and it has some.</summary>
    public IReadOnlyDictionary<string, float[][]>? Multivectors { get; init; }
}

/// <summary>Scrolls in the order of a numeric payload field, which needs an integer or float payload index.</summary>
/// <param name="Key">The payload key.</param>
/// <param name="Descending">Highest values first.</param>
/// <param name="StartFrom">The first value to include (inclusive); null: from the lowest (or highest) value.</param>
public sealed record ScrollOrder(string Key, bool Descending = false, double? StartFrom = null);

/// <summary>A search hit.</summary>
/// <param name="Id">External id.</param>
/// <param name="Score">Similarity for cosine/dot (higher is better); distance for Euclid/Manhattan (lower is better).</param>
/// <param name="Payload">The payload when requested.</param>
/// <param name="Vector">The stored vector when requested.</param>
public sealed record ScoredPoint(PointId Id, float Score, Payload? Payload = null, float[]? Vector = null)
{
    /// <summary>In the hits of an order-by query: the payload value the point was ordered by; null otherwise.</summary>
    public double? OrderValue { get; init; }

    /// <summary>The point's named dense vectors, when vectors were requested and it has some.</summary>
    public IReadOnlyDictionary<string, float[]>? NamedVectors { get; init; }

    /// <summary>The point's sparse vectors, when vectors were requested and it has some.</summary>
    public IReadOnlyDictionary<string, SparseVector>? SparseVectors { get; init; }

    /// <summary>The point's multivectors, when vectors were requested and it has some.</summary>
    public IReadOnlyDictionary<string, float[][]>? Multivectors { get; init; }
}

/// <summary>One page of <see cref="Collection.Scroll"/> or <see cref="Collection.ScrollOrdered"/>.</summary>
/// <param name="Points">The points of this page, in id order.</param>
/// <param name="NextOffset">The id the next page starts at, or null when this is the last page.</param>
public sealed record ScrollPage(IReadOnlyList<PointRecord> Points, PointId? NextOffset);

/// <summary>The hits of a search, best first, and, when asked for, how the search was planned and run.</summary>
public sealed class SearchResults(IReadOnlyList<ScoredPoint> hits, Query.SearchExplain? explain) : IReadOnlyList<ScoredPoint>
{
    /// <summary>The plan and the work done; null unless <see cref="SearchOptions.Explain"/> was set.</summary>
    public Query.SearchExplain? Explain { get; } = explain;

    /// <inheritdoc />
    public int Count => hits.Count;

    /// <inheritdoc />
    public ScoredPoint this[int index] => hits[index];

    /// <inheritdoc />
    public IEnumerator<ScoredPoint> GetEnumerator() => hits.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
