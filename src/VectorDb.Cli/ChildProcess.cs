using System.CommandLine;
using System.Diagnostics;

namespace VectorDb.Cli;

/// <summary>Runs another program with our console, for the commands that hand over to one (serve, bench).</summary>
internal static class ChildProcess
{
    /// <summary>A command that takes its arguments unparsed and hands them to <paramref name="run"/>.</summary>
    public static Command Forwarding(string name, string description, Func<string[], CancellationToken, Task<int>> run)
    {
        var command = new Command(name, description) { TreatUnmatchedTokensAsErrors = false };
        command.SetAction((parse, cancel) => run([.. parse.UnmatchedTokens], cancel));
        return command;
    }

    /// <summary>Runs it to the end and returns its exit code; on cancellation (Ctrl+C) stops it and its children.</summary>
    public static async Task<int> RunAsync(string program, IEnumerable<string> arguments, string? workingDirectory, CancellationToken cancel)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        try
        {
            await process.WaitForExitAsync(cancel);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        return process.ExitCode;
    }
}
