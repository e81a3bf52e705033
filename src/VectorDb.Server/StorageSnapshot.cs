using System.Diagnostics;

namespace VectorDb.Server;

/// <summary>Restores a full-storage snapshot when the server starts (<c>--storage-snapshot</c>, <c>--force-snapshot</c>).</summary>
internal static partial class StorageSnapshot
{
    private const string ForceFlag = "--force-snapshot";

    /// <summary>
    /// The command line with <c>--force-snapshot</c> given a value when it stands alone, as Qdrant's flag does
    /// (configuration switches otherwise take the next argument as their value).
    /// </summary>
    public static string[] WithFlagValues(string[] args)
    {
        var result = new List<string>(args.Length + 1);
        for (int i = 0; i < args.Length; i++)
        {
            result.Add(args[i]);
            if (args[i] == ForceFlag && (i + 1 == args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal)))
            {
                result.Add("true");
            }
        }

        return [.. result];
    }

    /// <summary>
    /// Restores <see cref="ServerOptions.StorageSnapshot"/> into <paramref name="database"/> when it is set, and logs
    /// what it restored. A snapshot that cannot be restored is logged with the reason and stops the server (the
    /// exception is thrown on) before it takes traffic; nothing in the data directory has changed then.
    /// </summary>
    public static void RestoreIfAsked(VectorDatabase database, ServerOptions options, ILogger logger)
    {
        if (string.IsNullOrEmpty(options.StorageSnapshot))
        {
            if (options.ForceSnapshot)
            {
                const string Reason = "--force-snapshot replaces collections with those of --storage-snapshot, which is not given.";
                CannotStart(logger, Reason);
                throw new InvalidRequestException(Reason);
            }

            return;
        }

        try
        {
            long started = Stopwatch.GetTimestamp();
            var restored = database.RestoreFullSnapshot(Path.GetFullPath(options.StorageSnapshot), replaceExisting: options.ForceSnapshot);
            Restored(logger, options.StorageSnapshot, restored.Count, string.Join(", ", restored.Select(c => c.Name)), database.ListAliases().Count, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (VectorDbException e)
        {
            CannotStart(logger, $"The full-storage snapshot {options.StorageSnapshot} was not restored: {e.Message}");
            throw;
        }
    }

    [LoggerMessage(2, LogLevel.Critical, "Not starting: {Reason}")]
    private static partial void CannotStart(ILogger logger, string reason);

    [LoggerMessage(1, LogLevel.Information, "Restored the full-storage snapshot {File}: {Count} collections ({Names}); {Aliases} aliases in all; {Seconds:F1} s")]
    private static partial void Restored(ILogger logger, string file, int count, string names, int aliases, double seconds);
}
