using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace VectorDb.Cli;

/// <summary><c>vectordb query</c>: the nearest points to a vector, optionally filtered, as a table.</summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var collection = new Option<string>("--collection") { Description = "Collection to search", Required = true };
        var vector = new Option<string>("--vector") { Description = "Query vector: comma-separated numbers or a JSON list", Required = true };
        var limit = new Option<int>("--limit") { Description = "Number of hits", DefaultValueFactory = _ => 10 };
        var filter = new Option<string?>("--filter") { Description = "Qdrant filter JSON, e.g. {\"must\":[{\"key\":\"city\",\"match\":{\"value\":\"Berlin\"}}]}" };
        var ef = new Option<int?>("--ef") { Description = "HNSW beam width" };
        var command = new Command("query", "Search a collection") { collection, vector, limit, filter, ef };
        Target.AddOptions(command);
        command.SetAction(async (parse, _) =>
        {
            float[] query = [.. parse.GetValue(vector)!.Trim('[', ']', ' ').Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(v => float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture))];
            await using var target = Target.Open(parse);
            var hits = await target.QueryAsync(parse.GetValue(collection)!, query, parse.GetValue(limit), parse.GetValue(filter), parse.GetValue(ef));
            var table = new Table().AddColumn("id").AddColumn("score").AddColumn("payload");
            foreach (var (id, score, payload) in hits)
            {
                table.AddRow(Markup.Escape(id), score.ToString("G6", CultureInfo.InvariantCulture), Markup.Escape(payload ?? ""));
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }
}
