using System.Buffers.Binary;

namespace VectorDb.Quantization;

/// <summary>
/// Fitted codes of one kind (<see cref="ScalarCodes"/>, <see cref="BinaryCodes"/>): how rows and queries are encoded,
/// and how the fit is saved in a graph snapshot. The distance between a query's code row and a stored code row is an
/// <see cref="Distance.IDistanceFunction"/> of the kind's own, which the graph runs its walk with.
/// </summary>
internal abstract class CodeBook
{
    private const byte ScalarKind = 1;
    private const byte RetiredBinaryKind = 2; // per-dimension thresholds without a rotation or a per-row scale
    private const byte BinaryKind = 3;

    protected CodeBook(DistanceMetric metric, int dimensions, QuantizationOptions options)
    {
        Metric = metric;
        Dimensions = dimensions;
        Options = options.Fitted;
    }

    /// <summary>The rows the graph held when the codes were fitted (a fit samples some of them): the graph fits again as it grows well past them.</summary>
    public int FittedRows { get; set; }

    public DistanceMetric Metric { get; }

    public int Dimensions { get; }

    /// <summary>The settings fitted (without those the codes do not depend on).</summary>
    public QuantizationOptions Options { get; }

    /// <summary>Bytes per stored code row.</summary>
    public abstract int RowBytes { get; }

    /// <summary>
    /// Bytes between code rows when the graph's stored rows are in process memory and speed is what is asked for:
    /// <see cref="RowBytes"/> unless a kind's kernels gain from wider rows (see <see cref="ScalarCodes"/>).
    /// </summary>
    public virtual int AlignedRowBytes => RowBytes;

    /// <summary>Bytes of a query's code row.</summary>
    public abstract int QueryBytes { get; }

    /// <summary>Writes the code row of a stored vector (normalised already, for cosine).</summary>
    public abstract void EncodeRow(ReadOnlySpan<float> vector, Span<byte> row);

    /// <summary>Writes the code row of a prepared query.</summary>
    public abstract void EncodeQuery(ReadOnlySpan<float> query, Span<byte> row);

    /// <summary>Fits codes of the kind <paramref name="options"/> asks for on sampled rows (row-major; reordered).</summary>
    public static CodeBook Fit(QuantizationOptions options, DistanceMetric metric, int dimensions, Span<float> values) => options switch
    {
        ScalarQuantizationOptions scalar => ScalarCodes.Fit(metric, dimensions, scalar, values),
        BinaryQuantizationOptions binary => BinaryCodes.Fit(metric, dimensions, binary, values),
        _ => throw new InvalidRequestException($"Quantization {options.GetType().Name} is not supported by the graph."),
    };

    /// <summary>Rows a fit samples out of <paramref name="available"/>: about 2²² values.</summary>
    public static int SampleRows(int dimensions, int available) => Math.Min(available, Math.Max(1, (1 << 22) / dimensions));

    /// <summary>Saves the kind and the fit: a kind byte, the rows fitted on (i32), then the kind's parameters.</summary>
    public void Write(Stream stream)
    {
        stream.WriteByte(this is ScalarCodes ? ScalarKind : BinaryKind);
        Span<byte> rows = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(rows, FittedRows);
        stream.Write(rows);
        WriteParameters(stream);
    }

    /// <summary>
    /// Reads what <see cref="Write"/> saved, after its kind byte. Codes of a kind no longer built are read past with the
    /// <paramref name="count"/> code rows that follow: then null, with the settings they were fitted for in
    /// <paramref name="retired"/>, so that the graph fits them again from the rows.
    /// </summary>
    /// <exception cref="InvalidDataException">An unknown kind, or parameters out of range.</exception>
    public static CodeBook? Read(Stream stream, int kind, DistanceMetric metric, int dimensions, int count, out QuantizationOptions? retired)
    {
        retired = null;
        if (kind == RetiredBinaryKind)
        {
            retired = SkipRetiredBinary(stream, dimensions, count);
            return null;
        }

        if (kind is not (ScalarKind or BinaryKind))
        {
            throw new InvalidDataException($"HNSW snapshot has codes of unknown kind {kind}.");
        }

        Span<byte> rows = stackalloc byte[sizeof(int)];
        stream.ReadExactly(rows);
        CodeBook book = kind == ScalarKind ? ScalarCodes.Read(stream, metric, dimensions) : BinaryCodes.Read(stream, metric, dimensions);
        book.FittedRows = BinaryPrimitives.ReadInt32LittleEndian(rows);
        return book;
    }

    protected abstract void WriteParameters(Stream stream);

    /// <summary>Reads past retired binary codes: rows fitted on (i32), two encoding bytes, two floats a dimension, then the rows.</summary>
    private static BinaryQuantizationOptions SkipRetiredBinary(Stream stream, int dimensions, int count)
    {
        Span<byte> header = stackalloc byte[sizeof(int) + 2];
        stream.ReadExactly(header);
        var options = new BinaryQuantizationOptions { Encoding = (BinaryEncoding)header[sizeof(int)], QueryEncoding = (BinaryQueryEncoding)header[sizeof(int) + 1] };
        if (!Enum.IsDefined(options.Encoding) || !Enum.IsDefined(options.QueryEncoding))
        {
            throw new InvalidDataException($"Binary codes of unknown encoding {header[sizeof(int)]}/{header[sizeof(int) + 1]}.");
        }

        int planes = options.Encoding == BinaryEncoding.TwoBits ? 2 : 1;
        int words = (dimensions + 63) / 64;
        long rowBytes = ((planes * ((words * sizeof(ulong)) + sizeof(int))) + sizeof(float) + 7) & ~7;
        long remaining = (2L * dimensions * sizeof(float)) + (count * rowBytes);
        var buffer = new byte[(int)Math.Min(remaining, 1 << 16)];
        while (remaining > 0)
        {
            int chunk = (int)Math.Min(remaining, buffer.Length);
            stream.ReadExactly(buffer, 0, chunk);
            remaining -= chunk;
        }

        return options;
    }

    protected static void WriteFloat(Stream stream, float value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(float)];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        stream.Write(bytes);
    }

    protected static float ReadFloat(Stream stream)
    {
        Span<byte> bytes = stackalloc byte[sizeof(float)];
        stream.ReadExactly(bytes);
        return BinaryPrimitives.ReadSingleLittleEndian(bytes);
    }

    protected static float[] ReadFloats(Stream stream, int count)
    {
        var values = new float[count];
        stream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}
