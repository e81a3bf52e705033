using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    // Extra layer-0 link sets over the same nodes and rows, by handle (0 once removed). Internally a link layer is
    // the graph layer ~handle (−1, −2, …), so the insert and search code that takes a layer serves them unchanged.
    private nint[] _linkLayers = [];

    /// <summary>
    /// Adds a link layer: a second set of layer-0 links over this graph's nodes and rows, empty until
    /// <see cref="LinkInLayer{TFilter}"/> links nodes in it: e.g. links among the nodes sharing some property, so a walk
    /// of those nodes alone reaches the ones lying among other nodes, without a graph (and a copy of the vectors) of
    /// their own.
    /// </summary>
    /// <returns>The layer's handle, for the other link-layer methods.</returns>
    /// <remarks>Costs 4·(2M + 1) bytes per node of capacity. <see cref="WriteSnapshot(Stream)"/> leaves the layers out; their owner
    /// saves them beside it with <see cref="WriteLinkLayer"/>.</remarks>
    public int AddLinkLayer()
    {
        _resizeLock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            nuint bytes = (nuint)_capacity * (nuint)_linkStride0 * sizeof(int);
            nint arena = (nint)NodeArena.Allocate(bytes);
            NativeMemory.Clear((void*)arena, bytes);
            int handle = Array.IndexOf(_linkLayers, 0);
            if (handle < 0)
            {
                handle = _linkLayers.Length;
                Array.Resize(ref _linkLayers, handle + 1);
            }

            _linkLayers[handle] = arena;
            return handle;
        }
        finally
        {
            _resizeLock.ExitWriteLock();
        }
    }

    /// <summary>Frees a link layer; its handle may be handed out again.</summary>
    public void RemoveLinkLayer(int handle)
    {
        _resizeLock.EnterWriteLock();
        try
        {
            if (!_disposed && (uint)handle < (uint)_linkLayers.Length)
            {
                NodeArena.Free((void*)_linkLayers[handle]);
                _linkLayers[handle] = 0;
            }
        }
        finally
        {
            _resizeLock.ExitWriteLock();
        }
    }

    /// <summary>
    /// Links a node on a link layer to its nearest nodes among those <paramref name="members"/> accepts, found by
    /// a beam search of that layer from <paramref name="entries"/> (the other members nearest it can reach through
    /// links already made), with the neighbor-selection heuristic; each chosen node links back, pruning as needed.
    /// </summary>
    /// <param name="handle">From <see cref="AddLinkLayer"/>.</param>
    /// <param name="id">A linked node of the graph.</param>
    /// <param name="entries">Members to start from: nearby ones (e.g. its layer-0 neighbors that are members) and a few fixed ones.</param>
    /// <param name="members">The nodes it may link to (besides itself, which it never links to).</param>
    /// <returns>False when the graph holds no node <paramref name="id"/> (nothing is linked).</returns>
    public bool LinkInLayer<TFilter>(int handle, int id, ReadOnlySpan<int> entries, TFilter members)
        where TFilter : struct, INodeFilter
    {
        EnterShared();
        var context = RentContext();
        try
        {
            CheckLinkLayer(handle);
            return IsAllocated(id) && Dispatch<LinkInLayerOperation<TFilter>, bool>(new(this, ~handle, id, entries, members, context));
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>
    /// Links a node on a link layer to its nearest nodes among those <paramref name="members"/> accepts, found by a
    /// two-hop walk of the graph (the walk a search with <see cref="WalkOptions.TwoHop"/> takes for a selective filter,
    /// looking through rejected nodes along this layer's links where they have any), with the neighbor-selection
    /// heuristic; each chosen node links back, pruning as needed. For members lying across the graph from the node, which
    /// a walk of the layer alone would not reach: a layer a walk then looks through rejected nodes along
    /// (<see cref="WalkOptions.LookThroughLayer"/>).
    /// </summary>
    /// <param name="handle">From <see cref="AddLinkLayer"/>.</param>
    /// <param name="id">A linked node of the graph.</param>
    /// <param name="members">The nodes it may link to (besides itself, which it never links to); unpublished ones included, as an insert links to them.</param>
    /// <param name="ef">The walk's beam.</param>
    /// <param name="membersShare">The share of nodes that are members, when known (0 otherwise): see <see cref="WalkOptions.AcceptedShare"/>.</param>
    /// <returns>False when the graph holds no node <paramref name="id"/> (nothing is linked).</returns>
    public bool LinkInLayerAcross<TFilter>(int handle, int id, TFilter members, int ef, double membersShare)
        where TFilter : struct, INodeFilter
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ef, 1);
        EnterShared();
        var context = RentContext();
        try
        {
            CheckLinkLayer(handle);
            SetUpTwoHop(context, membersShare, followLevel: 0, lookThroughLevel: ~handle); // rejected nodes already linked lead to members at once
            return IsAllocated(id) && Dispatch<LinkAcrossOperation<TFilter>, bool>(new(this, ~handle, id, members, ef, context));
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>
    /// Approximate k nearest live nodes that <paramref name="filter"/> accepts, by a beam search of a link layer: it
    /// enters where a search of the graph enters layer 0, and starts from that node's neighbors the filter accepts
    /// and from <paramref name="seeds"/> (members spread over the layer, for a query far from all of them).
    /// </summary>
    /// <returns>
    /// The number of neighbors written: fewer than k when the walk strands, and 0 when the layer was removed meanwhile
    /// (a query planned just before its index was dropped); the caller completes them.
    /// </returns>
    public int SearchLinkLayer<TFilter>(
        int handle, ReadOnlySpan<float> query, int k, int ef, Span<Neighbor> results, TFilter filter, ReadOnlySpan<int> seeds, SearchStatistics? statistics = null)
        where TFilter : struct, INodeFilter
    {
        CheckK(k, results);
        EnterShared();
        var context = RentContext();
        try
        {
            if ((uint)handle >= (uint)_linkLayers.Length || _linkLayers[handle] == 0)
            {
                return 0;
            }

            ref float prepared = ref PrepareQuery(query, context);
            context.ResetCounters();
            int found = Dispatch<LinkLayerSearchOperation<LiveFilter<TFilter>>, int>(new(
                this, (float*)Unsafe.AsPointer(ref prepared), ~handle, k, Math.Max(ef, k), results, context, new LiveFilter<TFilter>(_states, filter), seeds));
            statistics?.Add(context.DistanceCount, context.VisitedCount);
            return found;
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>
    /// Writes a link layer's blocks — the node count, then (1 + 2M) × i32 per node — for <see cref="ReadLinkLayer"/> to
    /// restore over the same graph (its snapshot written with it). The caller keeps the layer's writers out.
    /// </summary>
    public void WriteLinkLayer(int handle, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        EnterShared();
        try
        {
            CheckLinkLayer(handle);
            int count = Math.Min(_count, _capacity);
            Span<byte> header = stackalloc byte[sizeof(int)];
            BinaryPrimitives.WriteInt32LittleEndian(header, count);
            stream.Write(header);
            stream.Write(new ReadOnlySpan<byte>((void*)_linkLayers[handle], checked(count * _linkStride0 * sizeof(int))));
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>Adds a link layer holding the blocks <see cref="WriteLinkLayer"/> wrote for this graph.</summary>
    /// <returns>The new layer's handle.</returns>
    /// <exception cref="InvalidDataException">The blocks are of another graph (another node count) or name nodes it does not hold.</exception>
    public int ReadLinkLayer(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[sizeof(int)];
        stream.ReadExactly(header);
        int count = BinaryPrimitives.ReadInt32LittleEndian(header);
        int handle = AddLinkLayer();
        bool loaded = false;
        try
        {
            LoadLinkLayer(handle, count, stream);
            loaded = true;
            return handle;
        }
        finally
        {
            if (!loaded)
            {
                RemoveLinkLayer(handle);
            }
        }
    }

    private void LoadLinkLayer(int handle, int count, Stream stream)
    {
        EnterShared();
        try
        {
            if (count != Math.Min(_count, _capacity))
            {
                throw new InvalidDataException($"The link layer was written for {count} nodes; this graph holds {Math.Min(_count, _capacity)}.");
            }

            stream.ReadExactly(new Span<byte>((void*)_linkLayers[handle], checked(count * _linkStride0 * sizeof(int))));
            for (int id = 0; id < count; id++)
            {
                var block = LayerLinks(id, ~handle);
                if ((uint)block[0] > (uint)_m0 || block.Slice(1, block[0]).ContainsAnyExceptInRange(0, count - 1))
                {
                    throw new InvalidDataException($"Node {id} has invalid links on the link layer.");
                }
            }
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>Copies a node's layer-0 neighbors into <paramref name="destination"/> (room for 2M); returns how many (0 for no such node).</summary>
    public int CopyNeighbors(int id, Span<int> destination)
    {
        EnterShared();
        try
        {
            if (!IsAllocated(id))
            {
                return 0;
            }

            var block = BaseLinks(id);
            int count = Math.Min(Volatile.Read(ref block[0]), block.Length - 1);
            block.Slice(1, count).CopyTo(destination);
            return count;
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>Copies a node's neighbors on a link layer into <paramref name="destination"/> (room for 2M); returns how many (0 for no such node).</summary>
    public int CopyLayerNeighbors(int handle, int id, Span<int> destination)
    {
        EnterShared();
        try
        {
            CheckLinkLayer(handle);
            if (!IsAllocated(id))
            {
                return 0;
            }

            var block = LayerLinks(id, ~handle);
            int count = Math.Min(Volatile.Read(ref block[0]), block.Length - 1);
            block.Slice(1, count).CopyTo(destination);
            return count;
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    private void CheckLinkLayer(int handle)
    {
        if ((uint)handle >= (uint)_linkLayers.Length || _linkLayers[handle] == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(handle), handle, "No such link layer.");
        }
    }

    /// <summary>A link layer's block <c>[count | ids…]</c> for a node; <paramref name="level"/> is ~handle.</summary>
    private Span<int> LayerLinks(int id, int level) => new((int*)_linkLayers[~level] + ((nint)id * _linkStride0), _linkStride0);

    /// <summary>Empties a new node's blocks on every link layer. Call with the lock held shared.</summary>
    private void ClearLayerLinks(int id)
    {
        foreach (nint arena in _linkLayers)
        {
            if (arena != 0)
            {
                ((int*)arena)[(nint)id * _linkStride0] = 0;
            }
        }
    }

    /// <summary>Moves the link layers into arenas of <paramref name="capacity"/> nodes. Call with the lock held exclusively.</summary>
    private void GrowLinkLayers(int capacity)
    {
        for (int i = 0; i < _linkLayers.Length; i++)
        {
            if (_linkLayers[i] != 0)
            {
                long bytes = (long)capacity * _linkStride0 * sizeof(int);
                var grown = NodeArena.Allocate((nuint)bytes);
                Buffer.MemoryCopy((void*)_linkLayers[i], grown, bytes, (long)_capacity * _linkStride0 * sizeof(int));
                NodeArena.Free((void*)_linkLayers[i]);
                _linkLayers[i] = (nint)grown;
            }
        }
    }

    private void FreeLinkLayers()
    {
        foreach (nint arena in _linkLayers)
        {
            NodeArena.Free((void*)arena);
        }

        _linkLayers = [];
    }

    private void LinkInLayerCore<TDistance, TFilter>(int level, int id, ReadOnlySpan<int> entries, TFilter members, SearchContext context)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
    {
        ref float vector = ref RowAsQuery(id, context.Query);
        var filter = new LayerConstructionFilter<TFilter>(_states, id, members);
        int allocated = Math.Min(_count, _capacity);
        int start = -1;
        foreach (int entry in entries)
        {
            if ((uint)entry < (uint)allocated && filter.Accept(entry))
            {
                start = entry; // the beam orders the rest, which join it as seeds
                break;
            }
        }

        if (start < 0)
        {
            return; // no other member yet: later ones link to this one
        }

        float startDistance = TDistance.Compute(ref vector, ref VectorRef(start), (nuint)_dimensions);
        context.Seen.Clear();
        SearchLayer<TDistance, LayerConstructionFilter<TFilter>, SeenWalk>(ref vector, start, startDistance, _efConstruction, level, context, filter, new SeenWalk(context.Seen), entries);
        var sorted = context.EnsureSorted(context.Results.Count);
        int found = context.Results.DrainSorted(sorted);
        LinkToNearest<TDistance>(level, id, sorted.AsSpan(0, found), context);
    }

    private bool LinkAcrossCore<TDistance, TFilter>(int level, int id, TFilter members, int ef, SearchContext context)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
    {
        ref float vector = ref RowAsQuery(id, context.Query);
        if (TryDescend<TDistance>(ref vector, context, out int entry, out float entryDistance))
        {
            context.Seen.Clear();
            SearchLayerTwoHop<TDistance, LayerConstructionFilter<TFilter>, SeenWalk>(
                ref vector, entry, entryDistance, ef, ef, context, new LayerConstructionFilter<TFilter>(_states, id, members), seeds: default, new SeenWalk(context.Seen));
            var sorted = context.EnsureSorted(context.Results.Count);
            int found = context.Results.DrainSorted(sorted);
            LinkToNearest<TDistance>(level, id, sorted.AsSpan(0, found), context);
        }

        return true;
    }

    /// <summary>
    /// Links a node on a layer to the heuristic's choice among the walk's beam (nearest first; widened to what the walk
    /// saw where near copies crowd it), each chosen one linking back.
    /// </summary>
    private void LinkToNearest<TDistance>(int level, int id, ReadOnlySpan<Neighbor> sorted, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        if (sorted.IsEmpty)
        {
            return;
        }

        int selected = ChooseNeighbors<TDistance>(sorted, _m, context.Seen, context);
        SetLinks<TDistance>(id, level, context.Selected.AsSpan(0, selected), _m0, context);
        for (int i = 0; i < selected; i++)
        {
            AddLink<TDistance>(context.Selected[i], id, level, _m0, context);
        }
    }

    private int SearchLinkLayerCore<TDistance, TFilter, TObserver>(
        ref float query, int level, int k, int ef, Span<Neighbor> results, SearchContext context, TFilter filter, ReadOnlySpan<int> seeds, TObserver observer)
        where TDistance : struct, IDistanceFunction
        where TFilter : struct, INodeFilter
        where TObserver : struct, IWalkObserver
    {
        if (!TryDescend<TDistance>(ref query, context, out int entry, out _))
        {
            return 0;
        }

        // The descent ends near the query: the members among the entry's neighbors are the best footholds when
        // there are any; the given seeds serve a query whose neighborhood holds none.
        var block = BaseLinks(entry);
        int count = Math.Min(Volatile.Read(ref block[0]), block.Length - 1);
        Span<int> footholds = stackalloc int[count + 1 + seeds.Length];
        int n = 0;
        for (int i = 0; i <= count; i++)
        {
            int node = i == 0 ? entry : block[i];
            if (filter.Accept(node))
            {
                footholds[n++] = node;
            }
        }

        seeds.CopyTo(footholds[n..]);
        n += seeds.Length;

        if (n == 0)
        {
            return 0;
        }

        // The walk starts from the footholds only: the entry itself, unless a match, is linked on this layer to the
        // nodes of its own set, and a walk through those would search the wrong set's links.
        int start = footholds[0];
        if ((uint)start >= (uint)Math.Min(_count, _capacity))
        {
            return 0;
        }

        context.DistanceCount++;
        float startDistance = TDistance.Compute(ref query, ref SearchRow(context, start), context.Dimensions);
        SearchLayer<TDistance, TFilter, TObserver>(ref query, start, startDistance, ef, level, context, filter, observer, footholds[1..n]);
        var heap = context.Results;
        while (heap.Count > k)
        {
            heap.Pop();
        }

        return heap.DrainSorted(results);
    }

    /// <summary>Members other than the node being linked, deleted ones excluded.</summary>
    private readonly struct LayerConstructionFilter<TInner>(byte[] states, int self, TInner members) : INodeFilter
        where TInner : struct, INodeFilter
    {
        private readonly TInner _members = members;

        public bool Accept(int id) => id != self && states[id] != StateDeleted && _members.Accept(id);
    }

    private readonly ref struct LinkInLayerOperation<TFilter>(HnswIndex index, int level, int id, ReadOnlySpan<int> entries, TFilter members, SearchContext context)
        : IDistanceOperation<bool>
        where TFilter : struct, INodeFilter
    {
        private readonly ReadOnlySpan<int> _entries = entries;

        public bool Run<TDistance>()
            where TDistance : struct, IDistanceFunction
        {
            index.LinkInLayerCore<TDistance, TFilter>(level, id, _entries, members, context);
            return true;
        }
    }

    private readonly struct LinkAcrossOperation<TFilter>(HnswIndex index, int level, int id, TFilter members, int ef, SearchContext context) : IDistanceOperation<bool>
        where TFilter : struct, INodeFilter
    {
        public bool Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.LinkAcrossCore<TDistance, TFilter>(level, id, members, ef, context);
    }

    private readonly ref struct LinkLayerSearchOperation<TFilter>(
        HnswIndex index, float* query, int level, int k, int ef, Span<Neighbor> results, SearchContext context, TFilter filter, ReadOnlySpan<int> seeds)
        : IDistanceOperation<int>
        where TFilter : struct, INodeFilter
    {
        private readonly Span<Neighbor> _results = results;
        private readonly ReadOnlySpan<int> _seeds = seeds;

        public int Run<TDistance>()
            where TDistance : struct, IDistanceFunction =>
            index.SearchLinkLayerCore<TDistance, TFilter, IgnoreWalk>(ref *query, level, k, ef, _results, context, filter, _seeds, default);
    }
}
