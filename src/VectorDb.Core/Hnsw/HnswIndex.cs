using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VectorDb.Distance;

namespace VectorDb.Hnsw;

/// <summary>
/// A hierarchical navigable small-world graph over vectors stored as float32 or a half-width type
/// (<see cref="HnswParameters.DataType"/>), addressed by dense internal ids.
/// Thread-safe: inserts, deletes and searches may run concurrently.
/// </summary>
/// <remarks>
/// <para>Layout, as in hnswlib: vectors in one 64-byte-aligned arena, rows rounded up to 16 bytes; layer-0 links in
/// one flat array of fixed-stride blocks <c>[count | 2·M ids]</c>; upper layers per node in a small array of
/// <c>[count | M ids]</c> blocks. Large arenas sit on huge pages (<see cref="NodeArena"/>). One block per node with
/// the links next to the vector, hnswlib's other choice, measured slower here (docs/benchmarks.md). The arenas grow
/// by doubling under an exclusive lock that every other operation takes shared, so no pointer is ever used after it
/// moved.</para>
/// <para>Writers take one node lock at a time (never two, so no lock ordering is needed); readers read link
/// blocks without locks. A block is written ids first, count last with release semantics, so a reader sees
/// either the old or the new list, or a mix of ids that are all valid nodes.</para>
/// <para>Split into partial files by operation and algorithm: <c>.Insert</c> (reserve, link, publish),
/// <c>.NeighborSelection</c> (the heuristic), <c>.Delete</c> (retire, repair), <c>.Connectivity</c> (in-degrees, orphan
/// rescue), <c>.Search</c> (the beam walk and its descent), <c>.TwoHop</c> (ACORN-1 walks, the neighborhood probe),
/// <c>.Adaptive</c> (prefix walks and rescoring), <c>.Exact</c> (scans, on all cores when long), <c>.LinkLayers</c>
/// (extra link layers over layer 0's nodes), <c>.Dispatch</c> (one JIT specialisation per metric and row format),
/// <c>.Serialization</c> (snapshots), <c>.Integrity</c> (reachability checks).</para>
/// </remarks>
public sealed unsafe partial class HnswIndex : IDisposable
{
    private const byte StateReserved = 0; // vector written, not yet linked: invisible to searches
    private const byte StateLive = 1;
    private const byte StateDeleted = 2; // tombstone: traversed, never returned
    private const byte StateHidden = 3; // linked but not yet published: traversed, never returned
    private const int MaxLevel = 30;
    private const int LockStripes = 1 << 12;
    private const int PrefetchBytes = 512; // of a neighbor's row requested ahead of its distance; rows up to this long are all requested per expansion
    private const int CancellationCheckInterval = 1 << 13; // exact scans look at their cancellation token once per this many nodes

    private readonly int _dimensions;
    private readonly VectorDataType _dataType;
    private readonly int _elementBytes;
    private readonly nint _rowBytes; // the dimension's elements rounded up to 16 bytes (padding to 64 bytes cost 12% memory at 100-d and measured slower)
    private readonly int _m;
    private readonly int _m0;
    private int _efConstruction;
    private int _linkM; // links kept per upper layer from now on (2× on layer 0): at most _m, the blocks' capacity
    private readonly int _linkStride0;
    private readonly int _linkStrideUpper;
    private readonly double _levelMultiplier;
    private readonly ReaderWriterLockSlim _resizeLock = new(LockRecursionPolicy.NoRecursion);
    private readonly object[] _nodeLocks;
    private readonly Lock _entryLock = new();
    private readonly SearchContext?[] _contextPool;

    private byte* _vectors;
    private byte* _prefixes; // optional compact copy of each vector's first _prefixStride elements, for adaptive search
    private int _prefixStride;
    private float[]? _prefixAxes; // when set, _prefixes holds each vector's coordinates along these axes (row-major) instead
    private int* _links0;
    private byte[] _levels;
    private byte[] _states;
    private float[]? _rowScales; // cosine: the 1/norm each row was written with, NaN when unknown (a snapshot's rows); see LeftOutRows
    private int[] _inDegree; // layer-0 in-links per node, to find nodes pruning left unreachable
    private int[]?[] _upperLinks;
    private int _capacity;
    private int _count;
    private int _liveCount;
    private long _entry = -1; // (level << 32) | node, or -1 while empty: read and written as one word
    private long _levelCounter;
    private bool _disposed;

