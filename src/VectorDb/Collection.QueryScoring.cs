using System.Buffers;
using VectorDb.Distance;
using VectorDb.Hnsw;
using VectorDb.Query;
using VectorDb.Querying;
using VectorDb.Spaces;
using VectorDb.Sparse;

namespace VectorDb;

/// <summary>How a query's stages compare points with vectors, in each kind of vector space.</summary>
public sealed partial class Collection
{
    /// <summary>The most candidates MMR chooses from: a search's most hits (Qdrant allows 16,384).</summary>
    public const int MaxMmrCandidates = MaxSearchLimit;

    /// <summary>The most candidates coverage selection chooses from: it compares every pair of them.</summary>
    public const int MaxCoverageCandidates = 2048;

    private sealed partial class QueryRun
    {
        /// <summary>A vector a query gives, with a point named by id replaced by its stored vector of <paramref name="vector"/>.</summary>
        private VectorInput Resolve(VectorInput input, string vector)
        {
            if (input is not PointInput { Id: var id })
            {
                return input;
            }

            if (!collection._table.TryGetNode(id, out int node) || collection._table.Stored(node) is null)
            {
                throw new NotFoundException($"No point with id {id} found");
            }

            _ = collection._spaces.Find(vector) ?? throw collection.UnknownVector(vector);
            return Stored(vector, node) ?? throw new NotFoundException($"Point {id} has no vector `{vector}` to compare with.");
        }

        /// <summary>The stage's vector search over the collection for <paramref name="wanted"/> hits, the excluded points left out.</summary>
        private StageResult SearchCollection(PointQuery stage, VectorInput query, int wanted, NodePredicate? filter)
        {
            int searched = Math.Min(wanted + _excluded.Count, MaxSearchLimit + _excluded.Count);
            var space = collection._spaces.Find(stage.Using) ?? throw collection.UnknownVector(stage.Using);
            if (space is not DenseVectorSpace && stage.Adaptive is not null)
            {
                throw new InvalidRequestException($"`params.adaptive` needs a dense vector; `{stage.Using}` is not one.");
            }

            if (space is not DenseVectorSpace && stage.Quantization is not null)
            {
                throw new InvalidRequestException($"`params.quantization` applies to dense vectors, which alone are quantized; `{stage.Using}` is not one.");
            }

            switch (space, query)
            {
                case (DenseVectorSpace dense, DenseInput { Vector: var vector }):
                {
                    ValidateVector(dense.Options, vector, "of the query");
                    var options = new SearchOptions { Ef = CheckedEf(stage.Ef ?? dense.Options.EfConstruction), Exact = stage.Exact, Adaptive = stage.Adaptive, Explain = explain, Quantization = stage.Quantization ?? default };
                    var buffer = ArrayPool<Neighbor>.Shared.Rent(searched);
                    try
                    {
                        int found = dense.Search(vector, searched, options, filter, collection._table, buffer, out var searchExplain, cancellation);
                        var hits = Kept(buffer.AsSpan(0, found), wanted);
                        return new StageResult(hits, dense.Options.Distance, Explained(stage, "nearest", found, null, searchExplain));
                    }
                    finally
                    {
                        ArrayPool<Neighbor>.Shared.Return(buffer);
                    }
                }

                case (SparseVectorSpace sparse, SparseInput { Vector: var vector }):
                {
                    var buffer = ArrayPool<SparseHit>.Shared.Rent(searched);
                    try
                    {
                        int found = sparse.Search(vector, searched, filter, buffer.AsSpan(0, searched), null);
                        var hits = new List<Hit>(Math.Min(found, wanted));
                        foreach (var hit in buffer.AsSpan(0, found))
                        {
                            if (hits.Count < wanted && !_excluded.Contains(hit.Node))
                            {
                                hits.Add(new Hit(hit.Node, hit.Score));
                            }
                        }

                        return new StageResult(hits, null, Explained(stage, "nearest (sparse, exact)", found, null));
                    }
                    finally
                    {
                        ArrayPool<SparseHit>.Shared.Return(buffer);
                    }
                }

                case (MultivectorSpace multi, MultivectorInput { Vectors: var vectors }):
                {
                    CheckMultivectorQuery(multi, vectors);
                    var buffer = ArrayPool<Neighbor>.Shared.Rent(searched);
                    try
                    {
                        int found = multi.Search(vectors, searched, CheckedEf(stage.Ef ?? multi.Options.EfConstruction), stage.Exact, filter, buffer.AsSpan(0, searched), cancellation);
                        return new StageResult(Kept(buffer.AsSpan(0, found), wanted), null, Explained(stage, "nearest (multivector MaxSim)", found, null));
                    }
                    finally
                    {
                        ArrayPool<Neighbor>.Shared.Return(buffer);
                    }
                }

                default:
                    throw Mismatch(space, query);
            }
        }

