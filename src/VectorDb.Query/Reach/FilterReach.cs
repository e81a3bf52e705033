namespace VectorDb.Query.Reach;

/// <summary>
/// What payload-aware reach offers a filter: a tenant's graph or a value's links to search instead of the whole graph,
/// and extra link layers for a walk of the whole graph (<see cref="Hnsw.WalkOptions"/>). Combined over a filter's
/// conditions by <see cref="AllOf"/>, <see cref="AnyOf"/> and <see cref="Negated"/>.
/// </summary>
/// <param name="Tenant">A ready graph of only the points the filter requires, or null.</param>
/// <param name="Links">Ready links among only the points the filter requires, or null.</param>
/// <param name="FollowLayer">
/// Links among the points of the values the filter requires or excludes (<c>label ∈ {1, 2}</c>, <c>label ≠ 3</c>): from a
/// match they lead to matches (bar points holding several values).
/// </param>
/// <param name="LookThroughLayer">
/// For a filter excluding values of a field and nothing else (<c>label ≠ 3</c>): links from each point to the nearest points
/// holding none of its values, so from a point rejected for its value they lead to points accepted.
/// </param>
/// <param name="ComplementLookThroughLayer">What <paramref name="LookThroughLayer"/> would be for the filter's negation: a filter requiring values, negated, excludes them.</param>
internal readonly record struct FilterReach(
    ValueGraph? Tenant = null, ValueLinks? Links = null, int? FollowLayer = null, int? LookThroughLayer = null, int? ComplementLookThroughLayer = null)
{
    /// <summary>Nothing to offer.</summary>
    public static FilterReach None => default;

    /// <summary>
    /// An AND: a match of it matches each part, so a part's graph, links or followed layer serve; but a rejected node
    /// is looked through along a layer only when every part excludes values of that one field (a node rejected by
    /// another condition is better looked through along its graph links, which lead to nodes of any value).
    /// </summary>
    public static FilterReach AllOf(IReadOnlyList<FilterReach> parts) => new(
        parts.Select(p => p.Tenant).FirstOrDefault(tenant => tenant is not null),
        parts.Select(p => p.Links).FirstOrDefault(links => links is not null),
        parts.Select(p => p.FollowLayer).FirstOrDefault(layer => layer is not null),
        SameLayer(parts.Select(p => p.LookThroughLayer)));

    /// <summary>An OR: negated, it is the AND of its parts negated.</summary>
    public static FilterReach AnyOf(IReadOnlyList<FilterReach> parts) => new(ComplementLookThroughLayer: SameLayer(parts.Select(p => p.ComplementLookThroughLayer)));

    /// <summary>A NOT: excluding values is choosing the others; the complement of an AND or an OR is no such choice.</summary>
    /// <param name="ofCombination">True when the negated part is an AND or an OR.</param>
    public FilterReach Negated(bool ofCombination) => new(
        FollowLayer: ofCombination ? null : FollowLayer,
        LookThroughLayer: ComplementLookThroughLayer,
        ComplementLookThroughLayer: LookThroughLayer);

    /// <summary>The layer all of <paramref name="layers"/> name, or null when they differ or name none.</summary>
    private static int? SameLayer(IEnumerable<int?> layers) => layers.Distinct().ToList() is [{ } layer] ? layer : null;
}
