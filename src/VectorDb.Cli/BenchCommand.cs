using System.CommandLine;
using System.Diagnostics;

namespace VectorDb.Cli;

/// <summary>
/// <c>vectordb bench</c>: runs the benchmark harness from a source checkout — <c>vectordb bench recall …</c>,
/// <c>vectordb bench filtered …</c>, <c>vectordb bench compare fashion-mnist</c> (the side-by-side run with
/// hnswlib and FAISS). The harness lives in bench/, not in this tool, so benchmarks never ship to users.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Run the benchmark harness (from a source checkout): recall …, filtered …, compare DATASET …")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(async (parse, cancel) =>
        {
            string root = FindCheckout() ?? throw new InvalidRequestException("`vectordb bench` runs from a source checkout (a folder with bench/VectorDb.Bench).");
            var tokens = parse.UnmatchedTokens.ToList();
            var start = tokens is ["compare", .. var rest]
                ? Start("bash", [Path.Combine(root, "bench", "compare.sh"), .. rest])
                : Start("dotnet", ["run", "-c", "Release", "--project", Path.Combine(root, "bench", "VectorDb.Bench"), "--", .. tokens]);
            start.WorkingDirectory = root;
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the harness");
            await process.WaitForExitAsync(cancel);
            return process.ExitCode;
        });
        return command;
    }

    private static ProcessStartInfo Start(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

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
