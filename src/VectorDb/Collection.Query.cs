using VectorDb.Query;
using VectorDb.Query.PayloadIndexing;
using VectorDb.Querying;

namespace VectorDb;

/// <summary>The universal query: stages of prefetches, fusion and re-ranking over the collection's vector spaces.</summary>
public sealed partial class Collection
{
    /// <summary>How deep prefetch stages may nest (as in Qdrant).</summary>
    public const int MaxPrefetchDepth = 64;

    /// <summary>
    /// Runs a universal query: each stage's prefetches first (with the stage's filter added to theirs), then its query
    /// over the points they returned — fused, re-scored by a vector, ordered by a payload field or sampled — or over the
    /// whole collection when it has no prefetches. Points a query names by id are left out of every stage's hits.
    /// docs/rest.md ("Universal query") gives the scores each kind of query returns.
    /// </summary>
    /// <param name="query">The outermost stage.</param>
    /// <param name="options">The page (offset) and what hits carry.</param>
    /// <param name="cancellation">Stops a long query between and inside its searches.</param>
    /// <exception cref="InvalidRequestException">A malformed stage: see the message, which names the field.</exception>
    /// <exception cref="NotFoundException">A point named by id does not exist or lacks the vector compared with.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired.</exception>
    public QueryResults Query(PointQuery query, QueryOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        options ??= QueryOptions.Default;
        _table.ThrowIfDropped();
        cancellation.ThrowIfCancellationRequested();
        if (options.Offset < 0)
        {
            throw new InvalidRequestException($"offset must not be negative, got {options.Offset}.");
        }

        using var read = _table.ReadVisible();
        var run = new QueryRun(this, options.Explain, cancellation);
        run.ExcludeNamedPoints(query);

        // Sampling the collection has no order to page through: like Qdrant, its offset is ignored.
        int offset = query is { Query: SampleQuery, Prefetch: null or [] } ? 0 : options.Offset;
        var result = run.Stage(query, inherited: null, extra: offset, depth: 1);
        var hits = new List<ScoredPoint>(Math.Max(0, Math.Min(query.Limit, result.Hits.Count - offset)));
        var lookup = new SearchOptions { WithPayload = options.WithPayload, WithVector = options.WithVector };
        foreach (var hit in result.Hits.Skip(offset))
        {
            if (ToScoredPoint(hit.Node, result.Present(hit), lookup, hit.OrderValue) is { } point)
            {
                hits.Add(point);
            }
        }

        return new QueryResults(hits, result.Explain);
    }

    /// <summary>
    /// One stage's hits, best first, in raw scores (higher is better); <see cref="Metric"/> is set when they are a dense
    /// vector's nearest neighbours, whose scores users see as that metric's (distances for Euclid and Manhattan).
    /// </summary>
    private sealed record StageResult(List<Hit> Hits, DistanceMetric? Metric, QueryExplain? Explain)
    {
        /// <summary>A hit's score as users see it.</summary>
        public float Present(Hit hit) => Metric is { } metric ? metric.ToScore(-hit.Score) : hit.Score;

        /// <summary>Whether a hit scores at least as well as a user's threshold (a ceiling for distances).</summary>
        public bool Meets(Hit hit, float threshold) => Metric is { } metric && !metric.HigherIsBetter() ? Present(hit) <= threshold : Present(hit) >= threshold;
    }

    /// <summary>One query's evaluation under the read the caller holds: the points it leaves out, the explain flag, cancellation.</summary>
    private sealed partial class QueryRun(Collection collection, bool explain, CancellationToken cancellation)
    {
        private readonly HashSet<int> _excluded = [];

        /// <summary>Leaves out of every stage the points the query names by id, as Qdrant does.</summary>
        public void ExcludeNamedPoints(PointQuery query)
        {
            foreach (var input in NamedPoints(query))
            {
                if (collection._table.TryGetNode(input.Id, out int node))
                {
                    _excluded.Add(node);
                }
            }
        }

