using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace VectorDb.Hnsw;

/// <summary>
/// Picks the nearest few of a list of neighbors and orders them: the step between an adaptive walk (or a prefix scan)
/// and its rescoring, where a few dozen of a few hundred entries are wanted. Quickselect and insertion sort decide
/// on a branch per comparison, and on distances those branches are unpredictable; this counts with vector compares
/// instead: it narrows a distance cutoff that keeps between the number wanted and a quarter more (at least 8), moves those to the
/// front and orders them by rank. Entries are read as floats in pairs, relying on <see cref="Neighbor"/>'s layout (id, then distance).
/// </summary>
internal static class NearestSelection
{
    /// <summary>Which vector instructions the selection uses: the widest this machine runs, or narrower ones to test them.</summary>
    public enum Width
    {
        /// <summary>No vector instructions.</summary>
        Scalar,

        /// <summary>256-bit vectors.</summary>
        Vector256,

        /// <summary>512-bit vectors where they count (the cutoff's passes), 256-bit ones elsewhere.</summary>
        Vector512,
    }

    /// <summary>The widest vectors this machine runs.</summary>
    public static readonly Width Best =
        Vector512.IsHardwareAccelerated ? Width.Vector512 : Vector256.IsHardwareAccelerated ? Width.Vector256 : Width.Scalar;

    // Up to this many selected entries are ordered by rank (quadratic in vector compares); more by a general sort.
    private const int RankedAtMost = 64;

    // The bits of a compare mask that belong to distances (the odd float lanes: a neighbor is its id, then its distance).
    private const uint OddLanes = 0xAAAA_AAAA;

    /// <summary>
    /// Reorders <paramref name="items"/> so that its <paramref name="size"/> nearest come first, nearest first, keeping
    /// every entry; returns how many were selected (all of them, sorted, when there are fewer). Ties at the cut go either way.
    /// </summary>
    /// <remarks>A distance that is NaN (no number) comes after every number.</remarks>
    public static int Select(Span<Neighbor> items, int size, Width width)
    {
        if (size >= items.Length)
        {
            Sort(items, width);
            return items.Length;
        }

        if (size <= 0)
        {
            return 0;
        }

        int most = size + Math.Max(8, size / 4);
        int kept = MoveToFront(items, Cutoff(items, size, most, width), width);
        if (kept > most)
        {
            // Equal distances at the cut kept the count above the window. No NaN is among them: none lies under a cutoff.
            PartitionNearest(items[..kept], size);
            kept = size;
        }

        // Fewer than size only when fewer than size distances are numbers: the NaNs follow them.
        SortNumbers(items[..kept], width);
        return size;
    }

    /// <summary>Orders entries nearest first, NaN distances last.</summary>
    public static void Sort(Span<Neighbor> items, Width width) =>
        SortNumbers(items[..MoveToFront(items, float.PositiveInfinity, width)], width);

    /// <summary>Orders entries that are all numbers: by rank for the usual few dozen (see <see cref="SortByRank"/>), else by a general sort.</summary>
    private static void SortNumbers(Span<Neighbor> items, Width width)
    {
        if (items.Length > RankedAtMost)
        {
            items.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
        }
        else if (width == Width.Scalar)
        {
            InsertionSort(items);
        }
        else
        {
            SortByRank(items);
        }
    }

    /// <summary>
    /// A distance at or under which at least <paramref name="size"/> entries lie, and no more than <paramref name="most"/>
    /// unless equal distances at the cut leave no float that separates them. Bisects the floats' order (as integers, so
    /// at most 32 passes after the first count, however wide or skewed the range), stopping as soon as the count is in
    /// the window.
    /// </summary>
    internal static float Cutoff(ReadOnlySpan<Neighbor> items, int size, int most, Width width)
    {
        (float lowest, float highest) = DistanceRange(items, width);
        if (CountAtMost(items, lowest, width) >= size)
        {
            return lowest;
        }

        // Fewer than size entries lie at or under low; at least size at or under high (or all that are numbers).
        long low = Ordered(lowest);
        long high = Ordered(highest);
        while (high - low > 1)
        {
            long middle = low + ((high - low) / 2);
            int count = CountAtMost(items, FromOrdered((int)middle), width);
            if (count < size)
            {
                low = middle;
            }
            else
            {
                high = middle;
                if (count <= most)
                {
                    break;
                }
            }
        }

        return FromOrdered((int)high);
    }

