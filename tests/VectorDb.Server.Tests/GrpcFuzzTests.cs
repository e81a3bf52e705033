using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Qdrant.Client;
using Qdrant.Client.Grpc;
using VectorDb.Tests;

namespace VectorDb.Server.Tests;

using Distance = Qdrant.Client.Grpc.Distance;
using PointId = Qdrant.Client.Grpc.PointId;

/// <summary>
/// Malformed, mutated and oversized protobuf sent to every RPC of a real server process: each gets a gRPC status
/// (never <c>Internal</c> or <c>Unknown</c>, which would be our bug), the server stays up, and the reference collection
/// is what it was. <c>VECTORDB_FUZZ_REQUESTS=N</c> changes the count (default 1,500).
/// </summary>
public sealed class GrpcFuzzTests : IAsyncLifetime
{
    private const string Reference = "ref";
    private const int BodyLimit = 1 << 20;

    private readonly TempDirectory _root = new();
    private readonly ITestOutputHelper _output;
    private ServerProcess _server = null!;
    private GrpcChannel _channel = null!;
    private QdrantClient _client = null!;

    public GrpcFuzzTests(ITestOutputHelper output) => _output = output;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await ServerProcess.StartAsync("--data-dir", Path.Combine(_root.Path, "data"), "--max-request-body-bytes", BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress, new GrpcChannelOptions { MaxSendMessageSize = null });
        _client = new QdrantClient(new QdrantGrpcClient(_channel));
        await _client.CreateCollectionAsync(Reference, new VectorParams { Size = 4, Distance = Distance.Cosine }, cancellationToken: Cancel);
        await _client.UpsertAsync(Reference, [.. Enumerable.Range(0, 50).Select(i => new PointStruct
        {
            Id = (ulong)i,
            Vectors = new[] { 1f, i, 2, 3 },
            Payload = { ["n"] = i, ["kind"] = $"k{i % 3}" },
        })], cancellationToken: Cancel);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        _channel.Dispose();
        await _server.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task Malformed_and_mutated_messages_get_a_status_and_change_nothing()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("VECTORDB_FUZZ_REQUESTS"), out int n) ? n : 1_500;
        string before = await ChecksumAsync();
        var methods = new[] { PointsServiceReflection.Descriptor, CollectionsServiceReflection.Descriptor, SnapshotsServiceReflection.Descriptor, QdrantReflection.Descriptor }
            .SelectMany(file => file.Services.Single().Methods)
            .Where(method => !IsWriteTo(method.Name))
            .ToList();
        var seeds = Seeds();
        var random = new Random(20261207);
        var statuses = new Dictionary<StatusCode, int>();
        var invoker = _channel.CreateCallInvoker();
        for (int i = 0; i < count; i++)
        {
            var method = methods[random.Next(methods.Count)];
            byte[] body = random.Next(3) switch
            {
                0 => RandomBytes(random),
                _ => Mutate(seeds[random.Next(seeds.Count)], random),
            };
            var status = await Call(invoker, method.Service.FullName, method.Name, body);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status is not (StatusCode.Internal or StatusCode.Unknown), $"{method.FullName} answered {status} to {Convert.ToHexString(body.AsSpan(0, Math.Min(64, body.Length)))}:\n{_server.Tail()}");
            Assert.True(_server.IsRunning, $"the server died after {method.FullName}:\n{_server.Tail()}");
        }

        Assert.Equal(before, await ChecksumAsync());
        _output.WriteLine($"{count} fuzzed calls; statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}");
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_refused_and_writes_nothing()
    {
        var points = Enumerable.Range(1000, 40_000).Select(i => new PointStruct { Id = (ulong)i, Vectors = new[] { 1f, 2, 3, 4 } }).ToList();
        var refused = await Assert.ThrowsAsync<RpcException>(() => _client.UpsertAsync(Reference, points, cancellationToken: Cancel));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal(50ul, await _client.CountAsync(Reference, cancellationToken: Cancel));
        Assert.True(_server.IsRunning);
    }

    /// <summary>Writes aimed at the reference collection by a mutation would change it legitimately: fuzz the reads and the rest.</summary>
    private static bool IsWriteTo(string rpc) => rpc is "Upsert" or "Delete" or "UpdateVectors" or "DeleteVectors" or "SetPayload" or "OverwritePayload"
        or "DeletePayload" or "ClearPayload" or "UpdateBatch" or "CreateFieldIndex" or "DeleteFieldIndex" or "CreateVectorName" or "DeleteVectorName" or "Update" or "UpdateAliases";

    private static List<byte[]> Seeds() =>
    [
        new QueryPoints { CollectionName = Reference, Query = new float[] { 1, 2, 3, 4 }, Filter = Conditions.MatchKeyword("kind", "k1"), Limit = 5 }.ToByteArray(),
        new SearchPoints { CollectionName = Reference, Vector = { 1, 2, 3, 4 }, Limit = 3, WithPayload = true }.ToByteArray(),
        new ScrollPoints { CollectionName = Reference, Limit = 7, Filter = Conditions.Range("n", new Qdrant.Client.Grpc.Range { Gt = 3 }) }.ToByteArray(),
        new CountPoints { CollectionName = Reference, Filter = Conditions.HasId(1ul) }.ToByteArray(),
        new GetPoints { CollectionName = Reference, Ids = { new PointId { Num = 3 }, new PointId { Uuid = Guid.NewGuid().ToString() } } }.ToByteArray(),
        new CreateCollection { CollectionName = "fuzz_new", VectorsConfig = new VectorsConfig { Params = new VectorParams { Size = 8, Distance = Distance.Dot } } }.ToByteArray(),
        new DeleteCollection { CollectionName = "fuzz_new" }.ToByteArray(),
    ];

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 200)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = (byte[])seed.Clone();
        int changes = random.Next(1, 4);
        for (int i = 0; i < changes && bytes.Length > 0; i++)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        }

        return random.Next(4) == 0 ? bytes[..random.Next(bytes.Length + 1)] : bytes;
    }

    private static async Task<StatusCode> Call(CallInvoker invoker, string service, string rpc, byte[] body)
    {
        var raw = Marshallers.Create(static (byte[] b) => b, static b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, service, rpc, raw, raw);
        try
        {
            await invoker.AsyncUnaryCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), body);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    /// <summary>The reference collection's points, payloads and vectors, as text.</summary>
    private async Task<string> ChecksumAsync()
    {
        var page = await _client.ScrollAsync(Reference, limit: 1000, payloadSelector: true, vectorsSelector: true, cancellationToken: Cancel);
        return string.Join('\n', page.Result.Select(p => p.ToString()));
    }
}