        /// <summary>
        /// Runs a stage for its <see cref="PointQuery.Limit"/> plus <paramref name="extra"/> hits (the outermost stage's
        /// offset), with <paramref name="inherited"/> (its ancestors' filters) added to its own filter.
        /// </summary>
        public StageResult Stage(PointQuery stage, Filter? inherited, int extra, int depth)
        {
            cancellation.ThrowIfCancellationRequested();
            if (depth > MaxPrefetchDepth)
            {
                throw new InvalidRequestException($"Prefetches nest {depth} deep; at most {MaxPrefetchDepth} levels are allowed.");
            }

            Check(stage);
            int wanted = stage.Limit + extra;
            if (wanted > MaxSearchLimit)
            {
                throw new InvalidRequestException($"limit + offset must be at most {MaxSearchLimit}, got {wanted}.");
            }

            var filter = Both(inherited, stage.Filter);
            if (stage.Prefetch is not { Count: > 0 } prefetches)
            {
                // Only a stage that reads the collection compiles the filter; above it, the filter passes down.
                var predicate = filter is null ? null : FilterCompiler.Compile(filter, collection._payloadIndexes, collection._table);
                return Threshold(stage, CutOff(stage, OverCollection(stage, predicate, wanted)), wanted);
            }

            var legs = prefetches.Select(prefetch => Stage(prefetch, filter, 0, depth + 1)).ToList();
            var legExplains = explain ? legs.Select(leg => leg.Explain!).ToList() : null;
            if (stage.Query is FusionQuery fusion)
            {
                var lists = legs.Select(leg => (IReadOnlyList<Hit>)leg.Hits).ToList();
                var fused = fusion.Method == FusionMethod.Rrf ? Fusion.Rrf(lists, fusion.K ?? Fusion.DefaultRrfK, fusion.Weights) : Fusion.Dbsf(lists);
                var result = new StageResult(fused, null, Explained(stage, FusionDetail(fusion), fused.Count, legExplains));
                return Threshold(stage, result, wanted);
            }

            if (stage.Query is FormulaQuery formula)
            {
                var scored = ScoreFormula(stage, formula, legs, wanted);
                return Threshold(stage, scored with { Explain = scored.Explain is { } formulaExplain ? formulaExplain with { Prefetch = legExplains! } : null }, wanted);
            }

            var candidates = legs.SelectMany(leg => leg.Hits).Select(hit => hit.Node).Distinct().Order().ToArray();
            var ranked = CutOff(stage, OverCandidates(stage, candidates, wanted));
            return Threshold(stage, ranked with { Explain = ranked.Explain is { } own ? own with { Prefetch = legExplains! } : null }, wanted);
        }

