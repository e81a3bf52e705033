using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>Stores a vector and links it into the graph; returns its internal id.</summary>
    /// <exception cref="DimensionMismatchException">Wrong vector length.</exception>
    /// <exception cref="InvalidRequestException">A cosine vector with zero norm.</exception>
    public int Add(ReadOnlySpan<float> vector)
    {
        int id = Reserve(vector);
        Link(id);
        return id;
    }

    /// <summary>
    /// First half of <see cref="Add"/>: stores the vector under a new internal id that searches do not
    /// see yet, so the caller can record what the id stands for before <see cref="Link(int)"/> publishes it.
    /// </summary>
    public int Reserve(ReadOnlySpan<float> vector)
    {
        float scale = CheckVector(vector);
        int id = Interlocked.Increment(ref _count) - 1;
        ReserveCore(id, vector, scale);
        return id;
    }

    /// <summary>
    /// <see cref="Reserve(ReadOnlySpan{float})"/> at an id the caller chooses, for a graph whose ids are another
    /// table's (a collection's points, of which some lack this vector). Ids skipped stay empty: never linked, never
    /// returned. An id is reserved once, or again once deleted and repaired (<see cref="CanReuse"/>), which is how a
    /// collection gives the nodes of replaced points to new ones; concurrent calls use distinct ids.
    /// </summary>
    public void Reserve(int id, ReadOnlySpan<float> vector)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        float scale = CheckVector(vector);
        int count;
        do
        {
            count = Volatile.Read(ref _count);
        }
        while (id >= count && Interlocked.CompareExchange(ref _count, id + 1, count) != count);

        ReserveCore(id, vector, scale);
    }

    /// <summary>Refuses a vector the graph cannot store; returns the scale its row is written with (1/norm under cosine).</summary>
    private float CheckVector(ReadOnlySpan<float> vector)
    {
        if (vector.Length != _dimensions)
        {
            throw new DimensionMismatchException(_dimensions, vector.Length);
        }

        float scale = 1f;
        if (Metric == DistanceMetric.Cosine)
        {
            float norm = VectorMath.Norm(vector);
            if (norm == 0f || !float.IsFinite(norm))
            {
                throw new InvalidRequestException("A cosine vector must have a finite, non-zero norm.");
            }

            scale = 1f / norm;
        }

        // Refused before an id is handed out, so a bad vector leaves nothing behind.
        float limit = RowCodec.MaxMagnitude(_dataType);
        if (_dataType != VectorDataType.Float32 && !(MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(vector) * scale) <= limit)) // false for NaN too
        {
            throw new InvalidRequestException($"A vector stored as {_dataType} must have finite values of magnitude at most {limit:G6}.");
        }

        return scale;
    }

    private void ReserveCore(int id, ReadOnlySpan<float> vector, float scale)
    {
        EnsureCapacity(id + 1);
        int level = RandomLevel();
        EnterShared();
        try
        {
            bool reused = _states[id] == StateDeleted;
            WriteRow(id, vector, scale);
            if (_prefixes != null)
            {
                WritePrefixRow(id);
            }

            RecordRowChecksum(id);
            WriteCodeRow(id);
            Interlocked.Increment(ref _rowsWritten);
            lock (LockFor(id))
            {
                BaseLinks(id)[0] = 0;
                ClearLayerLinks(id);
                if (reused)
                {
                    // A deleted node taking a new vector keeps its level and in-degree: other nodes' links, on every
                    // layer it is on, still lead to it, and walks read its blocks on those layers.
                    for (int layer = 1; layer <= _levels[id]; layer++)
                    {
                        UpperLinks(id, layer)[0] = 0;
                    }
                }
                else
                {
                    _inDegree[id] = 0;
                    _upperLinks[id] = level > 0 ? new int[level * _linkStrideUpper] : null;
                    _levels[id] = (byte)level;
                }
            }

            Volatile.Write(ref _states[id], StateReserved);
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }

        TrainCodesIfDue();
    }

    /// <summary>Writes a node's row: the vector times <paramref name="scale"/>, in the index's data type.</summary>
    private void WriteRow(int id, ReadOnlySpan<float> vector, float scale)
    {
        if (_rowScales is not null)
        {
            _rowScales[id] = scale;
        }

        if (_dataType == VectorDataType.Float32)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(vector, scale, new Span<float>(VectorPointer(id), _dimensions));
            return;
        }

        var scaled = System.Buffers.ArrayPool<float>.Shared.Rent(_dimensions);
        try
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(vector, scale, scaled.AsSpan(0, _dimensions));
            RowCodec.TryEncode(_dataType, scaled.AsSpan(0, _dimensions), new Span<byte>(VectorPointer(id), (int)_rowBytes));
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(scaled);
        }
    }

    /// <summary>Second half of <see cref="Add"/>: links a reserved node into the graph and makes it visible.</summary>
    public void Link(int id) => Link(id, publish: true);

    /// <summary>
    /// Links a reserved node into the graph. Unpublished, it is traversed but not returned, and not counted,
    /// until <see cref="Publish"/>: a caller can link a whole batch slowly, then make it visible at once.
    /// </summary>
    public void Link(int id, bool publish)
    {
        EnterShared();
        var context = RentContext();
        try
        {
            if (!IsAllocated(id))
            {
                throw new ArgumentOutOfRangeException(nameof(id), id, "No such node.");
            }

            if (_states[id] != StateReserved)
            {
                throw new InvalidOperationException($"Node {id} is already linked.");
            }

            Dispatch<LinkOperation, bool>(new(this, id, context));

            if (publish)
            {
                Volatile.Write(ref _states[id], StateLive);
                Interlocked.Increment(ref _liveCount);
            }
            else
            {
                Volatile.Write(ref _states[id], StateHidden);
            }
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>Makes a node linked with <c>publish: false</c> visible to searches and counts.</summary>
    /// <returns>False when the node was not linked and unpublished.</returns>
    public bool Publish(int id)
    {
        EnterShared(); // as in Retire: the state array is replaced when it grows
        try
        {
            if (!IsAllocated(id) || Interlocked.CompareExchange(ref _states[id], StateLive, StateHidden) != StateHidden)
            {
                return false;
            }

            Interlocked.Increment(ref _liveCount);
            return true;
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>
    /// The paper's INSERT (Algorithm 1). Candidates are the beam, as in hnswlib, or everything the walk saw where near
    /// copies crowd the beam (<see cref="CrowdedByNearCopies"/>).
    /// </summary>
    private void LinkCore<TDistance>(int id, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        int level = _levels[id];
        ref float vector = ref RowAsQuery(id, context.Query);

        long entry = Volatile.Read(ref _entry);
        if (entry == -1)
        {
            lock (_entryLock)
            {
                entry = _entry;
                if (entry == -1)
                {
                    Volatile.Write(ref _entry, PackEntry(id, level));
                    return;
                }
            }
        }

        (int current, int maxLevel) = UnpackEntry(entry);
        float currentDistance = TDistance.Compute(ref vector, ref VectorRef(current), (nuint)_dimensions);
        for (int layer = maxLevel; layer > level; layer--)
        {
            _ = GreedyClosest<TDistance>(ref vector, layer, ref current, ref currentDistance, context);
        }

        var notSelf = new ConstructionFilter(_states, id);
        for (int layer = Math.Min(level, maxLevel); layer >= 0; layer--)
        {
            context.Seen.Clear();
            SearchLayer<TDistance, ConstructionFilter, SeenWalk>(ref vector, current, currentDistance, _efConstruction, layer, context, notSelf, new SeenWalk(context.Seen));
            var sorted = context.EnsureSorted(context.Results.Count);
            int found = context.Results.DrainSorted(sorted);
            if (found == 0)
            {
                if (layer == 0)
                {
                    // Everything reachable is deleted: the graph holds no live node this one could link to.
                    // It becomes the entry point, or it would be unreachable.
                    lock (_entryLock)
                    {
                        Volatile.Write(ref _entry, PackEntry(id, level));
                    }

                    return;
                }

                continue;
            }

            current = sorted[0].Id;
            currentDistance = sorted[0].Distance;
            int m = M;
            int maxLinks = layer == 0 ? 2 * m : m;
            int selected = ChooseNeighbors<TDistance>(sorted.AsSpan(0, found), m, context.Seen, context);
            SetLinks<TDistance>(id, layer, context.Selected.AsSpan(0, selected), maxLinks, context);
            for (int i = 0; i < selected; i++)
            {
                AddLink<TDistance>(context.Selected[i], id, layer, maxLinks, context);
            }

            if (layer == 0 && Volatile.Read(ref _inDegree[id]) == 0)
            {
                // Every neighbor pruned the new node away: it never had an in-link to lose.
                context.Orphans.Add(id);
            }

            RescueOrphans<TDistance>(context);
        }

        if (level > maxLevel)
        {
            lock (_entryLock)
            {
                if (level > UnpackEntry(_entry).Level)
                {
                    Volatile.Write(ref _entry, PackEntry(id, level));
                }
            }
        }
    }

    /// <summary>
    /// Writes a new node's links on a layer. Concurrent inserts may already have linked to this node
    /// (they can reach it through its upper layers before its own layer is written); those links are kept,
    /// merged with the selection, or the nodes that added them could end up with no way in.
    /// </summary>
    private void SetLinks<TDistance>(int id, int layer, ReadOnlySpan<int> selected, int maxLinks, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        lock (LockFor(id))
        {
            var block = Block(id, layer);
            int existing = block[0];
            if (existing == 0)
            {
                WriteLinks(block, layer, selected, context);
                return;
            }

            ref float origin = ref RowAsQuery(id, context.Origin);
            var candidates = context.PruneCandidates;
            int n = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                var source = pass == 0 ? selected : block.Slice(1, existing);
                foreach (int candidate in source)
                {
                    if (!ContainsId(candidates.AsSpan(0, n), candidate))
                    {
                        candidates[n++] = new Neighbor(candidate, TDistance.Compute(ref origin, ref VectorRef(candidate), (nuint)_dimensions));
                    }
                }
            }

            var span = candidates.AsSpan(0, n);
            SortByDistance(span);
            int kept = SelectNeighbors<TDistance>(span, maxLinks, context.PruneSelected, context);
            WriteLinks(block, layer, context.PruneSelected.AsSpan(0, kept), context);
        }
    }

    private static bool ContainsId(ReadOnlySpan<Neighbor> neighbors, int id)
    {
        foreach (var neighbor in neighbors)
        {
            if (neighbor.Id == id)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Adds the link <paramref name="from"/> → <paramref name="to"/>; when the list is full, keeps the
    /// heuristic's choice among the old links and the new one (dropping links to deleted nodes).
    /// </summary>
    private void AddLink<TDistance>(int from, int to, int layer, int maxLinks, SearchContext context)
        where TDistance : struct, IDistanceFunction
    {
        lock (LockFor(from))
        {
            var block = Block(from, layer);
            int count = block[0];
            if (count < maxLinks)
            {
                AppendLink(block, layer, to);
                return;
            }

            ref float origin = ref RowAsQuery(from, context.Origin);
            var candidates = context.PruneCandidates;
            int n = 0;
            for (int i = 1; i <= count; i++)
            {
                int neighbor = block[i];
                if (_states[neighbor] != StateDeleted)
                {
                    candidates[n++] = new Neighbor(neighbor, TDistance.Compute(ref origin, ref VectorRef(neighbor), (nuint)_dimensions));
                }
            }

            candidates[n++] = new Neighbor(to, TDistance.Compute(ref origin, ref VectorRef(to), (nuint)_dimensions));
            var span = candidates.AsSpan(0, n);
            SortByDistance(span);
            int kept = SelectNeighbors<TDistance>(span, maxLinks, context.PruneSelected, context);
            WriteLinks(block, layer, context.PruneSelected.AsSpan(0, kept), context);
        }
    }

    /// <summary>Admits every node except deleted ones and the node being inserted.</summary>
    private readonly struct ConstructionFilter(byte[] states, int self) : INodeFilter
    {
        public bool Accept(int id) => id != self && states[id] != StateDeleted;
    }
}
