using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using VectorDb.Hnsw;
using VectorDb.Query.Planning;
using VectorDb.Points;
using VectorDb.Query;

namespace VectorDb.Adaptive;

/// <summary>
/// The adaptive-dimension side of a dense vector space: what an adaptive search runs (a prefix walk and its shortlist,
/// given or calibrated for a target recall), the PCA rotation (fitted on request or in the background, applied from
/// the log) and the graph's prefix copies. Prefix copies and calibrations are made one at a time under its own lock,
/// fits under another: a search holding the collection's read may wait for the first, and a fit logs its axes, which
/// waits for searches. See docs/adaptive.md.
/// </summary>
internal sealed class AdaptivePlanner(string collection, CollectionOptions options, HnswIndex graph, PointTable table)
{
    // Sample points a calibration measures as queries.
    private const int CalibrationQueries = 200;

    // A calibration under a filter looks for sample points whose neighbourhood holds matches as the query's does among
    // at most this many points, and needs at least MinBandSample of them (else it takes an even sample).
    private const int BandProbes = 20 * CalibrationQueries;
    private const int MinBandSample = 20;

    // Filters of one band calibrated each on its own, at most; later ones take one of the band's calibrations, so a
    // workload of many distinct filters (one per user, say) does not calibrate on every new one.
    private const int MaxFiltersPerBand = 16;
    private const int MaxSharedPerBand = 1024;

    // A probe of where a filter's matches lie (FilterBand) descends comparing at most this prefix: it needs the
    // neighbourhood, not the nearest points, and a full 784-dim descent cost as much as the adaptive search itself.
    private const int ProbeMaxDimensions = 64;

    private readonly CollectionOptions _options = options;
    private readonly HnswIndex _graph = graph;
    private readonly Lock _lock = new();
    private readonly Lock _fitLock = new(); // apart from _lock: a fit logs its axes, and logging waits for searches, which may wait for _lock
    private readonly ConcurrentDictionary<CalibrationKey, CachedCalibration> _calibrations = new();
    private readonly ServedQueries _served = new(CalibrationQueries);
    private int _prefixDimensions; // the longest prefix the graph keeps a compact copy of (0: none yet)
    private int _probeDimensions; // what ProbeDimensions() found (0: not yet, or a rotation was applied since)
    private FittedRotation? _rotation; // a PCA collection's fitted axes, once fitted
    private int _fitting; // 1 while a fit started by a write runs in the background

    /// <summary>How many calibrations are cached (for every target, k, filter band, filter and forced strategy).</summary>
    internal int CachedCalibrations => _calibrations.Count;

    /// <summary>A PCA collection's fitted rotation (null before the fit, and for other collections).</summary>
    public RotationInfo? Rotation => Volatile.Read(ref _rotation)?.Info;

    /// <summary>The fitted axes and their explained variance, which a checkpoint saves; null before a fit.</summary>
    public (float[] Axes, double ExplainedVariance)? FittedAxes => Volatile.Read(ref _rotation) is { } fitted ? (fitted.Axes, fitted.Info.ExplainedVariance) : null;

    /// <summary>
    /// The prefix a probe of a query's neighbourhood compares (<see cref="FilterBand"/>): up to
    /// <see cref="ProbeMaxDimensions"/> of the longest prefix calibrations try, whose copy it makes sure the graph keeps
    /// (so every probe compares the same prefix); the whole vector when there is none (a PCA collection before its fit).
    /// </summary>
    public int ProbeDimensions()
    {
        if (Volatile.Read(ref _probeDimensions) is > 0 and var known)
        {
            return known;
        }

        lock (_lock)
        {
            int longest = CalibrationPrefixes().Where(d => d < _options.Dimensions).DefaultIfEmpty(0).Max();
            if (longest > 0 && _options.Pca is null && _prefixDimensions < longest)
            {
                _graph.KeepPrefixCopy(longest);
                Volatile.Write(ref _prefixDimensions, longest);
            }

            int probe = longest == 0 ? _options.Dimensions : Math.Min(longest, ProbeMaxDimensions);
            Volatile.Write(ref _probeDimensions, probe);
            return probe;
        }
    }

    /// <summary>
    /// Makes the graph keep the copy of the prefix tier's prefix (<see cref="CollectionOptions.PrefixTier"/>) from now on,
    /// so searches never walk the vectors on disk; a PCA collection keeps its rotated prefix once fitted.
    /// </summary>
    public void KeepPrefixTier()
    {
        if (_options.PrefixTier is { } tier && _options.Pca is null)
        {
            lock (_lock)
            {
                _graph.KeepPrefixCopy(tier.Dimensions);
                Volatile.Write(ref _prefixDimensions, Math.Max(_prefixDimensions, tier.Dimensions));
            }
        }
    }

