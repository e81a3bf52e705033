using System.Globalization;
using VectorDb.Storage;

namespace VectorDb.Tests;

/// <summary>The collection options of adaptive-dimension search: Matryoshka prefixes and a fitted PCA rotation.</summary>
public sealed class AdaptiveCollectionTests : IDisposable
{
    private const int Dimensions = 32;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Options_are_checked()
    {
        using var db = VectorDatabase.InMemory();
        var plain = new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid };
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Matryoshka = [] }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Matryoshka = [16, 8] }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Matryoshka = [8, 8] }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Matryoshka = [0, 8] }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Matryoshka = [8, 33] }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Matryoshka = [8], Pca = new PcaOptions() }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Distance = DistanceMetric.Manhattan, Pca = new PcaOptions() }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Pca = new PcaOptions { Dimensions = 33 } }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Pca = new PcaOptions { Dimensions = 0 } }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Pca = new PcaOptions { FitAtPoints = -1 } }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", plain with { Pca = new PcaOptions { SamplePoints = 1 } }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", new CollectionOptions { Dimensions = 2048, Pca = new PcaOptions { Dimensions = 300 } }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", new CollectionOptions { Dimensions = 4096, Pca = new PcaOptions() }));
        Assert.Empty(db.ListCollections());

        var collection = db.CreateCollection("plain", plain);
        collection.Upsert(Vectors(10, seed: 1).Select((v, i) => new Point((ulong)i, v)));
        Assert.Throws<InvalidRequestException>(() => collection.FitRotation());
        Assert.Null(collection.Rotation);
    }

    [Fact]
    public void A_Matryoshka_collection_walks_only_its_trained_prefixes()
    {
        using var db = VectorDatabase.InMemory();
        int[] trained = [4, 8, 16];
        var options = new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Cosine, Matryoshka = [.. trained] };
        var collection = db.CreateCollection("m", options);
        var vectors = Vectors(1500, seed: 2, mixed: false);
        collection.Upsert(vectors.Select((v, i) => new Point((ulong)i, v)));

        var query = vectors[7];
        var exact = collection.Search(query, 1500, new SearchOptions { Exact = true }).ToDictionary(h => h.Id, h => h.Score);
        var hits = collection.Search(query, 10, new SearchOptions { Explain = true, Adaptive = new AdaptiveSearch { SearchDimensions = 8 } });
        Assert.Equal(7UL, hits[0].Id.Number);
        Assert.All(hits, hit => Assert.Equal(exact[hit.Id], hit.Score, 1e-5f));
        Assert.Contains("8 of 32 dimensions", hits.Explain!.Reason, StringComparison.Ordinal);
        Assert.Equal(10, collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = Dimensions } }).Count);
        var refused = Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = 12 } }));
        Assert.Contains("[4, 8, 16]", refused.Message, StringComparison.Ordinal);

        // Rescoring with a longer trained prefix: scores are the cosine similarities over that prefix of the unit vectors.
        var prefixHits = collection.Search(query, 10, new SearchOptions { Explain = true, Adaptive = new AdaptiveSearch { SearchDimensions = 4, RescoreDimensions = 16 } });
        Assert.Contains("rescored with the first 16", prefixHits.Explain!.Reason, StringComparison.Ordinal);
        var unitQuery = Normalised(query);
        Assert.All(prefixHits, hit =>
        {
            var stored = collection.Get(hit.Id)!.Vector!; // stored normalised
            Assert.Equal(Enumerable.Range(0, 16).Sum(d => (double)unitQuery[d] * stored[d]), hit.Score, 1e-5);
        });
        Assert.True(prefixHits.Zip(prefixHits.Skip(1)).All(pair => pair.First.Score >= pair.Second.Score));
        Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = 4, RescoreDimensions = 12 } }));
        Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = 8, RescoreDimensions = 4 } }));
        Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { TargetRecall = 0.9, RescoreDimensions = 16 } }));

        // Calibration chooses among the trained prefixes and the whole vector only.
        var calibrated = collection.Search(query, 10, new SearchOptions { Explain = true, Adaptive = new AdaptiveSearch { TargetRecall = 0.9 } });
        Assert.Contains(trained.Append(Dimensions), d => calibrated.Explain!.Reason.Contains($": {d} of {Dimensions} dimensions", StringComparison.Ordinal));
        Assert.Equal<int>(trained, collection.Options.Matryoshka!);
    }

    [Theory]
    [InlineData(DistanceMetric.Euclid)]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.Dot)]
    public void A_PCA_collection_fitted_on_request_walks_the_leading_axes_and_keeps_vectors_and_scores(DistanceMetric metric)
    {
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("p", new CollectionOptions
        {
            Dimensions = Dimensions,
            Distance = metric,
            Pca = new PcaOptions { Dimensions = 8, FitAtPoints = 0, SamplePoints = 1000 },
        });
        var vectors = Vectors(2000, seed: 3);
        collection.Upsert(vectors.Select((v, i) => new Point((ulong)i, v)));
        var queries = Vectors(50, seed: 4);
        var adaptive = new SearchOptions { Explain = true, Ef = 40, Adaptive = new AdaptiveSearch { SearchDimensions = 6, Oversampling = 4 } };

        // Not fitted yet (fit_at 0: only on request): a plain search, and explain says why.
        var early = collection.Search(queries[0], 10, adaptive);
        Assert.Contains("not fitted yet", early.Explain!.Reason, StringComparison.Ordinal);
        Assert.Equal(10, early.Count);

        var fitted = collection.FitRotation();
        Assert.Equal(8, fitted.Dimensions);
        Assert.Equal(1000, fitted.SamplePoints);
        Assert.True(fitted.ExplainedVariance > 0.9, $"8 of 32 axes carry {fitted.ExplainedVariance:P1}");
        Assert.Equal(8, collection.Rotation!.Dimensions);

        double recall = 0, plainRecall = 0;
        foreach (var query in queries)
        {
            var exact = collection.Search(query, 2000, new SearchOptions { Exact = true });
            var truth = exact.Take(10).Select(h => h.Id).ToHashSet();
            var scores = exact.ToDictionary(h => h.Id, h => h.Score);
            var hits = collection.Search(query, 10, adaptive);
            Assert.Contains("first 6 principal axes", hits.Explain!.Reason, StringComparison.Ordinal);
            Assert.All(hits, hit => Assert.Equal(scores[hit.Id], hit.Score, 1e-4f)); // rescored with the stored vectors
            recall += hits.Count(h => truth.Contains(h.Id)) / 10.0;
            plainRecall += collection.Search(query, 10, new SearchOptions { Ef = 40 }).Count(h => truth.Contains(h.Id)) / 10.0;
        }

        // As good as the full-dimension walk (inner product on unnormalised vectors is hard for any graph; the
        // others must also be good outright).
        recall /= queries.Count;
        plainRecall /= queries.Count;
        Assert.True(recall >= plainRecall - 0.05 && (metric == DistanceMetric.Dot || recall >= 0.9), $"recall {recall:F3} walking 6 of 32 rotated dimensions, {plainRecall:F3} on all");

        // Stored vectors are the ones given (normalised under cosine), not rotated ones.
        var stored = collection.Get(5UL)!.Vector!;
        var given = metric == DistanceMetric.Cosine ? Normalised(vectors[5]) : vectors[5];
        Assert.All(Enumerable.Range(0, Dimensions), d => Assert.Equal(given[d], stored[d], 1e-6f));

        Assert.Throws<InvalidRequestException>(() => collection.Search(queries[0], 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = 9 } }));
        Assert.Throws<InvalidRequestException>(() => collection.Search(queries[0], 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = 6, RescoreDimensions = 16 } }));
        Assert.Equal(10, collection.Search(queries[0], 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = Dimensions } }).Count);
        var calibrated = collection.Search(queries[0], 10, new SearchOptions { Explain = true, Adaptive = new AdaptiveSearch { TargetRecall = 0.9 } });
        Assert.Contains(new[] { 8, Dimensions }, d => calibrated.Explain!.Reason.Contains($": {d} of {Dimensions} dimensions", StringComparison.Ordinal));

        // Under a filter the planner's scan of the few matches compares the rotated prefix first: approximate, and said so.
        var someIds = Enumerable.Range(0, 300).Select(i => (ulong)(i * 5)).ToHashSet();
        var idFilter = new Query.Filter(Must: [new Query.HasIdCondition(someIds.Select(id => new PointId(id)).ToHashSet())]);
        var filteredTruth = collection.Search(queries[2], 10, new SearchOptions { Filter = idFilter, Exact = true }).ToDictionary(h => h.Id, h => h.Score);
        var filtered = collection.Search(queries[2], 10, new SearchOptions { Filter = idFilter, Explain = true, Adaptive = new AdaptiveSearch { SearchDimensions = 6, Oversampling = 4 } });
        Assert.Equal(Query.SearchStrategy.PrefixScan, filtered.Explain!.Strategy);
        Assert.Equal(6, filtered.Explain.SearchDimensions);
        Assert.All(filtered, hit => Assert.Contains(hit.Id.Number, someIds));
        Assert.All(filtered.Where(hit => filteredTruth.ContainsKey(hit.Id)), hit => Assert.Equal(filteredTruth[hit.Id], hit.Score, 1e-4f));
        Assert.True(filtered.Count(hit => filteredTruth.ContainsKey(hit.Id)) >= 8, "the prefix scan's shortlist holds the filtered neighbours");

        // An exact scan the query forces stays exact: on whole vectors, since a scan on a rotated prefix would not be.
        var forcedScan = collection.Search(queries[2], 10, new SearchOptions
        {
            Filter = idFilter, Strategy = Query.SearchStrategy.ExactScan, Explain = true, Adaptive = new AdaptiveSearch { SearchDimensions = 6, Oversampling = 4 },
        });
        Assert.Equal(Query.SearchStrategy.ExactScan, forcedScan.Explain!.Strategy);
        Assert.Null(forcedScan.Explain.SearchDimensions);
        Assert.Contains("an exact scan was required", forcedScan.Explain.Reason, StringComparison.Ordinal);
        Assert.Equal(filteredTruth.Keys.Order(), forcedScan.Select(hit => hit.Id).Order());

        // Points added after the fit are projected on insert and found by their own vector (under dot, a longer copy
        // of it, which no other point can outscore).
        collection.Upsert(new Point(9999UL, metric == DistanceMetric.Dot ? [.. queries[1].Select(x => 10 * x)] : queries[1]));
        Assert.Equal(9999UL, collection.Search(queries[1], 1, adaptive)[0].Id.Number);
    }

    [Fact]
    public void A_PCA_collection_fits_itself_once_it_holds_enough_points()
    {
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("auto", new CollectionOptions
        {
            Dimensions = Dimensions,
            Distance = DistanceMetric.Euclid,
            Pca = new PcaOptions { FitAtPoints = 600 },
        });
        var vectors = Vectors(1000, seed: 5);
        collection.Upsert(vectors.Take(500).Select((v, i) => new Point((ulong)i, v)));
        Thread.Sleep(200);
        Assert.Null(collection.Rotation);

        collection.Upsert(vectors.Skip(500).Select((v, i) => new Point((ulong)(500 + i), v)));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (collection.Rotation is null && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Assert.Null(collection.RotationFitError);
        Assert.Equal(8, collection.Rotation!.Dimensions); // the default: the largest power of two up to 32 / 4
    }

    [Fact]
    public void Options_and_the_fitted_rotation_survive_log_replay_and_checkpoints()
    {
        var vectors = Vectors(1200, seed: 6);
        var queries = Vectors(20, seed: 7);
        var search = new SearchOptions { Ef = 40, Adaptive = new AdaptiveSearch { SearchDimensions = 4, Oversampling = 3 } };
        List<ScoredPoint[]> before;
        double explained;
        using (var db = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = false }))
        {
            var pca = db.CreateCollection("p", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, Pca = new PcaOptions { FitAtPoints = 0 } });
            db.CreateCollection("m", new CollectionOptions { Dimensions = Dimensions, Matryoshka = [4, 16] });
            // Batches below the parallel-insert threshold: a single-threaded build is reproducible, so the graph
            // replayed from the log is the same graph and the approximate searches below return the same hits.
            foreach (var batch in vectors.Select((v, i) => new Point((ulong)i, v)).Chunk(Collection.ParallelInsertThreshold - 1))
            {
                pca.Upsert(batch);
            }

            explained = pca.FitRotation().ExplainedVariance;
            before = [.. queries.Select(q => pca.Search(q, 10, search).ToArray())];
        }

        // From the log alone, then from a checkpoint (the rotation from its own file), then the log after it.
        for (int round = 0; round < 3; round++)
        {
            using var db = VectorDatabase.Open(_directory.Path);
            var pca = db.GetCollection("p");
            Assert.Equal(new PcaOptions { Dimensions = 8, FitAtPoints = 0, SamplePoints = 10_000 }, pca.Options.Pca);
            Assert.Equal<int>([4, 16], db.GetCollection("m").Options.Matryoshka!);
            Assert.Equal(8, pca.Rotation!.Dimensions);
            Assert.Equal(explained, pca.Rotation.ExplainedVariance);
            var after = queries.Select(q => pca.Search(q, 10, search).ToArray()).ToList();
            Assert.Equal(before.Select(hits => hits.Select(h => h.Id)), after.Select(hits => hits.Select(h => h.Id)));
            Assert.Equal(before.Select(hits => hits.Select(h => h.Score)), after.Select(hits => hits.Select(h => h.Score)));
            if (round == 1)
            {
                pca.Upsert(new Point(5000UL, queries[0])); // logged after the checkpoint, projected on replay
                before = [.. queries.Select(q => pca.Search(q, 10, search).ToArray())];
            }
        }
    }

    [Theory]
    [InlineData(Query.SearchStrategy.ExactScan, "10%")]
    [InlineData(Query.SearchStrategy.FilteredGraph, "10%")]
    [InlineData(Query.SearchStrategy.TwoHopGraph, "10%")]
    [InlineData(Query.SearchStrategy.PostFilter, "95%")]
    [InlineData(null, "10%")]
    [InlineData(null, "1%")]
    public void A_filtered_adaptive_search_runs_the_planned_strategy_on_the_prefix(Query.SearchStrategy? strategy, string selectivity)
    {
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("f", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, Matryoshka = [8, 16] });
        var vectors = Vectors(3000, seed: 8, mixed: false);
        collection.Upsert(vectors.Select((v, i) => new Point((ulong)i, v, Payload.FromObject(new { group = (i % 10).ToString(CultureInfo.InvariantCulture), u = i % 100 }))));
        collection.CreatePayloadIndex("group", PayloadSchemaType.Keyword);
        collection.CreatePayloadIndex("u", PayloadSchemaType.Integer);
        var filter = selectivity switch
        {
            "95%" => new Query.Filter(Must: [Query.Conditions.Range("u", lt: 95)]),
            "1%" => new Query.Filter(Must: [Query.Conditions.Range("u", lt: 1)]),
            _ => new Query.Filter(Must: [Query.Conditions.Match("group", "3")]),
        };
        var matches = filter.Must![0] is Query.MatchValueCondition ? (Func<int, bool>)(i => i % 10 == 3) : selectivity == "1%" ? i => i % 100 < 1 : i => i % 100 < 95;

        double recall = 0;
        var queries = Vectors(30, seed: 9, mixed: false);
        foreach (var query in queries)
        {
            var truth = collection.Search(query, 10, new SearchOptions { Filter = filter, Exact = true });
            var scores = truth.ToDictionary(h => h.Id, h => h.Score);
            var hits = collection.Search(query, 10, new SearchOptions
            {
                Filter = filter, Strategy = strategy, Ef = 40, Explain = true, Adaptive = new AdaptiveSearch { SearchDimensions = 8, Oversampling = 4 },
            });
            Assert.Equal(10, hits.Count);
            Assert.All(hits, hit => Assert.True(matches((int)hit.Id.Number)));
            Assert.All(hits.Where(hit => scores.ContainsKey(hit.Id)), hit => Assert.Equal(scores[hit.Id], hit.Score, 1e-4f));
            Assert.Equal(8, hits.Explain!.SearchDimensions);
            Assert.Contains("on 8 of 32 dimensions", hits.Explain.Reason, StringComparison.Ordinal);
            if (strategy is { } forced)
            {
                Assert.Equal(forced, hits.Explain.Strategy);
            }

            recall += hits.Count(hit => scores.ContainsKey(hit.Id)) / 10.0;
        }

        // A scan of the matches on a prefix is exact under L2: the rescoring goes on while a prefix distance can still win.
        recall /= queries.Count;
        Assert.True(strategy == Query.SearchStrategy.ExactScan ? recall == 1 : recall >= 0.9, $"recall@10 {recall:F3} ({strategy}, {selectivity})");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Value_links_walk_the_prefix_and_a_tenant_graph_says_it_does_not(bool tenant)
    {
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("t", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, Matryoshka = [8, 16] });
        collection.Upsert(Vectors(2400, seed: 10, mixed: false).Select((v, i) => new Point((ulong)i, v, Payload.FromObject(new { owner = i % 2 == 0 ? "a" : "b" }))));
        collection.CreatePayloadIndex("owner", PayloadSchemaType.Keyword, isTenant: tenant);
        collection.WaitForPayloadLinks();
        var query = Vectors(1, seed: 11, mixed: false)[0];
        var filter = new Query.Filter(Must: [Query.Conditions.Match("owner", "a")]);
        var strategy = tenant ? Query.SearchStrategy.TenantGraph : Query.SearchStrategy.ValueLinks;
        var hits = collection.Search(query, 10, new SearchOptions { Filter = filter, Strategy = strategy, Explain = true, Adaptive = new AdaptiveSearch { SearchDimensions = 8 } });
        var truth = collection.Search(query, 10, new SearchOptions { Filter = filter, Exact = true });
        Assert.Equal(strategy, hits.Explain!.Strategy);
        Assert.Equal(tenant ? null : 8, hits.Explain.SearchDimensions);
        Assert.Equal(tenant, hits.Explain.Reason.Contains("does not apply", StringComparison.Ordinal));
        Assert.All(hits, hit => Assert.Equal(0UL, hit.Id.Number % 2));
        Assert.True(hits.Count(hit => truth.Any(t => t.Id == hit.Id)) >= 8, "the walk found the filtered neighbours");
    }

    [Theory]
    [InlineData(null)]
    [InlineData(Query.SearchStrategy.TwoHopGraph)]
    public void A_target_recall_under_a_filter_is_calibrated_for_the_filters_band(Query.SearchStrategy? forced)
    {
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("c", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, Matryoshka = [8, 16] });
        var vectors = Vectors(4000, seed: 12, mixed: false);
        collection.Upsert(vectors.Select((v, i) => new Point((ulong)i, v, Payload.FromObject(new { group = (i % 10).ToString(CultureInfo.InvariantCulture) }))));
        collection.CreatePayloadIndex("group", PayloadSchemaType.Keyword);

        // Most points match, so the planner walks the graph (a scan of the matches would be exact whatever the calibration chose).
        var filter = new Query.Filter(MustNot: [Query.Conditions.Match("group", "4")]);
        double recall = 0;
        var queries = Vectors(40, seed: 13, mixed: false);
        foreach (var query in queries)
        {
            var truth = collection.Search(query, 10, new SearchOptions { Filter = filter, Exact = true }).Select(h => h.Id).ToHashSet();
            var hits = collection.Search(query, 10, new SearchOptions { Filter = filter, Strategy = forced, Explain = true, Adaptive = new AdaptiveSearch { TargetRecall = 0.9 } });
            Assert.Contains("calibrated for recall 0.9 under filters matching 50%–100% of points", hits.Explain!.Reason, StringComparison.Ordinal);
            Assert.NotEqual(Query.SearchStrategy.ExactScan, hits.Explain.Strategy);
            if (forced is not null)
            {
                Assert.Contains($"strategy {forced}", hits.Explain.Reason, StringComparison.Ordinal);
                Assert.Equal(forced, hits.Explain.Strategy);
            }

            Assert.All(hits, hit => Assert.NotEqual(4UL, hit.Id.Number % 10));
            recall += hits.Count(hit => truth.Contains(hit.Id)) / 10.0;
        }

        recall /= queries.Count;
        Assert.True(recall >= 0.85, $"calibrated for 0.9 under a 90 % filter, reached {recall:F3}");

        // The same filter after a write keeps its calibration; another filter of the band gets one of its own.
        int cached = collection.UnnamedAdaptive!.CachedCalibrations;
        collection.Upsert(new Point(4000UL, vectors[0], Payload.FromObject(new { group = "0" })));
        collection.Search(queries[0], 10, new SearchOptions { Filter = filter, Strategy = forced, Adaptive = new AdaptiveSearch { TargetRecall = 0.9 } });
        Assert.Equal(cached, collection.UnnamedAdaptive.CachedCalibrations);
        collection.Search(queries[0], 10, new SearchOptions
        {
            Filter = new Query.Filter(MustNot: [Query.Conditions.Match("group", "5")]), Strategy = forced, Adaptive = new AdaptiveSearch { TargetRecall = 0.9 },
        });
        Assert.Equal(cached + 1, collection.UnnamedAdaptive.CachedCalibrations);

        // A filter nothing matches is answered without a calibration.
        var none = collection.Search(queries[0], 10, new SearchOptions
        {
            Filter = new Query.Filter(Must: [Query.Conditions.Match("group", "none")]), Explain = true, Adaptive = new AdaptiveSearch { TargetRecall = 0.9 },
        });
        Assert.Empty(none);
        Assert.Equal(Query.SearchStrategy.NoMatches, none.Explain!.Strategy);
    }

    [Fact]
    public void A_filter_whose_matches_lie_away_from_the_query_is_calibrated_on_points_as_hard_as_unseen_queries()
    {
        // Ten tight clusters; the group is the cluster. "Any group but the query's own" leaves nothing around the query.
        var random = new Random(21);
        var centres = Enumerable.Range(0, 10).Select(_ => Enumerable.Range(0, Dimensions).Select(_ => (float)(random.NextDouble() * 20)).ToArray()).ToArray();
        float[] Near(int cluster) => [.. centres[cluster].Select(x => x + (float)(random.NextDouble() - 0.5))];
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("c", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, Matryoshka = [8, 16] });
        collection.Upsert(Enumerable.Range(0, 4000).Select(i => new Point((ulong)i, Near(i % 10), Payload.FromObject(new { group = (i % 10).ToString(CultureInfo.InvariantCulture) }))));
        collection.CreatePayloadIndex("group", PayloadSchemaType.Keyword);

        string Calibration(string excluded) => collection.Search(Near(3), 10, new SearchOptions
        {
            Filter = new Query.Filter(MustNot: [Query.Conditions.Match("group", excluded)]), Explain = true, Adaptive = new AdaptiveSearch { TargetRecall = 0.9 },
        }).Explain!.Reason;

        string away = Calibration("3");
        Assert.Contains("lying away from the query", away, StringComparison.Ordinal);
        Assert.Contains("points standing where the query stands (away from the matches: as hard as unseen queries)", away, StringComparison.Ordinal);

        // Excluding another group leaves the query among its matches: its sample's answers are the points they were linked to.
        string among = Calibration("4");
        Assert.DoesNotContain("lying away from the query", among, StringComparison.Ordinal);
        Assert.DoesNotContain("as hard as unseen queries", among, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_prefix_tier_keeps_the_prefix_in_RAM_walks_it_and_survives_reopening(bool checkpoint)
    {
        var options = new CollectionOptions
        {
            Dimensions = Dimensions, Distance = DistanceMetric.Euclid, Matryoshka = [8, 16], Memory = MemoryTier.Cached,
            PrefixTier = new PrefixTierOptions { Dimensions = 16, Oversampling = 4 },
        };
        var vectors = Vectors(2000, seed: 14, mixed: false);
        var queries = Vectors(20, seed: 15, mixed: false);
        using (var db = VectorDatabase.Open(_directory.Path, new StorageOptions { CheckpointOnDispose = checkpoint }))
        {
            var collection = db.CreateCollection("tier", options);
            collection.Upsert(vectors.Select((v, i) => new Point((ulong)i, v)));
            AssertTiered(collection);
            var memory = collection.DenseMemory();
            Assert.Equal(2000L * 16 * sizeof(float), memory.PrefixBytes);
            Assert.Equal(2000L * sizeof(ulong), memory.RowBytes); // the rows' checksums: the rows are on disk
            Assert.True(memory.DiskBytes >= 2000L * Dimensions * sizeof(float));
            Assert.Equal(memory.RowBytes + memory.PrefixBytes + memory.CodeBytes + memory.GraphBytes, memory.RamBytes);

            // What would grow the prefix in RAM beyond the tier, or make the tier pointless, is refused.
            Assert.Throws<InvalidRequestException>(() => collection.Search(queries[0], 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = 24 } }));
            Assert.Throws<InvalidRequestException>(() => collection.Search(queries[0], 10, new SearchOptions { Quantization = new QuantizationSearch { Ignore = true } }));
            Assert.Throws<InvalidRequestException>(() => collection.UpdateSettings(new CollectionSettingsChange { Quantization = new ScalarQuantizationOptions() }));
            var exact = collection.Search(queries[0], 10, new SearchOptions { Exact = true, Explain = true });
            Assert.Null(exact.Explain!.SearchDimensions); // exact reads the vectors from disk
        }

        using (var db = VectorDatabase.Open(_directory.Path))
        {
            var collection = db.GetCollection("tier");
            Assert.Equal(options.PrefixTier, collection.Options.PrefixTier);
            Assert.Equal(2000L * 16 * sizeof(float), collection.DenseMemory().PrefixBytes);
            AssertTiered(collection);
        }

        void AssertTiered(Collection collection)
        {
            double recall = 0;
            foreach (var query in queries)
            {
                var truth = collection.Search(query, 10, new SearchOptions { Exact = true }).ToDictionary(h => h.Id, h => h.Score);
                var hits = collection.Search(query, 10, new SearchOptions { Explain = true });
                Assert.Equal(16, hits.Explain!.SearchDimensions);
                Assert.Contains("prefix tier (walk 16 dimensions kept in RAM", hits.Explain.Reason, StringComparison.Ordinal);
                Assert.All(hits.Where(hit => truth.ContainsKey(hit.Id)), hit => Assert.Equal(truth[hit.Id], hit.Score, 1e-4f));
                recall += hits.Count(hit => truth.ContainsKey(hit.Id)) / 10.0;
            }

            Assert.True(recall / queries.Count >= 0.9, $"prefix tier recall@10 {recall / queries.Count:F3}");
        }
    }

    [Fact]
    public void A_PCA_prefix_tier_walks_its_leading_axes_once_fitted_and_after_reopening()
    {
        var options = new CollectionOptions
        {
            Dimensions = Dimensions, Distance = DistanceMetric.Euclid, Memory = MemoryTier.Cached,
            Pca = new PcaOptions { Dimensions = 24, FitAtPoints = 0, SamplePoints = 1000 }, PrefixTier = new PrefixTierOptions { Dimensions = 8 },
        };
        var vectors = Vectors(1500, seed: 18);
        var query = Vectors(1, seed: 19)[0];
        using (var db = VectorDatabase.Open(_directory.Path))
        {
            var collection = db.CreateCollection("pca-tier", options);
            collection.Upsert(vectors.Select((v, i) => new Point((ulong)i, v)));
            var early = collection.Search(query, 10, new SearchOptions { Explain = true });
            Assert.Equal(10, early.Count);
            Assert.Null(early.Explain!.SearchDimensions);
            Assert.Contains("not fitted yet", early.Explain.Reason, StringComparison.Ordinal);
            Assert.Equal(0, collection.DenseMemory().PrefixBytes);

            collection.FitRotation();
            var fitted = collection.Search(query, 10, new SearchOptions { Explain = true });
            Assert.Equal(8, fitted.Explain!.SearchDimensions);
            Assert.Throws<InvalidRequestException>(() => collection.Search(query, 10, new SearchOptions { Adaptive = new AdaptiveSearch { SearchDimensions = 12 } }));
        }

        using (var db = VectorDatabase.Open(_directory.Path))
        {
            var collection = db.GetCollection("pca-tier");
            var truth = collection.Search(query, 10, new SearchOptions { Exact = true }).Select(h => h.Id).ToHashSet();
            var hits = collection.Search(query, 10, new SearchOptions { Explain = true });
            Assert.Equal(8, hits.Explain!.SearchDimensions);
            Assert.True(hits.Count(hit => truth.Contains(hit.Id)) >= 8, "the tier's rotated prefix finds the neighbours");
            long perPoint = collection.DenseMemory().PrefixBytes / 1500;
            Assert.True(perPoint is > 0 and < 24 * sizeof(float), $"only the tier's axes are kept in RAM: {perPoint} bytes a point");
        }
    }

    [Fact]
    public void A_prefix_tier_is_checked_against_its_vector()
    {
        using var db = VectorDatabase.Open(_directory.Path);
        var onDisk = new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, Memory = MemoryTier.Cold };
        var tier = new PrefixTierOptions { Dimensions = 8 };
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", onDisk with { Memory = MemoryTier.Pinned, PrefixTier = tier }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", onDisk with { PrefixTier = tier, Quantization = new ScalarQuantizationOptions() }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", onDisk with { PrefixTier = tier, Matryoshka = [4, 16] }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", onDisk with { PrefixTier = new PrefixTierOptions { Dimensions = Dimensions } }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", onDisk with { PrefixTier = tier with { Oversampling = 0 } }));
        Assert.Throws<InvalidRequestException>(() => db.CreateCollection("x", onDisk with { PrefixTier = new PrefixTierOptions { Dimensions = 12 }, Pca = new PcaOptions { Dimensions = 8 } }));
        Assert.Empty(db.ListCollections());

        // A named vector takes a tier of its own, and not the collection's codes beside it.
        var collection = db.CreateCollection("named", new CollectionOptions
        {
            Dimensions = 0,
            Quantization = new ScalarQuantizationOptions(),
            NamedVectors = new Dictionary<string, DenseVectorOptions>
            {
                ["text"] = new() { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, Memory = MemoryTier.Cached, Matryoshka = [8, 16], PrefixTier = tier },
            },
        });
        collection.Upsert(Vectors(300, seed: 16, mixed: false).Select((v, i) => new Point((ulong)i, null) { NamedVectors = new Dictionary<string, float[]> { ["text"] = v } }));
        var hits = collection.Search(Vectors(1, seed: 17, mixed: false)[0], 5, new SearchOptions { Using = "text", Explain = true });
        Assert.Equal(8, hits.Explain!.SearchDimensions);
        Assert.False(collection.DenseMemory("text").CodesFitted);
    }

    [Fact]
    public void Target_recall_is_calibrated_again_on_the_queries_served_once_it_has_seen_enough()
    {
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("m", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, Matryoshka = [8, 16] });
        var points = Vectors(3000, seed: 11);
        collection.Upsert(points.Select((v, i) => new Point((ulong)i, v)));

        // Queries unlike the points: each a point moved far off by noise, which a calibration on points does not see.
        var random = new Random(12);
        float[] Query() => [.. points[random.Next(points.Count)].Select(x => x + (3 * (float)(random.NextDouble() - 0.5)))];
        var target = new SearchOptions { Explain = true, Adaptive = new AdaptiveSearch { TargetRecall = 0.95 } };
        double Recall(float[] query)
        {
            var truth = collection.Search(query, 10, new SearchOptions { Exact = true }).Select(hit => hit.Id).ToHashSet();
            return collection.Search(query, 10, target).Count(hit => truth.Contains(hit.Id)) / 10.0;
        }

        Assert.Contains("200 of the collection's points", collection.Search(Query(), 10, target).Explain!.Reason, StringComparison.Ordinal);
        var notSampled = new SearchOptions { Filter = new Query.Filter(MustNot: [new Query.HasIdCondition(new HashSet<PointId> { new(0UL) })]), Adaptive = target.Adaptive };
        for (int i = 0; i < 200; i++)
        {
            collection.Search(Query(), 10, new SearchOptions());
            collection.Search(Query(), 10, notSampled);
        }

        Assert.Throws<InvalidRequestException>(() => collection.Search([.. Enumerable.Repeat(float.NaN, Dimensions)], 10, target)); // refused: not sampled either
        double onPoints = Enumerable.Range(0, 199).Average(_ => Recall(Query())); // the first search and these fill the sample
        var again = collection.Search(Query(), 10, target);
        Assert.Contains("200 queries this collection served", again.Explain!.Reason, StringComparison.Ordinal);
        double onQueries = Enumerable.Range(0, 200).Average(_ => Recall(Query()));

        // On points the choice falls short on these queries (0.90 when written); on the queries served it holds (0.96).
        Assert.True(onPoints < 0.93, $"the points' choice reached {onPoints:F3}: these queries no longer test the difference");
        Assert.True(onQueries >= 0.93, $"recall {onQueries:F3} on new queries for a target of 0.95 (on points: {onPoints:F3})");
    }

    private static List<float[]> Vectors(int count, int seed, bool mixed = true) => Core.Tests.DecayingVectors.Generate(count, Dimensions, seed, mixed);

    private static float[] Normalised(float[] vector)
    {
        float norm = MathF.Sqrt(vector.Sum(x => x * x));
        return [.. vector.Select(x => x / norm)];
    }
}
