using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VectorDb.Distance;
using VectorDb.Quantization;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>Rows an index must hold before its codes are fitted: fewer are searched on their stored rows.</summary>
    public const int CodeTrainingRows = 1024;

    // Codes are fitted again when the rows written grow to this multiple of those the fit saw, until a fit has seen this
    // many: a first fit on 1,024 rows may not represent what comes later, and refitting a small index is cheap.
    private const int RefitGrowth = 8;
    private const int RefitBelowRows = 1 << 16;

    private readonly Lock _codeTraining = new();
    private QuantizationOptions? _quantization;
    private CodeBook? _codeBook; // the fit of _codes; both set and cleared together under the exclusive lock
    private byte* _codes;
    private int _codeStride; // bytes between code rows in _codes (CodeStride), set with it
    private int _rowsWritten; // rows stored so far (skipped ids not counted): when codes are fitted

    /// <summary>The quantization the index keeps codes for (null: none); see <see cref="Quantize"/>.</summary>
    public QuantizationOptions? Quantization => Volatile.Read(ref _quantization);

    /// <summary>True when searches can walk codes: quantization is on and the codes are fitted.</summary>
    public bool HasCodes => Volatile.Read(ref _codeBook) is not null;

    /// <summary>Bytes held by the stored rows (and prefix copies) of allocated nodes: what codes spare the walk from reading.</summary>
    public long RowMemoryBytes => (long)Math.Min(AllocatedCount, _capacity) * ((_rowFile is null ? _rowBytes : sizeof(ulong)) + ((long)_prefixStride * _elementBytes));

    /// <summary>Bytes held by the prefix copy of allocated nodes (<see cref="KeepPrefixCopy"/>, <see cref="KeepRotatedPrefix"/>); part of <see cref="RowMemoryBytes"/>.</summary>
    public long PrefixMemoryBytes => (long)Math.Min(AllocatedCount, _capacity) * _prefixStride * _elementBytes;

    /// <summary>Bytes held by codes of allocated nodes.</summary>
    public long CodeMemoryBytes => _codeBook is not null ? (long)Math.Min(AllocatedCount, _capacity) * _codeStride : 0;

    /// <summary>
    /// Keeps compressed codes of every row beside it (null: none), which searches then walk before rescoring their
    /// best candidates with the rows (<see cref="QuantizationSearch"/>). The codes are fitted on a sample of the rows
    /// once the index holds <see cref="CodeTrainingRows"/>, and refitted when the options change; until then searches
    /// read the rows. Searches may run meanwhile: the codes are encoded under the shared lock and swapped in at the
    /// end. Call with inserts kept out.
    /// </summary>
    /// <exception cref="InvalidRequestException">The options are out of range or not a kind this index can build.</exception>
    public void Quantize(QuantizationOptions? options)
    {
        options?.Validate();
        if (options is BinaryQuantizationOptions && Metric == DistanceMetric.Manhattan)
        {
            throw new InvalidRequestException("Binary quantization estimates dot products: use it with Cosine, Dot or Euclid, and scalar quantization with Manhattan.");
        }

        lock (_codeTraining)
        {
            Volatile.Write(ref _quantization, options);
            if (options is null || !Equals(options.Fitted, _codeBook?.Options))
            {
                if (options is not null && AllocatedCount >= CodeTrainingRows)
                {
                    TrainCodes(options, whileSearching: true);
                }
                else
                {
                    ReplaceCodes(null, null);
                }
            }
        }
    }

    /// <summary>
    /// Fits codes once <see cref="CodeTrainingRows"/> rows are written under quantization, and again as the index grows
    /// (×8, while the fit saw fewer than 65,536 rows); called after a row is written.
    /// </summary>
    private void TrainCodesIfDue()
    {
        if (Volatile.Read(ref _quantization) is null || !CodesDue(Volatile.Read(ref _codeBook), Volatile.Read(ref _rowsWritten)))
        {
            return;
        }

        lock (_codeTraining)
        {
            if (_quantization is { } options && CodesDue(_codeBook, Volatile.Read(ref _rowsWritten)))
            {
                // Inserts run meanwhile, so this fit holds the lock exclusively; it is small (under 2^19 rows).
                TrainCodes(options, whileSearching: false);
            }
        }
    }

    private static bool CodesDue(CodeBook? book, int rows) =>
        book is null ? rows >= CodeTrainingRows : book.FittedRows < RefitBelowRows && rows >= RefitGrowth * (long)book.FittedRows;

    /// <summary>
    /// Fits a range on a sample of rows and encodes every row. With <paramref name="whileSearching"/> the encoding
    /// runs under the shared lock (no insert may run) and only the swap is exclusive.
    /// </summary>
    private void TrainCodes(QuantizationOptions options, bool whileSearching)
    {
        if (!whileSearching)
        {
            _resizeLock.EnterWriteLock();
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var book = FitCodes(options);
                int codeStride = CodeStride(book);
                var codes = EncodeAll(book, _capacity, codeStride);
                ReplaceCodesHoldingLock(book, codes, codeStride);
            }
            finally
            {
                _resizeLock.ExitWriteLock();
            }

            return;
        }

        CodeBook fitted;
        byte* encoded;
        int capacity, stride;
        EnterShared();
        try
        {
            fitted = FitCodes(options);
            capacity = _capacity;
            stride = CodeStride(fitted);
            encoded = EncodeAll(fitted, capacity, stride);
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }

        _resizeLock.EnterWriteLock();
        try
        {
            if (_disposed || capacity != _capacity || stride != CodeStride(fitted))
            {
                NodeArena.Free(encoded);
                ObjectDisposedException.ThrowIf(_disposed, this);
                stride = CodeStride(fitted);
                encoded = EncodeAll(fitted, _capacity, stride); // grown or moved to a row file meanwhile (inserts are kept out)
            }

            ReplaceCodesHoldingLock(fitted, encoded, stride);
        }
        finally
        {
            _resizeLock.ExitWriteLock();
        }
    }

    private void ReplaceCodes(CodeBook? book, byte* codes)
    {
        _resizeLock.EnterWriteLock();
        try
        {
            ReplaceCodesHoldingLock(book, codes, book is null ? 0 : CodeStride(book));
        }
        finally
        {
            _resizeLock.ExitWriteLock();
        }
    }

    private void ReplaceCodesHoldingLock(CodeBook? book, byte* codes, int stride)
    {
        NodeArena.Free(_codes);
        _codes = codes;
        _codeStride = stride;
        Volatile.Write(ref _codeBook, book);
    }

    /// <summary>
    /// Bytes between code rows: aligned for speed while the stored rows are in process memory; packed when they are in a
    /// file, where RAM is what the collection is saving. Call holding the lock.
    /// </summary>
    private int CodeStride(CodeBook book, bool rowsBoundForFile = false) => _rowFile is null && !rowsBoundForFile ? book.AlignedRowBytes : book.RowBytes;

    /// <summary>Lays the code rows out again at <see cref="CodeStride"/> when the rows' tier changed it. Call holding the lock exclusively.</summary>
    private void RestrideCodes()
    {
        if (_codeBook is not { } book || CodeStride(book) == _codeStride)
        {
            return;
        }

        int stride = CodeStride(book);
        var codes = (byte*)NodeArena.Allocate((nuint)_capacity * (nuint)stride);
        NativeMemory.Clear(codes, (nuint)_capacity * (nuint)stride);
        int copied = Math.Min(_codeStride, stride);
        for (int id = 0; id < _capacity; id++)
        {
            Buffer.MemoryCopy(_codes + ((nint)id * _codeStride), codes + ((nint)id * stride), stride, copied);
        }

        ReplaceCodesHoldingLock(book, codes, stride);
    }

    /// <summary>Fits codes on up to <see cref="CodeBook.SampleRows"/> rows spread over the index (empty rows skipped). Call holding the lock.</summary>
    private CodeBook FitCodes(QuantizationOptions options)
    {
        int count = Math.Min(_count, _capacity);
        int rows = CodeBook.SampleRows(_dimensions, count);
        var values = new float[(long)rows * _dimensions];
        var row = new float[_dimensions];
        int filled = 0;
        double stride = count / (double)Math.Max(rows, 1);
        for (int r = 0; r < rows; r++)
        {
            int id = (int)(r * stride);
            RowCodec.Decode(_dataType, new ReadOnlySpan<byte>(VectorPointer(id), (int)_rowBytes), row);
            if (System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(row) != 0)
            {
                row.CopyTo(values.AsSpan(filled * _dimensions));
                filled++;
            }
        }

        var book = CodeBook.Fit(options, Metric, _dimensions, values.AsSpan(0, filled * _dimensions));
        book.FittedRows = Math.Max(Volatile.Read(ref _rowsWritten), filled);
        return book;
    }

    /// <summary>A code arena of <paramref name="capacity"/> rows <paramref name="stride"/> bytes apart, every allocated node's row encoded. Call holding the lock.</summary>
    private byte* EncodeAll(CodeBook book, int capacity, int stride)
    {
        var codes = (byte*)NodeArena.Allocate((nuint)capacity * (nuint)stride);
        NativeMemory.Clear(codes, (nuint)capacity * (nuint)stride);
        nint arena = (nint)codes;
        int count = Math.Min(_count, capacity);
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = count < 4096 ? 1 : Environment.ProcessorCount }, () => new float[_dimensions], (id, _, row) =>
        {
            RowCodec.Decode(_dataType, new ReadOnlySpan<byte>(VectorPointer(id), (int)_rowBytes), row);
            book.EncodeRow(row, new Span<byte>((byte*)arena + ((nint)id * stride), book.RowBytes));
            return row;
        }, _ => { });
        return codes;
    }

    /// <summary>Encodes a node's code row from its stored row, when codes are kept. Call holding the lock.</summary>
    private void WriteCodeRow(int id)
    {
        if (_codeBook is not { } book)
        {
            return;
        }

        var row = new Span<byte>(_codes + ((nint)id * _codeStride), book.RowBytes);
        if (_dataType == VectorDataType.Float32)
        {
            book.EncodeRow(new ReadOnlySpan<float>(VectorPointer(id), _dimensions), row);
            return;
        }

        // The codes are of the stored (rounded) row, so they approximate what rescoring reads.
        var decoded = System.Buffers.ArrayPool<float>.Shared.Rent(_dimensions);
        try
        {
            RowCodec.Decode(_dataType, new ReadOnlySpan<byte>(VectorPointer(id), (int)_rowBytes), decoded.AsSpan(0, _dimensions));
            book.EncodeRow(decoded.AsSpan(0, _dimensions), row);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(decoded);
        }
    }

    /// <summary>Copies the code arena into a grown one. Call holding the lock exclusively.</summary>
    private void GrowCodes(int capacity)
    {
        if (_codeBook is null)
        {
            return;
        }

        long rowBytes = _codeStride;
        var codes = (byte*)NodeArena.Allocate((nuint)capacity * (nuint)rowBytes);
        Buffer.MemoryCopy(_codes, codes, capacity * rowBytes, _capacity * rowBytes);
        NativeMemory.Clear(codes + (_capacity * rowBytes), (nuint)((capacity - _capacity) * rowBytes));
        NodeArena.Free(_codes);
        _codes = codes;
    }

    /// <summary>True when this search walks codes: they are fitted and the search does not ignore them.</summary>
    private bool WalksCodes(in QuantizationSearch quantization) => !quantization.Ignore && _codeBook is not null;

    /// <summary>
    /// The walk on codes: the query is encoded, the graph walked with a beam of at least the candidates to rescore,
    /// and those candidates rescored with the stored rows (unless told not to). Call holding the lock shared.
    /// </summary>
    private int SearchCodes<TFilter>(
        ref float prepared, int k, int ef, Span<Neighbor> results, SearchContext context, TFilter filter, scoped in WalkOptions walk, SearchStatistics? statistics)
        where TFilter : struct, INodeFilter
    {
        var book = _codeBook!;
        var quantization = walk.Quantization;

        // Binary codes bound their own error: without an oversampling asked for, the whole beam is the shortlist and
        // rescoring stops once no estimate left can reach the top k.
        bool bounded = book is BinaryCodes && quantization.Rescore != false && quantization.Oversampling is null;
        int candidates = bounded ? Math.Max(k, ef) : Math.Max(k, quantization.Candidates(k));
        var walked = context.EnsureRescored(candidates);
        byte* query = context.EnsureQueryCodes(book.QueryBytes);
        book.EncodeQuery(new ReadOnlySpan<float>(Unsafe.AsPointer(ref prepared), _dimensions), new Span<byte>(query, book.QueryBytes));

        context.Vectors = _codes;
        context.RowBytes = _codeStride;
        context.ReadBytes = book.RowBytes;
        int found;
        try
        {
            // A given entry's distance is the rows' (from a probe of the neighbourhood): the walk on codes descends itself.
            var operation = new SearchOperation<TFilter>(this, (float*)query, candidates, Math.Max(ef, candidates), walked, context, filter, walk.TwoHop, walk.Seeds, entry: null);
            found = (book, Metric) switch
            {
                (BinaryCodes binary, _) => binary.Run<SearchOperation<TFilter>, int>(operation),
                (_, DistanceMetric.Manhattan) => operation.Run<ScalarL1CodeDistance>(),
                (_, DistanceMetric.Euclid) => operation.Run<ScalarEuclidCodeDistance>(),
                _ => operation.Run<ScalarDotCodeDistance>(),
            };
        }
        finally
        {
            SearchFullVectors(context);
        }

        statistics?.Add(context.DistanceCount, context.VisitedCount);
        var kept = walked.AsSpan(0, found);
        if (bounded)
        {
            var (certain, rescored) = Dispatch<BoundedRescoreOperation, (int, int)>(new(this, (float*)Unsafe.AsPointer(ref prepared), query, (BinaryCodes)book, kept, results[..Math.Min(k, results.Length)]));
            statistics?.AddRescored(rescored);
            return certain;
        }

        if (quantization.Rescore != false)
        {
            Dispatch<RescoreOperation, int>(new(this, (float*)Unsafe.AsPointer(ref prepared), kept));
            kept.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));
            statistics?.AddRescored(found);
        }

        int written = Math.Min(k, found);
        kept[..written].CopyTo(results);
        return written;
    }

    /// <summary>Replaces each candidate's code distance by its stored row's.</summary>
    private int RescoreCore<TDistance>(ref float query, Span<Neighbor> candidates)
        where TDistance : struct, IDistanceFunction
    {
        PrefetchRows(candidates); // from disk, all at once, when rows are in a file
        for (int i = 0; i < candidates.Length; i++)
        {
            if (i + 1 < candidates.Length)
            {
                PrefetchRow(candidates[i + 1].Id);
            }

            int id = candidates[i].Id;
            candidates[i] = new Neighbor(id, TDistance.Compute(ref query, ref ServedRow(id), (nuint)_dimensions));
        }

        return candidates.Length;
    }

    /// <summary>
    /// Rescores candidates in the order of their distances' lower bounds (estimate − error bound) into
    /// <paramref name="results"/> (sorted), until the next lower bound cannot beat the k-th distance found; returns the
    /// results and the candidates rescored.
    /// </summary>
    private (int Written, int Rescored) RescoreWithinBoundsCore<TDistance>(ref float query, byte* queryCodes, BinaryCodes book, Span<Neighbor> candidates, Span<Neighbor> results)
        where TDistance : struct, IDistanceFunction
    {
        for (int i = 0; i < candidates.Length; i++)
        {
            int id = candidates[i].Id;
            float bound = book.ErrorBound(ref *queryCodes, ref *(_codes + ((nint)id * _codeStride)));
            candidates[i] = new Neighbor(id, candidates[i].Distance - bound);
        }

        candidates.Sort(static (a, b) => a.Distance.CompareTo(b.Distance));

        // Rows on disk are asked for a window of k ahead, not all at once: most searches stop well before the beam's end.
        int written = 0, rescored = 0, k = results.Length;
        PrefetchRows(candidates[..Math.Min(candidates.Length, 2 * k)]);
        for (int i = 0; i < candidates.Length; i++)
        {
            if (written == k && candidates[i].Distance >= results[k - 1].Distance)
            {
                break;
            }

            if (i > 0 && i % k == 0 && i + k < candidates.Length)
            {
                PrefetchRows(candidates.Slice(i + k, Math.Min(k, candidates.Length - i - k)));
            }

            if (i + 1 < candidates.Length)
            {
                PrefetchRow(candidates[i + 1].Id);
            }

            int id = candidates[i].Id;
            float distance = TDistance.Compute(ref query, ref ServedRow(id), (nuint)_dimensions);
            rescored++;
            if (written == k && distance >= results[k - 1].Distance)
            {
                continue;
            }

            int at = written < k ? written++ : k - 1;
            while (at > 0 && results[at - 1].Distance > distance)
            {
                results[at] = results[at - 1];
                at--;
            }

            results[at] = new Neighbor(id, distance);
        }

        return (written, rescored);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PrefetchRow(int id)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            byte* row = VectorPointer(id);
            for (nint offset = 0; offset < _rowBytes; offset += 64)
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + offset);
            }
        }
    }

    private readonly ref struct RescoreOperation(HnswIndex index, float* query, Span<Neighbor> candidates) : IDistanceOperation<int>
    {
        private readonly Span<Neighbor> _candidates = candidates;

        public int Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.RescoreCore<TDistance>(ref *query, _candidates);
    }

    private readonly ref struct BoundedRescoreOperation(HnswIndex index, float* query, byte* queryCodes, BinaryCodes book, Span<Neighbor> candidates, Span<Neighbor> results)
        : IDistanceOperation<(int, int)>
    {
        private readonly Span<Neighbor> _candidates = candidates;
        private readonly Span<Neighbor> _results = results;

        public (int, int) Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.RescoreWithinBoundsCore<TDistance>(ref *query, queryCodes, book, _candidates, _results);
    }
}
