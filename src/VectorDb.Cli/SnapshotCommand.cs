using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace VectorDb.Cli;

/// <summary><c>vectordb snapshot create|list|restore</c>: collection snapshots, in a local database or on a server.</summary>
internal static class SnapshotCommand
{
    public static Command Create()
    {
        var command = new Command("snapshot", "Take, list and restore collection snapshots");
        command.Subcommands.Add(CreateCommand());
        command.Subcommands.Add(ListCommand());
        command.Subcommands.Add(RestoreCommand());
        return command;
    }

    private static Option<string> Collection() => new("--collection") { Description = "The collection", Required = true };

    private static Command CreateCommand()
    {
        var collection = Collection();
        var command = new Command("create", "Take a snapshot of a collection (kept beside the database, under snapshots/)") { collection };
        Target.AddOptions(command);
        command.SetAction(async (parse, _) =>
        {
            await using var target = Target.Open(parse);
            var (name, size, checksum) = await target.CreateSnapshotAsync(parse.GetValue(collection)!);
            Console.WriteLine($"{name}\t{size.ToString(CultureInfo.InvariantCulture)} bytes\tsha256 {checksum}");
            return 0;
        });
        return command;
    }

    private static Command ListCommand()
    {
        var collection = Collection();
        var command = new Command("list", "List a collection's snapshots") { collection };
        Target.AddOptions(command);
        command.SetAction(async (parse, _) =>
        {
            await using var target = Target.Open(parse);
            var table = new Table().AddColumn("name").AddColumn("bytes").AddColumn("sha256");
            foreach (var (name, size, checksum) in await target.ListSnapshotsAsync(parse.GetValue(collection)!))
            {
                table.AddRow(Markup.Escape(name), size.ToString(CultureInfo.InvariantCulture), checksum);
            }

            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static Command RestoreCommand()
    {
        var collection = Collection();
        var file = new Option<string>("--file") { Description = "The snapshot file (on this machine; uploaded with --url)", Required = true };
        var checksum = new Option<string?>("--checksum") { Description = "The SHA-256 the file must have" };
        var command = new Command("restore", "Restore a collection from a snapshot, replacing one of that name") { collection, file, checksum };
        Target.AddOptions(command);
        command.SetAction(async (parse, _) =>
        {
            string path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new ArgumentException($"No snapshot file {path}.");
            }

            await using var target = Target.Open(parse);
            await target.RestoreSnapshotAsync(parse.GetValue(collection)!, path, parse.GetValue(checksum));
            Console.WriteLine($"restored {parse.GetValue(collection)} from {Path.GetFileName(path)}");
            return 0;
        });
        return command;
    }
}
