using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VectorDb.Hnsw;
using VectorDb.Query.Text;
using VectorDb.Sparse;

namespace VectorDb.Bench.Sparse;

/// <summary>
/// <c>sparse</c>: BM25 over text, as Qdrant's <c>qdrant/bm25</c> model with <c>modifier: idf</c> scores it. Every
/// line of <c>base.txt</c> becomes a document vector in a <see cref="SparseIndex"/>, every line of <c>query.txt</c> a
/// query; each query's top k from the index is checked against a scan of every stored vector (the same hits and
/// scores, ties by lower node), and both are timed single-threaded in alternating passes.
/// <code>sparse [--data ../shared/data/wordnet-arcticxs-384] [--k 10] [--rounds 7] [--max-queries 1000] [--out result.json]</code>
/// </summary>
public static class SparseCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        string data = CommandLine.Option(args, "--data") ?? Path.Combine("..", "shared", "data", "wordnet-arcticxs-384");
        int k = int.Parse(CommandLine.Option(args, "--k") ?? "10", CultureInfo.InvariantCulture);
        int rounds = int.Parse(CommandLine.Option(args, "--rounds") ?? "7", CultureInfo.InvariantCulture);
        int maxQueries = int.Parse(CommandLine.Option(args, "--max-queries") ?? "1000", CultureInfo.InvariantCulture);

        var encoder = new Bm25Encoder(new Bm25Options());
        string[] documents = File.ReadAllLines(Path.Combine(data, "base.txt"));
        var clock = Stopwatch.StartNew();
        var vectors = documents.Select(encoder.EncodeDocument).ToArray();
        double encodeSeconds = clock.Elapsed.TotalSeconds;
        using var index = new SparseIndex();
        clock.Restart();
        for (int node = 0; node < vectors.Length; node++)
        {
            index.Set(node, vectors[node]);
        }

        double indexSeconds = clock.Elapsed.TotalSeconds;
        var queries = File.ReadAllLines(Path.Combine(data, "query.txt")).Take(maxQueries)
            .Select(text => index.WeighByIdf(encoder.EncodeQuery(text))).ToArray();

        long nonZeros = vectors.Sum(v => (long)v.Count);
        Console.WriteLine($"{documents.Length:N0} documents encoded in {encodeSeconds:F2} s, indexed in {indexSeconds:F2} s; "
            + $"{(double)nonZeros / vectors.Length:F1} terms per document, {queries.Average(q => q.Count):F1} per query");

        // Same answers first: every hit, score and order.
        var hits = new SparseHit[k];
        var work = new SparseSearchStatistics();
        int mismatches = 0;
        foreach (var query in queries)
        {
            int found = index.Search(query, k, hits, new AcceptAll(), work);
            if (!hits.AsSpan(0, found).SequenceEqual(Scan(vectors, query, k)))
            {
                mismatches++;
            }
        }

        var scanQps = new List<double>();
        var indexQps = new List<double>();
        var ratios = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            double scan = Timing.Pass(queries, q => Scan(vectors, q, k));
            double indexed = Timing.Pass(queries, q => index.Search(q, k, hits, new AcceptAll()));
            scanQps.Add(scan);
            indexQps.Add(indexed);
            ratios.Add(indexed / scan);
        }

        long indexBytes = index.MemoryBytes();
        var result = new SparseResult(
            Dataset: Path.GetFileName(Path.GetFullPath(data)), Documents: documents.Length, Queries: queries.Length, K: k, Rounds: rounds,
            Mismatches: mismatches,
            ScanQps: Timing.Median(scanQps), IndexQps: Timing.Median(indexQps), MedianPairedSpeedup: Timing.Median(ratios),
            PostingsPerQuery: (double)work.PostingsScored / queries.Length,
            NodesScoredPerQuery: (double)work.NodesScored / queries.Length,
            TermsPerDocument: (double)nonZeros / vectors.Length,
            RawBytesPerDocument: nonZeros * (double)(sizeof(uint) + sizeof(float)) / vectors.Length,
            IndexBytesPerDocument: (double)indexBytes / vectors.Length,
            Cpu: Environment.ProcessorCount + " cores");

        Console.WriteLine($"top-{k} mismatches against a scan of every vector: {mismatches} of {queries.Length}");
        Console.WriteLine($"scan:  {result.ScanQps,8:F0} QPS");
        Console.WriteLine($"index: {result.IndexQps,8:F0} QPS, {result.PostingsPerQuery:F0} postings and {result.NodesScoredPerQuery:F0} nodes scored per query");
        Console.WriteLine($"index / scan (median of {rounds} paired passes): {result.MedianPairedSpeedup:F2}×");
        Console.WriteLine($"memory: {result.IndexBytesPerDocument:F0} bytes per document (postings and stored vectors) for {result.RawBytesPerDocument:F0} bytes of raw sparse vector");
        if (CommandLine.Option(args, "--out") is { } outPath)
        {
            File.WriteAllText(outPath, JsonSerializer.Serialize(result, Indented));
        }

        return mismatches == 0 ? 0 : 1;
    }

    /// <summary>The top k by the dot product with every stored vector: the reference answer.</summary>
    private static SparseHit[] Scan(SparseVector[] vectors, SparseVector query, int k)
    {
        var hits = new List<SparseHit>();
        for (int node = 0; node < vectors.Length; node++)
        {
            if (Shares(query, vectors[node]))
            {
                hits.Add(new SparseHit(node, query.Dot(vectors[node])));
            }
        }

        return [.. hits.OrderByDescending(hit => hit.Score).ThenBy(hit => hit.Node).Take(k)];
    }

    /// <summary>Whether the vector has a weight on a dimension the query weighs (the index's candidates).</summary>
    private static bool Shares(SparseVector query, SparseVector vector)
    {
        for (int i = 0; i < query.Count; i++)
        {
            if (query.Values[i] != 0 && Array.BinarySearch(vector.Indices, query.Indices[i]) >= 0)
            {
                return true;
            }
        }

        return false;
    }

}

/// <summary>The <c>sparse</c> command's figures.</summary>
public sealed record SparseResult(
    string Dataset, int Documents, int Queries, int K, int Rounds, int Mismatches,
    double ScanQps, double IndexQps, double MedianPairedSpeedup, double PostingsPerQuery, double NodesScoredPerQuery,
    double TermsPerDocument, double RawBytesPerDocument, double IndexBytesPerDocument, string Cpu);
