namespace VectorDb.Query.Reach;

/// <summary>
/// Payload-aware reach: what a keyword index builds in a graph so that a filter on its values reaches their points,
/// wherever they lie among other values' points — links among each large value's points and to the nearest points of
/// other values (<see cref="LinkedValues"/>, Qdrant's <c>payload_m</c>), or a graph per large value
/// (<see cref="TenantGraphs"/>, <c>is_tenant</c>). Values reach <see cref="MinPoints"/> points before anything is built
/// for them; the building runs in the background (<see cref="ReachBuilder"/>), and checkpoints save what is built.
/// </summary>
internal interface IValueReach : IDisposable
{
    /// <summary>Values held by fewer points get no graph or links: an exact scan of them is about as fast as a walk.</summary>
    const int MinPoints = 1000;

    /// <summary>True while values are being linked (or their graphs built) in the background.</summary>
    bool Building { get; }

    /// <summary>
    /// True when something is built and no building runs (its half-made work is left to be done again after a load);
    /// the caller keeps writers out, so none can start.
    /// </summary>
    bool HasStateToSave { get; }

    /// <summary>Links a node the index has just indexed among its values' points, or queues the building of a value that now has enough.</summary>
    void Add(int node);

    /// <summary>Takes a node out of what its values have built; called before the index forgets the node's values.</summary>
    void Remove(int node);

    /// <summary>Starts building for every value held by enough points: for an index created over existing points.</summary>
    void BuildAll();

    /// <summary>Waits for the building started so far to finish.</summary>
    void WaitUntilBuilt();

    /// <summary>What a filter requiring (or excluding) these values can use; see <see cref="FilterReach"/>.</summary>
    FilterReach For(int[] values, bool excluding);

    /// <summary>Writes what is built, for <see cref="Restore"/> over the same graph after a load. Call when <see cref="HasStateToSave"/>.</summary>
    void Write(Stream stream);

    /// <summary>
    /// Takes back what <see cref="Write"/> wrote, for an index just filled from the same points, before
    /// <see cref="BuildAll"/>: those values are ready at once, and only the others are built in the background.
    /// </summary>
    /// <exception cref="InvalidDataException">What was saved does not fit this graph or this kind of reach.</exception>
    void Restore(Stream stream);
}

/// <summary>
/// The values a keyword index holds, as the reach built over them reads them: dense value ids, each value's points,
/// each point's values.
/// </summary>
internal interface IIndexedValues
{
    /// <summary>The payload key, for messages.</summary>
    string Key { get; }

    /// <summary>Points holding at least one value.</summary>
    int Points { get; }

    /// <summary>Distinct values so far: ids run from 0 to this.</summary>
    int ValueCount { get; }

    /// <summary>Points holding the value.</summary>
    int PointsOf(int value);

    /// <summary>The points holding the value, as they are now.</summary>
    int[] HoldersOf(int value);

    /// <summary>The node's values, or null when it holds none.</summary>
    int[]? ValuesOf(int node);

    /// <summary>The id of a value, if a point holds it.</summary>
    int? IdOf(string value);

    /// <summary>The value of an id.</summary>
    string ValueOf(int id);

    /// <summary>True when the node holds none of <paramref name="values"/> (or no value at all).</summary>
    bool HoldsNoneOf(int node, int[] values);

    /// <summary>The holders of one value, as links among them check and count them.</summary>
    IValueMembers Holding(int value);
}

/// <summary>The points holding a value.</summary>
internal interface IValueMembers
{
    /// <summary>Points holding it; exact unless a point holds several values, then an upper bound.</summary>
    int Count { get; }

    /// <summary>True when the node holds the value.</summary>
    bool Holds(int node);
}
