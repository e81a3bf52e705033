using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace VectorDb.VectorData;

/// <summary>
/// Builds MEVD's record model (from attributes or a <see cref="VectorStoreCollectionDefinition"/>) and refuses what the
/// engine cannot store: keys other than unsigned integers, UUIDs and strings, data of types without a JSON payload form, vectors
/// of other element types, and storage names that would read as payload paths.
/// </summary>
internal sealed class RecordModelBuilder() : CollectionModelBuilder(new CollectionModelBuildingOptions
{
    SupportsMultipleVectors = true,
    RequiresAtLeastOneVector = true,
})
{
    /// <summary>Key types a record may use: the engine's point ids are unsigned 64-bit integers or UUIDs; strings map to UUIDs (<see cref="StringKeys"/>).</summary>
    internal static readonly Type[] KeyTypes = [typeof(ulong), typeof(long), typeof(int), typeof(Guid), typeof(string)];

    private static readonly HashSet<Type> ScalarTypes =
    [
        typeof(string), typeof(bool), typeof(int), typeof(long), typeof(short), typeof(byte), typeof(float), typeof(double),
        typeof(DateTime), typeof(DateTimeOffset), typeof(Guid),
    ];

    private static readonly HashSet<Type> FloatVectorTypes = [typeof(float[]), typeof(ReadOnlyMemory<float>), typeof(ReadOnlyMemory<float>?), typeof(Embedding<float>)];
    private static readonly HashSet<Type> HalfVectorTypes = [typeof(Half[]), typeof(ReadOnlyMemory<Half>), typeof(ReadOnlyMemory<Half>?), typeof(Embedding<Half>)];

    /// <summary>True for the vector forms stored as they are (other vector property types are embedded first).</summary>
    public static bool IsVectorType(Type type) => FloatVectorTypes.Contains(type) || HalfVectorTypes.Contains(type);

    /// <summary>True for the half-precision vector forms, stored as float16 rows.</summary>
    public static bool IsHalfVector(Type type) => HalfVectorTypes.Contains(type);

    /// <summary>True for the numeric scalar types (nullable or not) that payload numbers hold.</summary>
    public static bool IsNumber(Type type) => (Nullable.GetUnderlyingType(type) ?? type) is var scalar
        && (scalar == typeof(int) || scalar == typeof(long) || scalar == typeof(short) || scalar == typeof(byte) || scalar == typeof(float) || scalar == typeof(double));

    /// <summary>The element type of an array or list data property, or null for a scalar.</summary>
    public static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() is var definition && (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(ICollection<>) || definition == typeof(IEnumerable<>))
            ? type.GetGenericArguments()[0]
            : null;

    protected override bool SupportsKeyAutoGeneration(Type keyPropertyType) => keyPropertyType == typeof(Guid);

    protected override void ValidateKeyProperty(KeyPropertyModel keyProperty)
    {
        base.ValidateKeyProperty(keyProperty);
        if (!KeyTypes.Contains(keyProperty.Type))
        {
            throw new NotSupportedException(
                $"Key property '{keyProperty.ModelName}' is of type {keyProperty.Type.Name}; VectorDb keys are ulong (or non-negative long/int), Guid or string.");
        }
    }

    protected override void ValidateProperty(PropertyModel propertyModel, VectorStoreCollectionDefinition? definition)
    {
        base.ValidateProperty(propertyModel, definition);
        if (propertyModel is KeyPropertyModel && propertyModel.StorageName != propertyModel.ModelName)
        {
            throw new NotSupportedException($"Key property '{propertyModel.ModelName}' has a storage name; the key is the point id, which has none (a string key is also kept in a payload field named after the key property).");
        }

        if (propertyModel is not KeyPropertyModel && propertyModel.StorageName.IndexOfAny(['.', '[', ']']) >= 0)
        {
            throw new NotSupportedException(
                $"Storage name '{propertyModel.StorageName}' of property '{propertyModel.ModelName}' contains '.', '[' or ']', which VectorDb filters read as a path into the payload; choose another name.");
        }
    }

    protected override bool IsDataPropertyTypeValid(Type type, out string supportedTypes)
    {
        supportedTypes = "string, bool, int, long, short, byte, float, double, DateTime, DateTimeOffset, Guid (each also nullable), and arrays or lists of them";
        var element = ElementType(type) ?? type;
        return ScalarTypes.Contains(Nullable.GetUnderlyingType(element) ?? element);
    }

    protected override bool IsVectorPropertyTypeValid(Type type, out string supportedTypes)
    {
        supportedTypes = "float[], ReadOnlyMemory<float>, Embedding<float>, Half[], ReadOnlyMemory<Half>, Embedding<Half>";
        return IsVectorType(type);
    }
}
