using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using VectorDb.Datasets;

namespace VectorDb.Cli;

/// <summary>
/// <c>vectordb import</c>: vectors from .fvecs/.bvecs/.npy/IDX (ids 0..n-1, no payload) or JSON lines
/// (<c>{"id": …, "vector": […], "payload": {…}}</c>) into a collection of a local database or a server, in
/// batches, with a progress bar and ETA. Creates the collection when it does not exist.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var file = new Option<FileInfo>("--file") { Description = "Input: .fvecs, .bvecs, .npy, MNIST idx3-ubyte[.gz] or .jsonl", Required = true };
        var collection = new Option<string>("--collection") { Description = "Collection to import into", Required = true };
        var distance = new Option<DistanceMetric>("--distance") { Description = "Metric when the collection is created", DefaultValueFactory = _ => DistanceMetric.Cosine };
        var dataType = new Option<VectorDataType>("--datatype") { Description = "How the collection's graph stores vectors when it is created: Float32, Float16 or BFloat16", DefaultValueFactory = _ => VectorDataType.Float32 };
        var batch = new Option<int>("--batch") { Description = "Points per request", DefaultValueFactory = _ => 1000 };
        var command = new Command("import", "Import vectors into a collection") { file, collection, distance, dataType, batch };
        Target.AddOptions(command);
        command.SetAction(async (parse, cancel) =>
        {
            string path = parse.GetValue(file)!.FullName;
            var points = path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? ReadJsonLines(path) : ReadVectors(path);
            await using var target = Target.Open(parse);
            await target.EnsureCollectionAsync(parse.GetValue(collection)!, points[0].Vector!.Length, parse.GetValue(distance), parse.GetValue(dataType));
            int size = Math.Max(1, parse.GetValue(batch));
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"importing {points.Count:N0} points", maxValue: points.Count);
                    foreach (var chunk in points.Chunk(size))
                    {
                        cancel.ThrowIfCancellationRequested();
                        await target.UpsertAsync(parse.GetValue(collection)!, chunk);
                        task.Increment(chunk.Length);
                    }
                });
            AnsiConsole.MarkupLine($"[green]imported {points.Count:N0} points into {Markup.Escape(parse.GetValue(collection)!)}[/]");
            return 0;
        });
        return command;
    }

    private static List<Point> ReadVectors(string path)
    {
        var vectors = DatasetReader.Read(path);
        return [.. Enumerable.Range(0, vectors.Count).Select(i => new Point((ulong)i, vectors[i].ToArray()))];
    }

    private static List<Point> ReadJsonLines(string path)
    {
        var points = new List<Point>();
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                var root = document.RootElement;
                points.Add(new Point(
                    PointId.FromJson(root.GetProperty("id")),
                    [.. root.GetProperty("vector").EnumerateArray().Select(v => v.GetSingle())],
                    root.TryGetProperty("payload", out var payload) && payload.ValueKind == JsonValueKind.Object ? Payload.FromJson(payload) : null));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or InvalidRequestException)
            {
                throw new InvalidRequestException($"{path}:{line}: expected {{\"id\": …, \"vector\": [numbers], \"payload\": {{…}}}} ({e.Message})", e);
            }
        }

        return points.Count > 0 ? points : throw new InvalidRequestException($"{path} holds no points.");
    }
}
