namespace VectorDb.Sparse;

/// <summary>
/// A sparse vector: the non-zero dimensions of a point or query, as term ids and their weights, kept sorted by id.
/// Scores between sparse vectors are dot products.
/// </summary>
public sealed class SparseVector
{
    private SparseVector(uint[] indices, float[] values) => (Indices, Values) = (indices, values);

    /// <summary>The dimensions, ascending and distinct.</summary>
    public uint[] Indices { get; }

    /// <summary>The weight of each dimension in <see cref="Indices"/>, finite.</summary>
    public float[] Values { get; }

    /// <summary>How many dimensions are non-zero (stored).</summary>
    public int Count => Indices.Length;

    /// <summary>An empty vector: scores 0 against everything.</summary>
    public static SparseVector Empty { get; } = new([], []);

    /// <summary>
    /// A sparse vector from its dimensions and weights, in any order (they are sorted here, as Qdrant does).
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ, an index repeats, or a weight is not finite.</exception>
    public static SparseVector Create(ReadOnlySpan<uint> indices, ReadOnlySpan<float> values)
    {
        if (indices.Length != values.Length)
        {
            throw new ArgumentException($"a sparse vector needs as many values as indices, got {indices.Length} indices and {values.Length} values.");
        }

        uint[] sortedIndices = indices.ToArray();
        float[] sortedValues = values.ToArray();
        for (int i = 0; i < sortedValues.Length; i++)
        {
            if (!float.IsFinite(sortedValues[i]))
            {
                throw new ArgumentException($"sparse vector value {i} is not a finite number.");
            }
        }

        Array.Sort(sortedIndices, sortedValues);
        for (int i = 1; i < sortedIndices.Length; i++)
        {
            if (sortedIndices[i] == sortedIndices[i - 1])
            {
                throw new ArgumentException($"sparse vector index {sortedIndices[i]} appears more than once.");
            }
        }

        return new SparseVector(sortedIndices, sortedValues);
    }

    /// <summary>The dot product with <paramref name="other"/>, summed in ascending index order.</summary>
    public float Dot(SparseVector other)
    {
        float sum = 0;
        int i = 0, j = 0;
        while (i < Indices.Length && j < other.Indices.Length)
        {
            uint a = Indices[i], b = other.Indices[j];
            if (a == b)
            {
                sum += Values[i++] * other.Values[j++];
            }
            else if (a < b)
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return sum;
    }

    /// <summary>Bytes this vector holds in memory (its two arrays' elements).</summary>
    public long Bytes => Indices.Length * (long)(sizeof(uint) + sizeof(float));
}
