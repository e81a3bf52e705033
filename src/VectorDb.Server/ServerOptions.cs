namespace VectorDb.Server;

/// <summary>Server settings, bound from the <c>VectorDb</c> configuration section, <c>--data-dir</c> and <c>--api-key</c>.</summary>
public sealed class ServerOptions
{
    /// <summary>Data directory; <c>:memory:</c> for a database that is not persisted.</summary>
    public string DataDir { get; set; } = "data/storage";

    /// <summary>When set, every endpoint but health and <c>GET /</c> requires this key.</summary>
    public string? ApiKey { get; set; }

    /// <summary>When set, this key may read (retrieve, search, query, scroll, count, inspect) but not write (403).</summary>
    public string? ReadOnlyApiKey { get; set; }

    /// <summary>Largest request body accepted, in bytes (413 beyond).</summary>
    public long MaxRequestBodyBytes { get; set; } = 32L << 20;
}
