using System.Diagnostics;
using VectorDb.Hnsw;

namespace VectorDb.Adaptive;

/// <summary>
/// A search configuration chosen for a target recall at one k: how many leading dimensions the walk compares
/// (<see cref="SearchDimensions"/> equal to the vectors' length means a plain full-dimension search), how many of the
/// walk's candidates are rescored with whole vectors (<see cref="Shortlist"/>, at least k; k for a plain search), and
/// the beam width; with the recall and cost it had on the calibration queries.
/// </summary>
public sealed record AdaptiveChoice(int SearchDimensions, int Shortlist, int Ef, double Recall, double MicrosecondsPerQuery, int CalibrationQueries);

/// <summary>
/// The searches a calibration times and the truth it scores them by: by default the index's own unfiltered searches
/// (<see cref="GraphCalibrationSearch"/>); a caller calibrating under a filter runs its filtered plans instead.
/// </summary>
public interface ICalibrationSearch
{
    /// <summary>
    /// The k nearest to <paramref name="query"/> by a walk on its first <paramref name="dimensions"/> (all of them: a plain
    /// search) with a beam of <paramref name="ef"/>, the best <paramref name="shortlist"/> rescored.
    /// </summary>
    int Search(float[] query, int k, int dimensions, int shortlist, int ef, Span<Neighbor> results);

    /// <summary>The exact k nearest to <paramref name="query"/>.</summary>
    int Exact(float[] query, int k, Span<Neighbor> results);
}

/// <summary>An index's own unfiltered searches, for <see cref="AdaptiveCalibration"/>.</summary>
public sealed class GraphCalibrationSearch(HnswIndex index) : ICalibrationSearch
{
    /// <inheritdoc/>
    public int Search(float[] query, int k, int dimensions, int shortlist, int ef, Span<Neighbor> results) =>
        dimensions == index.Dimensions
            ? index.Search(query, k, ef, results)
            : index.SearchAdaptive(query, k, ef, dimensions, shortlist, results);

    /// <inheritdoc/>
    public int Exact(float[] query, int k, Span<Neighbor> results) => index.ExactSearch(query, k, results);
}

/// <summary>
/// Picks the cheapest adaptive-dimension configuration that reaches a target recall@k, by measuring: a sample of
/// the index's own vectors (each one's own node left out of the answers) or of queries it served serve as queries,
/// their exact neighbors are the truth, and every candidate configuration is timed on them single-threaded.
/// </summary>
public static class AdaptiveCalibration
{
    // Shortlists as multiples of k. 3 and 6 sit between the powers of two: at the narrowest beam (ef = k) a shortlist is
    // the only knob left, and ×2 to ×4 moved recall under a 90 % filter from short of a 0.95 target to 0.97–0.99.
    private static readonly int[] Oversamplings = [1, 2, 3, 4, 6, 8];
    private static readonly double[] EfFactors = [1, 1.25, 1.5, 2, 3, 4, 6, 8, 12, 16]; // beam widths as multiples of k; the widest only measured when narrower ones fall short

    /// <summary>
    /// How far above the target a configuration must measure: the collection's own points are easier queries than
    /// unseen ones (their neighbors were linked to them; 0.005–0.02 higher recall on fashion-mnist), and 200 queries
    /// measure recall to about ±0.005. 0.01, or half the distance to 1 for targets above 0.98.
    /// </summary>
    public static double Margin(double targetRecall) => Math.Min(0.01, (1 - targetRecall) / 2);

    /// <summary>
    /// Prefix lengths worth trying for a dimension: powers of two from 32 up to a quarter of it (a longer prefix
    /// saves too little to pay for its copy), and the whole vector.
    /// </summary>
    public static IReadOnlyList<int> DefaultPrefixes(int dimensions) =>
        [.. Enumerable.Range(5, 12).Select(p => 1 << p).TakeWhile(d => d <= dimensions / 4), dimensions];

    /// <summary>
    /// How far above the target a configuration must measure when calibrated on queries the collection has served
    /// (<see cref="CalibrateOnQueries"/>): they are the queries the choice is for, so only the sample's own spread
    /// counts. 0.005, or half the distance to 1 for targets above 0.99.
    /// </summary>
    public static double QueryMargin(double targetRecall) => Math.Min(0.005, (1 - targetRecall) / 2);

