using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using VectorDb.Persistence;
using VectorDb.Storage;

namespace VectorDb;

/// <summary>
/// The entry point of the embedded library: a set of named collections.
/// </summary>
/// <example>
/// <code>
/// using var db = VectorDatabase.InMemory();
/// var docs = db.CreateCollection("docs", new CollectionOptions { Dimensions = 3, Distance = DistanceMetric.Cosine });
/// docs.Upsert([new Point(1, [0.1f, 0.9f, 0.2f], Payload.FromObject(new { lang = "en" }))]);
/// var hits = docs.Search([0.1f, 0.8f, 0.3f], k: 5);
/// </code>
/// </example>
public sealed partial class VectorDatabase : IDisposable
{
    /// <summary>Longest collection name accepted.</summary>
    public const int MaxCollectionNameLength = 255;

    private readonly ConcurrentDictionary<string, Collection> _collections = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly DurableStore? _durable;
    private uint _nextInMemoryId = 1;
    private bool _disposed;

    private VectorDatabase(DurableStore? durable)
    {
        _durable = durable;
    }

    /// <summary>The data directory, or null for an in-memory database.</summary>
    public string? Path => _durable?.Root;

    /// <summary>Creates a database that lives in memory only and is lost on dispose.</summary>
    public static VectorDatabase InMemory() => new(null);

    /// <summary>Creates a collection.</summary>
    /// <exception cref="InvalidRequestException">Bad name or options.</exception>
    /// <exception cref="CollectionAlreadyExistsException">The name is taken.</exception>
    /// <exception cref="StorageException">The creation could not be logged; nothing was created.</exception>
    public Collection CreateCollection(string name, CollectionOptions options)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Collection collection;
        long logAddress = 0;
        using (_durable?.EnterWrite() ?? default)
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_collections.ContainsKey(name))
                {
                    throw new CollectionAlreadyExistsException(name);
                }

                uint id = TakeCollectionId();
                collection = new Collection(name, id, options, _durable);
                if (_durable is not null)
                {
                    logAddress = _durable.Log.Append(new CreateCollectionRecord(id, name, collection.Config));
                }

                _collections[name] = collection;
            }
        }

        _durable?.Log.WaitForCommit(logAddress);
        return collection;
    }

    /// <summary>Returns a collection by name.</summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    public Collection GetCollection(string name) =>
        TryGetCollection(name, out var collection) ? collection : throw new CollectionNotFoundException(name);

    /// <summary>Looks a collection up by name.</summary>
    public bool TryGetCollection(string name, [NotNullWhen(true)] out Collection? collection)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _collections.TryGetValue(name, out collection);
    }

    /// <summary>True when a collection of that name exists.</summary>
    public bool CollectionExists(string name) => TryGetCollection(name, out _);

    /// <summary>Deletes a collection and all its points.</summary>
    /// <returns>False when it did not exist.</returns>
    /// <exception cref="StorageException">The deletion could not be logged; nothing was deleted.</exception>
    public bool DeleteCollection(string name)
    {
        long logAddress = 0;
        using (_durable?.EnterWrite() ?? default)
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (!_collections.TryGetValue(name, out var collection))
                {
                    return false;
                }

                if (_durable is not null)
                {
                    logAddress = _durable.Log.Append(new DropCollectionRecord(collection.Id));
                }

                _collections.TryRemove(name, out _);
                collection.Drop();
            }
        }

        _durable?.Log.WaitForCommit(logAddress);
        return true;
    }

    /// <summary>Names of all collections, sorted.</summary>
    public IReadOnlyList<string> ListCollections()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return [.. _collections.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>Closes the database; on disk, takes a checkpoint first so the next open replays nothing.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _durable?.Dispose();
        foreach (var collection in _collections.Values)
        {
            collection.Release();
        }

        _collections.Clear();
    }

    private uint TakeCollectionId()
    {
        if (_durable is null)
        {
            return _nextInMemoryId++;
        }

        return _durable.NextCollectionId++;
    }

    /// <summary>
    /// Names are 1–255 characters of letters, digits, '_', '-' and '.', not starting with '.': they become
    /// directory names on disk, so nothing that could traverse paths is accepted.
    /// </summary>
    private static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxCollectionNameLength)
        {
            throw new InvalidRequestException($"Collection name must be 1 to {MaxCollectionNameLength} characters long.");
        }

        if (name[0] == '.' || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            throw new InvalidRequestException(
                $"Collection name `{name}` is invalid: use letters, digits, '_', '-' and '.', not starting with '.'.");
        }
    }
}
