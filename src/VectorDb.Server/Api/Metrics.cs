using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace VectorDb.Server.Api;

/// <summary>
/// Request counts and latency histograms per route, points per collection, and memory by component (each dense vector's
/// rows, codes and graph in RAM, its rows on disk, payloads), in Prometheus' text format at <c>GET /metrics</c>.
/// </summary>
internal sealed class RequestMetrics
{
    private static readonly double[] BucketSeconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly ConcurrentDictionary<(string Method, string Route, int Status), long> _counts = new();
    private readonly ConcurrentDictionary<(string Method, string Route), Histogram> _durations = new();

    public void Record(string method, string route, int status, double seconds)
    {
        _counts.AddOrUpdate((method, route, status), 1, (_, n) => n + 1);
        _durations.GetOrAdd((method, route), _ => new Histogram()).Observe(seconds);
    }

    public string Render(VectorDatabase database)
    {
        var text = new StringBuilder();
        text.AppendLine("# HELP vectordb_http_requests_total HTTP requests by method, route and status.");
        text.AppendLine("# TYPE vectordb_http_requests_total counter");
        foreach (var ((method, route, status), count) in _counts.OrderBy(e => e.Key.Route, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"vectordb_http_requests_total{{method=\"{method}\",route=\"{Escape(route)}\",status=\"{status}\"}} {count}\n");
        }

        text.AppendLine("# HELP vectordb_http_request_duration_seconds HTTP request latency by method and route.");
        text.AppendLine("# TYPE vectordb_http_request_duration_seconds histogram");
        foreach (var ((method, route), histogram) in _durations.OrderBy(e => e.Key.Route, StringComparer.Ordinal))
        {
            histogram.Render(text, $"method=\"{method}\",route=\"{Escape(route)}\"");
        }

        text.AppendLine("# HELP vectordb_collection_points Points per collection.");
        text.AppendLine("# TYPE vectordb_collection_points gauge");
        foreach (string name in database.ListCollections())
        {
            if (database.TryGetCollection(name, out var collection))
            {
                text.Append(CultureInfo.InvariantCulture, $"vectordb_collection_points{{collection=\"{Escape(name)}\"}} {collection.Count()}\n");
            }
        }

        RenderMemory(text, database);
        return text.ToString();
    }

    private static void RenderMemory(StringBuilder text, VectorDatabase database)
    {
        var memory = new StringBuilder();
        var disk = new StringBuilder();
        var payloads = new StringBuilder();
        foreach (string name in database.ListCollections())
        {
            if (!database.TryGetCollection(name, out var collection))
            {
                continue;
            }

            var options = collection.Options;
            var dense = (options.NamedVectors ?? new Dictionary<string, DenseVectorOptions>()).Where(v => v.Value.Multivector is null).Select(v => v.Key);
            foreach (string vector in options.HasUnnamedVector ? dense.Prepend("") : dense)
            {
                DenseVectorMemory used;
                try
                {
                    used = collection.DenseMemory(vector);
                }
                catch (VectorDbException)
                {
                    continue; // dropped or changed meanwhile
                }

                string labels = $"collection=\"{Escape(name)}\",vector=\"{Escape(vector)}\"";
                memory.Append(CultureInfo.InvariantCulture, $"vectordb_vector_memory_bytes{{{labels},component=\"rows\"}} {used.RowBytes}\n");
                memory.Append(CultureInfo.InvariantCulture, $"vectordb_vector_memory_bytes{{{labels},component=\"prefix\"}} {used.PrefixBytes}\n");
                memory.Append(CultureInfo.InvariantCulture, $"vectordb_vector_memory_bytes{{{labels},component=\"codes\"}} {used.CodeBytes}\n");
                memory.Append(CultureInfo.InvariantCulture, $"vectordb_vector_memory_bytes{{{labels},component=\"graph\"}} {used.GraphBytes}\n");
                disk.Append(CultureInfo.InvariantCulture, $"vectordb_vector_disk_bytes{{{labels}}} {used.DiskBytes}\n");
            }

            payloads.Append(CultureInfo.InvariantCulture, $"vectordb_payload_memory_bytes{{collection=\"{Escape(name)}\"}} {collection.PayloadBytes}\n");
        }

        text.AppendLine("# HELP vectordb_vector_memory_bytes Process memory of each dense vector by component: stored rows (or, on disk, their checksums), the prefix copy adaptive searches walk, quantization codes, graph links and state.");
        text.AppendLine("# TYPE vectordb_vector_memory_bytes gauge");
        text.Append(memory);
        text.AppendLine("# HELP vectordb_vector_disk_bytes Bytes of each dense vector's row file when its rows are on disk (memory cached or cold); the OS page cache holds what is used of it.");
        text.AppendLine("# TYPE vectordb_vector_disk_bytes gauge");
        text.Append(disk);
        text.AppendLine("# HELP vectordb_payload_memory_bytes Payloads kept in memory per collection, as UTF-8 JSON.");
        text.AppendLine("# TYPE vectordb_payload_memory_bytes gauge");
        text.Append(payloads);
        text.AppendLine("# HELP vectordb_process_resident_bytes The server's resident set (process memory and mapped pages in RAM).");
        text.AppendLine("# TYPE vectordb_process_resident_bytes gauge");
        text.Append(CultureInfo.InvariantCulture, $"vectordb_process_resident_bytes {Environment.WorkingSet}\n");
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    private sealed class Histogram
    {
        private readonly long[] _buckets = new long[BucketSeconds.Length];
        private long _count;
        private long _sumMicroseconds;

        public void Observe(double seconds)
        {
            for (int i = 0; i < BucketSeconds.Length; i++)
            {
                if (seconds <= BucketSeconds[i])
                {
                    Interlocked.Increment(ref _buckets[i]);
                }
            }

            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1e6));
        }

        public void Render(StringBuilder text, string labels)
        {
            for (int i = 0; i < BucketSeconds.Length; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"vectordb_http_request_duration_seconds_bucket{{{labels},le=\"{BucketSeconds[i]}\"}} {Volatile.Read(ref _buckets[i])}\n");
            }

            long count = Volatile.Read(ref _count);
            text.Append(CultureInfo.InvariantCulture, $"vectordb_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}\n");
            text.Append(CultureInfo.InvariantCulture, $"vectordb_http_request_duration_seconds_sum{{{labels}}} {Volatile.Read(ref _sumMicroseconds) / 1e6}\n");
            text.Append(CultureInfo.InvariantCulture, $"vectordb_http_request_duration_seconds_count{{{labels}}} {count}\n");
        }
    }
}

/// <summary>Times every request and files it under its route pattern (not the raw path, which would explode the label set).</summary>
internal sealed class MetricsMiddleware(RequestDelegate next, RequestMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var clock = RequestClock.Start(context);
        try
        {
            await next(context);
        }
        finally
        {
            string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.Record(context.Request.Method, route, context.Response.StatusCode, clock.Elapsed);
        }
    }
}
