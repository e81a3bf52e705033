using System.Diagnostics;
using VectorDb.Adaptive;
using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

public class AdaptiveSearchTests
{
    private const int Dimensions = 48;

    [Fact]
    public void Pca_rotation_is_orthonormal_preserves_distances_and_puts_variance_first()
    {
        var data = Correlated(400, seed: 1);
        var rotation = PcaRotation.Fit(data, Dimensions, center: true);

        var axes = rotation.Axes.ToArray();
        for (int i = 0; i < Dimensions; i++)
        {
            for (int j = 0; j < Dimensions; j++)
            {
                double dot = Enumerable.Range(0, Dimensions).Sum(c => (double)axes[(i * Dimensions) + c] * axes[(j * Dimensions) + c]);
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 1e-5);
            }
        }

        var rotated = data.Select(v => rotation.Rotate(v)).ToList();
        for (int a = 0; a < 50; a++)
        {
            int b = (a * 7) + 3;
            AssertRelative(L2(data[a], data[b]), L2(rotated[a], rotated[b]));
            AssertRelative(Dot(data[a], data[b]), Dot(rotated[a], rotated[b]));
            var back = new float[Dimensions];
            rotation.Unrotate(rotated[a], back);
            Assert.All(Enumerable.Range(0, Dimensions), c => Assert.Equal(data[a][c], back[c], 1e-4));
        }