    /// <summary>
    /// Offers the vector of an unfiltered target-recall search that succeeded to the sample of served queries, which
    /// calibrations measure on once it is full (until then they measure on the collection's own points).
    /// </summary>
    public void OfferQuery(ReadOnlySpan<float> query) => _served.Offer(query);

    /// <summary>Why the last automatic PCA fit failed, if it did (it is tried again after the next write).</summary>
    public string? FitError { get; private set; }

    /// <summary>
    /// What an adaptive search runs: the given prefix and shortlist, or the calibrated choice for a target recall
    /// (whose prefix may be the whole vector, i.e. a plain search) — under a filter, calibrated with
    /// <paramref name="filtered"/>'s searches for the filter's band. Makes sure the graph keeps the prefix copy.
    /// </summary>
    public AdaptiveSearchPlan Plan(AdaptiveSearch adaptive, int k, int ef, bool exact, FilterCalibration? filtered = null)
    {
        if (exact)
        {
            throw new InvalidRequestException("Exact search and adaptive-dimension search exclude each other.");
        }

        if ((adaptive.SearchDimensions is null) == (adaptive.TargetRecall is null))
        {
            throw new InvalidRequestException("Adaptive search needs either search_dims or target_recall (not both).");
        }

        if (adaptive.TargetRecall is double target)
        {
            if (target is <= 0 or > 1 || double.IsNaN(target))
            {
                throw new InvalidRequestException($"target_recall must be in (0, 1], got {target}.");
            }

            if (adaptive.RescoreDimensions is not null)
            {
                throw new InvalidRequestException("rescore_dims goes with search_dims; a target_recall search rescores with the whole vector.");
            }

            var (choice, sample) = Calibrated(k, target, filtered);
            return Make(k, choice.SearchDimensions, choice.Shortlist, choice.Ef, () => Described(choice, sample, target, filtered), note: true);
        }

        int dims = adaptive.SearchDimensions!.Value;
        if (dims < 1 || dims > _options.Dimensions)
        {
            throw new InvalidRequestException($"search_dims must be between 1 and {_options.Dimensions}, got {dims}.");
        }

        if (_options.PrefixTier is { } tier && dims > tier.Dimensions && dims < _options.Dimensions)
        {
            throw new InvalidRequestException($"search_dims must be at most {tier.Dimensions}, the prefix this vector keeps in RAM (prefix_tier), or {_options.Dimensions}, got {dims}.");
        }

        int rescored = adaptive.RescoreDimensions ?? _options.Dimensions;
        if (rescored < dims || rescored > _options.Dimensions)
        {
            throw new InvalidRequestException($"rescore_dims must be between search_dims ({dims}) and {_options.Dimensions}, got {rescored}.");
        }

        if (rescored < _options.Dimensions && (_options.Pca is not null || (_options.Matryoshka is { } valid && !valid.Contains(rescored))))
        {
            throw new InvalidRequestException(_options.Pca is not null
                ? "rescore_dims cannot be used on a PCA collection: its stored vectors are not rotated."
                : $"rescore_dims must be one of the collection's Matryoshka prefixes [{string.Join(", ", _options.Matryoshka!)}] or {_options.Dimensions}, got {rescored}.");
        }

        if (adaptive.Oversampling is < 1 or > 100)
        {
            throw new InvalidRequestException($"oversampling must be between 1 and 100, got {adaptive.Oversampling}.");
        }

        if ((long)k * adaptive.Oversampling > 100_000)
        {
            string whose = _options.PrefixTier is { } tiered && adaptive == tiered.Search ? " (prefix_tier.oversampling, which searches take when they give no adaptive settings)" : "";
            throw new InvalidRequestException($"limit × oversampling{whose} must be at most 100000 (the widest beam), got {(long)k * adaptive.Oversampling}.");
        }

        if (dims == _options.Dimensions)
        {
            return Make(k, dims, k, ef, () => $"adaptive: all {dims} dimensions, a plain search", note: true);
        }

        if (_options.Matryoshka is { } prefixes && !prefixes.Contains(dims))
        {
            throw new InvalidRequestException($"search_dims must be one of the collection's Matryoshka prefixes [{string.Join(", ", prefixes)}] or {_options.Dimensions}, got {dims}.");
        }

        if (_options.Pca is not null)
        {
            if (Volatile.Read(ref _rotation) is not { } fitted)
            {
                return Make(k, _options.Dimensions, k, ef, () => "PCA rotation not fitted yet: plain search on all dimensions", note: true);
            }

            if (dims > fitted.Info.Dimensions)
            {
                throw new InvalidRequestException($"search_dims must be at most {fitted.Info.Dimensions} (the principal axes this collection keeps) or {_options.Dimensions}, got {dims}.");
            }

            return Make(k, dims, k * adaptive.Oversampling, ef, () => $"adaptive: graph walked on the first {dims} principal axes of {_options.Dimensions} dimensions, {k * adaptive.Oversampling} candidates rescored with all");
        }

        if (Volatile.Read(ref _prefixDimensions) < dims)
        {
            lock (_lock)
            {
                _graph.KeepPrefixCopy(dims);
                Volatile.Write(ref _prefixDimensions, Math.Max(_prefixDimensions, dims));
            }
        }

        int shortlist = k * adaptive.Oversampling;
        return Make(k, dims, shortlist, ef, () => $"adaptive: graph walked on {dims} of {_options.Dimensions} dimensions, {shortlist} candidates rescored with {(rescored == _options.Dimensions ? "all" : $"the first {rescored}")}", rescored);
    }

