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

        foreach (var row in sample)
        {
            if (row.Length != dimensions)
            {
                throw new InvalidRequestException($"PCA sample rows must have {dimensions} dimensions, got {row.Length}.");
            }
        }

        var moment = Matrix<double>.Build.DenseOfColumnMajor(dimensions, dimensions, SecondMoment(sample, dimensions, center));
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

    /// <summary>The first <paramref name="count"/> axes, row-major: what <c>HnswIndex.KeepRotatedPrefix</c> takes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not in 1..dimensions.</exception>
    public float[] LeadingAxes(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Dimensions);
        return _axes.AsSpan(0, count * Dimensions).ToArray();
    }

    /// <summary>
    /// (Xᵀ·X)/(n − 1) of the sample rows, centred first if asked, as a symmetric column-major array. Summed in float
    /// with SIMD over blocks of rows (the rank-one updates are the whole cost: n·d²/2 multiply-adds) and the blocks in
    /// double, split over the cores.
    /// </summary>
    private static double[] SecondMoment(IReadOnlyList<float[]> sample, int dimensions, bool center)
    {
        const int BlockRows = 64; // float sums of this many rows lose nothing that matters to the axes
        var mean = new float[dimensions];
        if (center)
        {
            foreach (var row in sample)
            {
                TensorPrimitives.Add(mean, row, mean);
            }

            TensorPrimitives.Divide(mean, sample.Count, mean);
        }

        var total = new double[dimensions * dimensions];
        var gate = new Lock();
        int blocks = (sample.Count + BlockRows - 1) / BlockRows;
        Parallel.For(
            0,
            blocks,
            () => (Sum: new double[dimensions * dimensions], Block: new float[dimensions * dimensions], Row: new float[dimensions]),
            (block, _, local) =>
            {
                Array.Clear(local.Block);
                for (int r = block * BlockRows, end = Math.Min(sample.Count, r + BlockRows); r < end; r++)
                {
                    TensorPrimitives.Subtract(sample[r], mean, local.Row);
                    for (int c = 0; c < dimensions; c++)
                    {
                        var tail = local.Block.AsSpan((c * dimensions) + c, dimensions - c);
                        TensorPrimitives.MultiplyAdd(local.Row.AsSpan(c), local.Row[c], tail, tail);
                    }
                }

                for (int i = 0; i < local.Block.Length; i++)
                {
                    local.Sum[i] += local.Block[i];
                }

                return local;
            },
            local =>
            {
                lock (gate)
                {
                    TensorPrimitives.Add(total, local.Sum, total);
                }
            });

        // Only the upper triangle (column c, rows c..) was summed: mirror it and scale.
        double scale = 1.0 / (sample.Count - 1);
        for (int c = 0; c < dimensions; c++)
        {
            for (int r = c; r < dimensions; r++)
            {
                double value = total[(c * dimensions) + r] * scale;
                total[(c * dimensions) + r] = value;
                total[(r * dimensions) + c] = value;
            }
        }

        return total;
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
