namespace VectorDb.Tests;

/// <summary>The checkout the tests run from: files the tests read (docs, fixtures, the compatibility suite).</summary>
internal static class Repository
{
    /// <summary>The folder holding VectorDb.sln, found above the test binaries.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "VectorDb.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("VectorDb.sln not found above the test binaries.");
    }
}