    /// <summary>An adaptive plan; a <paramref name="note"/> reason says more than what the walk does (a filtered plan's explain keeps it).</summary>
    private AdaptiveSearchPlan Make(int k, int dims, int shortlist, int ef, Func<string> reason, int? rescored = null, bool note = false) =>
        new(dims, shortlist, ef, reason, rescored, dims == _options.Dimensions ? null : new PrefixSearch(dims, shortlist / (double)k), note);

    /// <summary>What explain says of a calibrated choice: for what it was calibrated, what it chose, and what it measured on which sample.</summary>
    private string Described(AdaptiveChoice choice, string sample, double target, FilterCalibration? filtered)
    {
        string outcome = choice.Recall >= target ? "reached" : "not reached by any configuration; best";
        string under = filtered is null ? "" : $" under {filtered.Band}{(filtered.Forced is { } forced ? $", strategy {forced}" : "")}";
        return string.Create(CultureInfo.InvariantCulture,
            $"calibrated for recall {target}{under}: {choice.SearchDimensions} of {_options.Dimensions} dimensions, shortlist {choice.Shortlist}, ef {choice.Ef} ({outcome} {choice.Recall:F3} on {sample}, {choice.MicrosecondsPerQuery:F0} us per query)");
    }

    /// <summary>
    /// The cached calibration for (target, k) — under a filter, for its band, the filter itself and a forced strategy —
    /// measured again once the collection has doubled or halved; with what its sample was, in words.
    /// </summary>
    private (AdaptiveChoice Choice, string Sample) Calibrated(int k, double target, FilterCalibration? filtered)
    {
        int points = _graph.Count;
        var key = new CalibrationKey(target, k, filtered?.Band, filtered?.Filter ?? 0, filtered?.Forced);

        // An unfiltered calibration made on the collection's own points is made again once enough queries were served.
        bool sampleFull = filtered is null && _served.Count >= CalibrationQueries;
        bool Fresh(CachedCalibration? cached) =>
            cached is not null && points <= 2 * cached.Points && 2 * points >= cached.Points && (cached.OnServedQueries || !sampleFull);
        if (_calibrations.TryGetValue(key, out var cached) && Fresh(cached))
        {
            return (cached.Choice, cached.Sample);
        }

        lock (_lock)
        {
            if (_calibrations.TryGetValue(key, out cached) && Fresh(cached))
            {
                return (cached.Choice, cached.Sample);
            }

            if (filtered is not null)
            {
                var band = _calibrations.Where(other => other.Key == key with { Filter = other.Key.Filter }).ToList();
                foreach (var stale in band.Where(other => !Fresh(other.Value)))
                {
                    _calibrations.TryRemove(stale.Key, out _);
                }

                if (band.Where(other => Fresh(other.Value) && !other.Value.Shared).ToList() is { Count: >= MaxFiltersPerBand } own)
                {
                    var shared = own[0].Value with
                    {
                        Sample = own[0].Value.Sample + $" under another filter of the band ({MaxFiltersPerBand} filters of a band are calibrated each on its own)",
                        Shared = true,
                    };

                    // Remembered for a bounded number of filters: a workload of endless distinct filters must not grow the cache.
                    if (band.Count(other => Fresh(other.Value) && other.Value.Shared) < MaxSharedPerBand)
                    {
                        _calibrations[key] = shared;
                    }

                    return (shared.Choice, shared.Sample);
                }
            }

            var prefixes = CalibrationPrefixes();
            AdaptiveChoice choice;
            string described;
            var queries = sampleFull ? _served.Snapshot() : [];
            bool onQueries = queries.Count > 0;
            if (onQueries)
            {
                choice = AdaptiveCalibration.CalibrateOnQueries(_graph, queries, k, target, prefixes);
                described = $"{queries.Count} queries this collection served";
            }
            else
            {
                var (sample, whose, unlinked) = filtered is null ? (EvenSample(), "of the collection's points", false) : BandSample(filtered);
                choice = AdaptiveCalibration.Calibrate(_graph, sample, k, target, prefixes, filtered?.Search, unlinked);
                described = $"{sample.Count} {whose}";
            }

            Volatile.Write(ref _prefixDimensions, Math.Max(_prefixDimensions, prefixes.Where(d => d < _options.Dimensions).DefaultIfEmpty(0).Max()));
            var calibrated = new CachedCalibration(points, choice, described) { OnServedQueries = onQueries };
            _calibrations[key] = calibrated;
            return (choice, calibrated.Sample);
        }
    }

