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
/// is what it was. Writes are seeded on a scratch collection, so that a mutation that still parses may legitimately
/// change it; random bytes go to every RPC. <c>VECTORDB_FUZZ_REQUESTS=N</c> changes the count (default 1,500).
/// </summary>
public sealed class GrpcFuzzTests : IAsyncLifetime
{
    private const string Reference = "ref";
    private const string Scratch = "scratch";
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
        await _client.CreateCollectionAsync(Scratch, new VectorParams { Size = 4, Distance = Distance.Euclid }, cancellationToken: Cancel);
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
            .ToList();
        var seeds = Seeds();
        Assert.All(seeds, seed => Assert.Contains(methods, m => m.FullName == seed.Rpc));
        var random = new Random(20261207);
        var statuses = new Dictionary<StatusCode, int>();
        var invoker = _channel.CreateCallInvoker();
        for (int i = 0; i < count; i++)
        {
            var (method, body) = random.Next(3) == 0
                ? (methods[random.Next(methods.Count)], RandomBytes(random))
                : seeds[random.Next(seeds.Count)] is var (rpc, seed) ? (methods.Single(m => m.FullName == rpc), Mutate(seed, random)) : default;
            var status = await Call(invoker, method.Service.FullName, method.Name, body);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status is not (StatusCode.Internal or StatusCode.Unknown), $"{method.FullName} answered {status} to {Convert.ToHexString(body.AsSpan(0, Math.Min(64, body.Length)))}:\n{_server.Tail()}");
            Assert.True(_server.IsRunning, $"the server died after {method.FullName}:\n{_server.Tail()}");
        }

        Assert.Equal(before, await ChecksumAsync());
        _output.WriteLine($"{count} fuzzed calls; statuses {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}");
    }

    [Fact]
    public async Task A_field_this_protocol_does_not_know_is_refused_not_ignored()
    {
        // A newer client's setting: field 99 of CountPoints, and field 77 inside its filter.
        static byte[] WithUnknown(IMessage message, int field)
        {
            using var bytes = new MemoryStream();
            var output = new CodedOutputStream(bytes);
            message.WriteTo(output);
            output.WriteTag(field, WireFormat.WireType.Varint);
            output.WriteInt32(1);
            output.Flush();
            return bytes.ToArray();
        }

        var invoker = _channel.CreateCallInvoker();
        var topLevel = await CallForDetail(invoker, "qdrant.Points", "Count", WithUnknown(new CountPoints { CollectionName = Reference }, 99));
        Assert.Equal(StatusCode.InvalidArgument, topLevel.Status);
        Assert.Contains("field number 99", topLevel.Detail, StringComparison.Ordinal);

        var filter = Filter.Parser.ParseFrom(WithUnknown(new Filter { Must = { Conditions.MatchKeyword("kind", "k1") } }, 77));
        var nested = await CallForDetail(invoker, "qdrant.Points", "Count", new CountPoints { CollectionName = Reference, Filter = filter }.ToByteArray());
        Assert.Equal(StatusCode.InvalidArgument, nested.Status);
        Assert.Contains("`filter` carries field number 77", nested.Detail, StringComparison.Ordinal);
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

    /// <summary>Valid messages to mutate, by the RPC they are sent to: reads of the reference collection, writes to the scratch one.</summary>
    private static List<(string Rpc, byte[] Message)> Seeds()
    {
        var filter = Conditions.MatchKeyword("kind", "k1") & Conditions.Range("n", new Qdrant.Client.Grpc.Range { Gt = 3 })
            & Conditions.DatetimeRange("when", gte: DateTime.UtcNow.AddDays(-1)) & Conditions.GeoRadius("at", 52.5, 13.4, 1000)
            & Conditions.Nested("items", Conditions.MatchKeyword("color", "red"));
        var point = new PointStruct { Id = 7ul, Vectors = new[] { 1f, 2, 3, 4 }, Payload = { ["kind"] = "k1", ["tags"] = new[] { "a" } } };
        return
        [
            ("qdrant.Points.Query", new QueryPoints { CollectionName = Reference, Query = new float[] { 1, 2, 3, 4 }, Filter = filter, Limit = 5 }.ToByteArray()),
            ("qdrant.Points.Query", new QueryPoints { CollectionName = Reference, Prefetch = { new PrefetchQuery { Query = new float[] { 1, 2, 3, 4 }, Limit = 4 } }, Query = Fusion.Rrf }.ToByteArray()),
            ("qdrant.Points.Search", new SearchPoints { CollectionName = Reference, Vector = { 1, 2, 3, 4 }, Limit = 3, WithPayload = true, Params = new SearchParams { HnswEf = 16 } }.ToByteArray()),
            ("qdrant.Points.Scroll", new ScrollPoints { CollectionName = Reference, Limit = 7, Filter = filter }.ToByteArray()),
            ("qdrant.Points.Count", new CountPoints { CollectionName = Reference, Filter = Conditions.HasId(1ul) }.ToByteArray()),
            ("qdrant.Points.Get", new GetPoints { CollectionName = Reference, Ids = { new PointId { Num = 3 }, new PointId { Uuid = Guid.NewGuid().ToString() } } }.ToByteArray()),
            ("qdrant.Points.Upsert", new UpsertPoints { CollectionName = Scratch, Points = { point }, Wait = true }.ToByteArray()),
            ("qdrant.Points.SetPayload", new SetPayloadPoints { CollectionName = Scratch, Payload = { ["x"] = 1 }, PointsSelector = new PointsSelector { Filter = filter } }.ToByteArray()),
            ("qdrant.Points.Delete", new DeletePoints { CollectionName = Scratch, Points = new PointsSelector { Points = new PointsIdsList { Ids = { new PointId { Num = 7 } } } } }.ToByteArray()),
            ("qdrant.Points.CreateFieldIndex", new CreateFieldIndexCollection { CollectionName = Scratch, FieldName = "kind", FieldType = FieldType.Keyword }.ToByteArray()),
            ("qdrant.Collections.Create", new CreateCollection { CollectionName = "fuzz_new", VectorsConfig = new VectorsConfig { Params = new VectorParams { Size = 8, Distance = Distance.Dot } } }.ToByteArray()),
            ("qdrant.Collections.Delete", new DeleteCollection { CollectionName = "fuzz_new" }.ToByteArray()),
        ];
    }

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

    private static async Task<StatusCode> Call(CallInvoker invoker, string service, string rpc, byte[] body) =>
        (await CallForDetail(invoker, service, rpc, body)).Status;

    /// <summary>Sends raw bytes as the request of an RPC; its status and message.</summary>
    private static async Task<(StatusCode Status, string Detail)> CallForDetail(CallInvoker invoker, string service, string rpc, byte[] body)
    {
        var raw = Marshallers.Create(static (byte[] b) => b, static b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, service, rpc, raw, raw);
        try
        {
            await invoker.AsyncUnaryCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), body);
            return (StatusCode.OK, "");
        }
        catch (RpcException e)
        {
            return (e.StatusCode, e.Status.Detail);
        }
    }

    /// <summary>The reference collection's points, payloads and vectors, as text.</summary>
    private async Task<string> ChecksumAsync()
    {
        var page = await _client.ScrollAsync(Reference, limit: 1000, payloadSelector: true, vectorsSelector: true, cancellationToken: Cancel);
        return string.Join('\n', page.Result.Select(p => p.ToString()));
    }
}
