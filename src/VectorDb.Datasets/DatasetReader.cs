using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using PureHDF;

namespace VectorDb.Datasets;

/// <summary>
/// Readers for the common ANN benchmark formats: TEXMEX <c>.fvecs/.ivecs/.bvecs</c> (per row a
/// little-endian int32 dimension, then the values), NumPy <c>.npy</c> (2-d float32/float64, C order) and
/// MNIST IDX (<c>-idx3-ubyte</c>/<c>-idx1-ubyte</c>, optionally gzipped; big-endian header) and
/// ann-benchmarks HDF5 (<c>train</c>/<c>test</c>/<c>neighbors</c> datasets; name one as <c>file.hdf5:test</c>,
/// the default being <c>train</c> for vectors and <c>neighbors</c> for ground truth).
/// </summary>
public static class DatasetReader
{
    /// <summary>Reads vectors from a file whose format the name tells (.fvecs, .bvecs, .npy, IDX images).</summary>
    /// <exception cref="NotSupportedException">The format is not one of these.</exception>
    public static VectorSet Read(string path, int maxRows = int.MaxValue)
    {
        if (SplitHdf5(path, "train") is var (file, dataset))
        {
            return ReadHdf5(file, dataset, maxRows);
        }

        string name = Path.GetFileName(path);
        if (name.EndsWith(".fvecs", StringComparison.OrdinalIgnoreCase))
        {
            return ReadFvecs(path, maxRows);
        }

        if (name.EndsWith(".bvecs", StringComparison.OrdinalIgnoreCase))
        {
            return ReadBvecs(path, maxRows);
        }

        if (name.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            return ReadNpy(path, maxRows);
        }

        if (name.Contains("idx3-ubyte", StringComparison.Ordinal))
        {
            return ReadIdxImages(path, maxRows);
        }

        throw new NotSupportedException($"Unsupported vector file {path} (supported: .fvecs, .bvecs, .npy, .hdf5[:dataset], MNIST idx3-ubyte[.gz]).");
    }

    /// <summary>Ground-truth neighbor ids from an <c>.ivecs</c> file or an HDF5 dataset (default <c>neighbors</c>).</summary>
    public static int[][] ReadNeighbors(string path, int maxRows = int.MaxValue)
    {
        if (SplitHdf5(path, "neighbors") is not var (file, dataset))
        {
            return ReadIvecs(path, maxRows);
        }

        using var h5 = H5File.OpenRead(file);
        var data = h5.Dataset(dataset);
        var (rows, columns) = Shape(data, file, dataset);
        int[] values = data.Read<int[]>();
        return [.. Enumerable.Range(0, Math.Min(rows, maxRows)).Select(row => values.AsSpan(row * columns, columns).ToArray())];
    }

    /// <summary>A 2-d float32 dataset of an HDF5 file as vectors, e.g. ann-benchmarks' <c>train</c> or <c>test</c>.</summary>
    /// <exception cref="InvalidDataException">The dataset is missing or not 2-d.</exception>
    public static VectorSet ReadHdf5(string path, string dataset, int maxRows = int.MaxValue)
    {
        using var file = H5File.OpenRead(path);
        if (!file.LinkExists(dataset))
        {
            throw new InvalidDataException($"{path} has no dataset `{dataset}` (ann-benchmarks files have train, test, neighbors).");
        }

        var data = file.Dataset(dataset);
        var (rows, columns) = Shape(data, path, dataset);
        float[] values = data.Read<float[]>();
        return new VectorSet(values[..(Math.Min(rows, maxRows) * columns)], columns);
    }

    private static (int Rows, int Columns) Shape(IH5Dataset data, string path, string dataset) =>
        data.Space.Dimensions is [var rows, var columns]
            ? ((int)rows, (int)columns)
            : throw new InvalidDataException($"{path}:{dataset} is not a 2-d dataset.");

    /// <summary>"file.hdf5[:dataset]" → (file, dataset), or null for other files.</summary>
    private static (string File, string Dataset)? SplitHdf5(string path, string defaultDataset)
    {
        int marker = path.LastIndexOf(".hdf5", StringComparison.OrdinalIgnoreCase);
        if (marker < 0)
        {
            return null;
        }

        int end = marker + ".hdf5".Length;
        return end == path.Length ? (path, defaultDataset)
            : path[end] == ':' ? (path[..end], path[(end + 1)..])
            : null;
    }

