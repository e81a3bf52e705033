using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

public static class Recall
{
    /// <summary>|found ∩ truth[..k]| / k, as ann-benchmarks defines recall@k.</summary>
    public static double AtK(ReadOnlySpan<Neighbor> found, ReadOnlySpan<int> truth, int k)
    {
        int hits = 0;
        var expected = truth[..Math.Min(k, truth.Length)];
        foreach (var neighbor in found[..Math.Min(k, found.Length)])
        {
            if (expected.Contains(neighbor.Id))
            {
                hits++;
            }
        }

        return (double)hits / k;
    }

    /// <summary>Builds an index from rows with all cores, rows inserted in order so row i is node i
    /// only on one thread; returns the row of each node.</summary>
    public static int[] BuildParallel(HnswIndex index, Datasets.VectorSet rows)
    {
        var rowOfNode = new int[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, row =>
        {
            int node = index.Add(rows[row]);
            rowOfNode[node] = row;
        });
        return rowOfNode;
    }
}
