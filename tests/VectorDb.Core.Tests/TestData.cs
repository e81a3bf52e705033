using VectorDb.Datasets;

namespace VectorDb.Core.Tests;

/// <summary>
/// The real datasets in <c>../shared/data</c> (beside the repository). They are not copied into the
/// project; a missing directory fails the test with a message rather than skipping it, so a recall test
/// can never pass vacuously. <c>VECTORDB_DATA</c> overrides the location.
/// </summary>
public static class TestData
{
    public static string Root { get; } = FindRoot();

    public static string FashionMnist(string file) => Path.Combine(Root, "fashion-mnist", file);

    /// <summary>Fashion-MNIST train images (the ann-benchmarks base set), first <paramref name="count"/>.</summary>
    public static VectorSet FashionMnistBase(int count) => DatasetReader.ReadIdxImages(FashionMnist("train-images-idx3-ubyte.gz"), count);

    /// <summary>Fashion-MNIST test images (the ann-benchmarks queries), first <paramref name="count"/>.</summary>
    public static VectorSet FashionMnistQueries(int count) => DatasetReader.ReadIdxImages(FashionMnist("t10k-images-idx3-ubyte.gz"), count);

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("VECTORDB_DATA") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "VectorDb.sln")))
            {
                string candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }

                throw new DirectoryNotFoundException($"Shared datasets not found at {candidate}; set VECTORDB_DATA.");
            }
        }

        throw new DirectoryNotFoundException("Repository root (VectorDb.sln) not found above the test binaries; set VECTORDB_DATA.");
    }
}
