using System.Text.Json;

namespace VectorDb.Query.PayloadIndexing;

/// <summary>
/// Geo points (Qdrant's <c>geo</c> schema, values <c>{"lon", "lat"}</c>): a column of each node's points, so a region
/// is checked without reading payloads, and counted and listed exactly by one pass over the column.
/// </summary>
/// <remarks>
/// Qdrant keeps geohash postings instead, which list a small region's points without a pass over all of them; a pass
/// over a column of doubles costs about a nanosecond a point, well under what reading payloads costs.
/// </remarks>
internal sealed class GeoFieldIndex(string key) : PayloadFieldIndex(key, PayloadSchemaType.Geo)
{
    private GeoPoint[]?[] _column = [];
    private int _points;

    public override int Points => Volatile.Read(ref _points);

    public override void Remove(int node)
    {
        var column = _column;
        if (node < column.Length && column[node] is not null)
        {
            Volatile.Write(ref column[node], null);
            Interlocked.Decrement(ref _points);
        }
    }

    public override IndexedPredicate? TryCompile(Condition condition) => condition is GeoCondition region ? new InRegion(this, region) : null;

    protected override void AddValues(int node, IEnumerable<JsonElement> values)
    {
        var points = values.Select(v => GeoPoint.TryRead(v, out var point) ? point : (GeoPoint?)null).OfType<GeoPoint>().ToArray();
        if (points.Length == 0)
        {
            return;
        }

        _column = Grow(_column, node);
        Volatile.Write(ref _column[node], points);
        Interlocked.Increment(ref _points);
    }

    private sealed class InRegion(GeoFieldIndex index, GeoCondition region) : IndexedPredicate
    {
        private List<int>? _matches;

        public override int Count => Matching().Count;

        public override bool CountIsExact => true;

        public override bool Matches(int node)
        {
            var column = Volatile.Read(ref index._column);
            return (uint)node < (uint)column.Length && Volatile.Read(ref column[node]) is { } points && points.Any(region.Contains);
        }

        public override void Mark(NodeBitmap candidates)
        {
            foreach (int node in Matching())
            {
                candidates.Add(node);
            }
        }

        private List<int> Matching()
        {
            if (_matches is { } known)
            {
                return known;
            }

            var column = Volatile.Read(ref index._column);
            var matches = new List<int>();
            for (int node = 0; node < column.Length; node++)
            {
                if (Matches(node))
                {
                    matches.Add(node);
                }
            }

            return _matches = matches;
        }
    }
}
