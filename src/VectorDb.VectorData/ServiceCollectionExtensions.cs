using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.VectorData;
using VectorDb.Storage;

namespace VectorDb.VectorData;

/// <summary>Registers VectorDb as the application's MEVD vector store.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="VectorDatabase"/> on <paramref name="path"/> (opened on first use, closed with a final
    /// checkpoint when the container is disposed), and <see cref="VectorDbVectorStore"/> as <see cref="VectorStore"/>
    /// over it. A registered <see cref="IEmbeddingGenerator"/> becomes the store's default embedding generator.
    /// </summary>
    /// <exception cref="InvalidOperationException">A <see cref="VectorDatabase"/> is registered already (one per container).</exception>
    public static IServiceCollection AddVectorDbVectorStore(this IServiceCollection services, string path, StorageOptions? storage = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (services.Any(d => d.ServiceType == typeof(VectorDatabase)))
        {
            throw new InvalidOperationException("A VectorDatabase is registered already; register VectorDb once per container (one database serves many collections).");
        }

        services.TryAddSingleton(provider => VectorDatabase.Open(path, storage, provider.GetService<ILoggerFactory>()?.CreateLogger("VectorDb")));
        services.TryAddSingleton(provider => new VectorDbVectorStore(provider.GetRequiredService<VectorDatabase>(), provider.GetService<IEmbeddingGenerator>()));
        services.TryAddSingleton<VectorStore>(provider => provider.GetRequiredService<VectorDbVectorStore>());
        return services;
    }

    /// <summary>
    /// Registers the collection <paramref name="name"/> of records <typeparamref name="TRecord"/> as
    /// <see cref="VectorStoreCollection{TKey, TRecord}"/> (and <see cref="VectorDbCollection{TKey, TRecord}"/>), from
    /// the store <see cref="AddVectorDbVectorStore"/> registered.
    /// </summary>
    /// <exception cref="InvalidOperationException">A collection of these key and record types is registered already.</exception>
    public static IServiceCollection AddVectorDbCollection<TKey, TRecord>(this IServiceCollection services, string name, VectorStoreCollectionDefinition? definition = null)
        where TKey : notnull
        where TRecord : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.ServiceType == typeof(VectorDbCollection<TKey, TRecord>)))
        {
            throw new InvalidOperationException(
                $"A collection of {typeof(TRecord).Name} records is registered already; for a second one, resolve VectorDbVectorStore and call GetCollection<{typeof(TKey).Name}, {typeof(TRecord).Name}>(name).");
        }

        services.TryAddSingleton(provider => provider.GetRequiredService<VectorDbVectorStore>().GetCollection<TKey, TRecord>(name, definition));
        services.TryAddSingleton<VectorStoreCollection<TKey, TRecord>>(provider => provider.GetRequiredService<VectorDbCollection<TKey, TRecord>>());
        return services;
    }
}
