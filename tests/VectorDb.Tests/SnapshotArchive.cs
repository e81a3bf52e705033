namespace VectorDb.Tests;

/// <summary>Rewrites snapshot files as damaged or forged ones would be, their checksums made to match.</summary>
internal static class SnapshotArchive
{
    /// <summary>A snapshot (a tar) with each entry's content changed by <paramref name="change"/>, its checksums entry made to match.</summary>
    public static byte[] RewriteEntries(byte[] source, Func<string, byte[], byte[]> change)
    {
        var entries = new List<(string Name, byte[] Content)>();
        using (var reader = new System.Formats.Tar.TarReader(new MemoryStream(source)))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                using var content = new MemoryStream();
                entry.DataStream?.CopyTo(content);
                entries.Add((entry.Name, change(entry.Name, content.ToArray())));
            }
        }

        var sums = entries.Take(entries.Count - 1).ToDictionary(e => e.Name, e => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(e.Content)));
        entries[^1] = (entries[^1].Name, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(sums));
        using var output = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(output, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
            }
        }

        return output.ToArray();
    }
}