    /// <summary>Creates an empty index.</summary>
    /// <param name="dimensions">Vector length, 1..65,536.</param>
    /// <param name="metric">Distance metric; cosine normalises vectors on insert and queries on search.</param>
    /// <param name="parameters">Graph parameters; null for the defaults.</param>
    /// <param name="initialCapacity">Nodes to allocate room for up front.</param>
    public HnswIndex(int dimensions, DistanceMetric metric, HnswParameters? parameters = null, int initialCapacity = 1024)
        : this(dimensions, metric, parameters, initialCapacity, rowsInFile: false)
    {
    }

    /// <summary>An empty index; with <paramref name="rowsInFile"/>, one whose rows a snapshot's row file will hold (no row arena is allocated meanwhile).</summary>
    private HnswIndex(int dimensions, DistanceMetric metric, HnswParameters? parameters, int initialCapacity, bool rowsInFile)
    {
        if (dimensions is < 1 or > 65536)
        {
            throw new InvalidRequestException($"Vector dimension must be between 1 and 65536, got {dimensions}.");
        }

        if (!Enum.IsDefined(metric))
        {
            throw new InvalidRequestException($"Unknown distance metric {metric}.");
        }

        Parameters = parameters ?? new HnswParameters();
        Parameters.Validate();
        Metric = metric;
        _dimensions = dimensions;
        _dataType = Parameters.DataType;
        _elementBytes = RowCodec.ElementBytes(_dataType);
        _rowBytes = ((nint)dimensions * _elementBytes + 15) & ~(nint)15;
        _m = Parameters.M;
        _m0 = 2 * Parameters.M;
        _efConstruction = Parameters.EfConstruction;
        _linkM = _m;
        _linkStride0 = 1 + _m0;
        _linkStrideUpper = 1 + _m;
        _levelMultiplier = 1.0 / Math.Log(_m);
        _nodeLocks = new object[LockStripes];
        for (int i = 0; i < _nodeLocks.Length; i++)
        {
            _nodeLocks[i] = new object();
        }

        _contextPool = new SearchContext?[Math.Max(4, 2 * Environment.ProcessorCount)];
        _levels = [];
        _states = [];
        _rowScales = metric == DistanceMetric.Cosine ? [] : null;
        _inDegree = [];
        _upperLinks = [];
        _rowsAwaitFile = rowsInFile;
        Grow(Math.Max(initialCapacity, 16));
    }

    /// <summary>Vector length.</summary>
    public int Dimensions => _dimensions;

    /// <summary>The distance metric.</summary>
    public DistanceMetric Metric { get; }

