using System.Globalization;

namespace VectorDb.Server.Api;

/// <summary>A read ran past its time limit; answered with 408.</summary>
internal sealed class QueryTimeoutException(double seconds)
    : Exception($"The request did not finish within its timeout of {seconds.ToString(CultureInfo.InvariantCulture)} s (setting VectorDb:QueryTimeoutSeconds, or `?timeout=` seconds).");

/// <summary>
/// Runs searches, queries and counts under the server's time limit, which a request's <c>?timeout=N</c>
/// (seconds, as in Qdrant) may shorten but not extend.
/// </summary>
internal static class QueryTimeout
{
    public static T Run<T>(HttpContext http, ServerOptions options, Func<CancellationToken, T> read)
    {
        double seconds = options.QueryTimeoutSeconds;
        if (http.Request.Query.TryGetValue("timeout", out var raw))
        {
            if (!int.TryParse(raw.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out int requested) || requested < 1)
            {
                throw new InvalidRequestException($"timeout must be a whole number of seconds, at least 1; got `{raw}`.");
            }

            seconds = Math.Min(seconds, requested);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        try
        {
            return read(deadline.Token);
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            throw new QueryTimeoutException(seconds);
        }
    }
}
