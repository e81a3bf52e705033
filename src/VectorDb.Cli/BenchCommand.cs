using System.CommandLine;

namespace VectorDb.Cli;

/// <summary>
/// <c>vectordb bench</c>: runs the benchmark harness from a source checkout — <c>vectordb bench recall …</c>,
/// <c>vectordb bench filtered …</c>, <c>vectordb bench compare fashion-mnist</c> (the side-by-side run with
/// hnswlib and FAISS). The harness lives in bench/, not in this tool, so benchmarks never ship to users.
/// </summary>
internal static class BenchCommand
{
    public static Command Create() => ChildProcess.Forwarding(
        "bench",
        "Run the benchmark harness (from a source checkout): recall …, filtered …, compare DATASET …",
        (arguments, cancel) =>
        {
            string root = FindCheckout() ?? throw new InvalidRequestException("`vectordb bench` runs from a source checkout (a folder with bench/VectorDb.Bench).");
            return arguments is ["compare", .. var rest]
                ? ChildProcess.RunAsync("bash", [Path.Combine(root, "bench", "compare.sh"), .. rest], root, cancel)
                : ChildProcess.RunAsync("dotnet", ["run", "-c", "Release", "--project", Path.Combine(root, "bench", "VectorDb.Bench"), "--", .. arguments], root, cancel);
        });

    private static string? FindCheckout()
    {
        for (var folder = new DirectoryInfo(Environment.CurrentDirectory); folder is not null; folder = folder.Parent)
        {
            if (Directory.Exists(Path.Combine(folder.FullName, "bench", "VectorDb.Bench")))
            {
                return folder.FullName;
            }
        }

        return null;
    }
}
