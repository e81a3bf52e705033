using Qdrant.Client;

namespace VectorDb.Server.Tests;

/// <summary>One server process for a test class's gRPC calls, on an in-memory database, and the official .NET client on it.</summary>
public sealed class GrpcServerFixture : IAsyncLifetime
{
    private ServerProcess? _server;

    /// <summary>The running server.</summary>
    internal ServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    /// <summary>Qdrant's .NET client on the server's gRPC port.</summary>
    public QdrantClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await ServerProcess.StartAsync("--data-dir", ":memory:");
        Client = new QdrantClient(_server.GrpcAddress);
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
