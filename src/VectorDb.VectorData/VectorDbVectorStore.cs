using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using VectorDb.Storage;

namespace VectorDb.VectorData;

/// <summary>
/// An MEVD <see cref="VectorStore"/> over an embedded <see cref="VectorDatabase"/>: its collections are the
/// database's collections.
/// </summary>
/// <example>
/// <code>
/// await using var database = await VectorDatabase.OpenAsync("data");
/// using var store = new VectorDbVectorStore(database);
/// var movies = store.GetCollection&lt;ulong, Movie&gt;("movies");
/// await movies.EnsureCollectionExistsAsync();
/// await movies.UpsertAsync(new Movie { Key = 1, Title = "Shrek", Embedding = vector });
/// await foreach (var hit in movies.SearchAsync(query, top: 3)) { Console.WriteLine(hit.Record.Title); }
/// </code>
/// </example>
public sealed class VectorDbVectorStore : VectorStore
{
    /// <summary>The system name MEVD metadata and errors report (OpenTelemetry's <c>db.system.name</c>).</summary>
    public const string SystemName = "vectordb";

    private readonly VectorDatabase _database;
    private readonly bool _ownsDatabase;
    private readonly IEmbeddingGenerator? _embeddingGenerator;
    private readonly VectorStoreMetadata _metadata;

    /// <summary>A store over <paramref name="database"/>, which stays the caller's to dispose.</summary>
    /// <param name="database">The database.</param>
    /// <param name="embeddingGenerator">The default embedding generator of the store's collections (a collection's own, or a property's, wins).</param>
    public VectorDbVectorStore(VectorDatabase database, IEmbeddingGenerator? embeddingGenerator = null)
        : this(database, embeddingGenerator, ownsDatabase: false)
    {
    }

    private VectorDbVectorStore(VectorDatabase database, IEmbeddingGenerator? embeddingGenerator, bool ownsDatabase)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _ownsDatabase = ownsDatabase;
        _embeddingGenerator = embeddingGenerator;
        _metadata = new VectorStoreMetadata { VectorStoreSystemName = SystemName, VectorStoreName = database.Path };
    }

    /// <summary>Opens (or creates) the database in <paramref name="path"/> and a store over it; disposing the store closes the database.</summary>
    /// <exception cref="StorageException">The directory is in use by another process, unreadable, or damaged beyond recovery.</exception>
    public static VectorDbVectorStore Open(string path, StorageOptions? storage = null, IEmbeddingGenerator? embeddingGenerator = null) =>
        new(VectorDatabase.Open(path, storage), embeddingGenerator, ownsDatabase: true);

    /// <summary>The database the store serves.</summary>
    public VectorDatabase Database => _database;

    /// <inheritdoc cref="VectorStore.GetCollection{TKey, TRecord}(string, VectorStoreCollectionDefinition?)" />
    /// <exception cref="NotSupportedException">A key, data or vector type, distance function or index kind the engine does not offer.</exception>
    public override VectorDbCollection<TKey, TRecord> GetCollection<TKey, TRecord>(string name, VectorStoreCollectionDefinition? definition = null) =>
        new(_database, name, new VectorDbCollectionOptions { Definition = definition, EmbeddingGenerator = _embeddingGenerator });

    /// <inheritdoc />
    public override VectorDbDynamicCollection GetDynamicCollection(string name, VectorStoreCollectionDefinition definition) =>
        new(_database, name, new VectorDbCollectionOptions { Definition = definition, EmbeddingGenerator = _embeddingGenerator });

    /// <inheritdoc />
    public override async IAsyncEnumerable<string> ListCollectionNamesAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (string name in _database.ListCollections())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return name;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_database.TryGetCollection(name, out var collection) && collection.Name == name); // not an alias

    /// <inheritdoc />
    public override async Task EnsureCollectionDeletedAsync(string name, CancellationToken cancellationToken = default)
    {
        try
        {
            await _database.DeleteCollectionAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (VectorDbException e)
        {
            throw StoreErrors.Wrapped(e, _database, name, "EnsureCollectionDeleted");
        }
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(VectorStoreMetadata) ? _metadata
            : serviceType == typeof(VectorDatabase) ? _database
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsDatabase)
        {
            _database.Dispose();
        }

        base.Dispose(disposing);
    }
}
