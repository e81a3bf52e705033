namespace VectorDb.Core.Tests;

/// <summary>
/// Synthetic embeddings whose variance decays fast from one direction to the next (×0.6 each), like real ones:
/// a PCA finds a few axes that carry almost all of it. Shared by the Core and database tests.
/// </summary>
internal static class DecayingVectors
{
    /// <param name="count">How many vectors.</param>
    /// <param name="dimensions">Their length.</param>
    /// <param name="seed">Seed of the weights; the directions are the same for every seed.</param>
    /// <param name="mixed">True: the directions are a fixed random mix of the coordinates. False: the coordinates
    /// themselves, leading ones first, as in a Matryoshka embedding.</param>
    public static List<float[]> Generate(int count, int dimensions, int seed, bool mixed = true)
    {
        var mixing = new Random(99);
        var basis = Enumerable.Range(0, dimensions).Select(_ => Enumerable.Range(0, dimensions).Select(_ => (float)(mixing.NextDouble() - 0.5)).ToArray()).ToArray();
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var vector = new float[dimensions];
            for (int f = 0; f < dimensions; f++)
            {
                float weight = (float)(Gaussian(random) * Math.Pow(0.6, f));
                for (int c = 0; c < dimensions; c++)
                {
                    vector[c] += mixed ? weight * basis[f][c] : (c == f ? weight : 0);
                }
            }

            vector[0] += 3; // away from the origin, so cosine and dot are well defined
            return vector;
        })];
    }

    private static double Gaussian(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
