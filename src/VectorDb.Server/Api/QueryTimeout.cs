using System.Globalization;

namespace VectorDb.Server.Api;

/// <summary>A read ran past its time limit; answered with 408.</summary>
internal sealed class QueryTimeoutException(double seconds)
    : Exception($"The request did not finish within its timeout of {seconds.ToString(CultureInfo.InvariantCulture)} s (setting VectorDb:QueryTimeoutSeconds, or the request's `timeout` in seconds).");

/// <summary>
/// Runs searches, queries and counts under the server's time limit, which a request's <c>?timeout=N</c>
/// (seconds, as in Qdrant) may shorten but not extend.
/// </summary>
internal static class QueryTimeout
{
    /// <summary>Runs <paramref name="read"/> under the limit, shortened by the request's <c>?timeout=</c>.</summary>
    public static T Run<T>(HttpContext http, ServerOptions options, Func<CancellationToken, T> read) =>
        Run(options, Requested(http), read, http.RequestAborted);

    /// <summary>Runs <paramref name="read"/> under the limit, shortened to <paramref name="requestedSeconds"/> when given.</summary>
    /// <param name="options">The server's limits.</param>
    /// <param name="requestedSeconds">The request's own limit (at least 1 s), or null.</param>
    /// <param name="read">The read, given a token signalled at the deadline.</param>
    /// <param name="aborted">Signalled when the client goes away; its cancellation is not a timeout.</param>
    public static T Run<T>(ServerOptions options, double? requestedSeconds, Func<CancellationToken, T> read, CancellationToken aborted)
    {
        double seconds = Math.Min(options.QueryTimeoutSeconds, requestedSeconds ?? double.MaxValue);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var result = read(deadline.Token);

            // The token is signalled by a timer whose callback waits for a free thread-pool thread: on a busy machine a
            // read can finish after its deadline without seeing it, and is then late all the same.
            return System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds <= seconds ? result : throw new QueryTimeoutException(seconds);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            throw new QueryTimeoutException(seconds);
        }
    }

    /// <summary>The request's <c>?timeout=</c> in seconds, or null.</summary>
    public static int? Requested(HttpContext http)
    {
        if (!http.Request.Query.TryGetValue("timeout", out var raw))
        {
            return null;
        }

        return int.TryParse(raw.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out int requested) && requested >= 1
            ? requested
            : throw new InvalidRequestException($"timeout must be a whole number of seconds, at least 1; got `{raw}`.");
    }
}
