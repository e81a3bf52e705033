namespace VectorDb.Query;

/// <summary>How many points a filter matches: certainly at least <see cref="Min"/>, at most <see cref="Max"/>,
/// most likely <see cref="Expected"/>.</summary>
public readonly record struct Cardinality(int Min, int Expected, int Max)
{
    /// <summary>A count known exactly.</summary>
    public static Cardinality Exactly(int count) => new(count, count, count);

    /// <summary>True when min and max agree.</summary>
    public bool IsExact => Min == Max;

    /// <summary>All of several conditions: at most the smallest; expected as if independent.</summary>
    public static Cardinality AllOf(IReadOnlyList<Cardinality> parts, int total)
    {
        if (parts.Count == 0)
        {
            return Exactly(total);
        }

        long min = total;
        int max = total;
        double expected = total;
        foreach (var part in parts)
        {
            min += part.Min - (long)total; // inclusion–exclusion lower bound
            max = Math.Min(max, part.Max);
            expected *= total == 0 ? 0 : (double)part.Expected / total;
        }

        int lower = (int)Math.Max(0, min);
        return new Cardinality(lower, Clamp(expected, lower, max), max);
    }

    /// <summary>Any of several conditions: at least the largest; expected as if independent.</summary>
    public static Cardinality AnyOf(IReadOnlyList<Cardinality> parts, int total)
    {
        int min = 0;
        long max = 0;
        double none = 1;
        foreach (var part in parts)
        {
            min = Math.Max(min, part.Min);
            max += part.Max;
            none *= total == 0 ? 1 : 1 - ((double)part.Expected / total);
        }

        int upper = (int)Math.Min(total, max);
        return new Cardinality(min, Clamp(total * (1 - none), min, upper), upper);
    }

    /// <summary>The points a condition does not match.</summary>
    public Cardinality Complement(int total) => new(Math.Max(0, total - Max), Math.Max(0, total - Expected), Math.Max(0, total - Min));

    private static int Clamp(double value, int min, int max) => (int)Math.Clamp(Math.Round(value), min, Math.Max(min, max));
}
