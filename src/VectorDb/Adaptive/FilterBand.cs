using System.Globalization;

namespace VectorDb.Adaptive;

/// <summary>Where a filter's matches lie relative to a query, from the share of matches among its graph neighbours.</summary>
internal enum FilterLocality
{
    /// <summary>Fewer matches around the query than in the collection (under half as dense): they lie away from it.</summary>
    Away,

    /// <summary>About as many around the query as in the collection: the matches are spread evenly.</summary>
    Even,

    /// <summary>More than twice as dense around the query as in the collection: it lies among its matches.</summary>
    Among,
}

/// <summary>
/// The calibration band of a filtered search: the share of points its filter matches, in powers of two, and where the
/// matches lie relative to the query. Filters in the same band are equally hard for a walk, so one calibration serves them.
/// </summary>
internal readonly record struct FilterBand(int ShareLog2, FilterLocality Locality)
{
    private const int MaxShareLog2 = 24;

    /// <summary>
    /// Filters matching a smaller share are taken as spread evenly without probing the query's neighbourhood: the planner
    /// scans their matches rather than walks (a probe cost ~10 µs, a quarter of such a search).
    /// </summary>
    public const double ProbedShare = 1.0 / 64;

    /// <summary>The band of a filter matching <paramref name="share"/> of the points and <paramref name="around"/> of a query's neighbourhood.</summary>
    public static FilterBand Of(double share, double around) => new(ShareBand(share), LocalityOf(share, around));

    /// <summary>The power-of-two band a share falls in: 0 for [1/2, 1], 1 for [1/4, 1/2), …</summary>
    public static int ShareBand(double share) =>
        share <= 0 ? MaxShareLog2 : Math.Clamp((int)Math.Ceiling(-Math.Log2(share)) - 1, 0, MaxShareLog2);

    public static FilterLocality LocalityOf(double share, double around)
    {
        double density = share <= 0 ? 0 : around / share;
        return density < 0.5 ? FilterLocality.Away : density > 2 ? FilterLocality.Among : FilterLocality.Even;
    }

    public override string ToString()
    {
        double upper = Math.Pow(2, -ShareLog2);
        string where = Locality switch
        {
            FilterLocality.Away => "lying away from the query",
            FilterLocality.Among => "around the query",
            _ => "spread evenly",
        };
        return string.Create(CultureInfo.InvariantCulture, $"filters matching {upper * 50:0.###}%–{upper * 100:0.###}% of points, {where}");
    }
}
