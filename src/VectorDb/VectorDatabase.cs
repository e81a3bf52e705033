using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

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
public sealed class VectorDatabase : IDisposable
{
    /// <summary>Longest collection name accepted.</summary>
    public const int MaxCollectionNameLength = 255;

    private readonly ConcurrentDictionary<string, Collection> _collections = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _disposed;

    private VectorDatabase()
    {
    }

    /// <summary>Creates a database that lives in memory only and is lost on dispose.</summary>
    public static VectorDatabase InMemory() => new();

    /// <summary>Creates a collection.</summary>
    /// <exception cref="InvalidRequestException">Bad name or options.</exception>
    /// <exception cref="CollectionAlreadyExistsException">The name is taken.</exception>
    public Collection CreateCollection(string name, CollectionOptions options)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_collections.ContainsKey(name))
            {
                throw new CollectionAlreadyExistsException(name);
            }

            var collection = new Collection(name, options);
            _collections[name] = collection;
            return collection;
        }
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
    public bool DeleteCollection(string name)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_collections.TryRemove(name, out var collection))
            {
                return false;
            }

            collection.Drop();
            return true;
        }
    }

    /// <summary>Names of all collections, sorted.</summary>
    public IReadOnlyList<string> ListCollections()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return [.. _collections.Keys.Order(StringComparer.Ordinal)];
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var collection in _collections.Values)
            {
                collection.Drop();
            }

            _collections.Clear();
        }
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
