using System.Runtime.CompilerServices;
using VectorDb.Distance;

namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    /// <summary>
    /// A beam walk of width <paramref name="ef"/> that reports every live node it computed a distance for and
    /// <paramref name="filter"/> accepts, whether or not it stayed in the beam, nearest first. Callers that score
    /// something other than single nodes (a point owning several nodes) get far more candidates from one walk this way
    /// than from its k results.
    /// </summary>
    /// <param name="query">Query vector (raw; normalised here for cosine).</param>
    /// <param name="ef">Beam width on layer 0.</param>
    /// <param name="filter">Which nodes may be reported.</param>
    /// <param name="seen">Receives the nodes and distances, appended, nearest first.</param>
    public void Explore<TFilter>(ReadOnlySpan<float> query, int ef, TFilter filter, List<Neighbor> seen)
        where TFilter : struct, INodeFilter
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ef, 1);
        ArgumentNullException.ThrowIfNull(seen);
        EnterShared();
        var context = RentContext();
        try
        {
            ref float prepared = ref PrepareQuery(query, context);
            var walked = context.Seen;
            walked.Clear();
            Dispatch<ExploreOperation<LiveFilter<TFilter>>, int>(new(this, (float*)Unsafe.AsPointer(ref prepared), ef, context, new LiveFilter<TFilter>(_states, filter)));
            seen.AddRange(walked.SelectNearest(walked.Count));
        }
        finally
        {
            ReturnContext(context);
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>
    /// For each of <paramref name="queryCount"/> queries laid end to end in <paramref name="queries"/> (each of the
    /// index's dimension, already unit length for Cosine), raises <paramref name="best"/>[q] to its dot product with a
    /// node's stored row, over every node of <paramref name="ids"/>: the inner step of MaxSim scoring, with one lock for
    /// all of them and no copy of float32 rows.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A node does not exist.</exception>
    public void RaiseToMaxDot(ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<int> ids, Span<float> best)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queries.Length, queryCount * _dimensions);
        ArgumentOutOfRangeException.ThrowIfLessThan(best.Length, queryCount);
        Span<float> decoded = _dataType == VectorDataType.Float32 ? default : _dimensions <= 1024 ? stackalloc float[_dimensions] : new float[_dimensions];
        EnterShared();
        try
        {
            foreach (int id in ids)
            {
                if (!IsAllocated(id))
                {
                    throw new ArgumentOutOfRangeException(nameof(ids), id, "No such node.");
                }

                scoped ReadOnlySpan<float> row;
                if (_dataType == VectorDataType.Float32)
                {
                    row = new ReadOnlySpan<float>(VectorPointer(id), _dimensions);
                }
                else
                {
                    RowCodec.Decode(_dataType, new ReadOnlySpan<byte>(VectorPointer(id), (int)_rowBytes), decoded);
                    row = decoded;
                }

                for (int q = 0; q < queryCount; q++)
                {
                    best[q] = MathF.Max(best[q], VectorMath.Dot(queries.Slice(q * _dimensions, _dimensions), row));
                }
            }
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    private readonly struct ExploreOperation<TFilter>(HnswIndex index, float* query, int ef, SearchContext context, TFilter filter) : IDistanceOperation<int>
        where TFilter : struct, INodeFilter
    {
        public int Run<TDistance>()
            where TDistance : struct, IDistanceFunction
        {
            Span<Neighbor> entry = stackalloc Neighbor[1];
            return index.SearchCore<TDistance, TFilter, SeenWalk>(ref *query, 1, ef, entry, context, filter, false, default, new SeenWalk(context.Seen));
        }
    }
}
