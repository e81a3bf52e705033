using VectorDb.Storage;

namespace VectorDb.Examples;

/// <summary>
/// Recovery from the write-ahead log: the first database is closed without its final checkpoint, so opening the
/// directory again rebuilds the collection by replaying the log. A crash (kill -9, power loss) keeps every write
/// acknowledged with <c>wait</c> on — the reliability suite kills real server processes to check it; a write with
/// <c>wait</c> off may be lost if the crash comes within the commit interval (here the close commits it).
/// </summary>
public static class Recovery
{
    public static async Task<int> RunAsync(TextWriter output)
    {
        string path = Examples.TempDirectory("recovery");
        try
        {
            await using (var db = await VectorDatabase.OpenAsync(path, new StorageOptions { CheckpointOnDispose = false }))
            {
                var notes = await db.CreateCollectionAsync("notes", new CollectionOptions { Dimensions = 3 });
                await notes.UpsertAsync([new Point(1, [1, 0, 0], Payload.FromObject(new { text = "durable" }))]); // wait: on by default
                await notes.UpsertAsync([new Point(2, [0, 1, 0])], new UpsertOptions { Wait = false }); // committed within 100 ms
                await output.WriteLineAsync("wrote two points; closing without a final checkpoint");
            }

            await using var reopened = await VectorDatabase.OpenAsync(path);
            var recovered = reopened.GetCollection("notes");
            await output.WriteLineAsync($"replayed the log: {recovered.Count()} points; point 1: {recovered.Get(1)!.Payload}");
            return recovered.Get(1) is not null ? 0 : 1;
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
