namespace VectorDb;

/// <summary>
/// How an index stores vector elements. Queries stay float32; only the stored rows are narrowed, so a half-width
/// type halves the memory every distance pulls in (graph walks are memory-bound) at the price of rounding. Names
/// follow Qdrant's <c>datatype</c> (<c>float32</c>, <c>float16</c>) and Milvus's <c>bfloat16</c>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifiers should not contain type names", Justification = "The names are the data types, as Qdrant's datatype values spell them.")]
public enum VectorDataType
{
    /// <summary>IEEE float32, exact. The default.</summary>
    Float32,

    /// <summary>
    /// IEEE float16: 11 significant bits (relative rounding ≤ 2⁻¹¹), range ±65,504. Values beyond it are refused;
    /// values below 2⁻¹⁴ in magnitude (float16's subnormals) are stored as zero. For float embeddings.
    /// </summary>
    Float16,

    /// <summary>
    /// bfloat16: float32's range, 8 significant bits (relative rounding ≤ 2⁻⁹). Cheapest to read (a shift per element);
    /// exact for integers up to 256 (pixel and SIFT-style byte data), coarser than <see cref="Float16"/> otherwise.
    /// </summary>
    BFloat16,
}

/// <summary>Properties of <see cref="VectorDataType"/> values.</summary>
public static class VectorDataTypeExtensions
{
    /// <summary>The largest magnitude a component may have to be stored (after normalisation, for cosine).</summary>
    public static float MaxMagnitude(this VectorDataType type) => Distance.RowCodec.MaxMagnitude(type);

    /// <summary>The name used in the REST API and on the command line: <c>float32</c>, <c>float16</c> or <c>bfloat16</c>.</summary>
    public static string ToApiName(this VectorDataType type) => type.ToString().ToLowerInvariant();
}
