using VectorDb.Examples;

// Each example writes what it does to the console; `dotnet run --project docs/examples -- <name>`.
return args is [var name] && Examples.All.TryGetValue(name, out var example)
    ? await example(Console.Out)
    : Usage();

static int Usage()
{
    Console.Error.WriteLine($"usage: dotnet run --project docs/examples -- {string.Join('|', Examples.All.Keys)}");
    return 2;
}
