using System.Globalization;
using System.Text.Json;
using VectorDb.Datasets;
using VectorDb.Distance;

namespace VectorDb.Bench.Vectors;

/// <summary>
/// <c>cutoff</c>: how well a relevance cut-off calibrated per query keeps the fraction of the collection it is asked
/// for, next to a fixed score threshold. The collection holds <c>base.fvecs</c> (cosine); for every query of
/// <c>query.fvecs</c> and each fraction f, the engine estimates the similarity that only f of the collection reaches,
/// from its sample of <see cref="Collection.CutoffSampleSize"/> points, and the bench counts, over every point, the share
/// that actually reaches it. The fixed threshold is the one that keeps f on average over the queries (chosen with
/// hindsight, the best a fixed threshold can do); the same count shows how far each query strays from f with it.
/// <code>cutoff [--data ../shared/data/wordnet-arcticxs-384] [--fractions 0.001,0.01,0.05] [--max-queries 1000] [--out result.json]</code>
/// </summary>
public static class CutoffCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        string data = CommandLine.Option(args, "--data") ?? Path.Combine("..", "shared", "data", "wordnet-arcticxs-384");
        int maxQueries = int.Parse(CommandLine.Option(args, "--max-queries") ?? "1000", CultureInfo.InvariantCulture);
        double[] fractions = [.. (CommandLine.Option(args, "--fractions") ?? "0.001,0.01,0.05").Split(',').Select(f => double.Parse(f, CultureInfo.InvariantCulture))];

        var vectors = DatasetReader.ReadFvecs(Path.Combine(data, "base.fvecs"));
        var queries = DatasetReader.ReadFvecs(Path.Combine(data, "query.fvecs"), maxQueries);
        using var database = VectorDatabase.InMemory();
        var collection = database.CreateCollection("cutoff", new CollectionOptions { Dimensions = vectors.Dimensions, Distance = DistanceMetric.Cosine });
        NamedCommand.Build(collection, vectors.Count, i => new Point((ulong)i, vectors[i].ToArray()));
        float[][] unit = [.. Enumerable.Range(0, vectors.Count).Select(i => Normalized(vectors[i]))];

        // Every query's similarity to every point, sorted: the exact share of the collection at or above any threshold.
        var exact = new float[queries.Count][];
        for (int q = 0; q < queries.Count; q++)
        {
            var query = Normalized(queries[q]);
            exact[q] = [.. unit.Select(row => VectorMath.Dot(query, row)).OrderDescending()];
        }

        var runs = new List<CutoffRun>();
        foreach (double fraction in fractions)
        {
            var calibrated = new double[queries.Count];
            var thresholds = new double[queries.Count];
            for (int q = 0; q < queries.Count; q++)
            {
                float estimate = collection.EstimateCutoff("", queries[q].ToArray(), fraction) ?? float.NaN;
                calibrated[q] = Share(exact[q], estimate) / fraction;
                thresholds[q] = exact[q][(int)Math.Ceiling(fraction * vectors.Count) - 1];
            }

            double fixedThreshold = FixedThreshold(exact, fraction);
            double[] fixedShares = [.. exact.Select(sorted => Share(sorted, (float)fixedThreshold) / fraction)];
            var run = new CutoffRun(
                fraction,
                CalibratedMedianError: Timing.Median([.. calibrated.Select(r => Math.Abs(r - 1))]),
                CalibratedP90Error: Percentile(calibrated.Select(r => Math.Abs(r - 1)), 0.9),
                FixedThreshold: fixedThreshold,
                FixedMedianError: Timing.Median([.. fixedShares.Select(r => Math.Abs(r - 1))]),
                FixedP90Error: Percentile(fixedShares.Select(r => Math.Abs(r - 1)), 0.9),
                ExactThresholdMin: thresholds.Min(), ExactThresholdMax: thresholds.Max());
            runs.Add(run);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"f={fraction:0.####}: calibrated kept/f off by median {run.CalibratedMedianError:P1}, p90 {run.CalibratedP90Error:P1}; fixed threshold {run.FixedThreshold:F4}: median {run.FixedMedianError:P1}, p90 {run.FixedP90Error:P1}; the exact per-query threshold ranges {run.ExactThresholdMin:F3}…{run.ExactThresholdMax:F3}"));
        }

        if (CommandLine.Option(args, "--out") is { } outPath)
        {
            File.WriteAllText(outPath, JsonSerializer.Serialize(new CutoffResult(Path.GetFileName(Path.GetFullPath(data)), vectors.Count, queries.Count, Collection.CutoffSampleSize, runs), Indented));
        }

        return 0;
    }

    private static float[] Normalized(ReadOnlySpan<float> vector)
    {
        float norm = VectorMath.Norm(vector);
        var unit = new float[vector.Length];
        for (int i = 0; i < vector.Length; i++)
        {
            unit[i] = vector[i] / norm;
        }

        return unit;
    }

    /// <summary>The share of a descending list at or above the threshold.</summary>
    private static double Share(float[] descending, float threshold)
    {
        int low = 0, high = descending.Length;
        while (low < high)
        {
            int middle = (low + high) / 2;
            if (descending[middle] >= threshold)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low / (double)descending.Length;
    }

    /// <summary>The one threshold whose mean share over the queries is the fraction (bisection on the similarity).</summary>
    private static double FixedThreshold(float[][] exact, double fraction)
    {
        double low = -1, high = 1;
        for (int step = 0; step < 50; step++)
        {
            double middle = (low + high) / 2;
            double mean = exact.Average(sorted => Share(sorted, (float)middle));
            (low, high) = mean > fraction ? (middle, high) : (low, middle);
        }

        return (low + high) / 2;
    }

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }
}

/// <summary>One fraction: how far the share kept strays from it, relative (|kept/f − 1|), calibrated and with a fixed threshold.</summary>
public sealed record CutoffRun(
    double Fraction, double CalibratedMedianError, double CalibratedP90Error, double FixedThreshold, double FixedMedianError, double FixedP90Error,
    double ExactThresholdMin, double ExactThresholdMax);

/// <summary>The <c>cutoff</c> command's figures.</summary>
public sealed record CutoffResult(string Dataset, int Points, int Queries, int SampleSize, IReadOnlyList<CutoffRun> Runs);
