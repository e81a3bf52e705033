using VectorDb.Query;

namespace VectorDb;

/// <summary>Which points of a batch an upsert writes (Qdrant's <c>update_mode</c>).</summary>
public enum UpsertMode
{
    /// <summary>Insert new points and replace existing ones.</summary>
    Upsert,

    /// <summary>Insert new points only; a point whose id exists is left as it is.</summary>
    InsertOnly,

    /// <summary>Replace existing points only; a point whose id does not exist is not inserted.</summary>
    UpdateOnly,
}

/// <summary>Conditions and durability of an upsert.</summary>
public sealed record UpsertOptions
{
    /// <summary>Plain upserts that wait for durability.</summary>
    public static UpsertOptions Default { get; } = new();

    /// <summary>Which points are written: new ones, existing ones, or both (the default).</summary>
    public UpsertMode Mode { get; init; } = UpsertMode.Upsert;

    /// <summary>
    /// When set, an existing point is replaced only if it matches this filter (Qdrant's <c>update_filter</c>, a
    /// conditional update, e.g. on a version number in the payload); points that do not exist yet are inserted unless
    /// <see cref="Mode"/> forbids it. The check runs under the collection's write lock, and only the points that pass
    /// it are logged, so a replay of the log writes the same points.
    /// </summary>
    public Filter? UpdateFilter { get; init; }

    /// <summary>On disk: return only once the write is durable (true), or once it is logged in memory (false).</summary>
    public bool Wait { get; init; } = true;
}