    /// <summary>
    /// How far above the target a configuration must measure on sample points whose answers are not the points they
    /// were linked to (<see cref="Calibrate"/> with unlinked answers): half <see cref="QueryMargin"/>. Such samples measured
    /// no easier than unseen queries — over six runs of fashion-mnist under "any label but the query's", held-out
    /// queries landed 0.002 above their calibrations on average — and the narrowed step that first reaches overshoots
    /// by up to an eighth of the grid's step; with the served queries' margin the case as a whole landed up to 0.0102
    /// above a 0.95 target.
    /// </summary>
    public static double UnlinkedMargin(double targetRecall) => QueryMargin(targetRecall) / 2;

    /// <summary>
    /// Measures the candidates on <paramref name="sampleNodes"/> and returns the cheapest that reaches <paramref name="targetRecall"/>
    /// with a margin (<see cref="Margin"/>), or, when none does, the one with the best recall. <paramref name="search"/>
    /// runs the searches measured and the exact ones they are scored against (default: the index's own, unfiltered).
    /// With <paramref name="unlinkedAnswers"/> the sample's answers are not the points it was linked to (a filter excludes
    /// the points around it), so the sample is no easier than unseen queries: it is calibrated as served queries are,
    /// the beam and shortlist narrowed to just reach the target, with a margin of its own (<see cref="UnlinkedMargin"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The target is not in (0, 1].</exception>
    /// <exception cref="InvalidRequestException">There are no sample nodes.</exception>
    public static AdaptiveChoice Calibrate(
        HnswIndex index, IReadOnlyList<int> sampleNodes, int k, double targetRecall, IReadOnlyList<int> prefixes, ICalibrationSearch? search = null, bool unlinkedAnswers = false)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(sampleNodes);
        CheckTarget(targetRecall);
        if (sampleNodes.Count == 0)
        {
            throw new InvalidRequestException("Calibration needs at least one point in the collection.");
        }

