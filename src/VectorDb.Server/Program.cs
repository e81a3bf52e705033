using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.WebUtilities;
using Scalar.AspNetCore;
using VectorDb;
using VectorDb.Server;
using VectorDb.Server.Api;
using VectorDb.Server.Api.Validation;
using VectorDb.Server.Grpc;
using QdrantResults = VectorDb.Server.Api.Qdrant;

// VectorDb's server: Qdrant's REST and gRPC APIs over one embedded engine.
//   dotnet run -c Release --project src/VectorDb.Server -- [--urls http://127.0.0.1:6333] [--grpc-urls http://127.0.0.1:6334] [--data-dir PATH] [--api-key KEY] [--read-only-api-key KEY]
//     [--storage-snapshot FILE [--force-snapshot]]
args = StorageSnapshot.WithFlagValues(args);
var builder = WebApplication.CreateBuilder(args);

// ASP.NET Core logs five Information lines per request (start, routing, result, end); at thousands of requests a
// second that is most of the server's CPU beside search, and gigabytes of log. Its own warnings and errors stay, as do
// ours and the start-up lines; `--Logging:LogLevel:Microsoft.AspNetCore=Information` (or the environment variable
// `Logging__LogLevel__Microsoft.AspNetCore`) brings the request lines back. A source at the front: any setting given wins.
builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
{
    InitialData = new Dictionary<string, string?> { ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning" },
});
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
{
    ["--data-dir"] = "VectorDb:DataDir",
    ["--grpc-urls"] = "VectorDb:GrpcUrls",
    ["--api-key"] = "VectorDb:ApiKey",
    ["--read-only-api-key"] = "VectorDb:ReadOnlyApiKey",
    ["--max-batch-points"] = "VectorDb:MaxBatchPoints",
    ["--max-limit"] = "VectorDb:MaxLimit",
    ["--max-ef"] = "VectorDb:MaxEf",
    ["--max-dimensions"] = "VectorDb:MaxDimensions",
    ["--max-request-body-bytes"] = "VectorDb:MaxRequestBodyBytes",
    ["--query-timeout-seconds"] = "VectorDb:QueryTimeoutSeconds",
    ["--checkpoint-interval-seconds"] = "VectorDb:CheckpointIntervalSeconds",
    ["--point-store-memory-mb"] = "VectorDb:PointStoreMemoryMb",
    ["--checkpoint-capture-mb"] = "VectorDb:CheckpointCaptureMb",
    ["--storage-snapshot"] = "VectorDb:StorageSnapshot",
    ["--force-snapshot"] = "VectorDb:ForceSnapshot",
});
var options = builder.Configuration.GetSection("VectorDb").Get<ServerOptions>() ?? new ServerOptions();
var endpoints = ServerEndpoints.Configure(builder, options);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(services => options.DataDir == ":memory:"
    ? VectorDatabase.InMemory()
    : VectorDatabase.Open(options.DataDir, options.ToStorageOptions(), logger: services.GetRequiredService<ILoggerFactory>().CreateLogger("VectorDb.Storage")));
builder.Services.Configure<JsonOptions>(json => ServerJson.Configure(json.SerializerOptions));
builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
builder.Services.AddExceptionHandler<ErrorHandler>();
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
builder.Services.AddSingleton<RequestMetrics>();
builder.Services.AddSingleton<StrictMode>();
builder.Services.AddSingleton<ApiKeys>();
builder.Services.AddSingleton<GrpcErrors>(); // interceptors registered once: otherwise activated per call
builder.Services.AddSingleton<GrpcApiKeys>();
builder.Services.AddSingleton<GrpcUnknownFields>();
builder.Services.AddGrpc(grpc =>
{
    grpc.MaxReceiveMessageSize = (int)Math.Min(options.MaxRequestBodyBytes, int.MaxValue);
    grpc.Interceptors.Add<GrpcErrors>();
    if (!string.IsNullOrEmpty(options.ApiKey) || !string.IsNullOrEmpty(options.ReadOnlyApiKey))
    {
        grpc.Interceptors.Add<GrpcApiKeys>();
    }

    grpc.Interceptors.Add<GrpcUnknownFields>();
});
builder.Services.AddSingleton<HealthService>();
builder.Services.AddSingleton<CollectionsService>();
builder.Services.AddSingleton<PointsService>();
builder.Services.AddSingleton<SnapshotsService>();

var app = builder.Build();
app.UseMiddleware<MetricsMiddleware>();
app.UseExceptionHandler();

// Refusals that routing makes itself (405 for a method a route lacks) come without a body: give them the same
// error shape as every other error.
app.UseStatusCodePages(context => QdrantResults.Error(
    context.HttpContext,
    context.HttpContext.Response.StatusCode,
    $"{ReasonPhrases.GetReasonPhrase(context.HttpContext.Response.StatusCode)}: {context.HttpContext.Request.Method} {context.HttpContext.Request.Path}").ExecuteAsync(context.HttpContext));
if (!string.IsNullOrEmpty(options.ApiKey) || !string.IsNullOrEmpty(options.ReadOnlyApiKey))
{
    app.UseMiddleware<ApiKeyMiddleware>();
}

// Open (and recover) the database, and restore a full-storage snapshot when asked, before taking traffic.
StorageSnapshot.RestoreIfAsked(app.Services.GetRequiredService<VectorDatabase>(), options, app.Logger);

// Qdrant's clients compare `version` with their own at connect and warn unless the minor versions are at most one
// apart: 1.19 is the Qdrant API this server follows, and satisfies the JS client 1.19, Python 1.18–1.20 and .NET 1.20.
var service = app.MapGroup("").WithTags("Service").AddEndpointFilter<RequestValidationFilter>();
service.MapGet("/", () => new ServiceInfo(
    Title,
    QdrantApiVersion,
    Commit: null,
    typeof(VectorDatabase).Assembly.GetName().Version?.ToString()));
service.MapGet("/healthz", () => Results.Text("healthz check passed"));
service.MapGet("/livez", () => Results.Text("livez check passed"));
service.MapGet("/readyz", () => Results.Text("all shards are ready"));
service.MapGet("/metrics", (RequestMetrics metrics, VectorDatabase db) => Results.Text(metrics.Render(db), "text/plain; version=0.0.4"))
    .WithMetadata(QueryParameters.Metrics);
app.MapCollectionsApi();
app.MapPointsApi();
app.MapSearchApi();
app.MapOlderQueryApi();
app.MapAliasesApi();
app.MapExploreApi();
app.MapIndexApi();
app.MapSnapshotsApi();
app.MapFullSnapshotsApi();
app.MapGrpcService<HealthService>();
app.MapGrpcService<CollectionsService>();
app.MapGrpcService<PointsService>();
app.MapGrpcService<SnapshotsService>();
app.Lifetime.ApplicationStarted.Register(() => endpoints.LogGrpcAddresses(app.Logger));
app.MapOpenApi();
app.MapScalarApiReference("/docs");
app.MapFallback((HttpContext context) =>
    QdrantResults.Error(context, StatusCodes.Status404NotFound, $"Not found: {context.Request.Method} {context.Request.Path}"));

await app.RunAsync();

/// <summary>Entry point; public so integration tests can host the server in-process.</summary>
public partial class Program
{
    /// <summary>The version of Qdrant's API the server reports at <c>GET /</c>.</summary>
    public const string QdrantApiVersion = "1.19.0";

    /// <summary>The server's title at <c>GET /</c> and in the gRPC health check.</summary>
    public const string Title = "vectordb - vector search engine (Qdrant-compatible REST and gRPC API)";
}