    /// <summary>Up to <see cref="CalibrationQueries"/> live nodes, evenly spread over the internal ids.</summary>
    private List<int> EvenSample()
    {
        var sample = new List<int>(CalibrationQueries);
        int bound = _graph.AllocatedCount;
        for (int node = 0, step = Math.Max(1, bound / CalibrationQueries); node < bound && sample.Count < CalibrationQueries; node += step)
        {
            if (_graph.IsLive(node))
            {
                sample.Add(node);
            }
        }

        return sample;
    }

    /// <summary>
    /// Sample points for a calibration under a filter that stand where the query stands: whose graph neighbourhood holds
    /// the filter's matches as densely as the query's does (its band's locality). The collection's own points are the
    /// queries; which of them mirror the query depends on the filter — under "the query's own label" those of that label,
    /// under "any label but the query's" those of the excluded one. Probed in a low-discrepancy order, so a sample cut
    /// short still spreads over the collection; an even sample when too few are found. Its answers are unlinked when the
    /// filter's matches lie away from the sample points: then the points they were linked to are not what they find.
    /// </summary>
    private (List<int> Sample, string Described, bool UnlinkedAnswers) BandSample(FilterCalibration filtered)
    {
        if (filtered.Share < FilterBand.ProbedShare)
        {
            return (EvenSample(), "evenly spread points (a filter this selective is not probed)", false);
        }

        var sample = new List<int>(CalibrationQueries);
        int bound = _graph.AllocatedCount;
        var vector = new float[_options.Dimensions];
        var matches = new PredicateFilter(filtered.Search.Predicate);
        var probed = new HashSet<int>();
        int probeDimensions = ProbeDimensions();
        const double Golden = 0.6180339887498949;
        for (int probe = 0; probe < BandProbes && probed.Count < bound && sample.Count < CalibrationQueries; probe++)
        {
            int node = (int)(probe * Golden % 1 * bound);
            if (!probed.Add(node) || !_graph.IsLive(node))
            {
                continue;
            }

            _graph.CopyVector(node, vector);
            double around = _graph.NeighborhoodShare(vector, matches, probeDimensions, out _);
            if (FilterBand.LocalityOf(filtered.Share, around) == filtered.Band.Locality)
            {
                sample.Add(node);
            }
        }

        bool unlinked = filtered.Band.Locality == FilterLocality.Away;
        return sample.Count >= MinBandSample
            ? (sample, $"of the collection's points standing where the query stands{(unlinked ? " (away from the matches: as hard as unseen queries)" : "")}", unlinked)
            : (EvenSample(), "evenly spread points (too few stand where the query does)", false);
    }