        /// <summary>The candidates that hold the stage's vector, scored exactly by it, best <paramref name="wanted"/> first.</summary>
        private StageResult Rescore(PointQuery stage, VectorInput query, int[] candidates, int wanted)
        {
            var scores = Similarities(stage.Using, query, candidates);
            var hits = Ranked(candidates, scores, wanted);
            var metric = collection._spaces.Dense.GetValueOrDefault(stage.Using)?.Options.Distance;
            return new StageResult(hits, metric, Explained(stage, "nearest over prefetched points (exact)", candidates.Length, null));
        }

        /// <summary>
        /// The stage's nearest candidates (<paramref name="nearest"/>, asked for how many) re-ranked by MMR or chosen for
        /// coverage; each keeps its similarity to the query as its score, in pick order.
        /// </summary>
        private StageResult Diversified(PointQuery stage, NearestQuery query, int wanted, Func<int, StageResult> nearest)
        {
            if (query is { Mmr: not null, Coverage: not null })
            {
                throw new InvalidRequestException("`mmr` and `coverage` are two ways to diversify: give one.");
            }

            int? limit = query.Mmr?.CandidatesLimit ?? query.Coverage?.CandidatesLimit;
            string what = query.Mmr is not null ? "mmr.candidates_limit" : "coverage.candidates_limit";
            int most = query.Mmr is not null ? MaxMmrCandidates : MaxCoverageCandidates;
            if (limit is < 1 || limit > most || (limit is null && wanted > most))
            {
                throw new InvalidRequestException($"`{what}` must be between 1 and {most}, got {limit ?? wanted}.");
            }

            if (query.Mmr is { Diversity: var diversity } && (diversity is < 0 or > 1 || float.IsNaN(diversity)))
            {
                throw new InvalidRequestException($"`mmr.diversity` must be between 0 and 1, got {diversity}.");
            }

            // The threshold and the cut-off choose the candidates, so that every pick meets them.
            var candidates = CutOff(stage, nearest(Math.Max(limit ?? wanted, wanted)), beforeSelection: true);
            if (stage.ScoreThreshold is float threshold)
            {
                candidates = candidates with { Hits = [.. candidates.Hits.Where(hit => candidates.Meets(hit, threshold))] };
            }

            var hits = candidates.Hits;
            var vectors = hits.Select(hit => Stored(stage.Using, hit.Node)).ToArray();
            float Between(int a, int b) => Similarity(stage.Using, vectors[a], vectors[b]);
            var picks = query.Mmr is { } mmr
                ? Diversity.Mmr(hits.Select(hit => hit.Score).ToArray(), wanted, mmr.Diversity, Between, cancellation)
                : Diversity.Cover(hits.Count, wanted, Between, cancellation);
            var kind = query.Mmr is not null ? $"nearest + mmr (diversity {query.Mmr.Diversity}) of {hits.Count} candidates" : $"nearest + coverage of {hits.Count} candidates";
            return candidates with { Hits = [.. picks.Select(i => hits[i])], Explain = candidates.Explain is { } e ? e with { Stage = kind } : null };
        }

        /// <summary>
        /// Candidates for a query scored against examples over the whole collection: every matching point when the stage
        /// is exact or has no positive example to start from, else the points near each positive example (and target).
        /// </summary>
        private int[] Seeds(PointQuery stage, NodePredicate? filter, int wanted)
        {
            var starts = stage.Query switch
            {
                RecommendQuery recommend => recommend.Positive,
                DiscoverQuery discover => [discover.Target, .. discover.Context.Select(pair => pair.Positive)],
                ContextQuery context => [.. context.Pairs.Select(pair => pair.Positive)],
                RelevanceFeedbackQuery feedback => [feedback.Target, .. feedback.Feedback.Select(item => item.Example)],
                _ => throw new InvalidRequestException($"`query` of kind {stage.Query?.GetType().Name} cannot be run here."),
            };
            if (stage.Exact || starts.Count == 0)
            {
                var space = collection._spaces.Find(stage.Using) ?? throw collection.UnknownVector(stage.Using);
                var nodes = collection.MatchingNodes(filter, cancellation);
                nodes.RemoveAll(node => _excluded.Contains(node) || !space.Holds(node));
                return [.. nodes];
            }

            var seeds = new HashSet<int>();
            var around = stage with { Exact = false, Adaptive = null };
            int width = Math.Max(wanted, stage.Ef ?? (collection._spaces.Dense.GetValueOrDefault(stage.Using)?.Options.EfConstruction ?? wanted));
            foreach (var start in starts)
            {
                seeds.UnionWith(SearchCollection(around, Resolve(start, stage.Using), Math.Min(width, MaxSearchLimit), filter).Hits.Select(hit => hit.Node));
            }

            return [.. seeds.Order()];
        }

