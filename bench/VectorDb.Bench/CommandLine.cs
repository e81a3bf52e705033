using System.Text.Json;

namespace VectorDb.Bench;

/// <summary>The harness commands' <c>--name value</c> options.</summary>
public static class CommandLine
{
    /// <summary>The value after <paramref name="name"/>, or null when it is not given.</summary>
    public static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Every <c>--name value</c> pair, by name without the dashes.</summary>
    public static Dictionary<string, string> Pairs(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Count; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        return values;
    }

    /// <summary>The integer option <paramref name="name"/> of <paramref name="values"/>, or <paramref name="fallback"/>.</summary>
    public static int Number(IReadOnlyDictionary<string, string> values, string name, int fallback) =>
        values.TryGetValue(name, out var value) ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    /// <summary>A comma-separated list of integers, as the sweeps' options give them.</summary>
    public static int[] Integers(string list) => [.. list.Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture))];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Prints a command's report as indented JSON and, when <paramref name="outPath"/> is given, writes it there too.</summary>
    public static void Report(object report, string? outPath)
    {
        string json = JsonSerializer.Serialize(report, Indented);
        Console.WriteLine(json);
        if (outPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            File.WriteAllText(outPath, json);
        }
    }
}