    /// <summary>
    /// The prefixes a calibration tries: a Matryoshka collection's own, a PCA collection's up to its kept axes (none
    /// before the fit), else powers of two up to a quarter of the dimension; and always the whole vector.
    /// </summary>
    private List<int> CalibrationPrefixes()
    {
        int dimensions = _options.Dimensions;
        IEnumerable<int> prefixes = AdaptiveCalibration.DefaultPrefixes(dimensions);
        if (_options.Matryoshka is { } trained)
        {
            prefixes = trained;
        }
        else if (_options.Pca is not null)
        {
            int axes = Volatile.Read(ref _rotation)?.Info.Dimensions ?? 0;
            prefixes = prefixes.Where(d => d < axes).Append(axes).Where(d => d > 0);
        }

        if (_options.PrefixTier is { } tier)
        {
            // Longer ones would be copied into RAM beyond the tier; the tier's own is always a candidate.
            prefixes = prefixes.Where(d => d <= tier.Dimensions).Append(tier.Dimensions);
        }

        return [.. prefixes.Append(dimensions).Distinct().Order()];
    }

    /// <summary>
    /// Fits the PCA rotation on a sample of the live vectors and hands the axes to <paramref name="log"/>, which logs them
    /// and applies them (<see cref="ApplyRotation"/>); one fit at a time.
    /// </summary>
    /// <exception cref="InvalidRequestException">The collection has no PCA option, or fewer than two points.</exception>
    public RotationInfo Fit(Action<float[], double> log)
    {
        if (_options.Pca is not { } pca)
        {
            throw new InvalidRequestException($"Collection {collection} was not created with the pca option.");
        }

        lock (_fitLock)
        {
            var sample = SampleVectors(pca.SamplePoints);
            if (sample.Count < 2)
            {
                throw new InvalidRequestException($"A PCA rotation needs at least 2 points; collection {collection} has {sample.Count}.");
            }

            var rotation = PcaRotation.Fit(sample, _options.Dimensions, center: _options.Distance == DistanceMetric.Euclid);
            int kept = _options.PcaDimensions!.Value;
            var axes = rotation.LeadingAxes(kept);
            double explained = rotation.ExplainedShare(kept);
            log(axes, explained);
            return new RotationInfo(kept, explained, sample.Count);
        }
    }

    /// <summary>Makes adaptive searches walk these axes; drops calibrations measured without them.</summary>
    /// <exception cref="InvalidDataException">The axes do not fit the collection (a damaged record or checkpoint).</exception>
    public void ApplyRotation(float[] axes, double explainedVariance)
    {
        if (_options.PcaDimensions is not int kept || axes.Length != kept * _options.Dimensions)
        {
            throw new InvalidDataException($"a rotation of {axes.Length} values does not fit collection {collection}");
        }

        lock (_lock) // a calibration running meanwhile would cache a choice measured without the new axes
        {
            // A prefix tier keeps only its own leading axes in RAM; the checkpoint keeps them all.
            int walked = _options.PrefixTier is { } tier ? tier.Dimensions : kept;
            _graph.KeepRotatedPrefix(walked == kept ? axes : axes[..(walked * _options.Dimensions)]);
            Volatile.Write(ref _prefixDimensions, walked);
            Volatile.Write(ref _rotation, new FittedRotation(axes, new RotationInfo(kept, explainedVariance, null)));
            _calibrations.Clear();
            _probeDimensions = 0;
        }
    }

