using VectorDb.Storage;

namespace VectorDb.Persistence;

/// <summary>
/// The files a checkpoint takes while writers are kept out: each captured in memory within
/// <see cref="StorageOptions.CheckpointCaptureBytes"/> (beyond it, written at once), and all written to disk by
/// <see cref="Complete"/> once writers are back.
/// </summary>
internal sealed class CheckpointFiles : IDisposable
{
    private readonly CaptureBudget _budget;
    private readonly List<CapturedFile> _files = [];

    /// <param name="captureBytes">Memory the files may be captured in.</param>
    /// <param name="expectedBytes">About how many bytes will be captured (the previous checkpoint's): memory for them is touched now, before writers are kept out.</param>
    public CheckpointFiles(long captureBytes, long expectedBytes)
    {
        _budget = new CaptureBudget(captureBytes);
        _budget.Prepare(expectedBytes);
    }

    /// <summary>Bytes of content held in memory until <see cref="Complete"/>.</summary>
    public long CapturedBytes => _files.Sum(file => file.CapturedBytes);

    /// <summary>Takes the content <paramref name="writeContent"/> writes for <paramref name="path"/>.</summary>
    public void Capture(string path, Action<Stream> writeContent) => _files.Add(CapturedFile.Capture(path, writeContent, _budget));

    /// <summary>Writes every file to disk (checksummed, fsynced, renamed into place).</summary>
    public void Complete()
    {
        _budget.Dispose(); // chunks prepared and not needed go at once
        foreach (var file in _files)
        {
            file.Complete();
            file.Dispose(); // its memory goes back at once
        }

        _files.Clear();
    }

    /// <summary>Frees what was captured and not completed (a checkpoint that failed), and the memory prepared and not used.</summary>
    public void Dispose()
    {
        foreach (var file in _files)
        {
            file.Dispose(); // never throws: a failed checkpoint frees every file's memory
        }

        _files.Clear();
        _budget.Dispose();
    }
}
