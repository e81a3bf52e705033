using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace VectorDb.Cli;

/// <summary>
/// <c>vectordb snapshot create|list|restore</c>: snapshots of a collection (<c>--collection</c>) or of the whole storage
/// (<c>--full</c>), in a local database or on a server.
/// </summary>
internal static class SnapshotCommand
{
    public static Command Create()
    {
        var command = new Command("snapshot", "Take, list and restore snapshots of a collection or of the whole storage");
        command.Subcommands.Add(CreateCommand());
        command.Subcommands.Add(ListCommand());
        command.Subcommands.Add(RestoreCommand());
        return command;
    }

    private static Option<string?> Collection() => new("--collection") { Description = "The collection (or --full)" };

    private static Option<bool> Full() => new("--full") { Description = "Every collection and alias: a full-storage snapshot (or --collection)" };

    /// <summary>The collection named, or null for <c>--full</c>; exactly one of the two must be given.</summary>
    private static string? CollectionOrFull(ParseResult parse, Option<string?> collection, Option<bool> full) =>
        (parse.GetValue(collection), parse.GetValue(full)) switch
        {
            ({ } name, false) => name,
            (null, true) => null,
            _ => throw new ArgumentException("Give --collection NAME or --full (every collection and alias), one of the two."),
        };

    private static Command CreateCommand()
    {
        var collection = Collection();
        var full = Full();
        var command = new Command("create", "Take a snapshot of a collection or of the whole storage (kept beside the database, under snapshots/)") { collection, full };
        Target.AddOptions(command);
        command.SetAction(async (parse, _) =>
        {
            string? name = CollectionOrFull(parse, collection, full);
            await using var target = Target.Open(parse);
            var (file, size, checksum) = await target.CreateSnapshotAsync(name);
            Console.WriteLine($"{file}\t{size.ToString(CultureInfo.InvariantCulture)} bytes\tsha256 {checksum}");
            return 0;
        });
        return command;
    }

    private static Command ListCommand()
    {
        var collection = Collection();
        var full = Full();
        var command = new Command("list", "List the snapshots of a collection or the full-storage ones") { collection, full };
        Target.AddOptions(command);
        command.SetAction(async (parse, _) =>
        {
            string? of = CollectionOrFull(parse, collection, full);
            await using var target = Target.Open(parse);
            var table = new Table().AddColumn("name").AddColumn("bytes").AddColumn("sha256");
            foreach (var (name, size, checksum) in await target.ListSnapshotsAsync(of))
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
        var full = Full();
        var file = new Option<string>("--file") { Description = "The snapshot file (on this machine; uploaded with --url)", Required = true };
        var checksum = new Option<string?>("--checksum") { Description = "The SHA-256 the file must have" };
        var force = new Option<bool>("--force") { Description = "With --full: replace collections and aliases of the snapshot's names (otherwise such a name is refused)" };
        var command = new Command("restore", "Restore a collection from its snapshot (replacing one of that name), or every collection and alias of a full-storage snapshot into a local database")
        {
            collection, full, file, checksum, force,
        };
        Target.AddOptions(command);
        command.SetAction(async (parse, _) =>
        {
            string path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new ArgumentException($"No snapshot file {path}.");
            }

            string? name = CollectionOrFull(parse, collection, full);
            if (name is not null && parse.GetValue(force))
            {
                throw new ArgumentException("--force belongs to --full: a collection's restore always replaces the collection of that name.");
            }

            await using var target = Target.Open(parse);
            if (name is null)
            {
                target.RestoreFullSnapshot(path, parse.GetValue(checksum), parse.GetValue(force));
                Console.WriteLine($"restored every collection and alias of {Path.GetFileName(path)}");
            }
            else
            {
                await target.RestoreSnapshotAsync(name, path, parse.GetValue(checksum));
                Console.WriteLine($"restored {name} from {Path.GetFileName(path)}");
            }

            return 0;
        });
        return command;
    }
}
