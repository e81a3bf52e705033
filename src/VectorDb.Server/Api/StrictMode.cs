using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using VectorDb.Query;

namespace VectorDb.Server.Api;

/// <summary>A request over a limit of the collection's strict mode: 403, as Qdrant answers.</summary>
internal sealed class StrictModeException(string description, string help) : Exception($"Forbidden: {description}. Help: {help}");

/// <summary>A request over a rate limit of the collection's strict mode: 429.</summary>
internal sealed class RateLimitException(string message) : Exception(message);

/// <summary>
/// Holds requests to the strict-mode limits of the collection they address (<see cref="StrictModeOptions"/>): each
/// endpoint calls the checks for what it carries, on the request as parsed, before anything runs. Rate limits are token
/// buckets per collection that refill evenly over a minute.
/// </summary>
internal sealed class StrictMode
{
    private readonly ConditionalWeakTable<Collection, ConcurrentDictionary<bool, RateBucket>> _buckets = new(); // per collection: read and write

    /// <summary>A read of <paramref name="cost"/> searches (1 for other reads): its timeout and the read rate.</summary>
    public void Read(Collection collection, HttpContext context, int cost = 1)
    {
        if (Limits(collection) is not null)
        {
            Read(collection, context.Request.Query.TryGetValue("timeout", out var given)
                && int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) ? (ulong)seconds : null, cost);
        }
    }

    /// <summary>A read of <paramref name="cost"/> searches (1 for other reads) with its own time limit, if any: its timeout and the read rate.</summary>
    public void Read(Collection collection, ulong? timeoutSeconds, int cost = 1)
    {
        if (Limits(collection) is not { } limits)
        {
            return;
        }

        if (limits.MaxTimeout is int max && timeoutSeconds > (ulong)max)
        {
            throw Exceeded(timeoutSeconds.Value, max, "timeout", "max_timeout");
        }

        Take(collection, limits.ReadRateLimit, write: false, cost);
    }

    /// <summary>A write of <paramref name="cost"/> points (1 for other writes): the write rate.</summary>
    public void Write(Collection collection, int cost = 1)
    {
        if (Limits(collection) is { } limits)
        {
            Take(collection, limits.WriteRateLimit, write: true, cost);
        }
    }

    /// <summary>A batch of searches: how many it holds.</summary>
    public static void Batch(Collection collection, int searches)
    {
        if (Limits(collection) is { SearchMaxBatchSize: int max } && searches > max)
        {
            throw Exceeded(searches, max, "searches in the batch", "search_max_batchsize");
        }
    }

    /// <summary>A query stage and its prefetches: limits, beam widths, exact scans, oversampling and filters.</summary>
    public static void Query(Collection collection, PointQuery stage, int offset = 0)
    {
        if (Limits(collection) is not { } limits)
        {
            return;
        }

        if (limits.MaxQueryLimit is int max && stage.Limit + offset > max)
        {
            throw Exceeded(stage.Limit + offset, max, "limit", "max_query_limit");
        }

        if (limits.SearchMaxHnswEf is int maxEf && stage.Ef > maxEf)
        {
            throw Exceeded(stage.Ef.Value, maxEf, "hnsw_ef", "search_max_hnsw_ef");
        }

        if (limits.SearchAllowExact == false && stage.Exact)
        {
            throw new StrictModeException("Exact search disabled!", "Set `exact` to false, or allow exact search with `search_allow_exact`.");
        }

        if (limits.SearchAllowExact == false && stage.Prefetch is null or [] && stage.Query is RecommendQuery { Positive.Count: 0 })
        {
            throw new StrictModeException("Exact search disabled: a recommendation without positive examples scores every point", "Give a positive example, or allow exact search with `search_allow_exact`.");
        }

        if (limits.SearchMaxOversampling is double maxOversampling && stage.Adaptive?.Oversampling > maxOversampling)
        {
            throw Exceeded(stage.Adaptive.Oversampling, maxOversampling, "oversampling", "search_max_oversampling");
        }

        Filter(collection, stage.Filter, update: false);
        if (stage.Query is FormulaQuery { Formula: var formula } && FormulaConditions(formula).ToList() is { Count: > 0 } conditions)
        {
            Filter(collection, new Filter(Must: conditions), update: false);
        }

        foreach (var prefetch in stage.Prefetch ?? [])
        {
            Query(collection, prefetch);
        }
    }

    /// <summary>A page size (scroll, facet, matrix sample; groups: limit × group size).</summary>
    public static void Limit(Collection collection, long limit, string what = "limit")
    {
        if (Limits(collection) is { MaxQueryLimit: int max } && limit > max)
        {
            throw Exceeded(limit, max, what, "max_query_limit");
        }
    }

    /// <summary>
    /// A filter: its number of conditions, the size of each, and — when the collection forbids unindexed filtering for
    /// reads or for writes (<paramref name="update"/>) — that every key it names has a payload index.
    /// </summary>
    public static void Filter(Collection collection, Filter? filter, bool update)
    {
        if (filter is null || Limits(collection) is not { } limits)
        {
            return;
        }

        var conditions = Conditions(filter, "").ToList();
        if (limits.FilterMaxConditions is int max && conditions.Count > max)
        {
            throw new StrictModeException($"Filter condition limit reached ({conditions.Count} > {max})", "Reduce the number of conditions in the filter, or raise `filter_max_conditions`.");
        }

        foreach (var (condition, key) in conditions)
        {
            if (limits.ConditionMaxSize is int maxSize && Size(condition) > maxSize)
            {
                throw new StrictModeException($"Condition size limit reached ({Size(condition)} > {maxSize})", "Reduce the number of values in the condition, or raise `condition_max_size`.");
            }

            bool indexRequired = update ? limits.UnindexedFilteringUpdate == false : limits.UnindexedFilteringRetrieve == false;
            if (indexRequired && key is not null && !collection.PayloadIndexes.Any(index => index.Key == key))
            {
                throw new StrictModeException($"Index required but not found for \"{key}\"", $"Create a payload index on `{key}`, or allow unindexed filtering with `{(update ? "unindexed_filtering_update" : "unindexed_filtering_retrieve")}`.");
            }
        }
    }

    /// <summary>
    /// Points to upsert: the batch size, the collection's point and vector-memory limits, multivector and sparse sizes, and,
    /// when they carry payloads (not a vector update), the payload size.
    /// </summary>
    public static void Upsert(Collection collection, IReadOnlyList<Point> points, bool payloads = true)
    {
        if (Limits(collection) is not { } limits)
        {
            return;
        }

        if (limits.UpsertMaxBatchSize is int max && points.Count > max)
        {
            throw Exceeded(points.Count, max, "points in the upsert", "upsert_max_batchsize");
        }

        if (limits.MaxPointsCount is long maxPoints && collection.Count() + points.Count(point => collection.Get(point.Id, withVector: false, withPayload: false) is null) > maxPoints)
        {
            throw new StrictModeException($"Max points count limit reached ({maxPoints})", "Delete points, or raise `max_points_count`.");
        }

        if (payloads)
        {
            PayloadSize(collection, limits);
        }

        long vectorBytes = collection.Options.HasUnnamedVector ? collection.VectorMemoryBytes("") : 0;
        vectorBytes += (collection.Options.NamedVectors?.Keys ?? []).Concat(collection.Options.SparseVectors?.Keys ?? []).Sum(collection.VectorMemoryBytes);
        if (limits.MaxCollectionVectorSizeBytes is long maxBytes && vectorBytes >= maxBytes)
        {
            throw new StrictModeException($"Max vector storage size limit reached ({vectorBytes} ≥ {maxBytes} bytes)", "Delete points, or raise `max_collection_vector_size_bytes`.");
        }

        foreach (var point in points)
        {
            foreach (var (name, vectors) in point.Multivectors ?? new Dictionary<string, float[][]>())
            {
                if (limits.MultivectorMaxVectors?.GetValueOrDefault(name) is int maxVectors and > 0 && vectors.Length > maxVectors)
                {
                    throw Exceeded(vectors.Length, maxVectors, $"vectors in multivector `{name}` of point {point.Id}", $"multivector_config.{name}.max_vectors");
                }
            }

            foreach (var (name, vector) in point.SparseVectors ?? new Dictionary<string, Sparse.SparseVector>())
            {
                if (limits.SparseMaxLength?.GetValueOrDefault(name) is int maxLength and > 0 && vector.Count > maxLength)
                {
                    throw Exceeded(vector.Count, maxLength, $"dimensions of sparse vector `{name}` of point {point.Id}", $"sparse_config.{name}.max_length");
                }
            }
        }
    }

    /// <summary>A payload update: the collection's payload size.</summary>
    public static void PayloadUpdate(Collection collection)
    {
        if (Limits(collection) is { } limits)
        {
            PayloadSize(collection, limits);
        }
    }

    private static void PayloadSize(Collection collection, StrictModeOptions limits)
    {
        if (limits.MaxCollectionPayloadSizeBytes is long max && collection.PayloadBytes >= max)
        {
            throw new StrictModeException($"Max payload storage size limit reached ({collection.PayloadBytes} ≥ {max} bytes)", "Delete points or payload keys, or raise `max_collection_payload_size_bytes`.");
        }
    }

    /// <summary>A new payload index: the collection's index count.</summary>
    public static void CreateIndex(Collection collection, string key)
    {
        if (Limits(collection) is { MaxPayloadIndexCount: int max } && collection.PayloadIndexes.All(index => index.Key != key) && collection.PayloadIndexes.Count >= max)
        {
            throw new StrictModeException($"Payload index count limit reached ({max})", "Delete a payload index, or raise `max_payload_index_count`.");
        }
    }

    private static IEnumerable<Condition> FormulaConditions(FormulaExpression expression) => expression switch
    {
        ConditionTerm term => [term.Condition],
        OperationTerm operation => operation.Operands.SelectMany(FormulaConditions),
        DecayTerm decay => FormulaConditions(decay.X).Concat(decay.Target is { } target ? FormulaConditions(target) : []),
        _ => [],
    };

    private static StrictModeOptions? Limits(Collection collection) => collection.Options.StrictMode is { Enabled: true } limits ? limits : null;

    private void Take(Collection collection, int? perMinute, bool write, int cost)
    {
        if (perMinute is not int rate)
        {
            return;
        }

        if (cost > rate)
        {
            throw new StrictModeException(
                $"The request costs {cost}, more than the {(write ? "write" : "read")} rate limit of {rate} per minute allows at once", $"Split the request, or raise `{(write ? "write_rate_limit" : "read_rate_limit")}`.");
        }

        var bucket = _buckets.GetValue(collection, _ => new()).AddOrUpdate(write, _ => new RateBucket(rate), (_, existing) => existing.Rate == rate ? existing : new RateBucket(rate));
        if (!bucket.TryTake(cost))
        {
            throw new RateLimitException($"Rate limiting exceeded: {(write ? "write" : "read")} rate limit of {rate} per minute for collection {collection.Name}. Help: retry later, or raise `{(write ? "write_rate_limit" : "read_rate_limit")}`.");
        }
    }

    private static StrictModeException Exceeded(double given, double max, string what, string setting) =>
        new($"Limit exceeded {given} > {max} for \"{what}\"", $"Reduce it to {max} or below, or raise `{setting}`.");

    /// <summary>Every condition of a filter with the full key path it names (null for id and vector conditions); nested filters' keys under their array.</summary>
    private static IEnumerable<(Condition Condition, string? Key)> Conditions(Filter filter, string prefix)
    {
        foreach (var condition in (filter.Must ?? []).Concat(filter.Should ?? []).Concat(filter.MustNot ?? []).Concat(filter.MinShould?.Conditions ?? []))
        {
            switch (condition)
            {
                case Filter inner:
                    foreach (var found in Conditions(inner, prefix))
                    {
                        yield return found;
                    }

                    break;
                case NestedCondition nested:
                    foreach (var found in Conditions(nested.Filter, $"{prefix}{nested.Key}[]."))
                    {
                        yield return found;
                    }

                    break;
                default:
                    yield return (condition, KeyOf(condition) is { } key ? prefix + key : null);
                    break;
            }
        }
    }

    private static string? KeyOf(Condition condition) => condition switch
    {
        ValuesCountCondition c => c.Key,
        IsEmptyCondition c => c.Key,
        IsNullCondition c => c.Key,
        MatchValueCondition c => c.Key,
        MatchAnyCondition c => c.Key,
        MatchExceptCondition c => c.Key,
        MatchTextCondition c => c.Key,
        MatchTextAnyCondition c => c.Key,
        MatchPhraseCondition c => c.Key,
        MatchPrefixCondition c => c.Key,
        RangeCondition c => c.Key,
        DatetimeRangeCondition c => c.Key,
        GeoCondition c => c.Key,
        _ => null,
    };

    private static int Size(Condition condition) => condition switch
    {
        MatchAnyCondition c => c.Values.Count,
        MatchExceptCondition c => c.Values.Count,
        HasIdCondition c => c.Ids.Count,
        GeoPolygonCondition c => c.Exterior.Count + c.Interiors.Sum(ring => ring.Count),
        _ => 1,
    };

    /// <summary>A token bucket holding up to a minute's rate, refilled evenly.</summary>
    private sealed class RateBucket(int rate)
    {
        private readonly Lock _lock = new();
        private double _tokens = rate;
        private long _refilled = Environment.TickCount64;

        public int Rate { get; } = rate;

        public bool TryTake(int cost)
        {
            lock (_lock)
            {
                long now = Environment.TickCount64;
                _tokens = Math.Min(Rate, _tokens + ((now - _refilled) * Rate / 60_000.0));
                _refilled = now;
                if (_tokens < cost)
                {
                    return false;
                }

                _tokens -= cost;
                return true;
            }
        }
    }
}
