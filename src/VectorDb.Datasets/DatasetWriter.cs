using System.Runtime.InteropServices;

namespace VectorDb.Datasets;

/// <summary>Writers for TEXMEX <c>.fvecs</c>/<c>.ivecs</c>, e.g. to cache computed ground truth.</summary>
public static class DatasetWriter
{
    /// <summary>Writes rows of int32 as <c>.ivecs</c>, creating the directory; atomic via a temporary file.</summary>
    public static void WriteIvecs(string path, IReadOnlyList<int[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Write(path, stream =>
        {
            foreach (var row in rows)
            {
                stream.Write(BitConverter.GetBytes(row.Length));
                stream.Write(MemoryMarshal.AsBytes(row.AsSpan()));
            }
        });
    }

    /// <summary>Writes a vector set as <c>.fvecs</c>, creating the directory; atomic via a temporary file.</summary>
    public static void WriteFvecs(string path, VectorSet vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        Write(path, stream =>
        {
            for (int row = 0; row < vectors.Count; row++)
            {
                stream.Write(BitConverter.GetBytes(vectors.Dimensions));
                stream.Write(MemoryMarshal.AsBytes(vectors[row]));
            }
        });
    }

    private static void Write(string path, Action<Stream> body)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temporary = full + ".tmp";
        using (var stream = new BufferedStream(File.Create(temporary), 1 << 16))
        {
            body(stream);
        }

        File.Move(temporary, full, overwrite: true);
    }
}
