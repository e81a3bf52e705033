namespace VectorDb.Querying;

/// <summary>
/// A point a query stage ranked: its node and its raw score, higher is better (a similarity, a negated distance, a
/// fused score); <see cref="OrderValue"/> is the payload value an order-by stage ranked it by.
/// </summary>
internal readonly record struct Hit(int Node, float Score, double? OrderValue = null);
