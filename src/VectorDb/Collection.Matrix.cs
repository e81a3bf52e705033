using VectorDb.Query;
using VectorDb.Query.PayloadIndexing;
using VectorDb.Spaces;

namespace VectorDb;

/// <summary>The distance matrix of a sample of points: each one's nearest neighbours among the others.</summary>
public sealed partial class Collection
{
    /// <summary>
    /// Samples up to <paramref name="sample"/> points that hold <paramref name="vector"/> and match
    /// <paramref name="filter"/> (uniformly at random), and gives each its <paramref name="limit"/> nearest among the
    /// others, scored exactly as a nearest query scores them (distances for Euclid and Manhattan).
    /// </summary>
    /// <exception cref="InvalidRequestException">An unknown vector, or a sample below 2 or a limit below 1.</exception>
    public DistanceMatrix SearchMatrix(int sample = 10, int limit = 3, Filter? filter = null, string vector = "", CancellationToken cancellation = default)
    {
        if (sample is < 2 or > MaxSearchLimit)
        {
            throw new InvalidRequestException($"sample must be between 2 and {MaxSearchLimit}, got {sample}.");
        }

        CheckPageSize(limit);
        _table.ThrowIfDropped();
        using var read = _table.ReadVisible();
        var space = _spaces.Find(vector) ?? throw UnknownVector(vector);
        var predicate = filter is null ? null : FilterCompiler.Compile(filter, _payloadIndexes, _table);
        var sampled = RandomNodes(sample, predicate, space, excluded: null, cancellation).Select(node => (Node: node, Id: _table.Stored(node)!.Id)).OrderBy(point => point.Id).ToArray();
        int[] members = [.. sampled.Select(point => point.Node)];
        var metric = (space as DenseVectorSpace)?.Options.Distance;
        var run = new QueryRun(this, explain: false, cancellation);
        var neighbours = new List<MatrixEntry>(sampled.Length * limit);
        for (int row = 0; row < sampled.Length; row++)
        {
            cancellation.ThrowIfCancellationRequested();
            var scores = run.Similarities(vector, run.Stored(vector, members[row])!, members);
            var nearest = Enumerable.Range(0, members.Length)
                .Where(column => column != row && !float.IsNaN(scores[column]))
                .OrderByDescending(column => scores[column]).ThenBy(column => column)
                .Take(limit);
            neighbours.AddRange(nearest.Select(column => new MatrixEntry(row, column, metric is { } m ? m.ToScore(-scores[column]) : scores[column])));
        }

        return new DistanceMatrix([.. sampled.Select(point => point.Id)], neighbours);
    }
}

/// <summary>A sample of points (by id, ascending) and each one's nearest among the others.</summary>
/// <param name="Ids">The sampled points, ascending.</param>
/// <param name="Entries">For each row (a sampled point, by index into <paramref name="Ids"/>), its neighbours nearest first.</param>
public sealed record DistanceMatrix(IReadOnlyList<PointId> Ids, IReadOnlyList<MatrixEntry> Entries);

/// <summary>One neighbour: the sampled point <see cref="Row"/>'s neighbour <see cref="Column"/>, with its score.</summary>
public readonly record struct MatrixEntry(int Row, int Column, float Score);
