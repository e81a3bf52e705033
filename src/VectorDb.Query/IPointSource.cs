namespace VectorDb.Query;

/// <summary>What filter evaluation needs from a collection: its points by graph node, and nodes by id.</summary>
internal interface IPointSource
{
    /// <summary>Every node id is below this.</summary>
    int NodeBound { get; }

    /// <summary>Number of live points.</summary>
    int LiveCount { get; }

    /// <summary>The live point on <paramref name="node"/>, if any.</summary>
    bool TryGetPoint(int node, out PointId id, out Payload? payload);

    /// <summary>The node holding the point with this id, if it exists.</summary>
    bool TryGetNode(PointId id, out int node);

    /// <summary>Tells which nodes hold a vector of this name (<c>""</c>: the unnamed one); null when there is no such vector.</summary>
    Func<int, bool>? VectorHolders(string vector);
}
