using System.CommandLine;
using VectorDb;
using VectorDb.Cli;

// vectordb — serve, import, query, snapshot, bench. `vectordb --help` lists the options of each.
var root = new RootCommand("vectordb: an approximate-nearest-neighbor vector database with Qdrant's REST API")
{
    ServeCommand.Create(),
    ImportCommand.Create(),
    QueryCommand.Create(),
    BenchCommand.Create(),
    SnapshotCommand.Create(),
};
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is VectorDbException or ArgumentException or IOException or HttpRequestException or FormatException or NotSupportedException)
{
    // Bad input is the user's to fix: say what, not where in our code.
    await Console.Error.WriteLineAsync($"error: {e.Message}");
    return 1;
}