        Assert.True(rotation.Variances.Zip(rotation.Variances.Skip(1)).All(pair => pair.First >= pair.Second));
        Assert.True(rotation.ExplainedShare(8) > 0.9, $"the first 8 axes carry {rotation.ExplainedShare(8):P1}");
        Assert.Throws<DimensionMismatchException>(() => rotation.Rotate(new float[3]));
        Assert.Throws<InvalidRequestException>(() => PcaRotation.Fit([data[0]], Dimensions, center: false));
    }

    [Theory]
    [InlineData(DistanceMetric.Euclid, VectorDataType.Float32)]
    [InlineData(DistanceMetric.Cosine, VectorDataType.Float32)]
    [InlineData(DistanceMetric.Dot, VectorDataType.Float32)]
    [InlineData(DistanceMetric.Euclid, VectorDataType.Float16)]
    [InlineData(DistanceMetric.Cosine, VectorDataType.BFloat16)]
    public void Adaptive_search_returns_full_precision_distances_and_finds_the_neighbors(DistanceMetric metric, VectorDataType dataType)
    {
        var raw = Correlated(3000, seed: 2);
        var rotation = PcaRotation.Fit(raw, Dimensions, center: metric == DistanceMetric.Euclid);
        using var index = new HnswIndex(Dimensions, metric, new HnswParameters { M = 16, EfConstruction = 100, DataType = dataType });
        foreach (var vector in raw)
        {
            index.Add(rotation.Rotate(vector));
        }

        var queries = Correlated(100, seed: 3).Select(q => rotation.Rotate(q)).ToList();
        var adaptive = new Neighbor[10];
        var exact = new Neighbor[10];
        var full = new Neighbor[3000];
        var plain = new Neighbor[10];
        double hits = 0, plainHits = 0;
        foreach (var query in queries)
        {
            int n = index.SearchAdaptive(query, 10, 64, searchDimensions: 12, shortlist: 40, adaptive);
            Assert.Equal(10, n);
            index.ExactSearch(query, 10, exact);
            hits += adaptive.Select(a => a.Id).Intersect(exact.Select(e => e.Id)).Count();
            plainHits += plain[..index.Search(query, 10, 64, plain)].Select(p => p.Id).Intersect(exact.Select(e => e.Id)).Count();

            // Scores are those of the whole vector: equal to what an exact scan reports for the same nodes.
            int all = index.ExactSearch(query, 3000, full);
            var distanceOf = full[..all].ToDictionary(f => f.Id, f => f.Distance);
            Assert.All(adaptive, a => Assert.Equal(distanceOf[a.Id], a.Distance, 1e-4f));
            Assert.True(adaptive.Zip(adaptive.Skip(1)).All(pair => pair.First.Distance <= pair.Second.Distance));
        }

        // As good as the full-dimension walk (inner product on unnormalised vectors is hard for any graph; the
        // others must also be good outright).
        double recall = hits / (10.0 * queries.Count), plainRecall = plainHits / (10.0 * queries.Count);
        Assert.True(recall >= plainRecall - 0.05 && (metric == DistanceMetric.Dot || recall >= 0.9), $"recall {recall:F3}, full-dimension search {plainRecall:F3}");

        // The whole vector and a shortlist of k is plain search.
        int found = index.Search(queries[0], 10, 64, exact);
        Assert.Equal(exact[..found].Select(e => e.Id), adaptive[..index.SearchAdaptive(queries[0], 10, 64, Dimensions, 10, adaptive)].Select(a => a.Id));
        // A compact prefix copy changes where the walk reads, not what it finds, and follows later inserts.
        var before = queries.Select(q => adaptive[..index.SearchAdaptive(q, 10, 64, 12, 40, adaptive)].ToArray()).ToList();
        index.KeepPrefixCopy(12);
        Assert.Equal(before, queries.Select(q => adaptive[..index.SearchAdaptive(q, 10, 64, 12, 40, adaptive)].ToArray()));
        if (metric == DistanceMetric.Euclid)
        {
            int late = index.Add(queries[0]);
            Assert.Equal(late, adaptive[..index.SearchAdaptive(queries[0], 1, 64, 12, 40, adaptive)][0].Id);
        }

        Assert.Throws<InvalidRequestException>(() => index.KeepPrefixCopy(Dimensions + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.SearchAdaptive(queries[0], 10, 64, Dimensions + 1, 40, adaptive));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.SearchAdaptive(queries[0], 10, 64, 0, 40, adaptive));
    }

    [Theory]
    [InlineData(DistanceMetric.Euclid)]
    [InlineData(DistanceMetric.Cosine)]
    public void A_rotated_prefix_walks_like_rotated_vectors_and_keeps_the_stored_ones(DistanceMetric metric)
    {
        var raw = Correlated(3000, seed: 5);
        var rotation = PcaRotation.Fit(raw, Dimensions, center: metric == DistanceMetric.Euclid);
        using var original = new HnswIndex(Dimensions, metric, new HnswParameters { M = 16, EfConstruction = 100 });
        using var rotated = new HnswIndex(Dimensions, metric, new HnswParameters { M = 16, EfConstruction = 100 });
        foreach (var vector in raw.Take(2000))
        {
            original.Add(vector);
            rotated.Add(rotation.Rotate(vector));
        }

        original.KeepRotatedPrefix(rotation.LeadingAxes(12));
        foreach (var vector in raw.Skip(2000)) // projected on insert as well as in bulk
        {
            original.Add(vector);
            rotated.Add(rotation.Rotate(vector));
        }

        Assert.Equal(12, original.RotatedRows);
        var stored = new float[Dimensions];
        original.CopyVector(2500, stored);
        var expected = raw[2500].ToArray();
        if (metric == DistanceMetric.Cosine)
        {
            float norm = (float)Math.Sqrt(Dot(expected, expected));
            expected = [.. expected.Select(x => x / norm)];
        }

        Assert.Equal(expected, stored, (a, b) => Math.Abs(a - b) < 1e-6f);

        var queries = Correlated(100, seed: 6);
        var hits = new Neighbor[10];
        var reference = new Neighbor[10];
        var exact = new Neighbor[10];
        var full = new Neighbor[3000];
        double recall = 0, rotatedRecall = 0;
        foreach (var query in queries)
        {
            Assert.Equal(10, original.SearchAdaptive(query, 10, 40, 12, 40, hits));
            rotated.SearchAdaptive(rotation.Rotate(query), 10, 40, 12, 40, reference);
            original.ExactSearch(query, 10, exact);
            recall += hits.Select(h => h.Id).Intersect(exact.Select(e => e.Id)).Count() / 10.0;
            rotatedRecall += reference.Select(h => h.Id).Intersect(exact.Select(e => e.Id)).Count() / 10.0;

            // Rescoring reads the stored, unrotated vectors: the scores are exactly the full ones.
            var distanceOf = full[..original.ExactSearch(query, 3000, full)].ToDictionary(f => f.Id, f => f.Distance);
            Assert.All(hits, h => Assert.Equal(distanceOf[h.Id], h.Distance, 1e-5f));
        }

        recall /= queries.Count;
        rotatedRecall /= queries.Count;
        Assert.True(recall >= 0.9 && Math.Abs(recall - rotatedRecall) <= 0.03, $"rotated prefix {recall:F3}, rotated vectors {rotatedRecall:F3}");

        // The walk cannot read rotated coordinates that are not kept; the whole vector is always there.
        Assert.Throws<ArgumentOutOfRangeException>(() => original.SearchAdaptive(queries[0], 10, 40, 13, 40, hits));
        Assert.Throws<InvalidRequestException>(() => original.KeepPrefixCopy(16));
        original.KeepPrefixCopy(8); // shorter: already kept
        Assert.Equal(10, original.SearchAdaptive(queries[0], 10, 40, Dimensions, 10, hits));
        Assert.Throws<InvalidRequestException>(() => original.KeepRotatedPrefix(new float[Dimensions + 1]));

        // A whole-vector walk reads the stored rows, even when the rotated arena's rows are as wide as the vectors.
        using (var narrow = new HnswIndex(16, metric, new HnswParameters { M = 8, EfConstruction = 64 }))
        {
            var small = DecayingVectors.Generate(300, 16, seed: 7);
            small.ForEach(v => narrow.Add(v));
            narrow.KeepRotatedPrefix(PcaRotation.Fit(small, 16, center: metric == DistanceMetric.Euclid).LeadingAxes(8));
            var plainHits = new Neighbor[5];
            var wholeHits = new Neighbor[5];
            int plain = narrow.Search(small[3], 5, 32, plainHits);
            Assert.Equal(plainHits[..plain].Select(h => h.Id), wholeHits[..narrow.SearchAdaptive(small[3], 5, 32, 16, 5, wholeHits)].Select(h => h.Id));
        }

        original.KeepRotatedPrefix(null);
        Assert.Equal(0, original.RotatedRows);
        Assert.Equal(10, original.SearchAdaptive(queries[0], 10, 40, 13, 40, hits)); // plain prefixes again
    }

    [Fact]
    public void Calibration_picks_a_configuration_that_reaches_the_target()
    {
        var raw = Correlated(2000, seed: 4);
        var rotation = PcaRotation.Fit(raw, Dimensions, center: true);
        using var index = new HnswIndex(Dimensions, DistanceMetric.Euclid, new HnswParameters { M = 16, EfConstruction = 100 });
        foreach (var vector in raw)
        {
            index.Add(rotation.Rotate(vector));
        }

        int[] sample = [.. Enumerable.Range(0, 100).Select(i => i * 20)];
        var choice = AdaptiveCalibration.Calibrate(index, sample, 10, 0.9, [8, 12, Dimensions]);
        Assert.True(choice.Recall >= 0.9, $"chose {choice} below the target");
        Assert.Contains(choice.SearchDimensions, new[] { 8, 12, Dimensions });
        Assert.Equal(100, choice.CalibrationQueries);

        // Whether or not a 1-dim walk can reach recall 1.0, a configuration comes back (the best measured).
        var strict = AdaptiveCalibration.Calibrate(index, sample, 10, 1.0, [1]);
        Assert.Equal(1, strict.SearchDimensions);
        Assert.InRange(strict.Recall, 0, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => AdaptiveCalibration.Calibrate(index, sample, 10, 1.5, [8]));
        Assert.Throws<InvalidRequestException>(() => AdaptiveCalibration.Calibrate(index, [], 10, 0.9, [8]));
        Assert.Equal([32, 64, 128, 784], AdaptiveCalibration.DefaultPrefixes(784));
    }

    [Fact]
    public void Calibration_tries_no_longer_shortlist_once_one_reached_at_the_narrowest_beam()
    {
        using var index = CorrelatedIndex(2000, seed: 7);

        // A low target: the shortest list at the narrowest beam reaches it for every prefix.
        var search = new CountingSearch(new GraphCalibrationSearch(index));
        int[] sample = [.. Enumerable.Range(0, 50).Select(i => i * 40)];
        AdaptiveCalibration.Calibrate(index, sample, 10, 0.2, [8, 12, Dimensions], search);
        foreach (int dims in new[] { 8, 12 })
        {
            Assert.Equal([11], search.Shortlists(dims)); // k × 1, plus the query's own node
        }
    }

    [Fact]
    public void Calibration_with_unlinked_answers_narrows_the_shortlist_that_reached_at_the_narrowest_beam()
    {
        using var index = CorrelatedIndex(200, seed: 8);
        int[] sample = [.. Enumerable.Range(0, 20).Select(i => i * 10)];

        // Found = the first ⌊10 × shortlist / 26⌋ true answers, whatever the beam: x2 falls short of 0.9 at every beam,
        // x3 reaches at the narrowest, and 25 is the shortest list that reaches (calibration asks one more, for the
        // sample's own node).
        var search = new ShortlistBoundSearch(truePerShortlist: 10 / 26.0);
        var grid = AdaptiveCalibration.Calibrate(index, sample, 10, 0.9, [8, Dimensions], search);
        Assert.Equal((8, 30, 10), (grid.SearchDimensions, grid.Shortlist, grid.Ef));

        var narrowed = AdaptiveCalibration.Calibrate(index, sample, 10, 0.9, [8, Dimensions], search, unlinkedAnswers: true);
        Assert.Equal(8, narrowed.SearchDimensions);
        Assert.Equal(10, narrowed.Ef);
        Assert.InRange(narrowed.Shortlist, 25, 28); // bisected to within an eighth of 30
        Assert.Equal(1.0, narrowed.Recall);
    }

    [Fact]
    public void Calibration_with_unlinked_answers_accepts_a_configuration_a_quarter_of_a_hundredth_above_the_target()
    {
        using var index = CorrelatedIndex(200, seed: 8);
        int[] sample = [.. Enumerable.Range(0, 20).Select(i => i * 10)];

        // As above: a shortlist of 20 finds 8 of 10 (0.8), the next that finds more is 23 (0.9). For a target of 0.7975,
        // 0.8 is above it by the unlinked margin (0.0025) but short of the served queries' (0.005).
        var search = new ShortlistBoundSearch(truePerShortlist: 10 / 26.0);
        var choice = AdaptiveCalibration.Calibrate(index, sample, 10, 0.7975, [8, Dimensions], search, unlinkedAnswers: true);
        Assert.Equal(0.0025, AdaptiveCalibration.UnlinkedMargin(0.7975), 1e-12);
        Assert.Equal((8, 10), (choice.SearchDimensions, choice.Ef));
        Assert.InRange(choice.Shortlist, 18, 20);
        Assert.Equal(0.8, choice.Recall, 1e-9);
    }

    [Fact]
    public void Calibration_times_the_cheapest_again_so_one_interrupted_pass_does_not_decide()
    {
        using var index = CorrelatedIndex(200, seed: 9);
        int[] sample = [.. Enumerable.Range(0, 20).Select(i => i * 10)];

        // Every configuration finds every answer; 8 dims costs 20 µs a search, 12 dims 400, all 1,000 — but the timed
        // pass of 8 dims' first measurement is interrupted (2,000 µs a search), so it first looks the dearest of all.
        var search = new TimedSearch((dims, call) => dims == 8 ? (call >= sample.Length && call < 2 * sample.Length ? 2000 : 20) : dims == 12 ? 400 : 1000);
        var choice = AdaptiveCalibration.Calibrate(index, sample, 10, 0.9, [8, 12, Dimensions], search);
        Assert.Equal(8, choice.SearchDimensions);
    }

    /// <summary>A calibration search that finds the true answers and takes the time it is told to, per prefix and call.</summary>
    private sealed class TimedSearch(Func<int, int, int> microseconds) : ICalibrationSearch
    {
        private readonly Dictionary<int, int> _calls = [];
        private readonly ShortlistBoundSearch _answers = new(truePerShortlist: 1);

        public int Search(float[] query, int k, int dimensions, int shortlist, int ef, Span<Neighbor> results)
        {
            int call = _calls.GetValueOrDefault(dimensions);
            _calls[dimensions] = call + 1;
            long until = Stopwatch.GetTimestamp() + (microseconds(dimensions, call) * Stopwatch.Frequency / 1_000_000);
            while (Stopwatch.GetTimestamp() < until)
            {
            }

            return _answers.Search(query, k, dimensions, Math.Max(shortlist, k), ef, results);
        }

        public int Exact(float[] query, int k, Span<Neighbor> results) => _answers.Exact(query, k, results);
    }

    /// <summary>A calibration search whose recall grows with the shortlist only: the first shortlist × rate of the true answers.</summary>
    private sealed class ShortlistBoundSearch(double truePerShortlist) : ICalibrationSearch
    {
        private const int FirstTrueId = 100_000; // apart from every sample node, which calibration leaves out of answers

        public int Search(float[] query, int k, int dimensions, int shortlist, int ef, Span<Neighbor> results)
        {
            int found = Math.Min(k, (int)(shortlist * truePerShortlist));
            for (int i = 0; i < k; i++)
            {
                results[i] = new Neighbor(i < found ? FirstTrueId + i : (2 * FirstTrueId) + i, i);
            }

            return k;
        }

        public int Exact(float[] query, int k, Span<Neighbor> results)
        {
            for (int i = 0; i < k; i++)
            {
                results[i] = new Neighbor(FirstTrueId + i, i);
            }

            return k;
        }
    }

    /// <summary>Records the prefix and shortlist of every search a calibration measures.</summary>
    private sealed class CountingSearch(ICalibrationSearch inner) : ICalibrationSearch
    {
        private readonly List<(int Dimensions, int Shortlist)> _searches = [];

        public int[] Shortlists(int dimensions) => [.. _searches.Where(s => s.Dimensions == dimensions).Select(s => s.Shortlist).Distinct().Order()];

        public int Search(float[] query, int k, int dimensions, int shortlist, int ef, Span<Neighbor> results)
        {
            _searches.Add((dimensions, shortlist));
            return inner.Search(query, k, dimensions, shortlist, ef, results);
        }

        public int Exact(float[] query, int k, Span<Neighbor> results) => inner.Exact(query, k, results);
    }

    [Fact]
    public void Calibration_on_served_queries_narrows_the_beam_to_just_reach_the_target()
    {
        using var index = CorrelatedIndex(2000, seed: 5);

        var queries = Correlated(100, seed: 6);
        var choice = AdaptiveCalibration.CalibrateOnQueries(index, queries, 10, 0.9, [Dimensions]);
        Assert.True(choice.Recall >= 0.9 + AdaptiveCalibration.QueryMargin(0.9), $"chose {choice} below the target");
        Assert.Equal(100, choice.CalibrationQueries);

        // The beam is the narrowest that reaches, to within an eighth: one an eighth narrower falls short.
        int narrower = choice.Ef - Math.Max(1, choice.Ef / 8);
        if (narrower >= 10)
        {
            var hits = new Neighbor[10];
            double found = queries.Sum(query =>
            {
                var truth = new Neighbor[10];
                int exact = index.ExactSearch(query, 10, truth);
                int n = index.Search(query, 10, narrower, hits);
                return hits.Take(n).Count(hit => truth.Take(exact).Any(t => t.Id == hit.Id)) / 10.0;
            });
            Assert.True(found / queries.Count < 0.9 + AdaptiveCalibration.QueryMargin(0.9), $"ef {narrower} reached the target too; chose {choice}");
        }

        Assert.Throws<InvalidRequestException>(() => AdaptiveCalibration.CalibrateOnQueries(index, [], 10, 0.9, [Dimensions]));
        Assert.Throws<ArgumentOutOfRangeException>(() => AdaptiveCalibration.CalibrateOnQueries(index, queries, 10, 0, [Dimensions]));
    }

    [Theory]
    [InlineData(DistanceMetric.Euclid, false)]
    [InlineData(DistanceMetric.Euclid, true)]
    [InlineData(DistanceMetric.Cosine, false)]
    [InlineData(DistanceMetric.Cosine, true)]
    public void Filtered_adaptive_walks_return_only_matches_with_whole_distances(DistanceMetric metric, bool twoHop)
    {
        var data = Leading(3000, seed: 11);
        using var index = new HnswIndex(Dimensions, metric, new HnswParameters { M = 16, EfConstruction = 100 });
        foreach (var vector in data)
        {
            index.Add(vector);
        }

        index.KeepPrefixCopy(12);
        var filter = new EveryThird();
        var adaptive = new Neighbor[10];
        var exact = new Neighbor[10];
        var distances = new float[1];
        double hits = 0;
        foreach (var query in Leading(50, seed: 12))
        {
            var walk = new WalkOptions { TwoHop = twoHop, AcceptedShare = 1.0 / 3 };
            int n = index.SearchAdaptive(query, 10, 40, searchDimensions: 12, shortlist: 40, adaptive, filter, walk);
            Assert.Equal(10, n);
            Assert.All(adaptive[..n], hit => Assert.True(filter.Accept(hit.Id)));
            foreach (var hit in adaptive[..n])
            {
                index.Distances(query, [hit.Id], distances);
                Assert.Equal(distances[0], hit.Distance, 1e-4f);
            }

            index.ExactSearch(query, 10, exact, filter);
            hits += adaptive.Select(a => a.Id).Intersect(exact.Select(e => e.Id)).Count();
        }

        Assert.True(hits / 500 >= 0.9, $"filtered adaptive recall@10 {hits / 500:F3}");
    }

    [Theory]
    [InlineData(DistanceMetric.Euclid)]
    [InlineData(DistanceMetric.Manhattan)]
    public void A_prefix_scan_is_exact_where_prefix_distances_bound_whole_ones(DistanceMetric metric)
    {
        var data = Leading(2000, seed: 13);
        using var index = new HnswIndex(Dimensions, metric, new HnswParameters { M = 8, EfConstruction = 40 });
        foreach (var vector in data)
        {
            index.Add(vector);
        }

        Assert.True(index.PrefixDistancesBoundWhole);
        int[] listed = [.. Enumerable.Range(0, 2000).Where(node => node % 7 != 0), 5000, -1]; // unknown ids are skipped
        index.Delete(1);
        var scanned = new Neighbor[15];
        var exact = new Neighbor[15];
        foreach (var query in Leading(30, seed: 14))
        {
            // A shortlist of 1 still finds the exact answer: the rescoring goes on while a prefix distance is below the k-th whole one.
            int n = index.ScanAdaptive(query, 15, 8, shortlist: 1, scanned, listed);
            int m = index.ExactSearch(query, 15, exact, listed.Where(node => node != 1).ToArray());
            Assert.Equal(m, n);
            Assert.Equal(exact[..m].Select(e => e.Id), scanned[..n].Select(s => s.Id));
            Assert.All(Enumerable.Range(0, n), i => Assert.Equal(exact[i].Distance, scanned[i].Distance, 1e-3f));
        }

        var all = new Neighbor[5];
        var truth = new Neighbor[5];
        var query0 = Leading(1, seed: 15)[0];
        Assert.Equal(5, index.ScanAdaptive(query0, 5, 8, 1, all, new EveryThird()));
        index.ExactSearch(query0, 5, truth, new EveryThird());
        Assert.Equal(truth.Select(t => t.Id), all.Select(a => a.Id));
    }

    [Fact]
    public void A_prefix_scan_under_cosine_rescores_its_shortlist()
    {
        var data = Leading(1000, seed: 16);
        using var index = new HnswIndex(Dimensions, DistanceMetric.Cosine, new HnswParameters { M = 8, EfConstruction = 40 });
        foreach (var vector in data)
        {
            index.Add(vector);
        }

        Assert.False(index.PrefixDistancesBoundWhole);
        var scanned = new Neighbor[10];
        var exact = new Neighbor[10];
        double hits = 0;
        foreach (var query in Leading(30, seed: 17))
        {
            Assert.Equal(10, index.ScanAdaptive(query, 10, 12, shortlist: 40, scanned, new EveryThird()));
            Assert.All(scanned, hit => Assert.True(new EveryThird().Accept(hit.Id)));
            index.ExactSearch(query, 10, exact, new EveryThird());
            hits += scanned.Select(a => a.Id).Intersect(exact.Select(e => e.Id)).Count();
        }

        Assert.True(hits / 300 >= 0.9, $"prefix scan recall@10 {hits / 300:F3}");
        Assert.Throws<OperationCanceledException>(() => index.ScanAdaptive(data[0], 10, 12, 40, scanned, new EveryThird(), cancellation: new CancellationToken(true)));
    }

    private readonly struct EveryThird : INodeFilter
    {
        public bool Accept(int id) => id % 3 == 0;
    }

    private static List<float[]> Correlated(int count, int seed) => DecayingVectors.Generate(count, Dimensions, seed);

    private static HnswIndex CorrelatedIndex(int count, int seed)
    {
        var index = new HnswIndex(Dimensions, DistanceMetric.Euclid, new HnswParameters { M = 16, EfConstruction = 100 });
        foreach (var vector in Correlated(count, seed))
        {
            index.Add(vector);
        }

        return index;
    }

    // Leading coordinates first, as in a Matryoshka embedding: prefixes carry the distances.
    private static List<float[]> Leading(int count, int seed) => DecayingVectors.Generate(count, Dimensions, seed, mixed: false);

    private static double L2(float[] a, float[] b) => Math.Sqrt(a.Zip(b).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second)));

    private static double Dot(float[] a, float[] b) => a.Zip(b).Sum(p => (double)p.First * p.Second);

    private static void AssertRelative(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"{actual} differs from {expected} by more than 1e-4 relative");
}
