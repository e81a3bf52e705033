using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// The paper's neighbor-selection heuristic (Algorithm 4, without extending or keeping pruned
    /// candidates, as hnswlib): walk candidates nearest first and keep one only if it is closer to the base
    /// than to every neighbor already kept. This spreads links over directions, which keeps clustered data
    /// navigable where plain nearest-M selection would link only inside a cluster.
    /// </summary>
    /// <param name="sortedCandidates">Candidates in ascending distance to the base node.</param>
    /// <param name="maxCount">How many to keep at most.</param>
    /// <param name="selected">Receives the kept ids.</param>
    /// <param name="context">Scratch for decoding half-width rows.</param>
    /// <param name="alreadySelected">How many of <paramref name="selected"/> were kept from nearer candidates already: the selection goes on from them.</param>
    /// <returns>How many were kept.</returns>
    private int SelectNeighbors<TDistance>(ReadOnlySpan<Neighbor> sortedCandidates, int maxCount, Span<int> selected, SearchContext context, int alreadySelected = 0)
        where TDistance : struct, IDistanceFunction
    {
        if (alreadySelected == 0 && sortedCandidates.Length <= maxCount)
        {
            // Room for every candidate: nothing has to be dropped (hnswlib returns early here too).
            for (int i = 0; i < sortedCandidates.Length; i++)
            {
                selected[i] = sortedCandidates[i].Id;
            }

            return sortedCandidates.Length;
        }

        int count = alreadySelected;
        foreach (var candidate in sortedCandidates)
        {
            if (count == maxCount)
            {
                break;
            }

            ref float candidateVector = ref RowAsQuery(candidate.Id, context.Candidate);
            bool keep = true;
            for (int i = 0; i < count; i++)
            {
                if (TDistance.Compute(ref candidateVector, ref VectorRef(selected[i]), (nuint)_dimensions) < candidate.Distance)
                {
                    keep = false;
                    break;
                }
            }

            if (keep)
            {
                selected[count++] = candidate.Id;
            }
        }

        return count;
    }

    /// <summary>
    /// Whether a construction beam is crowded by near copies of the new point: its nearest candidate lies within half
    /// the beam's radius. Such copies prune one another and, by chance, every farther candidate, so the heuristic keeps
    /// a few of them and links to one or two other groups; walks then cannot find their way between groups (40 noisy
    /// copies of each text embedding: recall@10 0.40 at ef 64 with the beam alone). The walk has computed distances for
    /// many more nodes than its beam keeps; choosing among them too widens the choice at no further distance computed
    /// (the paper's <c>extendCandidates</c> without its cost). On data without near copies this seldom holds.
    /// </summary>
    /// <param name="nearest">Internal distance of the beam's nearest candidate.</param>
    /// <param name="farthest">Internal distance of its farthest.</param>
    private bool CrowdedByNearCopies(float nearest, float farthest) => Metric switch
    {
        // −dot of unit vectors: the squared distance is 2 + 2·(−dot).
        DistanceMetric.Cosine => 2 + 2 * nearest < 0.25f * (2 + 2 * farthest),
        DistanceMetric.Euclid => nearest < 0.25f * farthest, // squared distances
        DistanceMetric.Manhattan => nearest < 0.5f * farthest,
        _ => false, // inner products are no distance: nothing says how near a copy is
    };

    private static void SortByDistance(Span<Neighbor> neighbors) =>
        neighbors.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
}