        /// <summary>Refuses what no stage may ask for, with Qdrant's reasons.</summary>
        private static void Check(PointQuery stage)
        {
            bool prefetches = stage.Prefetch is { Count: > 0 };
            CheckPageSize(stage.Limit);
            switch (stage.Query)
            {
                case null when prefetches:
                    throw new InvalidRequestException("A query is needed to merge the prefetches: give `query` (e.g. {\"fusion\": \"rrf\"}) beside `prefetch`.");
                case null when stage.ScoreThreshold is not null:
                    throw new InvalidRequestException("`score_threshold` needs a `query` to score by.");
                case OrderByQuery or SampleQuery when stage.ScoreThreshold is not null:
                    throw new InvalidRequestException($"`score_threshold` cannot be used with {(stage.Query is OrderByQuery ? "an `order_by`" : "a `sample`")} query: its points are not scored.");
                case FusionQuery when !prefetches:
                    throw new InvalidRequestException("Fusion combines the hits of prefetches: give at least one `prefetch`.");
                case FormulaQuery when !prefetches:
                    throw new InvalidRequestException("A formula rescores the points of prefetches: give at least one `prefetch`.");
                case FormulaQuery when stage.Using.Length > 0:
                    throw new InvalidRequestException("A formula compares no vector: `using` has no meaning beside it (each prefetch names its own).");
                case FusionQuery when stage.Using.Length > 0:
                    throw new InvalidRequestException("Fusion queries cannot be combined with `using`: each prefetch names its own vector.");
                case FusionQuery { Weights: { } weights } when weights.Count != stage.Prefetch!.Count:
                    throw new InvalidRequestException($"`rrf.weights` has {weights.Count} weights for {stage.Prefetch!.Count} prefetches: give one per prefetch.");
                case FusionQuery { Weights: { } weights } when weights.Any(w => !float.IsFinite(w) || w < 0):
                    throw new InvalidRequestException("`rrf.weights` must be finite and not negative.");
                case FusionQuery { K: < 1 }:
                    throw new InvalidRequestException("`rrf.k` must be at least 1.");
                case FusionQuery { Method: FusionMethod.Dbsf, K: not null } or FusionQuery { Method: FusionMethod.Dbsf, Weights: not null }:
                    throw new InvalidRequestException("`k` and `weights` are parameters of RRF, not of DBSF.");
            }

            if (stage.Query is null or OrderByQuery or SampleQuery && stage.Using.Length > 0)
            {
                throw new InvalidRequestException($"`using` names the vector a query compares with; {Kind(stage.Query)} compares none.");
            }

            stage.Quantization?.Validate();
            if (stage.Query is null or OrderByQuery or SampleQuery && (stage.Ef is not null || stage.Exact || stage.Adaptive is not null || stage.Quantization is not null))
            {
                throw new InvalidRequestException($"`params` tunes a vector search; {Kind(stage.Query)} runs none.");
            }

            if (prefetches && (stage.Ef is not null || stage.Adaptive is not null || stage.Quantization is not null))
            {
                throw new InvalidRequestException($"`params.{(stage.Ef is not null ? "hnsw_ef" : stage.Adaptive is not null ? "adaptive" : "quantization")}` tunes a search of the whole collection; a stage with prefetches scores their points exactly. Give it to the prefetch that searches.");
            }

            if (stage.Cutoff is { Fraction: var fraction } && (stage.Query is not NearestQuery || double.IsNaN(fraction) || fraction is <= 0 or > 1))
            {
                throw new InvalidRequestException(stage.Query is NearestQuery
                    ? $"`cutoff.fraction` must be in (0, 1], got {fraction}."
                    : "`cutoff` applies to nearest queries: their hits are scored by similarity to one query vector.");
            }

            if (stage.Adaptive is not null && stage.Quantization is not null)
            {
                throw new InvalidRequestException("`params.quantization` and `params.adaptive` cannot be combined: an adaptive search walks a prefix of the stored rows, not the codes.");
            }

            if (stage.Query is not NearestQuery and not null && stage.Adaptive is not null)
            {
                throw new InvalidRequestException("`params.adaptive` applies to nearest queries only.");
            }
        }

        private static string Kind(QueryExpression? query) => query switch
        {
            null => "a query without `query` (points in id order)",
            OrderByQuery => "`order_by`",
            _ => "`sample`",
        };

        /// <summary>A stage without prefetches: its query over every point its filter matches.</summary>
        private StageResult OverCollection(PointQuery stage, NodePredicate? filter, int wanted) => stage.Query switch
        {
            null => Unscored(stage, "scroll", collection.ById(filter, _excluded, wanted, cancellation)),
            SampleQuery => Unscored(stage, "sample", [.. collection.RandomNodes(wanted, filter, space: null, _excluded, cancellation).Select(node => new Hit(node, 1f))]),
            OrderByQuery order => Unscored(stage, "order_by", collection.Ordered(order.Order, filter, null, _excluded, wanted, cancellation)),
            NearestQuery { Mmr: not null } or NearestQuery { Coverage: not null } => Diversified(stage, (NearestQuery)stage.Query, wanted, candidates => SearchCollection(stage, Resolve(((NearestQuery)stage.Query).Vector, stage.Using), candidates, filter)),
            NearestQuery nearest => SearchCollection(stage, Resolve(nearest.Vector, stage.Using), wanted, filter),
            RecommendQuery { Strategy: RecommendStrategy.AverageVector } recommend => SearchCollection(stage, Average(recommend, stage.Using), wanted, filter),
            _ => ScoreByExamples(stage, Seeds(stage, filter, wanted), wanted, "examples' neighbourhoods"),
        };

