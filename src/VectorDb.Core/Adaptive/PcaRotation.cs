using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace VectorDb.Adaptive;

/// <summary>
/// An orthogonal rotation whose first axes are the directions of most variance (PCA), so that a prefix of a
/// rotated vector carries most of what distinguishes it. Rotations preserve L2 distances and dot products,
/// so full-dimension scores are unchanged while adaptive-dimension search can walk the graph on a prefix.
/// </summary>
public sealed class PcaRotation
{
    private readonly float[] _axes; // row-major: row i is the i-th principal axis (unit length)

    private PcaRotation(int dimensions, float[] axes, double[] variances)
    {
        Dimensions = dimensions;
        _axes = axes;
        Variances = variances;
    }

    /// <summary>The vector length it rotates.</summary>
    public int Dimensions { get; }

    /// <summary>Variance of the sample along each axis, largest first.</summary>
    public IReadOnlyList<double> Variances { get; }

    /// <summary>The axes, row-major (row i = axis i), for persisting; <see cref="FromAxes"/> restores them.</summary>
    public ReadOnlySpan<float> Axes => _axes;

    /// <summary>
    /// Learns the rotation from a sample. <paramref name="center"/> fits the covariance (right for L2, where
    /// only differences matter); without it the second moment (right for dot and cosine, where the offset
    /// from the origin is part of the score).
    /// </summary>
    /// <exception cref="InvalidRequestException">Fewer than two rows, or rows of another length.</exception>
    public static PcaRotation Fit(IReadOnlyList<float[]> sample, int dimensions, bool center)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (sample.Count < 2)
        {
            throw new InvalidRequestException($"PCA needs at least 2 vectors, got {sample.Count}.");
        }

        var rows = Matrix<double>.Build.Dense(sample.Count, dimensions);
        for (int r = 0; r < sample.Count; r++)
        {
            if (sample[r].Length != dimensions)
            {
                throw new InvalidRequestException($"PCA sample row {r} has {sample[r].Length} dimensions, not {dimensions}.");
            }

            for (int c = 0; c < dimensions; c++)
            {
                rows[r, c] = sample[r][c];
            }
        }

        if (center)
        {
            var mean = rows.ColumnSums() / sample.Count;
            for (int r = 0; r < sample.Count; r++)
            {
                rows.SetRow(r, rows.Row(r) - mean);
            }
        }

        var moment = rows.TransposeThisAndMultiply(rows) / (sample.Count - 1);
        var evd = moment.Evd(Symmetricity.Symmetric);

        // Eigenvalues come smallest first; the rotation wants the largest first.
        var order = Enumerable.Range(0, dimensions).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        var axes = new float[dimensions * dimensions];
        var variances = new double[dimensions];
        for (int i = 0; i < dimensions; i++)
        {
            variances[i] = Math.Max(0, evd.EigenValues[order[i]].Real);
            var axis = evd.EigenVectors.Column(order[i]).Normalize(2);
            for (int c = 0; c < dimensions; c++)
            {
                axes[(i * dimensions) + c] = (float)axis[c];
            }
        }

        return new PcaRotation(dimensions, axes, variances);
    }

    /// <summary>Restores a rotation from <see cref="Axes"/> and <see cref="Variances"/>.</summary>
    /// <exception cref="InvalidRequestException">The sizes do not fit.</exception>
    public static PcaRotation FromAxes(int dimensions, float[] axes, double[] variances)
    {
        ArgumentNullException.ThrowIfNull(axes);
        ArgumentNullException.ThrowIfNull(variances);
        if (axes.Length != dimensions * dimensions || variances.Length != dimensions)
        {
            throw new InvalidRequestException($"A {dimensions}-d rotation needs {dimensions * dimensions} axis values and {dimensions} variances.");
        }

        return new PcaRotation(dimensions, axes, variances);
    }

    /// <summary>Share of the total variance the first <paramref name="prefix"/> axes carry.</summary>
    public double ExplainedShare(int prefix)
    {
        double total = Variances.Sum();
        return total == 0 ? 1 : Variances.Take(prefix).Sum() / total;
    }

    /// <summary>Writes the vector's coordinates along the axes (y = A·x) into <paramref name="destination"/>.</summary>
    public void Rotate(ReadOnlySpan<float> vector, Span<float> destination)
    {
        CheckLengths(vector, destination);
        for (int i = 0; i < Dimensions; i++)
        {
            destination[i] = TensorPrimitives.Dot(_axes.AsSpan(i * Dimensions, Dimensions), vector);
        }
    }

    /// <summary>The rotated copy of a vector.</summary>
    public float[] Rotate(ReadOnlySpan<float> vector)
    {
        var rotated = new float[Dimensions];
        Rotate(vector, rotated);
        return rotated;
    }

    /// <summary>Undoes <see cref="Rotate(ReadOnlySpan{float}, Span{float})"/> (x = Aᵀ·y), up to float rounding.</summary>
    public void Unrotate(ReadOnlySpan<float> rotated, Span<float> destination)
    {
        CheckLengths(rotated, destination);
        destination.Clear();
        for (int i = 0; i < Dimensions; i++)
        {
            TensorPrimitives.MultiplyAdd(_axes.AsSpan(i * Dimensions, Dimensions), rotated[i], destination, destination);
        }
    }

    private void CheckLengths(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.Length != Dimensions || destination.Length != Dimensions)
        {
            throw new DimensionMismatchException(Dimensions, source.Length != Dimensions ? source.Length : destination.Length);
        }
    }
}