    /// <summary>
    /// The links a node keeps per upper layer (twice as many on layer 0) when it is linked or relinked from now on:
    /// <see cref="HnswParameters.M"/> as created, or fewer. It cannot exceed that, the capacity of every node's link
    /// block. Lowered, existing nodes keep their links until a new neighbour's link makes them choose again, then keep
    /// the best of the new number.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Below 2, or above the capacity.</exception>
    public int M
    {
        get => Volatile.Read(ref _linkM);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 2);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, _m);
            Volatile.Write(ref _linkM, value);
        }
    }

    /// <summary>Graph parameters as created; <see cref="EfConstruction"/> and <see cref="M"/> may have changed since.</summary>
    public HnswParameters Parameters { get; }

    /// <summary>
    /// The beam width inserts link new nodes with; changing it affects the nodes inserted from then on (and those
    /// relinked), not the links that exist.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Below 1.</exception>
    public int EfConstruction
    {
        get => Volatile.Read(ref _efConstruction);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _efConstruction, value);
        }
    }

    /// <summary>Internal ids handed out so far, including deleted ones; ids are in <c>[0, AllocatedCount)</c>.</summary>
    public int AllocatedCount => Volatile.Read(ref _count);

    /// <summary>Nodes that are linked and not deleted.</summary>
    public int Count => Volatile.Read(ref _liveCount);

    /// <summary>Bytes held by vectors, links and per-node metadata of allocated nodes.</summary>
    public long MemoryBytes
    {
        get
        {
            EnterShared();
            try
            {
                long n = Math.Min(_count, _capacity);
                // Per node: row, prefix row, code row, layer-0 links, level and state bytes, in-degree, upper-links reference, row scale.
                // Rows kept in a file are page cache, not process memory (RowDiskBytes); their checksums are.
                long codeRow = _codeBook is null ? 0 : _codeStride;
                long row = _rowFile is null ? _rowBytes : sizeof(ulong);
                long bytes = n * (row + ((long)_prefixStride * _elementBytes) + codeRow + (_linkStride0 * sizeof(int)) + 2 + sizeof(int) + IntPtr.Size
                    + (_rowScales is null ? 0 : sizeof(float)));
                for (int i = 0; i < n; i++)
                {
                    if (_upperLinks[i] is { } upper)
                    {
                        bytes += (upper.Length * sizeof(int)) + 24;
                    }
                }

                return bytes;
            }
            finally
            {
                _resizeLock.ExitReadLock();
            }
        }
    }

    /// <summary>
    /// Keeps a compact copy of every vector's first <paramref name="dimensions"/> elements (rounded up to 16),
    /// which adaptive-dimension searches walk instead of the whole rows: a 128-float prefix of a 784-d vector
    /// is a sixth of the memory to pull through the caches at each step. Costs that many floats per node;
    /// replaces an earlier, shorter copy (a longer one is kept). Not persisted: call it again after loading a snapshot.
    /// </summary>
    /// <exception cref="InvalidRequestException"><paramref name="dimensions"/> is not in 1..dimensions, or is longer
    /// than the rotated prefix kept by <see cref="KeepRotatedPrefix"/>.</exception>
    public void KeepPrefixCopy(int dimensions)
    {
        if (dimensions < 1 || dimensions > _dimensions)
        {
            throw new InvalidRequestException($"A prefix must have 1 to {_dimensions} dimensions, got {dimensions}.");
        }

        _resizeLock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_prefixAxes is not null && dimensions > RotatedRows)
            {
                throw new InvalidRequestException($"This index walks a rotated prefix of {RotatedRows} dimensions; a longer prefix ({dimensions}) is not kept.");
            }

            if (_prefixes == null || _prefixStride < dimensions)
            {
                ReplacePrefixCopy((dimensions + 15) & ~15, axes: null);
            }
        }
        finally
        {
            _resizeLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Keeps, for every node, its coordinates along <paramref name="axes"/> (orthonormal rows of the vector's
    /// length, e.g. the leading principal axes of a PCA), which adaptive-dimension searches then walk, projecting the
    /// query the same way; rescoring still reads the stored vectors, which stay as they were. Replaces any prefix
    /// copy. Costs axes-count floats per node and one projection per insert. Not persisted.
    /// </summary>
    /// <param name="axes">Row-major, a multiple of the dimension long; null to go back to plain prefixes (none kept).</param>
    /// <exception cref="InvalidRequestException">The length is not a positive multiple of the dimension.</exception>
    public void KeepRotatedPrefix(float[]? axes)
    {
        if (axes is not null && (axes.Length == 0 || axes.Length % _dimensions != 0 || axes.Length / _dimensions > _dimensions))
        {
            throw new InvalidRequestException($"Rotation axes must be 1 to {_dimensions} rows of {_dimensions} floats, got {axes.Length} floats.");
        }

        _resizeLock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (axes is null)
            {
                NodeArena.Free(_prefixes);
                _prefixes = null;
                _prefixStride = 0;
                _prefixAxes = null;
            }
            else
            {
                ReplacePrefixCopy(((axes.Length / _dimensions) + 15) & ~15, [.. axes]);
            }
        }
        finally
        {
            _resizeLock.ExitWriteLock();
        }
    }

    /// <summary>How many rotated coordinates per node <see cref="KeepRotatedPrefix"/> keeps (0: none, prefixes are plain).</summary>
    public int RotatedRows => _prefixAxes is { } axes ? axes.Length / _dimensions : 0;

    /// <summary>Builds a new prefix arena for every allocated node. Call with the lock held exclusively.</summary>
    private void ReplacePrefixCopy(int stride, float[]? axes)
    {
        var prefixes = (byte*)NodeArena.Allocate((nuint)_capacity * (nuint)stride * (nuint)_elementBytes);
        NodeArena.Free(_prefixes);
        _prefixes = prefixes;
        _prefixStride = stride;
        _prefixAxes = axes;
        int count = Math.Min(_count, _capacity);
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = axes is null ? 1 : Environment.ProcessorCount }, WritePrefixRow);
    }

    /// <summary>Fills a node's row of the prefix arena from its vector: a plain copy of the first elements, or its coordinates along the axes.</summary>
    private void WritePrefixRow(int id)
    {
        var prefix = new Span<byte>(_prefixes + ((nint)id * _prefixStride * _elementBytes), _prefixStride * _elementBytes);
        if (_prefixAxes is not { } axes)
        {
            int copied = Math.Min(_prefixStride, _dimensions) * _elementBytes;
            new ReadOnlySpan<byte>(VectorPointer(id), copied).CopyTo(prefix);
            prefix[copied..].Clear();
            return;
        }

        int rows = axes.Length / _dimensions;
        if (_dataType == VectorDataType.Float32)
        {
            ProjectOnto(axes, new ReadOnlySpan<float>(VectorPointer(id), _dimensions), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(prefix)[..rows]);
            prefix[(rows * sizeof(float))..].Clear();
            return;
        }

        var buffer = System.Buffers.ArrayPool<float>.Shared.Rent(_dimensions + rows);
        try
        {
            var vector = buffer.AsSpan(0, _dimensions);
            var coordinates = buffer.AsSpan(_dimensions, rows);
            RowCodec.Decode(_dataType, new ReadOnlySpan<byte>(VectorPointer(id), (int)_rowBytes), vector);
            ProjectOnto(axes, vector, coordinates);

            // The walk only ranks candidates for rescoring against the stored rows, so a coordinate beyond the type's
            // range may saturate (a float16 projection of a long vector can exceed 65,504).
            float limit = RowCodec.MaxMagnitude(_dataType);
            System.Numerics.Tensors.TensorPrimitives.Clamp(coordinates, -limit, limit, coordinates);
            prefix.Clear();
            RowCodec.TryEncode(_dataType, coordinates, prefix);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private void ProjectOnto(float[] axes, ReadOnlySpan<float> vector, Span<float> coordinates)
    {
        for (int r = 0; r < coordinates.Length; r++)
        {
            coordinates[r] = System.Numerics.Tensors.TensorPrimitives.Dot(axes.AsSpan(r * _dimensions, _dimensions), vector);
        }
    }

    /// <summary>True when the node is linked and not deleted.</summary>
    public bool IsLive(int id)
    {
        var states = Volatile.Read(ref _states);
        return (uint)id < (uint)states.Length && Volatile.Read(ref states[id]) == StateLive;
    }

    /// <summary>Copies the stored vector of a node (normalised, for cosine) into <paramref name="destination"/>.</summary>
    public void CopyVector(int id, Span<float> destination)
    {
        EnterShared();
        try
        {
            if (!IsAllocated(id))
            {
                throw new ArgumentOutOfRangeException(nameof(id), id, "No such node.");
            }

            RowCodec.Decode(_dataType, new ReadOnlySpan<byte>(Unsafe.AsPointer(ref ServedRow(id)), (int)_rowBytes), destination[.._dimensions]);
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _resizeLock.EnterWriteLock();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_rowFile is not null)
            {
                _rowFile.Dispose();
            }
            else
            {
                NodeArena.Free(_vectors);
            }

            NodeArena.Free(_links0);
            NodeArena.Free(_prefixes);
            NodeArena.Free(_codes);
            FreeLinkLayers();
            _vectors = null;
            _links0 = null;
            _prefixes = null;
            _codes = null;
            _codeBook = null;
        }
        finally
        {
            _resizeLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// True when the id was handed out and its row exists. An id is handed out before the arenas grow to
    /// hold it, so <c>_count</c> alone can run ahead of <c>_capacity</c>. Call with the lock held shared.
    /// </summary>
    private bool IsAllocated(int id) => (uint)id < (uint)Math.Min(_count, _capacity);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* VectorPointer(int id) => _vectors + ((nint)id * _rowBytes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref byte VectorRef(int id) => ref *VectorPointer(id);

    /// <summary>
    /// A stored vector as a float32 query for distances to other rows (neighbor selection, repairs): the row itself
    /// when rows are float32, else decoded into <paramref name="buffer"/>.
    /// </summary>
    private ref float RowAsQuery(int id, float[] buffer)
    {
        if (_dataType == VectorDataType.Float32)
        {
            return ref Unsafe.As<byte, float>(ref VectorRef(id));
        }

        RowCodec.Decode(_dataType, new ReadOnlySpan<byte>(VectorPointer(id), (int)_rowBytes), buffer.AsSpan(0, _dimensions));
        return ref buffer[0];
    }

    /// <summary>A node's row as the current search reads it (whole vector or prefix copy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref byte SearchRow(SearchContext context, int id) => ref *(context.Vectors + ((nint)id * context.RowBytes));

    /// <summary>A node's link block <c>[count | ids…]</c> on layer 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<int> BaseLinks(int id) => new(_links0 + ((nint)id * _linkStride0), _linkStride0);

    /// <summary>A node's link block <c>[count | ids…]</c> on an upper layer (1..its level).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<int> UpperLinks(int id, int layer) => _upperLinks[id].AsSpan((layer - 1) * _linkStrideUpper, _linkStrideUpper);

    /// <summary>
    /// A node's link block at <paramref name="level"/>, for the code that serves every kind alike (inserts, repairs,
    /// beam searches): layer 0, an upper layer, or an extra link layer (a negative level, <see cref="LayerLinks"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<int> Block(int id, int level) => level == 0 ? BaseLinks(id) : level > 0 ? UpperLinks(id, level) : LayerLinks(id, level);

    private object LockFor(int id) => _nodeLocks[id & (LockStripes - 1)];

    private static long PackEntry(int node, int level) => ((long)level << 32) | (uint)node;

    private static (int Node, int Level) UnpackEntry(long entry) => ((int)(uint)entry, (int)(entry >> 32));

    /// <summary>Makes room for at least <paramref name="required"/> nodes. Takes the exclusive lock.</summary>
    private void EnsureCapacity(int required)
    {
        if (required <= Volatile.Read(ref _capacity))
        {
            return;
        }

        _resizeLock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (required > _capacity)
            {
                Grow(Math.Max(required, _capacity * 2));
            }
        }
        finally
        {
            _resizeLock.ExitWriteLock();
        }
    }

    private void Grow(int capacity)
    {
        byte* vectors;
        if (_rowFile is not null)
        {
            vectors = GrowRowFile(capacity); // the file grows by zeros, in place; the old mapping is gone
            _vectors = vectors;
        }
        else if (_rowsAwaitFile)
        {
            vectors = null; // a snapshot's rows: AttachRowFile maps them (an arena here would touch every row's page for nothing)
        }
        else
        {
            vectors = (byte*)NodeArena.Allocate((nuint)capacity * (nuint)_rowBytes);
            if (_vectors != null)
            {
                Buffer.MemoryCopy(_vectors, vectors, (long)capacity * _rowBytes, (long)_capacity * _rowBytes);
                NodeArena.Free(_vectors);
            }

            // Nodes a caller skipped (Reserve at an id) are never linked: their rows must read as empty.
            NativeMemory.Clear(vectors + ((long)_capacity * _rowBytes), (nuint)((long)(capacity - _capacity) * _rowBytes));
        }

        var links0 = (int*)NodeArena.Allocate((nuint)capacity * (nuint)_linkStride0 * sizeof(int));
        if (_links0 != null)
        {
            Buffer.MemoryCopy(_links0, links0, (long)capacity * _linkStride0 * sizeof(int), (long)_capacity * _linkStride0 * sizeof(int));
            NodeArena.Free(_links0);
        }

        NativeMemory.Clear(links0 + ((long)_capacity * _linkStride0), (nuint)((long)(capacity - _capacity) * _linkStride0 * sizeof(int)));

        _vectors = vectors;
        _links0 = links0;
        if (_prefixes != null)
        {
            long prefixRowBytes = (long)_prefixStride * _elementBytes;
            var prefixes = (byte*)NodeArena.Allocate((nuint)capacity * (nuint)prefixRowBytes);
            Buffer.MemoryCopy(_prefixes, prefixes, capacity * prefixRowBytes, _capacity * prefixRowBytes);
            NodeArena.Free(_prefixes);
            _prefixes = prefixes;
        }

        GrowLinkLayers(capacity);
        GrowCodes(capacity);
        Array.Resize(ref _levels, capacity);
        Array.Resize(ref _states, capacity);
        if (_rowScales is not null)
        {
            Array.Resize(ref _rowScales, capacity);
        }

        Array.Resize(ref _inDegree, capacity);
        Array.Resize(ref _upperLinks, capacity);
        Volatile.Write(ref _capacity, capacity);
    }

    private SearchContext RentContext()
    {
        var pool = _contextPool;
        for (int i = 0; i < pool.Length; i++)
        {
            var context = Interlocked.Exchange(ref pool[i], null);
            if (context is not null)
            {
                context.Visited.EnsureCapacity(_capacity);
                SearchFullVectors(context);
                return context;
            }
        }

        var created = new SearchContext((_dimensions + 15) & ~15, _m0);
        created.Visited.EnsureCapacity(_capacity);
        SearchFullVectors(created);
        return created;
    }

    private void SearchFullVectors(SearchContext context)
    {
        context.Dimensions = (nuint)_dimensions;
        context.Vectors = _vectors;
        context.RowBytes = _rowBytes;
        context.ReadBytes = (nint)_dimensions * _elementBytes;
    }

    private void ReturnContext(SearchContext context)
    {
        var pool = _contextPool;
        for (int i = 0; i < pool.Length; i++)
        {
            if (Interlocked.CompareExchange(ref pool[i], context, null) is null)
            {
                return;
            }
        }
    }

    /// <summary>Draws a level with P(level ≥ l) = M^−l, from a counter-based generator so concurrent
    /// inserts need no lock and a single-threaded build is reproducible.</summary>
    private int RandomLevel()
    {
        ulong n = (ulong)Interlocked.Increment(ref _levelCounter);
        ulong bits = SplitMix64(Parameters.Seed + (n * 0x9E3779B97F4A7C15UL));
        double uniform = ((bits >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]
        int level = (int)(-Math.Log(uniform) * _levelMultiplier);
        return Math.Min(level, MaxLevel);
    }

    private static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>Copies a query into the context, prepared for the metric (normalised for cosine).</summary>
    private ref float PrepareQuery(ReadOnlySpan<float> query, SearchContext context)
    {
        if (query.Length != _dimensions)
        {
            throw new DimensionMismatchException(_dimensions, query.Length);
        }

        var buffer = context.Query.AsSpan(0, _dimensions);
        if (Metric == DistanceMetric.Cosine)
        {
            if (!VectorMath.TryNormalize(query, buffer))
            {
                throw new InvalidRequestException("A cosine query vector must have a finite, non-zero norm.");
            }
        }
        else
        {
            query.CopyTo(buffer);
        }

        return ref context.Query[0];
    }

    /// <summary>Takes the resize lock shared; throws (holding nothing) if the index is disposed.</summary>
    private void EnterShared()
    {
        _resizeLock.EnterReadLock();
        if (_disposed)
        {
            _resizeLock.ExitReadLock();
            throw new ObjectDisposedException(nameof(HnswIndex));
        }
    }
}
