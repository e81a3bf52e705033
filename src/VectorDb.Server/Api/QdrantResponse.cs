using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Metadata;

namespace VectorDb.Server.Api;

/// <summary>Qdrant's response envelope: <c>{"result": …, "status": "ok", "time": seconds}</c>.</summary>
/// <typeparam name="T">The endpoint's result.</typeparam>
/// <param name="Result">What the endpoint answers.</param>
/// <param name="Time">Seconds since the request arrived.</param>
internal sealed record QdrantResponse<T>(T Result, double Time)
{
    public string Status { get; } = "ok";

    /// <summary>Our explain of the searches a request ran, only when asked for (clients ignore the field).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public object? Explain { get; init; }
}

/// <summary>Qdrant's error body: <c>{"status": {"error": "…"}, "time": seconds}</c>.</summary>
internal sealed record QdrantErrorResponse(QdrantErrorStatus Status, double Time);

/// <summary>The <c>status</c> of <see cref="QdrantErrorResponse"/>.</summary>
internal sealed record QdrantErrorStatus(string Error);

/// <summary>
/// What an API handler returns: its result, written in Qdrant's envelope with the time since the request arrived.
/// Declares the envelope as the endpoint's response type, so the OpenAPI document shows what clients receive.
/// </summary>
internal sealed class QdrantOk<T>(T result, object? explain) : IResult, IEndpointMetadataProvider
{
    public T Result => result;

    public Task ExecuteAsync(HttpContext httpContext) =>
        Results.Json(new QdrantResponse<T>(result, RequestClock.Seconds(httpContext)) { Explain = explain }).ExecuteAsync(httpContext);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(QdrantResponse<T>), ["application/json"]));
}

/// <summary>Answers in Qdrant's shapes.</summary>
internal static class Qdrant
{
    public static QdrantOk<T> Ok<T>(T result) => new(result, explain: null);

    /// <summary>A result with our <c>explain</c> beside it in the envelope (for endpoints whose result is a bare list).</summary>
    public static QdrantOk<T> Ok<T>(T result, object? explain) => new(result, explain);

    /// <summary>Result of a write, as Qdrant reports it.</summary>
    public static QdrantOk<UpdateResult> Updated(bool wait) => Ok(new UpdateResult(0, wait ? "completed" : "acknowledged"));

    public static IResult Error(HttpContext httpContext, int statusCode, string message) =>
        Results.Json(new QdrantErrorResponse(new QdrantErrorStatus(message), RequestClock.Seconds(httpContext)), statusCode: statusCode);
}

/// <summary>When a request arrived, for the <c>time</c> of Qdrant's envelope and for the request metrics.</summary>
internal sealed class RequestClock
{
    private readonly long _start = Stopwatch.GetTimestamp();

    /// <summary>Starts the clock of a request; the first middleware calls it.</summary>
    public static RequestClock Start(HttpContext httpContext)
    {
        var clock = new RequestClock();
        httpContext.Features.Set(clock);
        return clock;
    }

    /// <summary>Seconds since the request arrived (0 for a request whose clock never started).</summary>
    public static double Seconds(HttpContext httpContext) => httpContext.Features.Get<RequestClock>()?.Elapsed ?? 0;

    public double Elapsed => Stopwatch.GetElapsedTime(_start).TotalSeconds;
}
