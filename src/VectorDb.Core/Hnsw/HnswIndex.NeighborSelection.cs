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
    /// <returns>How many were kept.</returns>
    private int SelectNeighbors<TDistance>(ReadOnlySpan<Neighbor> sortedCandidates, int maxCount, Span<int> selected, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        if (sortedCandidates.Length <= maxCount)
        {
            // Room for every candidate: nothing has to be dropped (hnswlib returns early here too).
            for (int i = 0; i < sortedCandidates.Length; i++)
            {
                selected[i] = sortedCandidates[i].Id;
            }

            return sortedCandidates.Length;
        }

        int count = 0;
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

    private static void SortByDistance(Span<Neighbor> neighbors) =>
        neighbors.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
}
