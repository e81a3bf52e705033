using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Qdrant.Client;
using Qdrant.Client.Grpc;

namespace VectorDb.Server.Tests;

using Distance = Qdrant.Client.Grpc.Distance;

/// <summary>
/// The REST API's key rules over gRPC (the key in the <c>api-key</c> metadata, read-only keys read, no key is refused),
/// and TLS when Kestrel is given a certificate.
/// </summary>
public sealed class GrpcApiKeyTests
{
    private const string Key = "grpc-admin-key";
    private const string ReadOnlyKey = "grpc-reader-key";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Keys_are_checked_as_over_rest()
    {
        await using var server = await ServerProcess.StartAsync("--data-dir", ":memory:", "--api-key", Key, "--read-only-api-key", ReadOnlyKey);
        using var admin = new QdrantClient(server.GrpcAddress, apiKey: Key);
        using var reader = new QdrantClient(server.GrpcAddress, apiKey: ReadOnlyKey);
        using var anonymous = new QdrantClient(server.GrpcAddress);
        using var wrong = new QdrantClient(server.GrpcAddress, apiKey: "not-a-key");

        Assert.Equal(Program.QdrantApiVersion, (await anonymous.HealthAsync(Cancel)).Version); // the health check is open, as GET / is

        await admin.CreateCollectionAsync("keyed", new VectorParams { Size = 2, Distance = Distance.Dot }, cancellationToken: Cancel);
        await admin.UpsertAsync("keyed", [new PointStruct { Id = 1ul, Vectors = new[] { 1f, 2f } }], cancellationToken: Cancel);
        await admin.CreatePayloadIndexAsync("keyed", "team", cancellationToken: Cancel);

        Assert.Equal(1ul, await reader.CountAsync("keyed", cancellationToken: Cancel));
        Assert.Single(await reader.QueryAsync("keyed", new[] { 1f, 1f }, cancellationToken: Cancel));
        Assert.True(await reader.CollectionExistsAsync("keyed", Cancel));
        Assert.Empty(await reader.QueryGroupsAsync("keyed", "team", new[] { 1f, 1f }, cancellationToken: Cancel)); // reads, as over REST
        Assert.Empty((await reader.FacetAsync("keyed", "team", cancellationToken: Cancel)).Hits);

        var readOnlyWrite = await Assert.ThrowsAsync<RpcException>(() => reader.UpsertAsync("keyed", [new PointStruct { Id = 2ul, Vectors = new[] { 1f, 2f } }], cancellationToken: Cancel));
        Assert.Equal(StatusCode.PermissionDenied, readOnlyWrite.StatusCode);
        var readOnlyDrop = await Assert.ThrowsAsync<RpcException>(() => reader.DeleteCollectionAsync("keyed", cancellationToken: Cancel));
        Assert.Equal(StatusCode.PermissionDenied, readOnlyDrop.StatusCode);

        foreach (var client in new[] { anonymous, wrong })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => client.CountAsync("keyed", cancellationToken: Cancel));
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }

        Assert.Equal(1ul, await admin.CountAsync("keyed", cancellationToken: Cancel));
        Assert.DoesNotContain(server.Output, line => line.Contains(Key, StringComparison.Ordinal) || line.Contains(ReadOnlyKey, StringComparison.Ordinal)); // not even at start-up or on refusal
    }

    [Fact]
    public async Task An_https_address_serves_grpc_over_tls_with_kestrels_certificate()
    {
        using var root = new VectorDb.Tests.TempDirectory();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string path = Path.Combine(root.Path, "server.pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "pfx-password"), Cancel);

        await using var server = await ServerProcess.StartAsync(
            "--data-dir", ":memory:", "--grpc-urls", "https://127.0.0.1:0",
            "--Kestrel:Certificates:Default:Path", path, "--Kestrel:Certificates:Default:Password", "pfx-password");
        Assert.Equal("https", server.GrpcAddress.Scheme);

        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString();
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress, new GrpcChannelOptions { HttpHandler = handler });
        using var client = new QdrantClient(new QdrantGrpcClient(channel));
        await client.CreateCollectionAsync("tls", new VectorParams { Size = 2, Distance = Distance.Dot }, cancellationToken: Cancel);
        Assert.True(await client.CollectionExistsAsync("tls", Cancel));

        using var plain = new QdrantClient(new Uri($"http://127.0.0.1:{server.GrpcAddress.Port}"));
        await Assert.ThrowsAsync<RpcException>(() => plain.CollectionExistsAsync("tls", Cancel)); // not without TLS
    }
}
