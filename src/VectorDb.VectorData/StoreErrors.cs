using Microsoft.Extensions.VectorData;

namespace VectorDb.VectorData;

/// <summary>MEVD's <see cref="VectorStoreException"/>, carrying the store's metadata, for what the engine reports.</summary>
internal static class StoreErrors
{
    /// <summary>An engine error (or a stored value that does not fit the record) during <paramref name="operation"/>.</summary>
    public static VectorStoreException Wrapped(Exception inner, VectorDatabase database, string collection, string operation) =>
        Described($"VectorDb {operation} on collection '{collection}' failed: {inner.Message}", database, collection, operation, inner);

    /// <summary>A failure the provider itself finds.</summary>
    public static VectorStoreException Described(string message, VectorDatabase database, string collection, string? operation = null, Exception? inner = null) =>
        new(message, inner)
        {
            VectorStoreSystemName = VectorDbVectorStore.SystemName,
            VectorStoreName = database.Path,
            CollectionName = collection,
            OperationName = operation,
        };
}
