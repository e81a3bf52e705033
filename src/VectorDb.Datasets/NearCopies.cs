using System.Numerics.Tensors;

namespace VectorDb.Datasets;

/// <summary>
/// Near copies of a base set: each a base vector plus a noise vector in a uniformly random direction, renormalised. The
/// bigger-than-RAM benchmark's data (40 copies of each wordnet vector) and the tests that keep such data navigable.
/// </summary>
public static class NearCopies
{
    /// <summary>The median distance from each of <paramref name="sample"/> to its nearest other base vector (all cores).</summary>
    public static float MedianNearestDistance(VectorSet bases, IReadOnlyList<int> sample)
    {
        ArgumentNullException.ThrowIfNull(bases);
        ArgumentNullException.ThrowIfNull(sample);
        var nearest = new float[sample.Count];
        Parallel.For(0, sample.Count, s =>
        {
            float best = float.MaxValue;
            var row = bases[sample[s]];
            for (int j = 0; j < bases.Count; j++)
            {
                if (j != sample[s])
                {
                    best = Math.Min(best, TensorPrimitives.Distance(row, bases[j]));
                }
            }

            nearest[s] = best;
        });
        Array.Sort(nearest);
        return nearest[nearest.Length / 2];
    }

    /// <summary>Writes into <paramref name="copy"/> a copy of <paramref name="row"/> moved <paramref name="noise"/> in a random direction, renormalised.</summary>
    /// <param name="row">The base vector.</param>
    /// <param name="noise">How far to move it.</param>
    /// <param name="random">Where the direction comes from (two draws per dimension).</param>
    /// <param name="direction">Scratch of the row's length.</param>
    /// <param name="copy">Receives the copy.</param>
    public static void Copy(ReadOnlySpan<float> row, double noise, Random random, Span<float> direction, Span<float> copy)
    {
        ArgumentNullException.ThrowIfNull(random);
        for (int k = 0; k < direction.Length; k++)
        {
            // Box–Muller: a standard normal per dimension makes the direction uniform on the sphere.
            direction[k] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        TensorPrimitives.MultiplyAdd(direction, (float)(noise / TensorPrimitives.Norm(direction)), row, copy);
        TensorPrimitives.Divide(copy, TensorPrimitives.Norm(copy), copy);
    }
}
