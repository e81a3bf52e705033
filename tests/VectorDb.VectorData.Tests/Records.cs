using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace VectorDb.VectorData.Tests;

public sealed class Hotel
{
    [VectorStoreKey]
    public ulong Key { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public string? Name { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public int Rating { get; set; }

    [VectorStoreData]
    public double Price { get; set; }

    [VectorStoreData]
    public float Score { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public bool Parking { get; set; }

    [VectorStoreData(StorageName = "opened")]
    public DateTimeOffset Opened { get; set; }

    [VectorStoreData(IsIndexed = true)]
    public string[] Tags { get; set; } = [];

    [VectorStoreData]
    public List<int> Floors { get; set; } = [];

    [VectorStoreData]
    public Guid? Owner { get; set; }

    [VectorStoreVector(4, DistanceFunction = DistanceFunction.CosineSimilarity)]
    public ReadOnlyMemory<float> Embedding { get; set; }
}

public sealed class GuidNote
{
    [VectorStoreKey]
    public Guid Id { get; set; }

    [VectorStoreData]
    public string Text { get; set; } = "";

    [VectorStoreVector(3, DistanceFunction = DistanceFunction.EuclideanDistance)]
    public float[] Vector { get; set; } = [];
}

public sealed class Product
{
    [VectorStoreKey]
    public int Id { get; set; }

    [VectorStoreData]
    public string Title { get; set; } = "";

    [VectorStoreVector(3, DistanceFunction = DistanceFunction.DotProductSimilarity)]
    public Embedding<float>? TitleVector { get; set; }

    [VectorStoreVector(2, DistanceFunction = DistanceFunction.ManhattanDistance)]
    public ReadOnlyMemory<Half> ImageVector { get; set; }
}

/// <summary>A record whose vector is generated from its text by the configured embedding generator.</summary>
public sealed class Snippet
{
    [VectorStoreKey]
    public ulong Id { get; set; }

    [VectorStoreData]
    public string Text { get; set; } = "";

    [VectorStoreVector(8)]
    public string Embedding => Text;
}

/// <summary>Deterministic embeddings: letter frequencies folded into eight dimensions (texts sharing letters are near).</summary>
public sealed class LetterEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Calls { get; private set; }

    public static float[] Embed(string text)
    {
        var vector = new float[8];
        foreach (char c in text.ToLowerInvariant().Where(char.IsLetter))
        {
            vector[c % 8] += 1;
        }

        vector[7] += 0.01f; // never all zero
        return vector;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Embed(v)))));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

public sealed class NamedNote
{
    [VectorStoreKey]
    public string Name { get; set; } = "";

    [VectorStoreData]
    public string Text { get; set; } = "";

    [VectorStoreVector(2, DistanceFunction = DistanceFunction.EuclideanDistance)]
    public float[] Embedding { get; set; } = [];
}