    // A float's bits as an integer that orders like the float (negatives reversed), and back.
    private static int Ordered(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        return bits ^ ((bits >> 31) & int.MaxValue);
    }

    private static float FromOrdered(int ordered) => BitConverter.Int32BitsToSingle(ordered ^ ((ordered >> 31) & int.MaxValue));

    /// <summary>The smallest and the largest distance that are numbers (NaN is left out: no cutoff takes it).</summary>
    private static (float Low, float High) DistanceRange(ReadOnlySpan<Neighbor> items, Width width)
    {
        var floats = MemoryMarshal.Cast<Neighbor, float>(items);
        ref float first = ref MemoryMarshal.GetReference(floats);
        float low = float.PositiveInfinity;
        float high = float.NegativeInfinity;
        int i = 0;
        if (width != Width.Scalar)
        {
            // Ids sit in the even lanes: they are replaced by each reduction's identity.
            var distanceLanes = Vector256.Create(0, -1, 0, -1, 0, -1, 0, -1).AsSingle();
            var lows = Vector256.Create(float.PositiveInfinity);
            var highs = Vector256.Create(float.NegativeInfinity);
            for (; i + Vector256<float>.Count <= floats.Length; i += Vector256<float>.Count)
            {
                var block = Vector256.LoadUnsafe(ref first, (nuint)i);
                lows = Vector256.MinNumber(lows, Vector256.ConditionalSelect(distanceLanes, block, Vector256.Create(float.PositiveInfinity)));
                highs = Vector256.MaxNumber(highs, Vector256.ConditionalSelect(distanceLanes, block, Vector256.Create(float.NegativeInfinity)));
            }

            for (int lane = 1; lane < Vector256<float>.Count; lane += 2)
            {
                low = float.MinNumber(low, lows[lane]);
                high = float.MaxNumber(high, highs[lane]);
            }
        }

        for (; i < floats.Length; i += 2)
        {
            low = float.MinNumber(low, floats[i + 1]);
            high = float.MaxNumber(high, floats[i + 1]);
        }

        return (low, high);
    }

