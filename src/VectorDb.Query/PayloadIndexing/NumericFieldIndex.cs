using System.Runtime.InteropServices;
using System.Text.Json;

namespace VectorDb.Query.PayloadIndexing;

/// <summary>
/// Numbers (schemas integer and float), for range and integer match, or date-times (schema datetime, as microseconds
/// since the epoch), for datetime ranges. Values are doubles, compared exactly as <see cref="RangeCondition"/> compares
/// <see cref="JsonElement.GetDouble"/>. Postings are a sorted run
/// of (value, node) pairs plus a small unsorted run of recent additions, merged when the latter grows —
/// so a range is counted and listed by binary search, and a write costs O(1) amortised O(log n).
/// </summary>
internal sealed class NumericFieldIndex(string key, PayloadSchemaType schema) : PayloadFieldIndex(key, schema)
{
    private const double ExactIntegerLimit = 9007199254740992d; // 2^53: beyond it, doubles no longer tell integers apart

    private readonly Lock _postingsLock = new();
    // Recent additions, sorted by value on the first read after a write (reads are many, writes come in bursts).
    private readonly List<double> _recentValues = [];
    private readonly List<int> _recentNodes = [];
    private bool _recentSorted = true;
    private readonly Dictionary<int, double[]> _staleInSorted = []; // nodes whose pairs in the sorted run are gone
    // Per-node values, flat for the common single value so a check is one array read:
    // NaN = no value, +∞ = several (in _multi); JSON numbers are finite, so neither is a value.
    private double[] _single = [];
    private double[]?[] _multi = [];
    private double[] _sortedValues = [];
    private int[] _sortedNodes = [];
    private int _points;
    private int _multiValued;
    private bool _hasHugeValues;

    public override int Points => Volatile.Read(ref _points);

