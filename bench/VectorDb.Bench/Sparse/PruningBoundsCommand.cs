using System.Globalization;
using System.Text.Json;
using VectorDb.Query.Text;
using VectorDb.Sparse;

namespace VectorDb.Bench.Sparse;

/// <summary>
/// <c>sparse-bounds</c>: how much of an exhaustive traversal an exact dynamic-pruning search could skip on a corpus, at
/// best. For every query the exact k-th score θ is computed first and handed to idealised pruners as an oracle (a real
/// one starts from θ = 0 and raises it as it goes, so it reads more):
/// <list type="bullet">
/// <item>MaxScore: terms in ascending order of their largest contribution; those whose running sum stays below θ cannot
/// lift a document into the top k alone, so only the other ("essential") lists must be traversed.</item>
/// <item>Block-max MaxScore over node ranges of B: the same rule per range, with each term's largest contribution
/// within the range. It must read one block entry per (term, range) to know the ranges' bounds, then the essential
/// postings of ranges whose bound reaches θ.</item>
/// </list>
/// The work is counted in items read (postings and block entries) as a fraction of the exhaustive traversal's postings:
/// its inverse bounds the speedup any such method can reach at equal cost per item.
/// <code>sparse-bounds [--data ../shared/data/wordnet-arcticxs-384] [--k 10] [--max-queries 1000] [--blocks 8,16,…,4096] [--out result.json]</code>
/// </summary>
public static class PruningBoundsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        string data = CommandLine.Option(args, "--data") ?? Path.Combine("..", "shared", "data", "wordnet-arcticxs-384");
        int k = int.Parse(CommandLine.Option(args, "--k") ?? "10", CultureInfo.InvariantCulture);
        int maxQueries = int.Parse(CommandLine.Option(args, "--max-queries") ?? "1000", CultureInfo.InvariantCulture);
        int[] blockSizes = CommandLine.Integers(CommandLine.Option(args, "--blocks") ?? "8,16,32,64,128,256,512,1024,2048,4096");

        var encoder = new Bm25Encoder(new Bm25Options());
        var documents = File.ReadAllLines(Path.Combine(data, "base.txt")).Select(encoder.EncodeDocument).ToArray();
        using var index = new SparseIndex();
        var postings = new Dictionary<uint, List<(int Node, float Weight)>>();
        for (int node = 0; node < documents.Length; node++)
        {
            index.Set(node, documents[node]);
            for (int i = 0; i < documents[node].Count; i++)
            {
                if (!postings.TryGetValue(documents[node].Indices[i], out var list))
                {
                    postings.Add(documents[node].Indices[i], list = []);
                }

                list.Add((node, documents[node].Values[i]));
            }
        }

        var queries = File.ReadAllLines(Path.Combine(data, "query.txt")).Take(maxQueries)
            .Select(text => index.WeighByIdf(encoder.EncodeQuery(text))).ToArray();

        long exhaustive = 0, essential = 0, topKPostings = 0;
        var blockPostings = new long[blockSizes.Length];
        var blockEntries = new long[blockSizes.Length];
        int measured = 0;
        var scores = new Dictionary<int, float>();
        foreach (var query in queries)
        {
            var terms = QueryTerms(query, postings);
            scores.Clear();
            foreach (var term in terms)
            {
                foreach (var (node, contribution) in term)
                {
                    scores[node] = scores.GetValueOrDefault(node) + contribution;
                }
            }

            if (scores.Count < k)
            {
                continue;
            }

            measured++;
            var best = scores.OrderByDescending(pair => pair.Value).Take(k).ToArray();
            float theta = best[^1].Value;
            exhaustive += terms.Sum(term => (long)term.Length);
            topKPostings += terms.Sum(term => (long)term.Count(posting => best.Any(hit => hit.Key == posting.Node)));
            essential += EssentialPostings(terms, theta);
            for (int b = 0; b < blockSizes.Length; b++)
            {
                var (read, entries) = BlockMaxWork(terms, theta, blockSizes[b]);
                blockPostings[b] += read;
                blockEntries[b] += entries;
            }
        }

        var blocks = blockSizes.Select((size, b) => new BlockBound(
            size, (double)blockPostings[b] / exhaustive, (double)blockEntries[b] / exhaustive,
            (double)(blockPostings[b] + blockEntries[b]) / exhaustive)).ToArray();
        var result = new PruningBoundsResult(
            Dataset: Path.GetFileName(Path.GetFullPath(data)), Documents: documents.Length, Queries: measured, K: k,
            PostingsPerQuery: (double)exhaustive / measured,
            TopKPostingsFraction: (double)topKPostings / exhaustive,
            MaxScoreEssentialFraction: (double)essential / exhaustive,
            Blocks: blocks,
            BestBlockWorkFraction: blocks.Min(block => block.WorkFraction));

        Console.WriteLine($"{documents.Length:N0} documents, {measured} queries, k = {k}; exhaustive traversal: {result.PostingsPerQuery:F0} postings per query");
        Console.WriteLine($"postings of the top-k documents themselves: {result.TopKPostingsFraction:P1}");
        Console.WriteLine($"MaxScore with θ known in advance, essential postings: {result.MaxScoreEssentialFraction:P1} (speedup at most {1 / result.MaxScoreEssentialFraction:F1}×)");
        Console.WriteLine("block-max MaxScore with θ known in advance, per node-range size:");
        Console.WriteLine("  range   postings   block entries   items read");
        foreach (var block in blocks)
        {
            Console.WriteLine($"  {block.Size,5}   {block.PostingsFraction,8:P1}   {block.EntriesFraction,13:P1}   {block.WorkFraction,10:P1}");
        }

        Console.WriteLine($"fewest items any of these reads: {result.BestBlockWorkFraction:P1} of the exhaustive traversal (speedup at most {1 / result.BestBlockWorkFraction:F1}× at equal cost per item)");
        if (CommandLine.Option(args, "--out") is { } outPath)
        {
            File.WriteAllText(outPath, JsonSerializer.Serialize(result, Indented));
        }

        return 0;
    }

    /// <summary>The postings of the query's weighted terms, each weight already multiplied by the query's.</summary>
    private static (int Node, float Contribution)[][] QueryTerms(SparseVector query, Dictionary<uint, List<(int Node, float Weight)>> postings)
    {
        var terms = new List<(int, float)[]>();
        for (int t = 0; t < query.Count; t++)
        {
            float weight = query.Values[t];
            if (weight != 0 && postings.TryGetValue(query.Indices[t], out var list))
            {
                terms.Add([.. list.Select(posting => (posting.Node, weight * posting.Weight))]);
            }
        }

        return [.. terms];
    }

    /// <summary>Postings of the lists MaxScore must traverse: all but the smallest-bound terms whose bounds sum below θ.</summary>
    private static long EssentialPostings((int Node, float Contribution)[][] terms, float theta)
    {
        long read = 0;
        float bound = 0;
        foreach (var term in terms.OrderBy(term => term.Max(posting => posting.Contribution)))
        {
            bound += term.Max(posting => posting.Contribution);
            if (bound >= theta)
            {
                read += term.Length;
            }
        }

        return read;
    }

    /// <summary>MaxScore's rule applied within every range of <paramref name="size"/> nodes: essential postings of the
    /// ranges whose bound reaches θ, and the (term, range) entries read to know the bounds.</summary>
    private static (long Postings, long Entries) BlockMaxWork((int Node, float Contribution)[][] terms, float theta, int size)
    {
        var entries = new List<(int Range, float Max, int Count)>();
        foreach (var term in terms)
        {
            int at = 0;
            while (at < term.Length)
            {
                int range = term[at].Node / size;
                float max = 0;
                int count = 0;
                for (; at < term.Length && term[at].Node / size == range; at++, count++)
                {
                    max = Math.Max(max, term[at].Contribution);
                }

                entries.Add((range, max, count));
            }
        }

        entries.Sort((a, b) => a.Range != b.Range ? a.Range.CompareTo(b.Range) : a.Max.CompareTo(b.Max));
        long read = 0;
        for (int i = 0; i < entries.Count;)
        {
            float bound = 0;
            int range = entries[i].Range;
            for (; i < entries.Count && entries[i].Range == range; i++)
            {
                bound += entries[i].Max;
                if (bound >= theta)
                {
                    read += entries[i].Count;
                }
            }
        }

        return (read, entries.Count);
    }
}

/// <summary>One node-range size's oracle work, as fractions of the exhaustive traversal's postings.</summary>
public sealed record BlockBound(int Size, double PostingsFraction, double EntriesFraction, double WorkFraction);

/// <summary>The <c>sparse-bounds</c> command's figures.</summary>
public sealed record PruningBoundsResult(
    string Dataset, int Documents, int Queries, int K, double PostingsPerQuery, double TopKPostingsFraction,
    double MaxScoreEssentialFraction, BlockBound[] Blocks, double BestBlockWorkFraction);
