namespace VectorDb.Examples;

/// <summary>The examples by name; each returns 0 when it ran as it says.</summary>
public static class Examples
{
    public static IReadOnlyDictionary<string, Func<TextWriter, Task<int>>> All { get; } = new Dictionary<string, Func<TextWriter, Task<int>>>
    {
        ["quickstart"] = QuickStart.RunAsync,
        ["filtered"] = FilteredSearch.RunAsync,
        ["adaptive"] = AdaptiveSearchExample.RunAsync,
        ["recovery"] = Recovery.RunAsync,
        ["mevd"] = VectorDataRecords.RunAsync,
    };

    /// <summary>A fresh directory for an example's database, under the system temp folder.</summary>
    public static string TempDirectory(string name) =>
        Path.Combine(Path.GetTempPath(), "vectordb-examples", $"{name}-{Guid.NewGuid():N}");
}
