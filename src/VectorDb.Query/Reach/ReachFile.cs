namespace VectorDb.Query.Reach;

/// <summary>
/// The file a checkpoint keeps what an index's reach built in: a kind byte, then the kind's content
/// (<see cref="LinkedValues.Write"/>, <see cref="TenantGraphs.Write"/>). The kinds are the format: a kind's content
/// never changes; a change takes a new kind.
/// </summary>
internal static class ReachFile
{
    /// <summary>Value links without border links, saved before border links existed: made again on load.</summary>
    public const byte ValueLinksWithoutBorders = 1;

    /// <summary>A tenant index's value graphs.</summary>
    public const byte ValueGraphs = 2;

    /// <summary>Value links and border links.</summary>
    public const byte ValueLinks = 3;

    /// <summary>A reader past the kind byte, after checking the kind is <paramref name="expected"/>.</summary>
    /// <exception cref="InvalidDataException">The file holds another kind.</exception>
    public static BinaryReader Open(Stream stream, string key, byte expected)
    {
        var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        byte kind = reader.ReadByte();
        if (kind == expected)
        {
            return reader;
        }

        reader.Dispose();
        throw new InvalidDataException(kind == ValueLinksWithoutBorders && expected == ValueLinks
            ? $"The value links saved for `{key}` predate border links; both are made again."
            : $"What was saved for `{key}` belongs to another kind of index.");
    }

    /// <summary>Runs a restore, for which a truncated file is damage like any other.</summary>
    /// <exception cref="InvalidDataException">What was saved is damaged, truncated or of another kind.</exception>
    public static void Read(string key, Action restore)
    {
        try
        {
            restore();
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"What was saved for `{key}` is truncated.", e);
        }
    }
}
