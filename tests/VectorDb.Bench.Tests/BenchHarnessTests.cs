using System.Text.Json;
using VectorDb.Bench.Compare;
using VectorDb.Datasets;
using VectorDb.Tests;

namespace VectorDb.Bench.Tests;

/// <summary>Smoke test of the recall harness and the side-by-side table on a tiny generated dataset.</summary>
public sealed class BenchHarnessTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Recall_harness_writes_the_documented_json_and_compare_tabulates_and_plots_it()
    {
        var random = new Random(1);
        VectorSet Generate(int rows) => new([.. Enumerable.Range(0, rows * 16).Select(_ => random.NextSingle())], 16);
        string basePath = Path.Combine(_directory.Path, "tiny.fvecs");
        string queryPath = Path.Combine(_directory.Path, "tiny-queries.fvecs");
        DatasetWriter.WriteFvecs(basePath, Generate(800));
        DatasetWriter.WriteFvecs(queryPath, Generate(30));
        string results = Path.Combine(_directory.Path, "results");
        Directory.CreateDirectory(results);

        int exit = Bench.Recall.RecallCommand.Run([
            "--base", basePath, "--query", queryPath, "--metric", "l2", "--m", "8", "--ef-construction", "64",
            "--threads", "2", "--k", "10", "--ef", "16,64", "--repeats", "1", "--exact", "true", "--out", Path.Combine(results, "vectordb.json")]);

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "vectordb.json")));
        var root = json.RootElement;
        foreach (string field in new[] { "dataset", "n", "dims", "metric", "k", "build_seconds", "threads", "index_bytes", "runs" })
        {
            Assert.True(root.TryGetProperty(field, out _), field);
        }

        var runs = root.GetProperty("runs").EnumerateArray().ToList();
        Assert.Equal([16, 64, 0], runs.Select(r => r.GetProperty("ef").GetInt32()));
        Assert.Equal(1.0, runs[2].GetProperty("recall").GetDouble()); // exact scan against computed exact truth
        Assert.True(runs[1].GetProperty("recall").GetDouble() >= 0.9);

        Assert.Equal(0, CompareCommand.Run(["--results", results]));
        Assert.Contains("vectordb", File.ReadAllText(Path.Combine(results, "table.md")), StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(results, "recall-qps.png")).Length > 1000);
    }

    [Fact]
    public void Hdf5_datasets_read_like_ann_benchmarks_files()
    {
        string path = Path.Combine(_directory.Path, "tiny.hdf5");
        var file = new PureHDF.H5File
        {
            ["train"] = new float[,] { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } },
            ["test"] = new float[,] { { 0, 0, 1 } },
            ["neighbors"] = new int[,] { { 0, 1, 2 } },
        };
        file.Write(path);

        var train = DatasetReader.Read(path, maxRows: 2);
        Assert.Equal((2, 3), (train.Count, train.Dimensions));
        Assert.Equal([4f, 5, 6], train[1].ToArray());
        Assert.Equal([0f, 0, 1], DatasetReader.Read(path + ":test")[0].ToArray());
        Assert.Equal([0, 1, 2], DatasetReader.ReadNeighbors(path)[0]);
        Assert.Throws<InvalidDataException>(() => DatasetReader.Read(path + ":distances"));
    }
}
