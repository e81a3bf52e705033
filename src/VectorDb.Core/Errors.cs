namespace VectorDb;

/// <summary>Base type of every error VectorDb reports for a request it cannot carry out.</summary>
public abstract class VectorDbException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected VectorDbException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The request is malformed: bad parameters, wrong vector dimension, non-finite components, …
/// Nothing was changed.</summary>
public class InvalidRequestException : VectorDbException
{
    /// <summary>Creates the exception.</summary>
    public InvalidRequestException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>A vector has the wrong number of dimensions for its collection.</summary>
public sealed class DimensionMismatchException : InvalidRequestException
{
    /// <summary>Creates the exception.</summary>
    public DimensionMismatchException(int expected, int actual, string? context = null)
        : base($"Wrong vector dimension{(context is null ? "" : " " + context)}: expected dim: {expected}, got {actual}.")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The collection's dimension.</summary>
    public int Expected { get; }

    /// <summary>The dimension received.</summary>
    public int Actual { get; }
}

/// <summary>A named resource (collection, point) does not exist.</summary>
public class NotFoundException : VectorDbException
{
    /// <summary>Creates the exception.</summary>
    public NotFoundException(string message)
        : base(message)
    {
    }
}

/// <summary>The collection does not exist.</summary>
public sealed class CollectionNotFoundException : NotFoundException
{
    /// <summary>Creates the exception.</summary>
    public CollectionNotFoundException(string name)
        : base($"Collection `{name}` doesn't exist!") => CollectionName = name;

    /// <summary>The name asked for.</summary>
    public string CollectionName { get; }
}

/// <summary>A collection of that name already exists.</summary>
public sealed class CollectionAlreadyExistsException : VectorDbException
{
    /// <summary>Creates the exception.</summary>
    public CollectionAlreadyExistsException(string name)
        : base($"Collection `{name}` already exists!") => CollectionName = name;

    /// <summary>The name asked for.</summary>
    public string CollectionName { get; }
}

/// <summary>
/// Stored data failed its checksum when read (e.g. a row of a vector file kept on disk): the read is refused rather than
/// answered from damaged bytes. The data directory needs repair (reopening rebuilds what the log and point store hold).
/// </summary>
public sealed class DataCorruptionException : VectorDbException
{
    /// <summary>Creates the exception.</summary>
    public DataCorruptionException(string message)
        : base(message)
    {
    }
}
