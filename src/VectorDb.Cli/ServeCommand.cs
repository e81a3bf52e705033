using System.CommandLine;

namespace VectorDb.Cli;

/// <summary>
/// <c>vectordb serve</c>: runs the REST server (the VectorDb.Server assembly shipped next to this one) with the
/// given arguments, e.g. <c>vectordb serve --urls http://127.0.0.1:6333 --data-dir data/storage</c>.
/// </summary>
internal static class ServeCommand
{
    public static Command Create() => ChildProcess.Forwarding(
        "serve",
        "Run the REST server (arguments as for VectorDb.Server: --urls, --data-dir, --api-key, …)",
        (arguments, cancel) => ChildProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "VectorDb.Server.dll"), .. arguments], null, cancel));
}