        /// <summary>A stage with prefetches (not fused): its query over the points they returned.</summary>
        private StageResult OverCandidates(PointQuery stage, int[] candidates, int wanted) => stage.Query switch
        {
            SampleQuery => Unscored(stage, "sample", Sample([.. candidates.Where(node => !_excluded.Contains(node))], wanted)),
            OrderByQuery order => Unscored(stage, "order_by", collection.Ordered(order.Order, null, candidates, _excluded, wanted, cancellation)),
            NearestQuery { Mmr: not null } or NearestQuery { Coverage: not null } => Diversified(stage, (NearestQuery)stage.Query, wanted, limit => Rescore(stage, Resolve(((NearestQuery)stage.Query).Vector, stage.Using), candidates, limit)),
            NearestQuery nearest => Rescore(stage, Resolve(nearest.Vector, stage.Using), candidates, wanted),
            RecommendQuery { Strategy: RecommendStrategy.AverageVector } recommend => Rescore(stage, Average(recommend, stage.Using), candidates, wanted),
            _ => ScoreByExamples(stage, candidates, wanted, "prefetched points"),
        };

        /// <summary>Drops hits below the stage's threshold and keeps the best <paramref name="wanted"/>.</summary>
        private static StageResult Threshold(PointQuery stage, StageResult result, int wanted)
        {
            var hits = result.Hits;
            if (stage.ScoreThreshold is float threshold)
            {
                hits = [.. hits.Where(hit => result.Meets(hit, threshold))];
            }

            if (hits.Count > wanted)
            {
                hits = hits[..wanted];
            }

            return result with { Hits = hits, Explain = result.Explain is { } e ? e with { Returned = hits.Count } : null };
        }

        /// <summary>Points without a score (scroll, sample, order by): Qdrant gives each 1.</summary>
        private StageResult Unscored(PointQuery stage, string kind, List<Hit> hits) =>
            new([.. hits.Select(hit => hit with { Score = 1f })], null, Explained(stage, kind, hits.Count, null));

        private QueryExplain? Explained(PointQuery stage, string kind, int candidates, IReadOnlyList<QueryExplain>? prefetch, SearchExplain? search = null) =>
            explain ? new QueryExplain(kind, stage.Using, candidates) { Prefetch = prefetch ?? [], Search = search } : null;

        private static string FusionDetail(FusionQuery fusion) => fusion.Method == FusionMethod.Dbsf
            ? "dbsf"
            : $"rrf k={fusion.K ?? Fusion.DefaultRrfK}" + (fusion.Weights is { } weights ? $" weights [{string.Join(", ", weights)}]" : "");

        /// <summary>A random <paramref name="wanted"/> of the nodes, in random order.</summary>
        private static List<Hit> Sample(List<int> nodes, int wanted)
        {
            Random.Shared.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(nodes));
            return [.. nodes.Take(wanted).Select(node => new Hit(node, 1f))];
        }


        private static Filter? Both(Filter? outer, Filter? own) => (outer, own) switch
        {
            (null, _) => own,
            (_, null) => outer,
            _ => new Filter(Must: [outer, own]),
        };

        /// <summary>The literal vectors and stored points a query and its prefetches compare with.</summary>
        private static IEnumerable<PointInput> NamedPoints(PointQuery stage)
        {
            var inputs = stage.Query switch
            {
                NearestQuery nearest => [nearest.Vector],
                RecommendQuery recommend => recommend.Positive.Concat(recommend.Negative),
                DiscoverQuery discover => discover.Context.SelectMany(pair => new[] { pair.Positive, pair.Negative }).Prepend(discover.Target),
                ContextQuery context => context.Pairs.SelectMany(pair => new[] { pair.Positive, pair.Negative }),
                RelevanceFeedbackQuery feedback => feedback.Feedback.Select(item => item.Example).Prepend(feedback.Target),
                _ => [],
            };
            return inputs.OfType<PointInput>().Concat((stage.Prefetch ?? []).SelectMany(NamedPoints));
        }
    }
}
