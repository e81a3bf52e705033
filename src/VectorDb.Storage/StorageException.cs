namespace VectorDb.Storage;

/// <summary>
/// The data directory could not be read or written (disk full, permissions, corruption that could not be
/// recovered from). A write that fails with it was not acknowledged; data acknowledged before is intact.
/// </summary>
public sealed class StorageException : VectorDbException
{
    /// <summary>Creates the exception.</summary>
    public StorageException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