    /// <summary>How many entries lie at or under <paramref name="cutoff"/>.</summary>
    internal static int CountAtMost(ReadOnlySpan<Neighbor> items, float cutoff, Width width)
    {
        var floats = MemoryMarshal.Cast<Neighbor, float>(items);
        ref float first = ref MemoryMarshal.GetReference(floats);
        int count = 0;
        int i = 0;
        if (width == Width.Vector512)
        {
            var bound = Vector512.Create(cutoff);
            for (; i + Vector512<float>.Count <= floats.Length; i += Vector512<float>.Count)
            {
                count += BitOperations.PopCount(Vector512.LessThanOrEqual(Vector512.LoadUnsafe(ref first, (nuint)i), bound).ExtractMostSignificantBits() & OddLanes);
            }
        }

        if (width != Width.Scalar)
        {
            var bound = Vector256.Create(cutoff);
            for (; i + Vector256<float>.Count <= floats.Length; i += Vector256<float>.Count)
            {
                count += BitOperations.PopCount(Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref first, (nuint)i), bound).ExtractMostSignificantBits() & OddLanes);
            }
        }

        for (; i < floats.Length; i += 2)
        {
            count += floats[i + 1] <= cutoff ? 1 : 0;
        }

        return count;
    }

    /// <summary>Swaps the entries at or under <paramref name="cutoff"/> to the front, keeping every entry; returns how many.</summary>
    private static int MoveToFront(Span<Neighbor> items, float cutoff, Width width)
    {
        var floats = MemoryMarshal.Cast<Neighbor, float>(items);
        ref float first = ref MemoryMarshal.GetReference(floats);
        int kept = 0;
        int i = 0;
        if (width != Width.Scalar)
        {
            // Most blocks hold none, and one compare passes them.
            var bound = Vector256.Create(cutoff);
            for (; i + Vector256<float>.Count <= floats.Length; i += Vector256<float>.Count)
            {
                uint near = Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref first, (nuint)i), bound).ExtractMostSignificantBits() & OddLanes;
                for (; near != 0; near &= near - 1)
                {
                    int at = (i + BitOperations.TrailingZeroCount(near)) >> 1;
                    (items[at], items[kept]) = (items[kept], items[at]);
                    kept++;
                }
            }
        }

        for (int at = i >> 1; at < items.Length; at++)
        {
            if (items[at].Distance <= cutoff)
            {
                (items[at], items[kept]) = (items[kept], items[at]);
                kept++;
            }
        }

        return kept;
    }

    /// <summary>
    /// Puts each entry at its rank: how many distances are smaller, plus the equal ones before it (so ties keep their
    /// order), counted eight at a time with vector compares. No branch depends on the data, where an insertion sort
    /// mispredicts about once per entry. The distances must be numbers (a NaN would have no rank).
    /// </summary>
    [SkipLocalsInit] // only the lanes written are read
    private static void SortByRank(Span<Neighbor> items)
    {
        Span<float> keys = stackalloc float[RankedAtMost];
        Span<Neighbor> ranked = stackalloc Neighbor[RankedAtMost];
        int blocks = (items.Length + Vector256<float>.Count - 1) / Vector256<float>.Count;
        keys[..(blocks * Vector256<float>.Count)].Fill(float.PositiveInfinity);
        for (int i = 0; i < items.Length; i++)
        {
            keys[i] = items[i].Distance;
        }

        ref float first = ref MemoryMarshal.GetReference(keys);
        for (int i = 0; i < items.Length; i++)
        {
            var key = Vector256.Create(keys[i]);
            int rank = 0;
            for (int block = 0; block < blocks; block++)
            {
                int start = block * Vector256<float>.Count;
                var distances = Vector256.LoadUnsafe(ref first, (nuint)start);
                uint smaller = Vector256.LessThan(distances, key).ExtractMostSignificantBits();
                uint equalBefore = Vector256.Equals(distances, key).ExtractMostSignificantBits() & ((1u << Math.Clamp(i - start, 0, Vector256<float>.Count)) - 1);
                rank += BitOperations.PopCount(smaller) + BitOperations.PopCount(equalBefore);
            }

            ranked[rank] = items[i];
        }

        ranked[..items.Length].CopyTo(items);
    }

    /// <summary>Insertion sort: the fallback where vectors are not used, and the baseline its benchmark compares against.</summary>
    internal static void InsertionSort(Span<Neighbor> items)
    {
        for (int i = 1; i < items.Length; i++)
        {
            var item = items[i];
            int j = i - 1;
            while (j >= 0 && items[j].Distance > item.Distance)
            {
                items[j + 1] = items[j];
                j--;
            }

            items[j + 1] = item;
        }
    }

    /// <summary>
    /// Quickselect (Hoare partitions, median-of-three pivots): afterwards the first <paramref name="size"/> are the
    /// nearest, unordered. The fallback where a cutoff cannot separate equal distances, and the benchmark's baseline.
    /// </summary>
    internal static void PartitionNearest(Span<Neighbor> items, int size)
    {
        int low = 0;
        int high = items.Length - 1;
        int cut = size - 1; // the index whose element must end up in its sorted place, or beyond a partition that holds it
        while (low < high)
        {
            float pivot = MedianOfThree(items[low].Distance, items[(low + high) >>> 1].Distance, items[high].Distance);
            int i = low;
            int j = high;
            while (i <= j)
            {
                while (items[i].Distance < pivot)
                {
                    i++;
                }

                while (items[j].Distance > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (items[i], items[j]) = (items[j], items[i]);
                    i++;
                    j--;
                }
            }

            // Now [low, j] ≤ pivot ≤ [i, high], and anything strictly between j and i equals the pivot.
            if (cut <= j)
            {
                high = j;
            }
            else if (cut >= i)
            {
                low = i;
            }
            else
            {
                return;
            }
        }
    }

    private static float MedianOfThree(float a, float b, float c) =>
        a < b ? (b < c ? b : Math.Max(a, c)) : (a < c ? a : Math.Max(b, c));
}
