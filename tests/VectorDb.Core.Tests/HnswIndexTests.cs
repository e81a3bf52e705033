using System.Collections.Concurrent;
using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

public class HnswIndexTests
{
    public static TheoryData<DistanceMetric> Metrics => [DistanceMetric.Cosine, DistanceMetric.Dot, DistanceMetric.Euclid, DistanceMetric.Manhattan];

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Exact_search_agrees_with_a_double_precision_oracle(DistanceMetric metric)
    {
        var data = Gaussian(1_500, 24, seed: 1);
        using var index = Build(metric, data);
        var queries = Gaussian(30, 24, seed: 2);
        var found = new Neighbor[10];
        for (int q = 0; q < queries.Count; q++)
        {
            var query = queries[q];
            int n = index.ExactSearch(query, 10, found);
            Assert.Equal(10, n);
            var expected = Oracle(metric, data, query).Take(10).ToArray();
            double tenth = OracleDistance(metric, data[expected[^1]], query);
            for (int i = 0; i < n; i++)
            {
                // Equal up to float32 rounding of near-ties: every returned node is at most as far as the oracle's 10th.
                Assert.True(OracleDistance(metric, data[found[i].Id], query) <= tenth + 1e-4 * (1 + Math.Abs(tenth)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Graph_search_finds_most_true_neighbors_for_every_metric(DistanceMetric metric)
    {
        var data = Gaussian(3_000, 32, seed: 5);
        using var index = Build(metric, data);
        var queries = Gaussian(200, 32, seed: 6);
        var found = new Neighbor[10];
        double recall = 0;
        for (int q = 0; q < queries.Count; q++)
        {
            var query = queries[q];
            int n = index.Search(query, 10, 100, found);
            Assert.Equal(10, n);
            recall += Recall.AtK(found, Oracle(metric, data, query).Take(10).ToArray(), 10);
            for (int i = 1; i < n; i++)
            {
                Assert.True(found[i - 1].Distance <= found[i].Distance, "results are sorted nearest first");
            }
        }

        recall /= queries.Count;
        Assert.True(recall >= 0.95, $"{metric}: recall@10 at ef=100 was {recall:F4}");
    }

    [Fact]
    public void A_lowered_m_caps_the_links_of_nodes_linked_from_then_on_and_search_still_finds_neighbors()
    {
        var data = Gaussian(2_000, 16, seed: 9);
        using var index = new HnswIndex(16, DistanceMetric.Euclid, new HnswParameters { M = 16, EfConstruction = 64 });
        for (int i = 0; i < 1_000; i++)
        {
            index.Add(data[i]);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => index.M = 17);
        index.M = 4;
        for (int i = 1_000; i < 2_000; i++)
        {
            index.Add(data[i]);
        }

        var neighbors = new int[32];
        Assert.All(Enumerable.Range(1_000, 1_000), id => Assert.True(index.CopyNeighbors(id, neighbors) <= 8, $"node {id} keeps more than 2·m links"));
        Assert.Contains(Enumerable.Range(0, 1_000), id => index.CopyNeighbors(id, neighbors) > 8); // untouched nodes keep theirs

        var found = new Neighbor[10];
        double recall = 0;
        var queries = Gaussian(100, 16, seed: 10);
        for (int q = 0; q < queries.Count; q++)
        {
            index.Search(queries[q], 10, 100, found);
            recall += Recall.AtK(found, Oracle(DistanceMetric.Euclid, data, queries[q]).Take(10).ToArray(), 10);
        }

        Assert.True(recall / queries.Count >= 0.9, $"recall@10 {recall / queries.Count:F4}");
    }

    /// <summary>
    /// The planner's neighborhood probe descends the upper layers; the walk it then chooses starts where that descent
    /// entered layer 0 instead of descending again: the same walk (same results), and the descent's distances are
    /// counted once, by the probe.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_walk_entered_where_the_probe_descended_repeats_no_work(bool twoHop)
    {
        var data = Gaussian(3_000, 32, seed: 7);
        using var index = Build(DistanceMetric.Euclid, data);
        var queries = Gaussian(20, 32, seed: 8);
        var descended = new Neighbor[10];
        var entered = new Neighbor[10];
        for (int q = 0; q < queries.Count; q++)
        {
            var query = queries[q];
            var full = new SearchStatistics();
            int n = index.Search(query, 10, 32, descended, new EvenNodes(), new WalkOptions { TwoHop = twoHop, AcceptedShare = 0.5 }, full);

            var split = new SearchStatistics();
            index.NeighborhoodShare(query, new EvenNodes(), split, out var entry);
            var probed = split.DistanceComputations;
            Assert.Equal(n, index.Search(query, 10, 32, entered, new EvenNodes(), new WalkOptions { TwoHop = twoHop, AcceptedShare = 0.5, Entry = entry }, split));

            Assert.Equal(descended, entered);
            Assert.InRange(probed, 1, full.DistanceComputations - 1);
            Assert.Equal(full.DistanceComputations, split.DistanceComputations);
        }
    }

    private readonly struct EvenNodes : INodeFilter
    {
        public bool Accept(int id) => id % 2 == 0;
    }

    /// <summary>
    /// Regression: a concurrent insert can link to a node through its upper layers before that node has
    /// written its own layer-0 list; overwriting the list then orphaned the other node (about 0.5% of nodes
    /// on low-dimensional data). Low dimensions and many threads make the race likely. Pruning's own orphans
    /// are rescued, so the count must be zero.
    /// </summary>
    [Theory]
    [InlineData(8)]
    [InlineData(32)]
    public void Parallel_build_leaves_no_live_node_unreachable(int dimensions)
    {
        for (int seed = 0; seed < 5; seed++)
        {
            var data = Gaussian(2_000, dimensions, seed);
            using var index = new HnswIndex(dimensions, DistanceMetric.Euclid);
            Parallel.For(0, data.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount) }, i => index.Add(data[i]));
            Assert.Equal(0, index.CountUnreachable());
        }
    }

    [Fact]
    public void Unpublished_nodes_are_traversed_but_never_returned_until_published_and_retired_ones_vanish_at_once()
    {
        using var index = Build(DistanceMetric.Euclid, Gaussian(500, 8, seed: 11));
        var extra = Gaussian(100, 8, seed: 13);
        int[] batch = [.. Enumerable.Range(0, extra.Count).Select(i => index.Reserve(extra[i]))];
        foreach (int node in batch)
        {
            index.Link(node, publish: false);
        }

        var found = new Neighbor[600];
        Assert.Equal(500, index.Count);
        Assert.DoesNotContain(found[..index.ExactSearch(extra[50], 600, found)], hit => hit.Id >= 500);
        Assert.DoesNotContain(found[..index.Search(extra[50], 10, 64, found)], hit => hit.Id >= 500);

        Assert.All(batch, node => Assert.True(index.Publish(node)));
        Assert.False(index.Publish(batch[0]));
        Assert.Equal(600, index.Count);
        Assert.Equal(batch[50], found[..index.Search(extra[50], 1, 64, found)][0].Id);

        Assert.All(batch, node => Assert.True(index.Retire(node)));
        Assert.Equal(500, index.Count);
        Assert.DoesNotContain(found[..index.ExactSearch(extra[50], 600, found)], hit => hit.Id >= 500);
        foreach (int node in batch)
        {
            index.Repair(node);
        }

        Assert.Equal(10, index.Search(extra[50], 10, 64, found));
    }

    [Theory]
    [InlineData(20_000, 8)] // one range
    [InlineData(2_100, 1_024)] // over 2 M floats: a range per core, whose cancellations are not wrapped in an AggregateException
    public void A_cancelled_exact_scan_stops(int count, int dimensions)
    {
        var data = Gaussian(count, dimensions, seed: 12);
        using var index = Build(DistanceMetric.Dot, data);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => index.ExactSearch(data[0], 10, new Neighbor[10], cancelled.Token));
        int[] all = [.. Enumerable.Range(0, count)];
        Assert.Throws<OperationCanceledException>(() => index.ExactSearch(data[0], 10, new Neighbor[10], all, cancellation: cancelled.Token));
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine, VectorDataType.Float32)]
    [InlineData(DistanceMetric.Euclid, VectorDataType.Float16)]
    [InlineData(DistanceMetric.Manhattan, VectorDataType.BFloat16)]
    [InlineData(DistanceMetric.Dot, VectorDataType.Float32)]
    public void Distances_to_listed_nodes_are_the_exact_scans_and_nan_for_deleted_ones(DistanceMetric metric, VectorDataType dataType)
    {
        var data = Gaussian(400, 24, seed: 11);
        using var index = new HnswIndex(24, metric, new HnswParameters { DataType = dataType });
        for (int i = 0; i < data.Count; i++)
        {
            index.Add(data[i]);
        }

        index.Delete(7);
        var query = Gaussian(1, 24, seed: 12)[0].ToArray();
        int[] nodes = [399, 7, 0, 123, 5000];
        var distances = new float[nodes.Length];

        Assert.Equal(3, index.Distances(query, nodes, distances));

        var exact = new Neighbor[400];
        var expected = exact[..index.ExactSearch(query, 400, exact)].ToDictionary(n => n.Id, n => n.Distance);
        Assert.Equal(expected[399], distances[0]);
        Assert.True(float.IsNaN(distances[1]));
        Assert.Equal(expected[0], distances[2]);
        Assert.Equal(expected[123], distances[3]);
        Assert.True(float.IsNaN(distances[4]));
    }

    [Fact]
    public void A_scan_of_listed_nodes_on_all_cores_finds_their_exact_nearest()
    {
        var data = Gaussian(4_200, 1_024, seed: 13); // 2,100 listed rows: over 2 M floats, so split across cores
        using var index = Build(DistanceMetric.Euclid, data);
        int[] even = [.. Enumerable.Range(0, data.Count).Where(i => i % 2 == 0)];
        var found = new Neighbor[25];
        var statistics = new SearchStatistics();
        for (int q = 1; q < 40; q += 2)
        {
            Assert.Equal(25, index.ExactSearch(data[q], 25, found, even, statistics));
            Assert.Equal(Oracle(DistanceMetric.Euclid, data, data[q]).Where(i => i % 2 == 0).Take(25), found.Select(hit => hit.Id));
        }

        Assert.Equal(20L * even.Length, statistics.DistanceComputations);
    }

    [Fact]
    public void Single_threaded_build_is_deterministic()
    {
        var data = Gaussian(500, 8, seed: 9);
        using var a = Build(DistanceMetric.Euclid, data);
        using var b = Build(DistanceMetric.Euclid, data);
        var fa = new Neighbor[5];
        var fb = new Neighbor[5];
        var queries = Gaussian(20, 8, seed: 10);
        for (int q = 0; q < queries.Count; q++)
        {
            var query = queries[q];
            Assert.Equal(a.Search(query, 5, 16, fa), b.Search(query, 5, 16, fb));
            Assert.Equal(fa, fb);
        }
    }

    [Fact]
    public void Empty_index_returns_nothing_and_small_index_returns_all()
    {
        using var index = new HnswIndex(3, DistanceMetric.Euclid);
        var found = new Neighbor[5];
        Assert.Equal(0, index.Search([1f, 2f, 3f], 5, 10, found));
        index.Add([1f, 0f, 0f]);
        index.Add([0f, 1f, 0f]);
        Assert.Equal(2, index.Search([1f, 0f, 0f], 5, 10, found));
        Assert.Equal(0, found[0].Id);
        Assert.Equal(0f, found[0].Distance);
    }

    [Fact]
    public void Bad_input_is_rejected_with_our_exceptions()
    {
        using var index = new HnswIndex(4, DistanceMetric.Cosine);
        Assert.Throws<DimensionMismatchException>(() => index.Add([1f, 2f]));
        Assert.Throws<InvalidRequestException>(() => index.Add([0f, 0f, 0f, 0f]));
        Assert.Throws<DimensionMismatchException>(() => index.Search([1f], 1, 10, new Neighbor[1]));
        Assert.Throws<InvalidRequestException>(() => index.Search([1f, 0, 0, 0], 0, 10, new Neighbor[1]));
        Assert.Throws<InvalidRequestException>(() => new HnswIndex(0, DistanceMetric.Dot));
        Assert.Throws<InvalidRequestException>(() => new HnswIndex(4, DistanceMetric.Dot, new HnswParameters { M = 1 }));
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public async Task Deleted_nodes_take_new_vectors_again_while_searches_run()
    {
        var data = Gaussian(2_000, 16, seed: 21);
        var replacements = Gaussian(2_000, 16, seed: 22);
        using var index = Build(DistanceMetric.Euclid, data);
        var current = new float[data.Count][];
        for (int i = 0; i < data.Count; i++)
        {
            current[i] = data[i].ToArray();
        }

        using var stop = new CancellationTokenSource();
        var searches = Task.Run(() =>
        {
            var found = new Neighbor[10];
            for (int run = 0; !stop.IsCancellationRequested || run == 0; run++)
            {
                index.Search(replacements[run % replacements.Count], 10, 64, found);
            }
        });

        // Every node is deleted and given a new vector, three times over, but the entry point, which stays deleted:
        // the graph never grows.
        int refused = 0;
        for (int round = 0; round < 3; round++)
        {
            for (int id = 0; id < data.Count; id++)
            {
                if (!index.Delete(id))
                {
                    continue;
                }

                if (!index.CanReuse(id))
                {
                    refused++;
                    current[id] = null!;
                    continue;
                }

                float[] vector = replacements[(id + round) % replacements.Count].ToArray();
                index.Reserve(id, vector);
                index.Link(id);
                current[id] = vector;
            }
        }

        await stop.CancelAsync();
        await searches;
        Assert.Equal(1, refused);
        Assert.Equal(data.Count, index.AllocatedCount);
        Assert.Equal(data.Count - 1, index.Count);
        Assert.Equal(0, index.CountUnreachable());

        var live = Enumerable.Range(0, data.Count).Where(id => current[id] is not null).ToArray();
        var found = new Neighbor[10];
        double recall = 0;
        for (int q = 0; q < 200; q++)
        {
            float[] query = replacements[q * 7].ToArray();
            index.Search(query, 10, 100, found);
            int[] truth = [.. live.OrderBy(id => OracleDistance(DistanceMetric.Euclid, current[id], query)).Take(10)];
            recall += Recall.AtK(found, truth, 10);
        }

        Assert.True(recall / 200 >= 0.95, $"recall@10 after reusing every node three times was {recall / 200:F4}");
    }

    [Fact]
    public void Deleted_nodes_are_never_returned_and_delete_is_idempotent()
    {
        var data = Gaussian(1_000, 16, seed: 12);
        using var index = Build(DistanceMetric.Euclid, data);
        var found = new Neighbor[1];
        Assert.Equal(1, index.Search(data[17], 1, 32, found));
        Assert.Equal(17, found[0].Id);
        Assert.True(index.Delete(17));
        Assert.False(index.Delete(17));
        Assert.False(index.Delete(123_456));
        Assert.Equal(999, index.Count);
        Assert.Equal(1, index.Search(data[17], 1, 32, found));
        Assert.NotEqual(17, found[0].Id);
        Assert.Equal(1, index.ExactSearch(data[17], 1, found));
        Assert.NotEqual(17, found[0].Id);
    }

    [Fact]
    public void Delete_everything_then_search_returns_nothing()
    {
        var data = Gaussian(200, 8, seed: 13);
        using var index = Build(DistanceMetric.Dot, data);
        for (int i = 0; i < data.Count; i++)
        {
            Assert.True(index.Delete(i));
        }

        Assert.Equal(0, index.Search(data[0], 5, 50, new Neighbor[5]));
        Assert.Equal(0, index.ExactSearch(data[0], 5, new Neighbor[5]));
    }

    /// <summary>
    /// HNSW's graph is not strongly connected. With M = 2 this build (seeded, single-threaded) has a few regions whose
    /// links all lead back into them, and the searches that enter layer 0 there find fewer than k nodes; they are
    /// answered by an exact scan, so every search returns k hits, and those returned by the scan are exact.
    /// </summary>
    [Fact]
    public void A_search_that_strands_in_a_closed_region_is_answered_exactly()
    {
        const int count = 2_000;
        var data = Gaussian(count, 16, seed: 33);
        using var index = new HnswIndex(16, DistanceMetric.Euclid, new HnswParameters { M = 2, EfConstruction = 16 }, initialCapacity: count);
        for (int row = 0; row < count; row++)
        {
            index.Add(data[row]);
        }

        var found = new Neighbor[10];
        var exact = new Neighbor[10];
        int stranded = 0;
        for (int q = 0; q < count; q++)
        {
            var statistics = new SearchStatistics();
            Assert.Equal(10, index.Search(data[q], 10, 20, found, statistics));
            if (statistics.FellBackToExact)
            {
                stranded++;
                index.ExactSearch(data[q], 10, exact);
                Assert.Equal(exact, found);
            }
        }

        Assert.InRange(stranded, 1, count / 100); // the case is exercised, and stays rare

        // An adaptive walk (on a prefix, rescored whole) strands the same way and is answered the same way.
        int strandedAdaptive = 0;
        for (int q = 0; q < count; q++)
        {
            var statistics = new SearchStatistics();
            Assert.Equal(10, index.SearchAdaptive(data[q], 10, 20, 8, 40, found, statistics));
            strandedAdaptive += statistics.FellBackToExact ? 1 : 0;
        }

        Assert.InRange(strandedAdaptive, 1, count / 100);
    }

    /// <summary>Searches racing inserts return k hits too, whether they strand in a region or land on a node still being linked.</summary>
    [Fact]
    public async Task Searches_racing_inserts_return_k_hits()
    {
        const int count = 4_000;
        var data = Gaussian(count, 16, seed: 33);
        using var index = new HnswIndex(16, DistanceMetric.Euclid, new HnswParameters { M = 2, EfConstruction = 16 }, initialCapacity: count);
        for (int row = 0; row < 100; row++)
        {
            index.Add(data[row]);
        }

        int next = 99;
        int shortResults = 0;
        int searches = 0;
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            int row;
            while ((row = Interlocked.Increment(ref next)) < count)
            {
                index.Add(data[row]);
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var random = new Random(200 + r);
            var found = new Neighbor[10];
            while (!stop.IsCancellationRequested)
            {
                if (index.Search(data[random.Next(count)], 10, 20, found) < 10)
                {
                    Interlocked.Increment(ref shortResults);
                }

                Interlocked.Increment(ref searches);
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        Assert.True(searches > 0);
        Assert.True(shortResults == 0, $"{shortResults} of {searches} searches returned fewer than 10 hits");
    }

    /// <summary>
    /// Writers insert and delete while readers search: nothing throws, and a search never returns a node
    /// whose delete had completed before the search began. Growth of the arenas happens during the run.
    /// </summary>
    [Fact]
    public async Task Concurrent_inserts_deletes_and_searches_are_safe()
    {
        const int count = 6_000;
        var data = Gaussian(count, 32, seed: 21);
        using var index = new HnswIndex(32, DistanceMetric.Cosine, new HnswParameters { M = 8, EfConstruction = 64 }, initialCapacity: 16);
        var deletedAt = new ConcurrentDictionary<int, long>();
        long clock = 0;
        int inserted = 0;
        int violations = 0;
        int searches = 0;
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            for (int row = w; row < count; row += 2)
            {
                index.Add(data[row]);
                Interlocked.Increment(ref inserted);
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        var deleter = Task.Run(() =>
        {
            var random = new Random(4);
            while (!stop.IsCancellationRequested)
            {
                int live = Volatile.Read(ref inserted);
                if (live > 100)
                {
                    int victim = random.Next(live);
                    if (index.Delete(victim))
                    {
                        deletedAt[victim] = Interlocked.Increment(ref clock);
                    }
                }

                Thread.Yield();
            }
        }, TestContext.Current.CancellationToken);

        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var random = new Random(100 + r);
            var found = new Neighbor[10];
            while (!stop.IsCancellationRequested)
            {
                long startedAt = Interlocked.Read(ref clock);
                int n = random.Next(2) == 0
                    ? index.Search(data[random.Next(count)], 10, 40, found)
                    : index.ExactSearch(data[random.Next(count)], 10, found);
                for (int i = 0; i < n; i++)
                {
                    if (deletedAt.TryGetValue(found[i].Id, out long when) && when <= startedAt)
                    {
                        Interlocked.Increment(ref violations);
                    }
                }

                Interlocked.Increment(ref searches);
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await Task.WhenAll([deleter, .. readers]);

        Assert.Equal(0, violations);
        Assert.True(searches > 0);
        Assert.Equal(count - deletedAt.Count, index.Count);

        // Surviving points are still found through the graph as their own nearest neighbor. Deletes racing
        // with inserts can cut a few nodes off (a known limit, docs/architecture.md); CI once saw 3 of the
        // ~850 sampled here, so every live node is checked and the bound is the 0.5 % HnswDeleteTests uses.
        var one = new Neighbor[1];
        int missed = 0;
        int live = 0;
        var vector = new float[32];
        for (int node = 0; node < count; node++)
        {
            if (!index.IsLive(node))
            {
                continue;
            }

            live++;
            index.CopyVector(node, vector);
            index.Search(vector, 1, 64, one);
            if (one[0].Id != node && one[0].Distance > -0.9999f)
            {
                missed++;
            }
        }

        Assert.True(missed <= live / 200, $"{missed} of {live} live nodes were not found as their own nearest neighbor");
    }

    internal static Datasets.VectorSet Gaussian(int count, int dimensions, int seed)
    {
        var random = new Random(seed);
        var data = new float[count * dimensions];
        for (int i = 0; i < data.Length; i++)
        {
            // Box–Muller; an offset keeps the dot-product case from being pure noise.
            double u = 1.0 - random.NextDouble();
            double v = random.NextDouble();
            data[i] = (float)((Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v)) + 0.1);
        }

        return new Datasets.VectorSet(data, dimensions);
    }

    /// <summary>Sequential build, so node id i is row i.</summary>
    internal static HnswIndex Build(DistanceMetric metric, Datasets.VectorSet data, VectorDataType dataType = VectorDataType.Float32)
    {
        var index = new HnswIndex(data.Dimensions, metric, new HnswParameters { M = 16, EfConstruction = 100, DataType = dataType });
        for (int i = 0; i < data.Count; i++)
        {
            Assert.Equal(i, index.Add(data[i]));
        }

        return index;
    }

    internal static IEnumerable<int> Oracle(DistanceMetric metric, Datasets.VectorSet data, ReadOnlySpan<float> query)
    {
        var distances = new double[data.Count];
        for (int i = 0; i < data.Count; i++)
        {
            distances[i] = OracleDistance(metric, data[i], query);
        }

        return Enumerable.Range(0, data.Count).OrderBy(i => distances[i]).ThenBy(i => i);
    }

    internal static double OracleDistance(DistanceMetric metric, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        double dot = 0, xx = 0, yy = 0, l2 = 0, l1 = 0;
        for (int i = 0; i < x.Length; i++)
        {
            dot += (double)x[i] * y[i];
            xx += (double)x[i] * x[i];
            yy += (double)y[i] * y[i];
            l2 += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
            l1 += Math.Abs((double)x[i] - y[i]);
        }

        return metric switch
        {
            DistanceMetric.Cosine => -dot / Math.Sqrt(xx * yy),
            DistanceMetric.Dot => -dot,
            DistanceMetric.Euclid => l2,
            _ => l1,
        };
    }
}
