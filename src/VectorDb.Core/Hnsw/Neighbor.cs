namespace VectorDb.Hnsw;

/// <summary>A node of the index and its distance to a query (lower is closer).</summary>
/// <param name="Id">Dense internal id.</param>
/// <param name="Distance">Internal distance: −dot for cosine/dot, squared L2 for Euclid, L1 for Manhattan.</param>
public readonly record struct Neighbor(int Id, float Distance);