    /// <summary>The indexed value of a JSON value: its number, or a date-time's microseconds; NaN when it holds none.</summary>
    private double ValueOf(JsonElement value) => Schema == PayloadSchemaType.Datetime
        ? Datetimes.TryRead(value, out double instant) ? instant : double.NaN
        : value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double number) ? number : double.NaN;

    public override void Remove(int node)
    {
        if (ValuesOf(node) is not { } values)
        {
            return;
        }

        Volatile.Write(ref _single[node], double.NaN);
        lock (_postingsLock)
        {
            int removedRecent = 0;
            for (int i = _recentNodes.Count - 1; i >= 0; i--)
            {
                if (_recentNodes[i] == node)
                {
                    _recentValues.RemoveAt(i);
                    _recentNodes.RemoveAt(i);
                    removedRecent++;
                }
            }

            if (removedRecent < values.Length && !_staleInSorted.ContainsKey(node))
            {
                _staleInSorted[node] = values;
            }
        }

        if (values.Length > 1)
        {
            Interlocked.Decrement(ref _multiValued);
        }

        Interlocked.Decrement(ref _points);
    }

    public override IndexedPredicate? TryCompile(Condition condition)
    {
        switch (condition)
        {
            case RangeCondition range when Schema != PayloadSchemaType.Datetime:
                return new InRange(this, range);
            case DatetimeRangeCondition range when Schema == PayloadSchemaType.Datetime:
                return new InRange(this, range.AsRange());
            case MatchValueCondition { Value.ValueKind: JsonValueKind.Number } match
                when Schema == PayloadSchemaType.Integer && match.Value.TryGetDouble(out double value) && Math.Abs(value) < ExactIntegerLimit && !_hasHugeValues:
                return new InRange(this, new RangeCondition(match.Key, Gte: value, Lte: value));
            default:
                return null;
        }
    }

    protected override void AddValues(int node, IEnumerable<JsonElement> values)
    {
        double[] numbers = [.. values.Select(ValueOf).Where(double.IsFinite).Distinct()];
        if (numbers.Length == 0)
        {
            return;
        }

        lock (_postingsLock)
        {
            foreach (double number in numbers)
            {
                _recentValues.Add(number);
                _recentNodes.Add(node);
                _recentSorted = false;
                _hasHugeValues |= Math.Abs(number) >= ExactIntegerLimit;
            }

            if (_recentValues.Count + _staleInSorted.Count > Math.Max(1024, _sortedValues.Length / 8))
            {
                Merge();
            }
        }

        if (node >= _single.Length)
        {
            var grown = Grow(_single, node);
            grown.AsSpan(_single.Length).Fill(double.NaN);
            Volatile.Write(ref _single, grown);
        }

        if (numbers.Length > 1)
        {
            Volatile.Write(ref _multi, Grow(_multi, Math.Max(node, _single.Length - 1)));
            Volatile.Write(ref _multi[node], numbers);
            Interlocked.Increment(ref _multiValued);
        }

        Volatile.Write(ref _single[node], numbers.Length > 1 ? double.PositiveInfinity : numbers[0]);

        Interlocked.Increment(ref _points);
    }

    /// <summary>
    /// Up to <paramref name="max"/> (value, node) pairs in (value, node) order, or its reverse when
    /// <paramref name="descending"/>: from <paramref name="start"/> on (inclusive; null: from the first) and after
    /// <paramref name="after"/> (exclusive: the last pair of the previous chunk; null for the first chunk).
    /// </summary>
    /// <remarks>
    /// Folds the recent additions into the sorted run first (as a write does once they are many), so a chunk costs a
    /// binary search and a copy of <paramref name="max"/> pairs, and the pages of a scroll that no write interrupts
    /// cost no more.
    /// </remarks>
    public List<(double Value, int Node)> Ordered(double? start, bool descending, (double Value, int Node)? after, int max)
    {
        var chunk = new List<(double Value, int Node)>(Math.Min(max, 4096));
        lock (_postingsLock)
        {
            if (_recentValues.Count > 0 || _staleInSorted.Count > 0)
            {
                Merge();
            }

            var values = _sortedValues;
            var nodes = _sortedNodes;
            if (descending)
            {
                int end = start is double high ? LowerBound(values, nodes, high, int.MaxValue) : values.Length;
                if (after is var (value, node))
                {
                    end = Math.Min(end, LowerBound(values, nodes, value, node));
                }

                for (int i = end - 1; i >= 0 && chunk.Count < max; i--)
                {
                    chunk.Add((values[i], nodes[i]));
                }
            }
            else
            {
                int first = start is double low ? LowerBound(values, nodes, low, int.MinValue) : 0;
                if (after is var (value, node))
                {
                    first = Math.Max(first, LowerBound(values, nodes, value, node + 1));
                }

                for (int i = first; i < values.Length && chunk.Count < max; i++)
                {
                    chunk.Add((values[i], nodes[i]));
                }
            }
        }

        return chunk;
    }

    /// <summary>The first index whose (value, node) is not less than (<paramref name="value"/>, <paramref name="node"/>).</summary>
    private static int LowerBound(double[] values, int[] nodes, double value, int node)
    {
        int low = 0, high = values.Length;
        while (low < high)
        {
            int mid = (low + high) >>> 1;
            if (values[mid] < value || (values[mid] == value && nodes[mid] < node))
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    /// <summary>Rebuilds the sorted run from the column; the caller holds the postings lock.</summary>
    private void Merge()
    {
        var pairs = new List<(double Value, int Node)>(_sortedValues.Length + _recentValues.Count);
        for (int node = 0; node < _single.Length; node++)
        {
            if (ValuesOf(node) is { } values)
            {
                pairs.AddRange(values.Select(v => (v, node)));
            }
        }

        // The node being added is in _recent but not yet in the column.
        var inColumn = new HashSet<int>(pairs.Select(p => p.Node));
        pairs.AddRange(_recentValues.Select((value, i) => (value, _recentNodes[i])).Where(p => !inColumn.Contains(p.Item2)));
        pairs.Sort();
        _sortedValues = [.. pairs.Select(p => p.Value)];
        _sortedNodes = [.. pairs.Select(p => p.Node)];
        _recentValues.Clear();
        _recentNodes.Clear();
        _recentSorted = true;
        _staleInSorted.Clear();
    }

    /// <summary>The node's values, or null when it has none.</summary>
    private double[]? ValuesOf(int node)
    {
        var single = Volatile.Read(ref _single);
        if ((uint)node >= (uint)single.Length)
        {
            return null;
        }

        double value = Volatile.Read(ref single[node]);
        return double.IsFinite(value) ? [value] : double.IsPositiveInfinity(value) ? Volatile.Read(ref _multi)[node] : null;
    }

    /// <summary>Index range [first, end) of the recent additions satisfying the bounds; the caller holds the postings lock.</summary>
    private (int First, int End) RecentRange(RangeCondition range)
    {
        if (!_recentSorted)
        {
            CollectionsMarshal.AsSpan(_recentValues).Sort(CollectionsMarshal.AsSpan(_recentNodes));
            _recentSorted = true;
        }

        return SortedRange(CollectionsMarshal.AsSpan(_recentValues), range);
    }

    /// <summary>Index range [first, end) of sorted values satisfying the bounds.</summary>
    private static (int First, int End) SortedRange(ReadOnlySpan<double> values, RangeCondition range)
    {
        double low = range.Gte ?? range.Gt ?? double.NegativeInfinity;
        double high = range.Lte ?? range.Lt ?? double.PositiveInfinity;
        int first = LowerBound(values, low);
        int end = LowerBound(values, high);
        while (end < values.Length && values[end] <= high)
        {
            end++;
        }

        // Tighten to the exact bounds (strict ones, and both gt and gte given).
        while (first < end && !range.Contains(values[first]))
        {
            first++;
        }

        while (end > first && !range.Contains(values[end - 1]))
        {
            end--;
        }

        return (first, end);
    }

    private static int LowerBound(ReadOnlySpan<double> values, double bound)
    {
        int low = 0, high = values.Length;
        while (low < high)
        {
            int mid = (low + high) >>> 1;
            if (values[mid] < bound)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private sealed class InRange(NumericFieldIndex index, RangeCondition range) : IndexedPredicate
    {
        public override int Count
        {
            get
            {
                lock (index._postingsLock)
                {
                    var (first, end) = SortedRange(index._sortedValues, range);
                    int stale = index._staleInSorted.Count == 0 ? 0 : index._staleInSorted.Values.Sum(values => values.Count(range.Contains));
                    var (recentFirst, recentEnd) = index.RecentRange(range);
                    return end - first - stale + (recentEnd - recentFirst);
                }
            }
        }

        public override bool CountIsExact => Volatile.Read(ref index._multiValued) == 0;

        public override ColumnFilter? AsColumnFilter() => ColumnFilter.Range(Volatile.Read(ref index._single), range, this);

        public override bool Matches(int node)
        {
            var single = Volatile.Read(ref index._single);
            if ((uint)node >= (uint)single.Length)
            {
                return false;
            }

            double value = single[node];
            if (double.IsFinite(value))
            {
                return range.Contains(value);
            }

            return double.IsPositiveInfinity(value) && Volatile.Read(ref index._multi)[node] is { } values && values.Any(range.Contains);
        }

        public override void Mark(NodeBitmap candidates)
        {
            lock (index._postingsLock)
            {
                var (first, end) = SortedRange(index._sortedValues, range);
                var stale = index._staleInSorted;
                for (int i = first; i < end; i++)
                {
                    int node = index._sortedNodes[i];
                    if (stale.Count == 0 || !stale.ContainsKey(node))
                    {
                        candidates.Add(node);
                    }
                }

                var (recentFirst, recentEnd) = index.RecentRange(range);
                for (int i = recentFirst; i < recentEnd; i++)
                {
                    candidates.Add(index._recentNodes[i]);
                }
            }
        }
    }
}
