using BenchmarkDotNet.Attributes;
using VectorDb.Hnsw;

namespace VectorDb.Bench.Kernels;

/// <summary>
/// Single-query HNSW search latency (k = 10) on 20,000 clustered 128-d vectors — SIFT-like size, built once per
/// run — for the unfiltered graph, a filtered traversal, and the exact scan; and the same graph search through
/// the embedded API (<see cref="Collection.Search"/>: visibility lock, hits with ids and scores), whose ratio to
/// <see cref="Graph"/> is what the collection layer costs. Queries rotate over 256 held-out points so no single
/// path stays in cache.
/// </summary>
[BenchmarkCategory(BenchmarkCategories.Search)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes the index in [GlobalCleanup]; its classes must not be sealed.")]
public class SearchLatencyBenchmarks
{
    private const int Points = 20_000;
    private const int Dimensions = 128;
    private readonly Neighbor[] _results = new Neighbor[10];
    private HnswIndex _index = null!;
    private VectorDatabase _database = null!;
    private Collection _collection = null!;
    private SearchOptions _options = null!;
    private float[][] _queries = [];
    private bool[] _even = [];
    private int _next;

    [Params(16, 64)]
    public int Ef { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        var centres = Enumerable.Range(0, 64).Select(_ => Vector(random, 10)).ToArray();
        float[] Sample() => [.. centres[random.Next(centres.Length)].Select(c => c + ((float)random.NextDouble() - 0.5f))];
        _index = new HnswIndex(Dimensions, DistanceMetric.Euclid, new HnswParameters { M = 16, EfConstruction = 100 }, Points);
        var vectors = Enumerable.Range(0, Points).Select(_ => Sample()).ToArray();
        Parallel.For(0, Points, i => _index.Link(ReserveAt(i)));
        _queries = [.. Enumerable.Range(0, 256).Select(_ => Sample())];
        _even = [.. Enumerable.Range(0, Points).Select(i => i % 2 == 0)];
        _database = VectorDatabase.InMemory();
        _collection = _database.CreateCollection("bench", new CollectionOptions { Dimensions = Dimensions, Distance = DistanceMetric.Euclid, EfConstruction = 100 });
        _collection.Upsert(vectors.Select((vector, i) => new Point((ulong)i, vector)));
        _options = new SearchOptions { Ef = Ef };

        int ReserveAt(int i)
        {
            lock (_index)
            {
                return _index.Reserve(vectors[i]);
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _index?.Dispose();
        _database?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int Graph() => _index.Search(NextQuery(), 10, Ef, _results);

    [Benchmark]
    public int FilteredGraphHalf() => _index.Search(NextQuery(), 10, Ef, _results, new EvenNodes(_even));

    [Benchmark]
    public int CollectionGraph() => _collection.Search(NextQuery(), 10, _options).Count;

    [Benchmark]
    public int Exact() => _index.ExactSearch(NextQuery(), 10, _results);

    private float[] NextQuery() => _queries[_next++ & 255];

    private static float[] Vector(Random random, float scale) => [.. Enumerable.Range(0, Dimensions).Select(_ => ((float)random.NextDouble() - 0.5f) * scale)];

    private readonly struct EvenNodes(bool[] even) : INodeFilter
    {
        public bool Accept(int id) => even[id];
    }
}