    /// <summary>Reads a 2-d NumPy array of little-endian float32 (<c>&lt;f4</c>) or float64 (<c>&lt;f8</c>) in C order.</summary>
    /// <exception cref="InvalidDataException">Not such an array.</exception>
    public static VectorSet ReadNpy(string path, int maxRows = int.MaxValue)
    {
        using var stream = File.OpenRead(path);
        Span<byte> preamble = stackalloc byte[10];
        stream.ReadExactly(preamble);
        if (preamble[0] != 0x93 || !preamble[1..6].SequenceEqual("NUMPY"u8) || preamble[6] is not (1 or 2 or 3))
        {
            throw new InvalidDataException($"{path}: not a .npy file.");
        }

        int headerLength = preamble[6] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(preamble[8..]) : ReadLongHeaderLength(stream, preamble);
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        string header = System.Text.Encoding.Latin1.GetString(headerBytes);
        var descr = System.Text.RegularExpressions.Regex.Match(header, @"'descr':\s*'([<|=]?)(f4|f8)'");
        var shape = System.Text.RegularExpressions.Regex.Match(header, @"'shape':\s*\((\d+),\s*(\d+)\)");
        if (!descr.Success || !shape.Success || header.Contains("'fortran_order': True", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: only 2-d little-endian float32/float64 arrays in C order are supported (header {header.Trim()}).");
        }

        int rows = Math.Min(int.Parse(shape.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), maxRows);
        int dimensions = int.Parse(shape.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        var data = new float[(long)rows * dimensions];
        if (descr.Groups[2].Value == "f4")
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        }
        else
        {
            var wide = new double[data.Length];
            stream.ReadExactly(MemoryMarshal.AsBytes(wide.AsSpan()));
            for (int i = 0; i < wide.Length; i++)
            {
                data[i] = (float)wide[i];
            }
        }

        return new VectorSet(data, dimensions);
    }

    private static int ReadLongHeaderLength(Stream stream, ReadOnlySpan<byte> preamble)
    {
        // Versions 2 and 3 have a 4-byte length at offset 8; two of its bytes are already in the preamble.
        Span<byte> length = stackalloc byte[4];
        preamble[8..].CopyTo(length);
        stream.ReadExactly(length[2..]);
        return (int)BinaryPrimitives.ReadUInt32LittleEndian(length);
    }

    /// <summary>Reads a <c>.fvecs</c> file; at most <paramref name="maxRows"/> rows.</summary>
    public static VectorSet ReadFvecs(string path, int maxRows = int.MaxValue) =>
        ReadVecs(path, maxRows, sizeof(float), static (bytes, row) => MemoryMarshal.Cast<byte, float>(bytes).CopyTo(row));

    /// <summary>Reads a <c>.bvecs</c> file (uint8 components) as floats.</summary>
    public static VectorSet ReadBvecs(string path, int maxRows = int.MaxValue) =>
        ReadVecs(path, maxRows, sizeof(byte), static (bytes, row) =>
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                row[i] = bytes[i];
            }
        });

    /// <summary>Reads an <c>.ivecs</c> file (e.g. ground-truth neighbor ids) as rows of int32.</summary>
    public static int[][] ReadIvecs(string path, int maxRows = int.MaxValue)
    {
        using var stream = File.OpenRead(path);
        var rows = new List<int[]>();
        Span<byte> header = stackalloc byte[4];
        while (rows.Count < maxRows && stream.ReadAtLeast(header, 4, throwOnEndOfStream: false) == 4)
        {
            int dimensions = ReadDimension(header, path);
            var row = new int[dimensions];
            stream.ReadExactly(MemoryMarshal.AsBytes(row.AsSpan()));
            rows.Add(row);
        }

        return [.. rows];
    }

    /// <summary>Reads MNIST IDX images (magic 0x803) as float rows of rows×cols pixels; gzip is detected by extension.</summary>
    public static VectorSet ReadIdxImages(string path, int maxRows = int.MaxValue)
    {
        using var stream = OpenMaybeGzip(path);
        Span<byte> header = stackalloc byte[16];
        stream.ReadExactly(header);
        if (BinaryPrimitives.ReadInt32BigEndian(header) != 0x803)
        {
            throw new InvalidDataException($"{path}: not an IDX image file (magic {BinaryPrimitives.ReadInt32BigEndian(header):x}).");
        }

        int count = Math.Min(BinaryPrimitives.ReadInt32BigEndian(header[4..]), maxRows);
        int dimensions = BinaryPrimitives.ReadInt32BigEndian(header[8..]) * BinaryPrimitives.ReadInt32BigEndian(header[12..]);
        var pixels = new byte[(long)count * dimensions];
        stream.ReadExactly(pixels);
        var data = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            data[i] = pixels[i];
        }

        return new VectorSet(data, dimensions);
    }

    /// <summary>Reads MNIST IDX labels (magic 0x801).</summary>
    public static byte[] ReadIdxLabels(string path, int maxRows = int.MaxValue)
    {
        using var stream = OpenMaybeGzip(path);
        Span<byte> header = stackalloc byte[8];
        stream.ReadExactly(header);
        if (BinaryPrimitives.ReadInt32BigEndian(header) != 0x801)
        {
            throw new InvalidDataException($"{path}: not an IDX label file.");
        }

        var labels = new byte[Math.Min(BinaryPrimitives.ReadInt32BigEndian(header[4..]), maxRows)];
        stream.ReadExactly(labels);
        return labels;
    }

    private static Stream OpenMaybeGzip(string path)
    {
        var file = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16)
            : file;
    }

    private delegate void RowDecoder(ReadOnlySpan<byte> bytes, Span<float> row);

    private static VectorSet ReadVecs(string path, int maxRows, int componentSize, RowDecoder decode)
    {
        using var stream = new BufferedStream(File.OpenRead(path), 1 << 16);
        Span<byte> header = stackalloc byte[4];
        if (stream.ReadAtLeast(header, 4, throwOnEndOfStream: false) != 4)
        {
            throw new InvalidDataException($"{path}: empty file.");
        }

        int dimensions = ReadDimension(header, path);
        long rowBytes = 4 + ((long)dimensions * componentSize);
        long available = stream.Length / rowBytes;
        int count = (int)Math.Min(available, maxRows);
        var data = new float[(long)count * dimensions];
        var buffer = new byte[dimensions * componentSize];
        for (int row = 0; row < count; row++)
        {
            if (row > 0)
            {
                stream.ReadExactly(header);
                if (ReadDimension(header, path) != dimensions)
                {
                    throw new InvalidDataException($"{path}: row {row} has a different dimension.");
                }
            }

            stream.ReadExactly(buffer);
            decode(buffer, data.AsSpan(row * dimensions, dimensions));
        }

        return new VectorSet(data, dimensions);
    }

    private static int ReadDimension(ReadOnlySpan<byte> header, string path)
    {
        int dimensions = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (dimensions is < 1 or > 1 << 20)
        {
            throw new InvalidDataException($"{path}: implausible dimension {dimensions}.");
        }

        return dimensions;
    }
}
