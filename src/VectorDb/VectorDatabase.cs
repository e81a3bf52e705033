using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using VectorDb.Log;
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
public sealed partial class VectorDatabase : IDisposable, IDatabaseState
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

    /// <summary>The logs, point store and checkpoints of a database on disk (null in memory), for tests and benchmarks.</summary>
    internal DurableStore? Store => _durable;

    /// <summary>Creates a database that lives in memory only and is lost on dispose.</summary>
    public static VectorDatabase InMemory() => new(null);

    /// <summary>Creates a collection.</summary>
    /// <exception cref="InvalidRequestException">Bad name or options.</exception>
    /// <exception cref="CollectionAlreadyExistsException">The name is taken.</exception>
    /// <exception cref="StorageException">The creation could not be logged; nothing was created.</exception>
    public Collection CreateCollection(string name, CollectionOptions options)
    {
        var id = new StrongBox<uint>();
        Write(CreateCollectionWrite(name, options, id));
        return FindById(id.Value) ?? throw new CollectionNotFoundException(name); // dropped again meanwhile
    }

    /// <summary>The write that creates a collection; <paramref name="id"/> receives its id once it is made.</summary>
    private Func<DatabaseRecord?> CreateCollectionWrite(string name, CollectionOptions options, StrongBox<uint> id)
    {
        ValidateCollectionName(name);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.KeepsRowsInFiles && _durable is null)
        {
            throw new InvalidRequestException("Vectors kept on disk (memory `cached` or `cold`) need a database opened on a directory, not an in-memory one.");
        }

        return () =>
        {
            if (_collections.ContainsKey(name))
            {
                throw new CollectionAlreadyExistsException(name);
            }

            if (_aliases.ContainsKey(name))
            {
                throw new InvalidRequestException($"Can't create collection with name {name}: an alias of that name exists.");
            }

            id.Value = TakeCollectionId();
            return new CreateCollectionRecord(id.Value, name, CollectionConfig.From(options)) { Sequence = 1 };
        };
    }

    /// <summary>Returns a collection by its name or an alias.</summary>
    /// <exception cref="CollectionNotFoundException">No such collection.</exception>
    public Collection GetCollection(string name) =>
        TryGetCollection(name, out var collection) ? collection : throw new CollectionNotFoundException(name);

    /// <summary>Looks a collection up by its name or an alias.</summary>
    public bool TryGetCollection(string name, [NotNullWhen(true)] out Collection? collection)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        collection = _collections.GetValueOrDefault(name) ?? ByAlias(name);
        return collection is not null;
    }

    /// <summary>True when a collection of that name (or alias) exists.</summary>
    public bool CollectionExists(string name) => TryGetCollection(name, out _);

    /// <summary>Deletes a collection (by its name, not an alias), all its points and its aliases.</summary>
    /// <returns>False when it did not exist.</returns>
    /// <exception cref="StorageException">The deletion could not be logged; nothing was deleted.</exception>
    public bool DeleteCollection(string name) => Write(DeleteCollectionWrite(name));

    private Func<DatabaseRecord?> DeleteCollectionWrite(string name) =>
        () => _collections.TryGetValue(name, out var collection) ? new DropCollectionRecord(collection.Id) { Sequence = collection.LastSequence + 1 } : null;

    /// <summary>
    /// The write path of the database's own records: under the database lock, makes the record (null: nothing to write),
    /// logs it, applies it, and waits until it is durable.
    /// </summary>
    /// <returns>False when there was nothing to write.</returns>
    private bool Write(Func<DatabaseRecord?> makeRecord)
    {
        var (commit, written) = Apply(makeRecord);
        commit.Wait();
        return written;
    }

    /// <summary>As <see cref="Write"/>, awaiting durability; <paramref name="cancellation"/> is observed until the record is applied.</summary>
    private async Task<bool> WriteAsync(Func<DatabaseRecord?> makeRecord, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var (commit, written) = Apply(makeRecord);
        await commit.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        return written;
    }

    private (WriteCommit Commit, bool Written) Apply(Func<DatabaseRecord?> makeRecord)
    {
        using (_durable?.EnterWrite() ?? default)
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (makeRecord() is not { } record)
                {
                    return (WriteCommit.Done, false);
                }

                long address = _durable?.Log.Append(LogRecordCodec.Encode(record)) ?? 0;
                record.ApplyTo(this);
                return (new WriteCommit(_durable?.Log, address), true);
            }
        }
    }

    void IDatabaseState.ApplyCreateCollection(CreateCollectionRecord record)
    {
        if (_collections.ContainsKey(record.Name))
        {
            return;
        }

        _collections[record.Name] = new Collection(record.Name, record.CollectionId, record.Config.ToOptions(), _durable) { LastSequence = Math.Max(1, record.Sequence) };
        if (_durable is not null)
        {
            _durable.NextCollectionId = Math.Max(_durable.NextCollectionId, record.CollectionId + 1);
        }
    }

    void IDatabaseState.ApplyDropCollection(DropCollectionRecord record)
    {
        if (FindById(record.CollectionId) is { } collection)
        {
            _collections.TryRemove(collection.Name, out _);
            ForgetAliases(collection.Id);
            collection.Drop();
            _durable?.CheckpointTwiceSoon();
        }
    }

    private Collection? FindById(uint id) => _collections.Values.FirstOrDefault(c => c.Id == id);

    /// <summary>Names of all collections, sorted.</summary>
    public IReadOnlyList<string> ListCollections()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return [.. _collections.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Closes the database; on disk, takes a checkpoint first so the next open replays (almost) nothing — writes that race
    /// with the close are committed to the log and replayed, later ones are refused with <see cref="ObjectDisposedException"/>.
    /// </summary>
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
            collection.Release(closing: true);
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
    /// <summary>Checks a collection (or alias) name: 1–255 letters, digits, '_', '-' and '.', not starting with '.'.</summary>
    /// <exception cref="InvalidRequestException">The name is not one, with what is wrong.</exception>
    public static void ValidateCollectionName(string name)
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
