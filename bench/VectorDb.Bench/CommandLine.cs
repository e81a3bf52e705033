namespace VectorDb.Bench;

/// <summary>The harness commands' <c>--name value</c> options.</summary>
public static class CommandLine
{
    /// <summary>The value after <paramref name="name"/>, or null when it is not given.</summary>
    public static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