        var queries = sampleNodes.Select(node =>
        {
            var vector = new float[index.Dimensions];
            index.CopyVector(node, vector);
            return (Node: node, Vector: vector);
        }).ToList();
        double margin = unlinkedAnswers ? UnlinkedMargin(targetRecall) : Margin(targetRecall);
        return Choose(index, queries, k, Math.Min(1, targetRecall + margin), prefixes, search, refine: unlinkedAnswers);
    }

    /// <summary>
    /// As <see cref="Calibrate"/>, on <paramref name="queries"/> the collection has served (as searches receive them:
    /// the index normalises and rotates them itself) instead of its own points, with the smaller
    /// <see cref="QueryMargin"/>. The collection's own points are easier queries than real ones by an amount that
    /// depends on the data (about 0.02 of recall on fashion-mnist, 0.03 to 0.10 on text embeddings), which no fixed
    /// margin fits; real queries need none.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The target is not in (0, 1].</exception>
    /// <exception cref="InvalidRequestException">There are no queries, or no points to find.</exception>
    public static AdaptiveChoice CalibrateOnQueries(HnswIndex index, IReadOnlyList<float[]> queries, int k, double targetRecall, IReadOnlyList<int> prefixes, ICalibrationSearch? search = null)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(queries);
        CheckTarget(targetRecall);
        if (queries.Count == 0 || index.Count == 0)
        {
            throw new InvalidRequestException(queries.Count == 0 ? "Calibration on queries needs at least one query." : "Calibration needs at least one point in the collection.");
        }

        return Choose(index, [.. queries.Select(query => (Node: -1, Vector: query))], k, Math.Min(1, targetRecall + QueryMargin(targetRecall)), prefixes, search, refine: true);
    }

    private static void CheckTarget(double targetRecall)
    {
        if (targetRecall is <= 0 or > 1 || double.IsNaN(targetRecall))
        {
            throw new ArgumentOutOfRangeException(nameof(targetRecall), targetRecall, "A target recall is in (0, 1].");
        }
    }

    /// <summary>
    /// The cheapest candidate whose recall on <paramref name="queries"/> reaches <paramref name="required"/>, or the best
    /// recall when none does. A query's own node (-1 for none) is left out of its answers. With <paramref name="refine"/>,
    /// the grid's step that reached is then narrowed by bisection: the beam between the last width that fell short and the
    /// first that reached (ef 40 to 60 to 80 at k = 10), or, at the narrowest beam, the shortlist between the last length
    /// that fell short there and the first that reached (×2 to ×3 of k). The grid's steps overshoot a target by up to 0.02
    /// of recall, which an unbiased sample would otherwise carry straight into the queries served. Calibrations on the
    /// collection's own points keep the grid, their margin was set with it, unless their answers are unlinked.
    /// </summary>
    private static AdaptiveChoice Choose(
        HnswIndex index, List<(int Node, float[] Vector)> queries, int k, double required, IReadOnlyList<int> prefixes, ICalibrationSearch? search, bool refine)
    {
        ArgumentNullException.ThrowIfNull(prefixes);

        // The query's own node would be every answer's free first hit: ask for one more and leave it out.
        search ??= new GraphCalibrationSearch(index);
        var truth = queries.Select(q => Truth(search, q.Vector, q.Node, k)).ToList();
        var candidates = prefixes.Where(d => d >= 1 && d <= index.Dimensions).Distinct().Order().ToList();
        if (candidates.Any(d => d < index.Dimensions))
        {
            index.KeepPrefixCopy(candidates.Where(d => d < index.Dimensions).Max());
        }

        var sample = new Sample(search, queries, truth, k);
        var reaching = new List<AdaptiveChoice>();
        AdaptiveChoice? bestRecall = null;
        foreach (int dims in candidates)
        {
            // The beam costs more the wider it is: per prefix and shortlist, stop at the narrowest that reaches the target.
            int shortAtNarrowest = 0; // the longest shortlist that fell short at the narrowest beam
            foreach (int oversampling in dims == index.Dimensions ? [1] : Oversamplings)
            {
                int shortlist = k * oversampling;
                int shortEf = 0; // the widest beam measured that fell short
                AdaptiveChoice? reached = null;
                foreach (double factor in EfFactors)
                {
                    var choice = sample.Measure(dims, shortlist, (int)Math.Ceiling(k * factor));
                    if (bestRecall is null || choice.Recall > bestRecall.Recall)
                    {
                        bestRecall = choice;
                    }

                    if (choice.Recall >= required)
                    {
                        reached = choice;
                        break;
                    }

                    shortEf = choice.Ef;
                }

                if (reached is not null && refine)
                {
                    reached = shortEf > 0 ? NarrowestBeam(sample, reached, shortEf, required)
                        : shortAtNarrowest > 0 ? ShortestList(sample, reached, shortAtNarrowest, required)
                        : reached;
                }

                if (reached is not null)
                {
                    reaching.Add(reached);
                }

                if (reached is not null && shortEf == 0)
                {
                    break; // reached at the narrowest beam: a longer list only adds rescoring
                }

                shortAtNarrowest = shortlist;
            }
        }

        return reaching.Count > 0 ? Cheapest(sample, reaching) : bestRecall!;
    }

    /// <summary>
    /// The cheapest of <paramref name="reaching"/>: the few that timed cheapest are timed again, in turns, and each
    /// keeps its fastest time. One pass over 200 queries takes milliseconds, so a single interruption can make a
    /// configuration twice as slow as another look the cheaper. The searches are deterministic, so a configuration's
    /// recall stays what its first measurement found.
    /// </summary>
    private static AdaptiveChoice Cheapest(Sample sample, List<AdaptiveChoice> reaching)
    {
        const int Finalists = 3, Turns = 2;
        var finalists = reaching.OrderBy(choice => choice.MicrosecondsPerQuery).Take(Finalists).ToArray();
        if (finalists.Length == 1)
        {
            return finalists[0];
        }

        for (int turn = 0; turn < Turns; turn++)
        {
            for (int i = 0; i < finalists.Length; i++)
            {
                var again = sample.Measure(finalists[i].SearchDimensions, finalists[i].Shortlist, finalists[i].Ef, warmUp: false);
                if (again.MicrosecondsPerQuery < finalists[i].MicrosecondsPerQuery)
                {
                    finalists[i] = finalists[i] with { MicrosecondsPerQuery = again.MicrosecondsPerQuery };
                }
            }
        }

        return finalists.MinBy(choice => choice.MicrosecondsPerQuery)!;
    }

    /// <summary>
    /// The narrowest beam between <paramref name="shortEf"/> (exclusive: fell short) and <paramref name="reached"/>'s that
    /// still reaches <paramref name="required"/>, by bisection to within an eighth.
    /// </summary>
    private static AdaptiveChoice NarrowestBeam(Sample sample, AdaptiveChoice reached, int shortEf, double required) =>
        Bisect(shortEf, reached, required, ef => sample.Measure(reached.SearchDimensions, reached.Shortlist, ef), choice => choice.Ef);

    /// <summary>
    /// At <paramref name="reached"/>'s beam, the shortest list between <paramref name="shortList"/> (exclusive: fell short)
    /// and <paramref name="reached"/>'s that still reaches <paramref name="required"/>, by bisection to within an eighth.
    /// </summary>
    private static AdaptiveChoice ShortestList(Sample sample, AdaptiveChoice reached, int shortList, double required) =>
        Bisect(shortList, reached, required, shortlist => sample.Measure(reached.SearchDimensions, shortlist, reached.Ef), choice => choice.Shortlist);

    /// <summary>Bisects one knob between <paramref name="low"/> (fell short) and <paramref name="reached"/>'s value (reached) to within an eighth.</summary>
    private static AdaptiveChoice Bisect(int low, AdaptiveChoice reached, double required, Func<int, AdaptiveChoice> measure, Func<AdaptiveChoice, int> knob)
    {
        while (knob(reached) - low > Math.Max(1, knob(reached) / 8))
        {
            var middle = measure((low + knob(reached)) / 2);
            if (middle.Recall >= required)
            {
                reached = middle;
            }
            else
            {
                low = knob(middle);
            }
        }

        return reached;
    }

    /// <summary>The calibration queries with their truth, timing one configuration at a time.</summary>
    private sealed class Sample(ICalibrationSearch search, List<(int Node, float[] Vector)> queries, List<HashSet<int>> truth, int k)
    {
        private readonly Neighbor[] _found = new Neighbor[k + 1];

        /// <summary>Recall and time per query of one configuration; <paramref name="warmUp"/> first runs an untimed pass (caches, JIT).</summary>
        public AdaptiveChoice Measure(int dims, int shortlist, int ef, bool warmUp = true)
        {
            double hits = 0;
            double seconds = double.MaxValue;
            for (int pass = warmUp ? 0 : 1; pass < 2; pass++)
            {
                hits = 0;
                long start = Stopwatch.GetTimestamp();
                for (int q = 0; q < queries.Count; q++)
                {
                    int own = queries[q].Node >= 0 ? 1 : 0; // one more answer, for the query's own node to take
                    int n = search.Search(queries[q].Vector, k + own, dims, shortlist + own, ef, _found);
                    int counted = 0;
                    for (int i = 0; i < n && counted < k; i++)
                    {
                        if (_found[i].Id != queries[q].Node)
                        {
                            counted++;
                            hits += truth[q].Contains(_found[i].Id) ? 1 : 0;
                        }
                    }
                }

                seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }

            double recall = hits / (truth.Sum(t => t.Count) is var total and > 0 ? total : 1);
            return new AdaptiveChoice(dims, shortlist, ef, recall, seconds * 1e6 / queries.Count, queries.Count);
        }
    }

    /// <summary>The exact k nearest of a sample vector, other than its own node.</summary>
    private static HashSet<int> Truth(ICalibrationSearch search, float[] query, int self, int k)
    {
        var buffer = new Neighbor[k + 1];
        int n = search.Exact(query, k + 1, buffer);
        return [.. buffer.Take(n).Where(neighbor => neighbor.Id != self).Take(k).Select(neighbor => neighbor.Id)];
    }
}
