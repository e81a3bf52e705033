namespace VectorDb.Distance;

/// <summary>
/// An operation written once over the distance function: a dispatcher runs it specialised for an index's metric and
/// row format (or a code book's kernel), so the hot loops see a struct type (inlined kernels) instead of a call per
/// distance through a delegate or an interface. Queries are passed as pointers into pinned buffers.
/// </summary>
internal interface IDistanceOperation<TResult>
{
    TResult Run<TDistance>()
        where TDistance : struct, IDistanceFunction;
}