    /// <summary>Runs <paramref name="fit"/> in the background once a PCA collection has reached its size, unless one runs.</summary>
    public void ScheduleFit(Func<RotationInfo> fit)
    {
        if (_options.Pca is not { FitAtPoints: > 0 } pca || Volatile.Read(ref _rotation) is not null || _graph.Count < pca.FitAtPoints
            || Interlocked.CompareExchange(ref _fitting, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(() =>
        {
            try
            {
                if (Volatile.Read(ref _rotation) is null)
                {
                    fit();
                    FitError = null;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                FitError = table.Dropped ? null : e.Message; // a dropped or closed collection has nothing left to fit
            }
            finally
            {
                Volatile.Write(ref _fitting, 0);
            }
        });
    }

    /// <summary>Up to <paramref name="count"/> live vectors, evenly spread over the internal ids.</summary>
    private List<float[]> SampleVectors(int count)
    {
        using var read = table.ReadVisible();
        var sample = new List<float[]>(Math.Min(count, _graph.Count));
        int bound = _graph.AllocatedCount;
        double step = Math.Max(1.0, (double)bound / count);
        for (double position = 0; position < bound && sample.Count < count; position += step)
        {
            int node = (int)position;
            if (_graph.IsLive(node))
            {
                var vector = new float[_options.Dimensions];
                _graph.CopyVector(node, vector);
                sample.Add(vector);
            }
        }

        return sample;
    }

    private sealed record CachedCalibration(int Points, AdaptiveChoice Choice, string Sample)
    {
        /// <summary>Another filter's calibration taken for this one once its band had calibrated as many as it may.</summary>
        public bool Shared { get; init; }

        /// <summary>Measured on queries the collection served rather than on its own points.</summary>
        public bool OnServedQueries { get; init; }
    }

    /// <summary>What a calibration was for: a target at k, and under a filter its band, fingerprint and forced strategy.</summary>
    private readonly record struct CalibrationKey(double Target, int K, FilterBand? Band, ulong Filter, SearchStrategy? Forced);

    private sealed record FittedRotation(float[] Axes, RotationInfo Info);
}

/// <summary>
/// What a target-recall search under a filter calibrates with: the filter's band and share, a fingerprint telling
/// filters apart, the strategy the query forces (null: the planner's choice), and the searches to time.
/// </summary>
internal sealed record FilterCalibration(FilterBand Band, double Share, ulong Filter, SearchStrategy? Forced, FilteredCalibrationSearch Search)
{
    /// <summary>
    /// Which of up to 128 sampled nodes the filter matches, hashed: filters that match the same nodes share a calibration.
    /// Filters of one band differ in difficulty (on fashion-mnist "the query's own label" reaches 0.94–0.99 at the same
    /// settings depending on the label), so each is calibrated on its own. The nodes are evenly spread below the largest
    /// power of two within the node count, so the sample stays the same while the collection grows (until it doubles);
    /// a filter checking payloads (not an index) is sampled on 32 nodes only. Computed for every filtered target-recall
    /// search, so kept small: on 128 nodes two filters of 10 % of the points tell apart unless none of the nodes
    /// holds either (a chance of 0.8^128), and 512 cost 2.5 % of such a search. Filters differing in a few points may
    /// share a calibration, and so may two disjoint filters of 1 % (a chance of 0.98^128, 8 %): one calibration of
    /// their band then serves both, as it serves every filter of a band once 16 are calibrated.
    /// Read from the graph's node states and the filter alone: a sample of the point table cost a lookup per node.
    /// </summary>
    public static ulong Fingerprint(NodePredicate filter, HnswIndex graph)
    {
        const int MaxNodes = 128;
        int nodes = filter.Cost <= 1 ? MaxNodes : MaxNodes / 4;
        int span = graph.AllocatedCount <= 0 ? 0 : 1 << BitOperations.Log2((uint)graph.AllocatedCount); // the largest power of two within the nodes
        int stride = Math.Max(1, span / nodes);
        Span<ulong> bits = stackalloc ulong[MaxNodes / 64];
        bits.Clear();
        for (int i = 0; (long)i * stride < span; i++)
        {
            int node = i * stride;
            if (graph.IsLive(node) && filter.Matches(node))
            {
                bits[i / 64] |= 1UL << (i % 64);
            }
        }

        return System.IO.Hashing.XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(bits));
    }
}

/// <summary>
/// An adaptive-dimension search: the graph walked on a prefix of each vector with a beam of <paramref name="ef"/>, the
/// best <paramref name="shortlist"/> nodes it saw rescored with the whole vector (or a longer prefix); on the whole
/// vector (<paramref name="prefix"/> null), a plain walk.
/// </summary>
internal sealed class AdaptiveSearchPlan(int dimensions, int shortlist, int ef, Func<string> reason, int? rescoreDimensions, PrefixSearch? prefix, bool noted)
    : SearchPlan(SearchStrategy.Adaptive, reason)
{
    /// <summary>The prefix the walk compares and the shortlist it rescores, as a filtered plan takes them; null for whole vectors.</summary>
    public PrefixSearch? Prefix => prefix;

    /// <summary>What explain should say beyond the walk: the calibration's choice, or why whole vectors are compared; null for a given prefix.</summary>
    public string? Note => noted ? Reason : null;

    /// <summary>The beam it walks with.</summary>
    public int Ef => ef;

    /// <summary>A rescoring on a longer prefix than the walk's, but not the whole vector (null: the whole vector).</summary>
    public int? RescoreDimensions => rescoreDimensions;

    public override int? SearchDimensions => prefix?.Dimensions;

    public override bool MayMissMatches => false;

    public override int Run(scoped in PlanInput input, Span<Neighbor> results, SearchStatistics? statistics) =>
        prefix is null
            ? input.Graph.Search(input.Query, input.K, ef, results, statistics)
            : input.Graph.SearchAdaptive(input.Query, input.K, ef, dimensions, shortlist, results, statistics, rescoreDimensions);
}
