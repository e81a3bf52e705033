using System.Globalization;
using VectorDb;
using VectorDb.CrashHost;
using VectorDb.Storage;

// Writes to a database until it is killed, printing each write only after it was acknowledged, so the test
// that kills it knows exactly what must have survived.
//   VectorDb.CrashHost <data-dir> <first-id> <seed>
// Prints "UPSERT <first> <last>" after a wait=true batch of ids first..last; "DELETING <id>" before and
// "DELETE <id>" after a wait=true delete (a kill in between leaves that id either way).
string directory = args[0];
ulong nextId = ulong.Parse(args[1], CultureInfo.InvariantCulture);
var random = new Random(int.Parse(args[2], CultureInfo.InvariantCulture));

using var database = VectorDatabase.Open(directory, new StorageOptions
{
    // Checkpoint often, so kills also land in and around checkpoints.
    CheckpointInterval = TimeSpan.FromMilliseconds(300),
    CheckpointLogBytes = 1 << 20,
}, new StderrLogger());
var collection = database.TryGetCollection(CrashWorkload.Collection, out var existing)
    ? existing
    : database.CreateCollection(CrashWorkload.Collection, new CollectionOptions { Dimensions = CrashWorkload.Dimensions, Distance = DistanceMetric.Euclid });

// Each half of the points soon holds 1,000 and gets value links, which checkpoints save and kills interrupt.
collection.CreatePayloadIndex(CrashWorkload.LinkedField, PayloadSchemaType.Keyword);
Console.WriteLine("READY");

while (true)
{
    int size = random.Next(1, 40);
    var batch = new Point[size];
    for (int i = 0; i < size; i++)
    {
        batch[i] = CrashWorkload.PointFor(nextId + (ulong)i);
    }

    Console.Error.WriteLine($"upsert {nextId}");
    collection.Upsert(batch, wait: true);
    Console.WriteLine($"UPSERT {nextId} {nextId + (ulong)size - 1}");
    nextId += (ulong)size;

    if (random.Next(4) == 0)
    {
        ulong victim = (ulong)random.NextInt64(0, (long)nextId);
        Console.WriteLine($"DELETING {victim}");
        collection.Delete([victim], wait: true);
        Console.WriteLine($"DELETE {victim}");
    }
}

/// <summary>Log messages on stderr, for the test to show when something goes wrong.</summary>
internal sealed class StderrLogger : Microsoft.Extensions.Logging.ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)} {exception}");
}
