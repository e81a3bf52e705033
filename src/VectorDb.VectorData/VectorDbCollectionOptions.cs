using Microsoft.Extensions.VectorData;

namespace VectorDb.VectorData;

/// <summary>Options of a <see cref="VectorDbCollection{TKey, TRecord}"/>: MEVD's (definition, embedding generator) and the engine's.</summary>
public sealed class VectorDbCollectionOptions : VectorStoreCollectionOptions
{
    /// <summary>Options with MEVD's defaults and the engine's.</summary>
    public VectorDbCollectionOptions()
    {
    }

    /// <summary>A copy of <paramref name="source"/>.</summary>
    public VectorDbCollectionOptions(VectorDbCollectionOptions source)
        : base(source)
    {
        ArgumentNullException.ThrowIfNull(source);
        SearchEf = source.SearchEf;
        WaitForDurability = source.WaitForDurability;
    }

    /// <summary>
    /// Beam width of graph searches (higher: more accurate, slower); null for the engine's default, which grows with
    /// <c>top</c>. Ignored by vectors whose index kind is <see cref="IndexKind.Flat"/>, which are always searched exactly.
    /// </summary>
    public int? SearchEf { get; set; }

    /// <summary>
    /// True (the default): upserts and deletes complete once they are durable on disk. False: once they are applied
    /// and logged in memory, committed to disk within the database's commit interval (a crash may lose them).
    /// </summary>
    public bool WaitForDurability { get; set; } = true;

    internal void Validate()
    {
        if (SearchEf is < 1 or > Collection.MaxSearchLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(SearchEf), SearchEf, $"SearchEf must lie within 1..{Collection.MaxSearchLimit}.");
        }
    }
}
