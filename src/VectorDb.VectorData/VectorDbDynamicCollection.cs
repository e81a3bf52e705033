using Microsoft.Extensions.VectorData;

namespace VectorDb.VectorData;

/// <summary>
/// An MEVD collection of dynamic records (<c>Dictionary&lt;string, object?&gt;</c>) over an embedded
/// <see cref="VectorDatabase"/>: the schema comes from a <see cref="VectorStoreCollectionDefinition"/> instead of a
/// record type. Keys are boxed <c>ulong</c>, <c>long</c>, <c>int</c>, <c>Guid</c> or <c>string</c> values, as the definition's key
/// property declares.
/// </summary>
public sealed class VectorDbDynamicCollection : VectorDbCollection<object, Dictionary<string, object?>>
{
    /// <summary>A dynamic collection named <paramref name="name"/>, shaped by <see cref="VectorStoreCollectionOptions.Definition"/> (required).</summary>
    /// <exception cref="ArgumentException">No definition.</exception>
    /// <exception cref="NotSupportedException">A key, data or vector type, distance function or index kind the engine does not offer.</exception>
    public VectorDbDynamicCollection(VectorDatabase database, string name, VectorDbCollectionOptions options)
        : base(database, name, options, static (builder, definition, generator) => builder.BuildDynamic(
            definition ?? throw new ArgumentException("A dynamic collection needs a VectorStoreCollectionDefinition.", nameof(options)), generator))
    {
    }
}
