using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// The paper's neighbor-selection heuristic (Algorithm 4, without keeping pruned candidates, as hnswlib; see
    /// <see cref="CrowdedByNearCopies"/> for when its candidates are widened): walk candidates nearest first and keep
    /// one only if it is closer to the base than to every neighbor already kept. This spreads links over directions,
    /// which keeps clustered data navigable where plain nearest-M selection would link only inside a cluster.
    /// </summary>
    /// <param name="sortedCandidates">Candidates in ascending distance to the base node.</param>
    /// <param name="maxCount">How many to keep at most.</param>
    /// <param name="selected">Receives the kept ids.</param>
    /// <param name="context">Scratch for decoding half-width rows.</param>
    /// <param name="alreadySelected">
    /// How many of <paramref name="selected"/> were kept from nearer candidates already: the selection goes on from them,
    /// and skips candidates it kept already (a wider list may hold them again when distances tie).
    /// </param>
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

            if (alreadySelected > 0 && selected[..count].Contains(candidate.Id))
            {
                continue;
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
    /// The heuristic's choice among a construction walk's beam, widened to everything the walk saw where near copies
    /// crowd the beam (<see cref="CrowdedByNearCopies"/>). Leaves the choice in <c>context.Selected</c>.
    /// </summary>
    /// <param name="beam">The beam, nearest first: the nearest of <paramref name="seen"/>.</param>
    /// <param name="m">How many to keep at most.</param>
    /// <param name="seen">The accepted nodes the walk computed a distance for (<see cref="SeenWalk"/>).</param>
    /// <param name="context">The walk's context.</param>
    /// <returns>How many were kept.</returns>
    private int ChooseNeighbors<TDistance>(ReadOnlySpan<Neighbor> beam, int m, NeighborList seen, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        int selected = SelectNeighbors<TDistance>(beam, m, context.Selected, context);
        if (selected < m / 2 && seen.Count > beam.Length && CrowdedByNearCopies(beam[0].Distance, beam[^1].Distance))
        {
            selected = SelectNeighbors<TDistance>(seen.SelectNearest(seen.Count)[beam.Length..], m, context.Selected, context, selected);
        }

        return selected;
    }

    /// <summary>
    /// Whether a construction beam is crowded by near copies of the new point: its nearest candidate lies within half
    /// the beam's radius. Such copies prune one another and, by chance, every farther candidate, so the heuristic keeps
    /// a few of them and links to the one or two other groups the beam holds; walks then cannot find their way between
    /// groups (docs/architecture.md, Insert). The walk has computed distances for many more nodes than its beam keeps,
    /// reaching farther groups: choosing among them too needs no further walk, only the heuristic's checks against the
    /// neighbours kept (like the paper's <c>extendCandidates</c>, which instead adds the candidates' own neighbours).
    /// On data without near copies this seldom holds.
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