        /// <summary>Recommend (best score, sum of scores), discover, context and relevance feedback over the candidates.</summary>
        private StageResult ScoreByExamples(PointQuery stage, int[] candidates, int wanted, string source)
        {
            candidates = [.. candidates.Where(node => !_excluded.Contains(node))];
            float[][] AgainstAll(IEnumerable<VectorInput> examples) => [.. examples.Select(example => Similarities(stage.Using, Resolve(example, stage.Using), candidates))];
            var scores = new float[candidates.Length];
            string kind;
            switch (stage.Query)
            {
                case RecommendQuery recommend:
                {
                    if (recommend.Positive.Count + recommend.Negative.Count == 0)
                    {
                        throw new InvalidRequestException("`recommend` needs at least one positive or negative example.");
                    }

                    int positives = recommend.Positive.Count;
                    bool best = recommend.Strategy == RecommendStrategy.BestScore;
                    Combine(scores, AgainstAll(recommend.Positive.Concat(recommend.Negative)), row => best
                        ? ExampleScores.BestScore(row.AsSpan(0, positives), row.AsSpan(positives))
                        : ExampleScores.SumScores(row.AsSpan(0, positives), row.AsSpan(positives)));
                    kind = best ? "recommend best_score" : "recommend sum_scores";
                    break;
                }

                case DiscoverQuery discover:
                {
                    int pairs = discover.Context.Count;
                    var columns = AgainstAll([discover.Target, .. discover.Context.Select(pair => pair.Positive), .. discover.Context.Select(pair => pair.Negative)]);
                    Combine(scores, columns, row => ExampleScores.Discover(row[0], row.AsSpan(1, pairs), row.AsSpan(1 + pairs)));
                    kind = "discover";
                    break;
                }

                case ContextQuery context:
                {
                    if (context.Pairs.Count == 0)
                    {
                        throw new InvalidRequestException("`context` needs at least one pair of examples.");
                    }

                    int pairs = context.Pairs.Count;
                    var columns = AgainstAll([.. context.Pairs.Select(pair => pair.Positive), .. context.Pairs.Select(pair => pair.Negative)]);
                    Combine(scores, columns, row => ExampleScores.Context(row.AsSpan(0, pairs), row.AsSpan(pairs)));
                    kind = "context";
                    break;
                }

                case RelevanceFeedbackQuery feedback:
                {
                    if (feedback.Feedback.Count == 0)
                    {
                        throw new InvalidRequestException("`relevance_feedback.feedback` needs at least one example.");
                    }

                    float[] judged = [.. feedback.Feedback.Select(item => item.Score)];
                    if (!float.IsFinite(feedback.A) || !float.IsFinite(feedback.B) || !float.IsFinite(feedback.C) || judged.Any(score => !float.IsFinite(score)))
                    {
                        throw new InvalidRequestException("`relevance_feedback`'s strategy weights and feedback scores must be finite numbers.");
                    }

                    var columns = AgainstAll([feedback.Target, .. feedback.Feedback.Select(item => item.Example)]);
                    Combine(scores, columns, row => ExampleScores.Feedback(row[0], row.AsSpan(1), judged, feedback.A, feedback.B, feedback.C));
                    kind = "relevance_feedback (naive)";
                    break;
                }

                default:
                    throw new InvalidRequestException($"`query` of kind {stage.Query?.GetType().Name} cannot rank points.");
            }

            return new StageResult(Ranked(candidates, scores, wanted), null, Explained(stage, $"{kind} over {source} (exact)", candidates.Length, null));
        }

