using System.CommandLine;
using System.Diagnostics;

namespace VectorDb.Cli;

/// <summary>
/// <c>vectordb serve</c>: runs the REST server (the VectorDb.Server assembly shipped next to this one) with the
/// given arguments, e.g. <c>vectordb serve --urls http://127.0.0.1:6333 --data-dir data/storage</c>.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var command = new Command("serve", "Run the REST server (arguments as for VectorDb.Server: --urls, --data-dir, --api-key, …)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(async (parse, cancel) =>
        {
            string server = Path.Combine(AppContext.BaseDirectory, "VectorDb.Server.dll");
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
            start.ArgumentList.Add(server);
            foreach (string token in parse.UnmatchedTokens)
            {
                start.ArgumentList.Add(token);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
            try
            {
                await process.WaitForExitAsync(cancel);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }

            return process.ExitCode;
        });
        return command;
    }
}
