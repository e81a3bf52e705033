using System.CommandLine;

namespace VectorDb.Cli;

/// <summary>
/// <c>vectordb serve</c>: runs the server, REST and gRPC (the VectorDb.Server assembly shipped next to this one), with the
/// given arguments, e.g. <c>vectordb serve --urls http://127.0.0.1:6333 --grpc-urls http://127.0.0.1:6334 --data-dir data/storage</c>.
/// </summary>
internal static class ServeCommand
{
    public static Command Create() => ChildProcess.Forwarding(
        "serve",
        "Run the server, REST and gRPC (arguments as for VectorDb.Server: --urls, --grpc-urls, --data-dir, --api-key, …)",
        (arguments, cancel) => ChildProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "VectorDb.Server.dll"), .. arguments], null, cancel));
}
