namespace VectorDb.Hnsw;

public sealed unsafe partial class HnswIndex
{
    private bool[]? _rowsPending; // live nodes whose rows a snapshot left out and RestoreRow has not yet given
    private int _pendingRowCount;
    private RowFileOptions? _rowFileAfterRestore; // where the rows go once all are given

    /// <summary>
    /// Whether this graph, loaded from a snapshot written with <c>leaveOutLiveRows</c>, still waits for the rows of
    /// its live nodes (<see cref="RestoreRow"/>, then <see cref="CompleteRows"/>). It must not be searched or changed
    /// until they are all given.
    /// </summary>
    public bool RowsPending => _rowsPending is not null;

    /// <summary>
    /// Records that the owner now stores <paramref name="id"/>'s vector as its row serves it (<see cref="CopyVector"/>'s
    /// output, e.g. a stored point rewritten from its rows): the row is restored from that as it is, not scaled again.
    /// Exact for every row format: decoding a row and encoding it again gives the same row. Call with writers kept out
    /// of the node, before the owner's store holds the new value in a checkpoint.
    /// </summary>
    public void RowStoredAsServed(int id)
    {
        EnterShared(); // a resize copies the scales under the exclusive lock
        try
        {
            if (_rowScales is { } scales && (uint)id < (uint)scales.Length)
            {
                scales[id] = 1f;
            }
        }
        finally
        {
            _resizeLock.ExitReadLock();
        }
    }

    /// <summary>Whether <paramref name="id"/> is a live node whose row the snapshot left out and <see cref="RestoreRow"/> has not yet given.</summary>
    public bool AwaitsRow(int id) => _rowsPending is { } pending && (uint)id < (uint)pending.Length && pending[id];

    /// <summary>
    /// Gives a live node the row a snapshot left out, from the vector it was stored with, written exactly as
    /// <see cref="Reserve(int, ReadOnlySpan{float})"/> wrote it (scaled as it was under cosine, in the graph's row
    /// format): bit for bit the same row. Loading is single-threaded.
    /// </summary>
    /// <exception cref="InvalidDataException">The node is not one waiting for its row (not live in the snapshot, or given
    /// one already), or the vector has another length.</exception>
    public void RestoreRow(int id, ReadOnlySpan<float> vector)
    {
        if (!AwaitsRow(id))
        {
            throw new InvalidDataException($"node {id} is not a live node of the graph waiting for its row (or was given one already)");
        }

        if (vector.Length != _dimensions)
        {
            throw new InvalidDataException($"the stored vector of node {id} has {vector.Length} dimensions, not {_dimensions}");
        }

        // The scale the row was first written with, not a norm computed again: a norm's last bit depends on the
        // machine's vector width, and a restored row must equal the row that was served before.
        float scale = _rowScales?[id] ?? 1f;
        WriteRow(id, vector, scale);
        _rowsPending![id] = false;
        _pendingRowCount--;
    }

    /// <summary>Ends <see cref="RestoreRow"/>: checks that every live node got its row, then keeps the rows where they belong.</summary>
    /// <exception cref="InvalidDataException">Some live nodes got no row: the stored points and the snapshot disagree.</exception>
    public void CompleteRows()
    {
        if (_rowsPending is null)
        {
            return;
        }

        if (_pendingRowCount > 0)
        {
            int first = Array.IndexOf(_rowsPending, true);
            throw new InvalidDataException($"{_pendingRowCount} live nodes of the graph (node {first} first) have no stored vector to restore their rows from");
        }

        _rowsPending = null;
        if (_rowFileAfterRestore is { } rows)
        {
            _rowFileAfterRestore = null;
            KeepRowsInFile(rows.Path, rows.Tier);
        }
    }

    /// <summary>
    /// Whether a snapshot leaves a node's row out: a live node's, unless (cosine) the scale it was written with is not
    /// known, which a row loaded from an older snapshot is in.
    /// </summary>
    private static bool RowLeftOut(byte state, float[]? scales, int id) => state == StateLive && !(scales is not null && float.IsNaN(scales[id]));

    /// <summary>Marks the nodes whose rows the snapshot left out as waiting for them (states as the snapshot wrote them).</summary>
    private void AwaitLiveRows(int count, RowFileOptions? rowFileAfterRestore)
    {
        _rowsPending = new bool[count];
        for (int id = 0; id < count; id++)
        {
            if (RowLeftOut(_states[id], _rowScales, id))
            {
                _rowsPending[id] = true;
                _pendingRowCount++;
            }
        }

        _rowFileAfterRestore = rowFileAfterRestore;
        if (_pendingRowCount == 0)
        {
            CompleteRows();
        }
    }
}
