namespace VectorDb.CrashHost;

/// <summary>The points the crash host writes: a function of the id, so the checking side can recompute them.</summary>
public static class CrashWorkload
{
    public const string Collection = "crash";
    public const int Dimensions = 16;

    /// <summary>A keyword field of two values the crash host indexes, so its value links are saved and recovered too.</summary>
    public const string LinkedField = "half";

    public static Point PointFor(ulong id)
    {
        var vector = new float[Dimensions];
        var random = new Random((int)(id * 2654435761UL % int.MaxValue));
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)random.NextDouble();
        }

        return new Point(id, vector, Payload.FromObject(new { id, tag = $"p{id % 7}", half = $"h{id % 2}" }));
    }
}