        /// <summary>
        /// Fills <paramref name="scores"/> with <paramref name="formula"/> of each candidate's row of similarities (one
        /// per column: per example), NaN for a candidate lacking the vector (every column scores it NaN).
        /// </summary>
        private static void Combine(float[] scores, float[][] columns, Func<float[], float> formula)
        {
            var row = new float[columns.Length];
            for (int i = 0; i < scores.Length; i++)
            {
                bool missing = false;
                for (int c = 0; c < columns.Length; c++)
                {
                    row[c] = columns[c][i];
                    missing |= float.IsNaN(row[c]);
                }

                scores[i] = missing ? float.NaN
                    : formula(row) is var score && float.IsFinite(score) ? score
                    : throw new InvalidRequestException($"The query scores a point {score}: its examples or weights are out of range.");
            }
        }

        /// <summary>The candidates by score, best first (ties: lower node first), those scored NaN (lacking the vector) left out.</summary>
        private List<Hit> Ranked(int[] candidates, float[] scores, int wanted)
        {
            var hits = new List<Hit>(candidates.Length);
            for (int i = 0; i < candidates.Length; i++)
            {
                if (!float.IsNaN(scores[i]) && !_excluded.Contains(candidates[i]))
                {
                    hits.Add(new Hit(candidates[i], scores[i]));
                }
            }

            hits.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Node.CompareTo(b.Node));
            return hits.Count > wanted ? hits[..wanted] : hits;
        }

        /// <summary>
        /// Raw similarity (higher is better: a dot product or a negated distance) of each node's vector of
        /// <paramref name="vector"/> to <paramref name="query"/>; NaN for a node without that vector.
        /// </summary>
        public float[] Similarities(string vector, VectorInput query, int[] nodes)
        {
            var scores = new float[nodes.Length];
            Array.Fill(scores, float.NaN);
            if (nodes.Length == 0)
            {
                return scores;
            }

            var space = collection._spaces.Find(vector) ?? throw collection.UnknownVector(vector);
            switch (space, query)
            {
                case (DenseVectorSpace dense, DenseInput { Vector: var values }):
                {
                    ValidateVector(dense.Options, values, "of the query");
                    dense.Graph.Distances(values, nodes, scores, cancellation);
                    for (int i = 0; i < scores.Length; i++)
                    {
                        scores[i] = -scores[i]; // NaN (no such vector) stays NaN
                    }

                    break;
                }

                case (SparseVectorSpace sparse, SparseInput { Vector: var values }):
                    sparse.Similarities(values, nodes, scores);
                    break;
                case (MultivectorSpace multi, MultivectorInput { Vectors: var values }):
                    CheckMultivectorQuery(multi, values);
                    multi.Similarities(values, nodes, scores);
                    break;
                default:
                    throw Mismatch(space, query);
            }

            return scores;
        }

        /// <summary>A node's stored vector of <paramref name="vector"/>, as its space compares it (unit length for Cosine).</summary>
        public VectorInput? Stored(string vector, int node) => collection._spaces.Find(vector) switch
        {
            DenseVectorSpace dense when dense.Holds(node) => new DenseInput(dense.ReadVector(node)),
            SparseVectorSpace sparse => sparse.ReadVector(node) is { } value ? new SparseInput(value) : null,
            MultivectorSpace multi => multi.ReadVector(node) is { } value ? new MultivectorInput(value) : null,
            _ => null,
        };

        /// <summary>Raw similarity of two stored vectors of one space (MMR's redundancy), −∞ when either is missing.</summary>
        private float Similarity(string vector, VectorInput? a, VectorInput? b) => (a, b) switch
        {
            (DenseInput x, DenseInput y) => -collection._spaces.Dense[vector].Options.Distance.Distance(x.Vector, y.Vector),
            (SparseInput x, SparseInput y) => x.Vector.Dot(y.Vector),
            (MultivectorInput x, MultivectorInput y) => MaxSim(x.Vectors, y.Vectors),
            _ => float.NegativeInfinity,
        };

        private static float MaxSim(float[][] query, float[][] document)
        {
            float sum = 0;
            foreach (var q in query)
            {
                float best = float.NegativeInfinity;
                foreach (var d in document)
                {
                    best = MathF.Max(best, VectorMath.Dot(q, d));
                }

                sum += best;
            }

            return sum;
        }

