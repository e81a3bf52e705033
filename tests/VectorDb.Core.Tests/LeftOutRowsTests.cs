using VectorDb.Hnsw;

namespace VectorDb.Core.Tests;

/// <summary>
/// Snapshots that leave live nodes' rows out (their owner stores the vectors) and get them back: the same rows to the
/// bit, the same answers, and a refusal whenever what is given back disagrees with the snapshot.
/// </summary>
public sealed class LeftOutRowsTests
{
    private const int Dimensions = 24;

    public static TheoryData<DistanceMetric, VectorDataType> Formats() => new()
    {
        { DistanceMetric.Cosine, VectorDataType.Float32 },
        { DistanceMetric.Cosine, VectorDataType.Float16 },
        { DistanceMetric.Euclid, VectorDataType.Float32 },
        { DistanceMetric.Dot, VectorDataType.BFloat16 },
        { DistanceMetric.Manhattan, VectorDataType.Float16 },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Rows_given_back_equal_the_rows_left_out_and_the_answers_do_not_change(DistanceMetric metric, VectorDataType type)
    {
        var data = HnswIndexTests.Gaussian(600, Dimensions, seed: 5);
        using var index = HnswIndexTests.Build(metric, data, type);
        for (int id = 0; id < 600; id += 7)
        {
            Assert.True(index.Delete(id)); // walks pass through deleted nodes: their rows stay in the snapshot
        }

        byte[] whole = Snapshot(index, leaveOutLiveRows: false);
        byte[] lean = Snapshot(index, leaveOutLiveRows: true);
        int liveRows = index.Count * Dimensions * (type == VectorDataType.Float32 ? 4 : 2);
        int scales = metric == DistanceMetric.Cosine ? 600 * sizeof(float) : 0;
        Assert.Equal(whole.Length - liveRows + scales, lean.Length);

        Assert.Throws<InvalidDataException>(() => HnswIndex.ReadSnapshot(new MemoryStream(lean))); // only for a caller that gives the rows back
        Assert.Equal(2, BitConverter.ToInt32(whole, 8)); // a snapshot holding its rows keeps the version older readers read
        using var loaded = HnswIndex.ReadSnapshot(new MemoryStream(lean), null, rowsGivenBack: true);
        Assert.True(loaded.RowsPending);
        Assert.Throws<InvalidOperationException>(() => loaded.WriteSnapshot(new MemoryStream()));
        for (int id = 0; id < 600; id++)
        {
            if (index.IsLive(id))
            {
                loaded.RestoreRow(id, data[id]);
            }
        }

        loaded.CompleteRows();
        Assert.False(loaded.RowsPending);
        Assert.Equal(whole, Snapshot(loaded, leaveOutLiveRows: false));
        var query = HnswIndexTests.Gaussian(1, Dimensions, seed: 6)[0];
        var before = new Neighbor[10];
        var after = new Neighbor[10];
        index.Search(query, 10, 64, before);
        loaded.Search(query, 10, 64, after);
        Assert.Equal(before, after);
    }

    [Fact]
    public void A_cosine_row_is_given_back_with_the_scale_it_was_written_with_not_a_norm_computed_again()
    {
        var data = HnswIndexTests.Gaussian(100, Dimensions, seed: 8);
        using var index = HnswIndexTests.Build(DistanceMetric.Cosine, data);
        using var loaded = HnswIndex.ReadSnapshot(new MemoryStream(Snapshot(index, leaveOutLiveRows: true)), null, rowsGivenBack: true);

        // Twice the stored vector would give the same row after normalising; the recorded scale gives twice the row.
        var doubled = data[0].ToArray().Select(x => 2 * x).ToArray();
        loaded.RestoreRow(0, doubled);
        for (int id = 1; id < 100; id++)
        {
            loaded.RestoreRow(id, data[id]);
        }

        loaded.CompleteRows();
        var original = new float[Dimensions];
        var restored = new float[Dimensions];
        index.CopyVector(0, original);
        loaded.CopyVector(0, restored);
        Assert.Equal(original.Select(x => 2 * x), restored);
    }

    [Theory]
    [InlineData(VectorDataType.Float32)]
    [InlineData(VectorDataType.Float16)]
    [InlineData(VectorDataType.BFloat16)]
    public void A_row_stored_as_served_is_given_back_from_that_unscaled(VectorDataType type)
    {
        var data = HnswIndexTests.Gaussian(50, Dimensions, seed: 13);
        using var index = HnswIndexTests.Build(DistanceMetric.Cosine, data, type);
        var served = new float[Dimensions];
        index.CopyVector(7, served);
        index.RowStoredAsServed(7); // its owner rewrote the stored point from the rows
        using var loaded = HnswIndex.ReadSnapshot(new MemoryStream(Snapshot(index, leaveOutLiveRows: true)), null, rowsGivenBack: true);
        for (int id = 0; id < 50; id++)
        {
            loaded.RestoreRow(id, id == 7 ? served : data[id]);
        }

        loaded.CompleteRows();
        Assert.Equal(Snapshot(index, leaveOutLiveRows: false), Snapshot(loaded, leaveOutLiveRows: false));
    }

    [Fact]
    public void Rows_read_from_an_older_snapshot_are_kept_in_the_next_one_when_their_cosine_scale_is_not_known()
    {
        var data = HnswIndexTests.Gaussian(200, Dimensions, seed: 9);
        using var index = HnswIndexTests.Build(DistanceMetric.Cosine, data);
        using var fromWhole = HnswIndex.ReadSnapshot(new MemoryStream(Snapshot(index, leaveOutLiveRows: false)));
        fromWhole.Add(data[0]); // written now: its scale is known
        using var loaded = HnswIndex.ReadSnapshot(new MemoryStream(Snapshot(fromWhole, leaveOutLiveRows: true)), null, rowsGivenBack: true);

        Assert.True(loaded.RowsPending);
        Assert.Throws<InvalidDataException>(() => loaded.RestoreRow(5, data[5])); // its row is in the snapshot
        loaded.RestoreRow(200, data[0]);
        loaded.CompleteRows();
        Assert.Equal(Snapshot(fromWhole, leaveOutLiveRows: false), Snapshot(loaded, leaveOutLiveRows: false));
    }

    [Fact]
    public void Rows_given_back_wrongly_are_refused()
    {
        var data = HnswIndexTests.Gaussian(50, Dimensions, seed: 10);
        using var index = HnswIndexTests.Build(DistanceMetric.Euclid, data);
        index.Delete(3);
        byte[] lean = Snapshot(index, leaveOutLiveRows: true);

        using var missing = HnswIndex.ReadSnapshot(new MemoryStream(lean), null, rowsGivenBack: true);
        for (int id = 0; id < 49; id++)
        {
            if (id != 3)
            {
                missing.RestoreRow(id, data[id]);
            }
        }

        Assert.Contains("1 live nodes", Assert.Throws<InvalidDataException>(missing.CompleteRows).Message);

        using var twice = HnswIndex.ReadSnapshot(new MemoryStream(lean), null, rowsGivenBack: true);
        twice.RestoreRow(0, data[0]);
        Assert.Throws<InvalidDataException>(() => twice.RestoreRow(0, data[0]));
        Assert.Throws<InvalidDataException>(() => twice.RestoreRow(3, data[3])); // deleted: not waiting
        Assert.Throws<InvalidDataException>(() => twice.RestoreRow(50, data[0])); // beyond the graph
        Assert.Throws<InvalidDataException>(() => twice.RestoreRow(1, new float[Dimensions - 1]));
    }

    [Fact]
    public void Rows_given_back_to_a_graph_that_keeps_them_in_a_file_go_into_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"vectordb-leftout-{Guid.NewGuid():N}.rows");
        try
        {
            var data = HnswIndexTests.Gaussian(300, Dimensions, seed: 11);
            using var index = HnswIndexTests.Build(DistanceMetric.Euclid, data);
            using var loaded = HnswIndex.ReadSnapshot(new MemoryStream(Snapshot(index, leaveOutLiveRows: true)), new RowFileOptions(path, MemoryTier.Cached), rowsGivenBack: true);
            Assert.Null(loaded.RowsPath);
            for (int id = 0; id < 300; id++)
            {
                loaded.RestoreRow(id, data[id]);
            }

            loaded.CompleteRows();
            Assert.Equal(path, loaded.RowsPath);
            var query = HnswIndexTests.Gaussian(1, Dimensions, seed: 12)[0];
            var before = new Neighbor[10];
            var after = new Neighbor[10];
            index.Search(query, 10, 64, before);
            loaded.Search(query, 10, 64, after);
            Assert.Equal(before, after);
        }
        finally
        {
            RowFile.Delete(path);
        }
    }

    private static byte[] Snapshot(HnswIndex index, bool leaveOutLiveRows)
    {
        using var stream = new MemoryStream();
        index.WriteSnapshot(stream, leaveOutLiveRows);
        return stream.ToArray();
    }
}
