using System.Runtime.CompilerServices;
using VectorDb.Hnsw;

namespace VectorDb.Query;

/// <summary>
/// A filter that is one condition on one indexed field (or its negation), checked by reading the field index's
/// column inline. A two-hop graph walk checks thousands of neighbors per query;
/// through <see cref="PredicateFilter"/> each check costs two or three virtual calls. Nodes the column does not
/// answer — several values, no value, added after the column was read — are asked of the compiled predicate.
/// Made for one query: the column is read once, so a value written after the index grew it into a new array is
/// seen as it was then, as a write racing the query may be.
/// </summary>
internal readonly struct ColumnFilter : INodeFilter
{
    private readonly int[]? _valueIds;   // a keyword column: the node's value id, or negative (none, several)
    private readonly int _firstId;       // the accepted value ids lie in [_firstId, _firstId + 64)…
    private readonly ulong _acceptedIds; // …bit i: value id _firstId + i is accepted
    private readonly double[]? _numbers; // a numeric column: the node's value, or not finite (none, several)
    private readonly double _low;        // inclusive bounds
    private readonly double _high;
    private readonly bool _negated;
    private readonly NodePredicate _predicate; // the whole condition, for what the column cannot answer

    private ColumnFilter(int[]? valueIds, int firstId, ulong acceptedIds, double[]? numbers, double low, double high, bool negated, NodePredicate predicate) =>
        (_valueIds, _firstId, _acceptedIds, _numbers, _low, _high, _negated, _predicate) = (valueIds, firstId, acceptedIds, numbers, low, high, negated, predicate);

    /// <summary>Nodes whose keyword value id (from <paramref name="valueIds"/>) is one of <paramref name="accepted"/>; null when
    /// the ids span more than 64.</summary>
    public static ColumnFilter? Keyword(int[] valueIds, IReadOnlyCollection<int> accepted, NodePredicate predicate)
    {
        int first = accepted.Count == 0 ? 0 : accepted.Min();
        ulong mask = 0;
        foreach (int id in accepted)
        {
            if (id - first >= 64)
            {
                return null;
            }

            mask |= 1UL << (id - first);
        }

        return new ColumnFilter(valueIds, first, mask, null, 0, 0, negated: false, predicate);
    }

    /// <summary>Nodes whose number (from <paramref name="numbers"/>) lies in <paramref name="range"/>.</summary>
    public static ColumnFilter Range(double[] numbers, RangeCondition range, NodePredicate predicate)
    {
        // Strict bounds become inclusive ones on the neighboring double, so the check is two comparisons.
        double low = Math.Max(range.Gt is { } gt ? Math.BitIncrement(gt) : double.NegativeInfinity, range.Gte ?? double.NegativeInfinity);
        double high = Math.Min(range.Lt is { } lt ? Math.BitDecrement(lt) : double.PositiveInfinity, range.Lte ?? double.PositiveInfinity);
        return new ColumnFilter(null, 0, 0, numbers, low, high, negated: false, predicate);
    }

    /// <summary>The negation, answering what the column cannot from <paramref name="negation"/> (the NOT predicate).</summary>
    public ColumnFilter Negate(NodePredicate negation) => new(_valueIds, _firstId, _acceptedIds, _numbers, _low, _high, !_negated, negation);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Accept(int id)
    {
        if (_valueIds is { } valueIds)
        {
            if ((uint)id < (uint)valueIds.Length && Volatile.Read(ref valueIds[id]) is var value and >= 0)
            {
                int bit = value - _firstId; // a shift takes its count mod 64, so the range is checked first
                return ((uint)bit < 64 && ((_acceptedIds >> bit) & 1) != 0) != _negated;
            }
        }
        else if ((uint)id < (uint)_numbers!.Length && Volatile.Read(ref _numbers[id]) is var number && double.IsFinite(number))
        {
            return (number >= _low && number <= _high) != _negated;
        }

        return _predicate.Matches(id);
    }
}