        /// <summary>
        /// Recommend's average vector, searched like a nearest query: 2 · avg(positive) − avg(negative) for dense and sparse
        /// vectors; for a multivector, the positive examples' vectors and the negated negative ones, all together.
        /// </summary>
        private VectorInput Average(RecommendQuery recommend, string vector)
        {
            if (recommend.Positive.Count == 0)
            {
                throw new InvalidRequestException("`recommend` with the `average_vector` strategy needs at least one positive example.");
            }

            var positive = recommend.Positive.Select(input => Resolve(input, vector)).ToList();
            var negative = recommend.Negative.Select(input => Resolve(input, vector)).ToList();
            if (positive.Concat(negative).Select(input => input.GetType()).Distinct().Count() > 1)
            {
                throw new InvalidRequestException("`recommend` examples mix kinds of vectors (dense, sparse, multivector); they cannot be averaged.");
            }

            return positive[0] switch
            {
                DenseInput => new DenseInput(AverageDense(positive.Cast<DenseInput>().Select(d => d.Vector).ToList(), negative.Cast<DenseInput>().Select(d => d.Vector).ToList())),
                SparseInput => new SparseInput(AverageSparse(positive.Cast<SparseInput>().Select(s => s.Vector).ToList(), negative.Cast<SparseInput>().Select(s => s.Vector).ToList())),
                _ => new MultivectorInput([
                    .. positive.Cast<MultivectorInput>().SelectMany(m => m.Vectors),
                    .. negative.Cast<MultivectorInput>().SelectMany(m => m.Vectors).Select(v => v.Select(x => -x).ToArray())]),
            };
        }

        private static float[] AverageDense(List<float[]> positive, List<float[]> negative)
        {
            int length = positive[0].Length;
            if (positive.Concat(negative).Any(v => v.Length != length))
            {
                throw new DimensionMismatchException(length, positive.Concat(negative).First(v => v.Length != length).Length, "of a recommend example");
            }

            var query = new float[length];
            for (int d = 0; d < length; d++)
            {
                float pos = positive.Sum(v => v[d]) / positive.Count;
                query[d] = negative.Count == 0 ? pos : pos + pos - (negative.Sum(v => v[d]) / negative.Count);
            }

            return query;
        }

        private static SparseVector AverageSparse(List<SparseVector> positive, List<SparseVector> negative)
        {
            Dictionary<uint, float> Mean(List<SparseVector> vectors)
            {
                var sum = new Dictionary<uint, float>();
                foreach (var vector in vectors)
                {
                    for (int i = 0; i < vector.Count; i++)
                    {
                        sum[vector.Indices[i]] = sum.GetValueOrDefault(vector.Indices[i]) + vector.Values[i];
                    }
                }

                return sum.ToDictionary(entry => entry.Key, entry => entry.Value / vectors.Count);
            }

            var pos = Mean(positive);
            var neg = negative.Count == 0 ? null : Mean(negative);
            var merged = pos.ToDictionary(entry => entry.Key, entry => neg is null ? entry.Value : entry.Value + entry.Value);
            foreach (var (index, value) in neg ?? [])
            {
                merged[index] = merged.GetValueOrDefault(index) - value;
            }

            try
            {
                return SparseVector.Create([.. merged.Keys], [.. merged.Values]);
            }
            catch (ArgumentException e)
            {
                throw new InvalidRequestException($"The average of the `recommend` examples is out of range: {e.Message}", e);
            }
        }

        /// <summary>The neighbours as hits (negated distances), the excluded left out, at most <paramref name="wanted"/>.</summary>
        private List<Hit> Kept(ReadOnlySpan<Neighbor> found, int wanted)
        {
            var hits = new List<Hit>(Math.Min(found.Length, wanted));
            foreach (var neighbor in found)
            {
                if (hits.Count < wanted && !_excluded.Contains(neighbor.Id))
                {
                    hits.Add(new Hit(neighbor.Id, -neighbor.Distance));
                }
            }

            return hits;
        }

        private static int CheckedEf(int ef) =>
            ef is < 1 or > 100_000 ? throw new InvalidRequestException($"hnsw_ef must be between 1 and 100000, got {ef}.") : ef;

        private static void CheckMultivectorQuery(MultivectorSpace space, float[][] vectors)
        {
            if (vectors.Length == 0)
            {
                throw new InvalidRequestException("A multivector query needs at least one vector.");
            }

            foreach (var vector in vectors)
            {
                ValidateVector(space.Options, vector ?? throw new InvalidRequestException("A multivector query holds a null vector."), "of the query");
            }
        }

        private static InvalidRequestException Mismatch(IVectorSpace space, VectorInput query) => new(space switch
        {
            DenseVectorSpace => $"Vector `{space.Name}` is dense: compare it with a list of numbers{(query is SparseInput ? ", not a sparse vector" : "")}.",
            SparseVectorSpace => $"Vector `{space.Name}` is sparse: compare it with a sparse vector (indices and values) or a document.",
            _ => $"Vector `{space.Name}` is a multivector: compare it with a list of vectors.",
        });
    }
}
