using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using VectorDb.Storage;

namespace VectorDb;

/// <summary>
/// Asynchronous twins of opening, collection writes, checkpoints and disposal. Collection writes await the log commit
/// without holding a thread; opening, checkpoints and disposal are disk-bound work that runs on the thread pool.
/// </summary>
/// <remarks>
/// Cancellation is honoured where stopping leaves nothing half done: a collection write before it is applied (after
/// that it stands and the call completes when it is durable), opening and checkpoints before they start. Recovery and
/// a checkpoint once started run to the end: stopping them half way would only have to be undone by the next open.
/// </remarks>
public sealed partial class VectorDatabase : IAsyncDisposable
{
    /// <summary>Asynchronous <see cref="Open"/>: recovery runs on the thread pool.</summary>
    /// <param name="path">Data directory; created if missing. One process at a time.</param>
    /// <param name="options">Commit and checkpoint settings; <see cref="StorageOptions.Default"/> when null.</param>
    /// <param name="logger">Receives recovery and checkpoint messages.</param>
    /// <param name="cancellation">Observed until recovery starts.</param>
    /// <exception cref="StorageException">The directory is in use, unreadable, or damaged beyond recovery.</exception>
    public static Task<VectorDatabase> OpenAsync(string path, StorageOptions? options = null, ILogger? logger = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Task.Run(() => Open(path, options, logger), cancellation);
    }

    /// <summary>Asynchronous <see cref="CreateCollection"/>.</summary>
    /// <exception cref="InvalidRequestException">Bad name or options.</exception>
    /// <exception cref="CollectionAlreadyExistsException">The name is taken.</exception>
    /// <exception cref="StorageException">The creation could not be logged; nothing was created.</exception>
    public async Task<Collection> CreateCollectionAsync(string name, CollectionOptions options, CancellationToken cancellation = default)
    {
        var id = new StrongBox<uint>();
        await WriteAsync(CreateCollectionWrite(name, options, id), cancellation).ConfigureAwait(false);
        return FindById(id.Value) ?? throw new CollectionNotFoundException(name);
    }

    /// <summary>Asynchronous <see cref="DeleteCollection"/>.</summary>
    /// <returns>False when it did not exist.</returns>
    public Task<bool> DeleteCollectionAsync(string name, CancellationToken cancellation = default) =>
        WriteAsync(DeleteCollectionWrite(name), cancellation);

    /// <summary>Asynchronous <see cref="Checkpoint"/>, on the thread pool.</summary>
    /// <param name="cancellation">Observed until the checkpoint starts.</param>
    /// <exception cref="InvalidOperationException">The database is in memory.</exception>
    public Task CheckpointAsync(CancellationToken cancellation = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Task.Run(Checkpoint, cancellation);
    }

    /// <summary>Closes the database as <see cref="Dispose"/> does (a final checkpoint on disk), on the thread pool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_durable is null)
        {
            Dispose();
            return;
        }

        await Task.Run(Dispose).ConfigureAwait(false);
    }
}
