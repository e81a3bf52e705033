using System.Diagnostics;

namespace VectorDb.Server.Api;

/// <summary>Qdrant's response envelope: <c>{"result": …, "status": "ok", "time": seconds}</c>.</summary>
internal static class QdrantResults
{
    public static IResult Ok(object? result, long startTimestamp) =>
        Results.Json(new { result, status = "ok", time = Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds });

    /// <summary>The envelope with our extra top-level <c>explain</c> (only when asked for; clients ignore it).</summary>
    public static IResult Ok(object? result, long startTimestamp, object? explain) => explain is null
        ? Ok(result, startTimestamp)
        : Results.Json(new { result, status = "ok", time = Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, explain });

    /// <summary>Qdrant's error body: <c>{"status": {"error": "…"}, "time": seconds}</c>.</summary>
    public static IResult Error(int statusCode, string message, long startTimestamp) =>
        Results.Json(
            new { status = new { error = message }, time = Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds },
            statusCode: statusCode);

    /// <summary>Result of a write, as Qdrant reports it.</summary>
    public static object UpdateResult(bool wait) => new { operation_id = 0, status = wait ? "completed" : "acknowledged" };
}
