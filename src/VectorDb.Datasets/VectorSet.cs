namespace VectorDb.Datasets;

/// <summary>A dense row-major matrix of float32 vectors, as read from a dataset file.</summary>
public sealed class VectorSet
{
    /// <summary>Wraps row-major data.</summary>
    /// <exception cref="ArgumentException">The data length is not a multiple of the dimension.</exception>
    public VectorSet(float[] data, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        if (data.Length % dimensions != 0)
        {
            throw new ArgumentException($"{data.Length} values do not divide into rows of {dimensions}.", nameof(data));
        }

        Data = data;
        Dimensions = dimensions;
    }

    /// <summary>Row-major values.</summary>
    public float[] Data { get; }

    /// <summary>Values per row.</summary>
    public int Dimensions { get; }

    /// <summary>Number of rows.</summary>
    public int Count => Data.Length / Dimensions;

    /// <summary>One row.</summary>
    public ReadOnlySpan<float> this[int row] => Data.AsSpan(row * Dimensions, Dimensions);

    /// <summary>The first <paramref name="count"/> rows.</summary>
    public VectorSet Take(int count) => new(Data[..(Math.Min(count, Count) * Dimensions)], Dimensions);
}
