using System.Globalization;

namespace VectorDb.Server.Api.Validation;

/// <summary>
/// The query-string parameters an endpoint takes (endpoint metadata, checked by <see cref="RequestValidationFilter"/>):
/// any other is a 400, as are those of Qdrant's that this server does not implement there.
/// </summary>
internal sealed class QueryParameters
{
    private readonly HashSet<string> _accepted;

    private QueryParameters(string[] accepted, Dictionary<string, string>? refused = null)
    {
        _accepted = [.. accepted];
        Refused = refused ?? [];
    }

    /// <summary>Parameters of Qdrant's that the endpoint does not implement, with why.</summary>
    public IReadOnlyDictionary<string, string> Refused { get; }

    /// <summary>The parameters the endpoint implements.</summary>
    public IReadOnlyCollection<string> Accepted => _accepted;

    /// <summary>Point and index writes: <c>wait</c> and <c>ordering</c>.</summary>
    public static QueryParameters Write { get; } = new(["wait", "ordering"], new() { ["timeout"] = WriteTimeout });

    /// <summary>Searches, queries, counts, scrolls and retrievals: <c>consistency</c> and <c>timeout</c>.</summary>
    public static QueryParameters Read { get; } = new(["consistency", "timeout"]);

    /// <summary>Creating, changing and deleting a collection.</summary>
    public static QueryParameters CollectionWrite { get; } = new([], new() { ["timeout"] = WriteTimeout });

    /// <summary>Reading one point by id.</summary>
    public static QueryParameters PointRead { get; } = new(["consistency"]);

    /// <summary>Endpoints that take no query-string parameters.</summary>
    public static QueryParameters None { get; } = new([]);

    /// <summary>The Prometheus metrics, which Qdrant can also anonymise.</summary>
    public static QueryParameters Metrics { get; } = new([], new() { ["anonymize"] = "the metrics name collections, not their contents; none are anonymised" });

    /// <summary>Fitting a PCA rotation (ours); taking, deleting and recovering snapshots.</summary>
    public static QueryParameters Wait { get; } = new(["wait"]);

    /// <summary>Recovering a collection from an uploaded snapshot.</summary>
    public static QueryParameters SnapshotUpload { get; } = new(["wait", "priority", "checksum"]);

    private const string WriteTimeout = "a write runs to its end; with `wait=true` it returns once durable";

    /// <summary>Throws <see cref="InvalidRequestException"/> for a parameter the endpoint does not take or a value it cannot.</summary>
    public void Check(IQueryCollection query)
    {
        foreach (var (name, values) in query)
        {
            if (!_accepted.Contains(name))
            {
                throw new InvalidRequestException(Refused.TryGetValue(name, out string? reason)
                    ? $"Query parameter `{name}` is not supported here yet: {reason}."
                    : $"Unknown query parameter `{name}`.");
            }

            string value = values.ToString();
            switch (name)
            {
                // One node holds the one replica of every point, so every ordering and consistency level is met.
                case "ordering" when value is not ("weak" or "medium" or "strong"):
                    throw new InvalidRequestException($"ordering must be weak, medium or strong, got `{value}`.");
                case "consistency" when value is not ("majority" or "quorum" or "all")
                    && !(int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int factor) && factor >= 1):
                    throw new InvalidRequestException($"consistency must be a whole number of at least 1, majority, quorum or all, got `{value}`.");
            }
        }
    }
}
