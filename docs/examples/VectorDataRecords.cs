using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.VectorData;
using VectorDb.VectorData;

namespace VectorDb.Examples;

/// <summary>
/// Microsoft.Extensions.VectorData (the abstraction Semantic Kernel builds on): records with attributes, a store
/// registered with dependency injection, embeddings generated from text, a LINQ filter run by the engine.
/// </summary>
public static class VectorDataRecords
{
    public sealed class Hotel
    {
        [VectorStoreKey]
        public ulong HotelId { get; set; }

        [VectorStoreData(IsIndexed = true)]
        public string HotelName { get; set; } = "";

        [VectorStoreData(IsFullTextIndexed = true)]
        public string Description { get; set; } = "";

        [VectorStoreData(IsIndexed = true)]
        public int Rating { get; set; }

        [VectorStoreData(IsIndexed = true)]
        public string[] Tags { get; set; } = [];

        // Generated from the description by the registered embedding generator on upsert (and from the text on search).
        [VectorStoreVector(16, DistanceFunction = DistanceFunction.CosineSimilarity)]
        public string DescriptionEmbedding => Description;
    }

    public static async Task<int> RunAsync(TextWriter output)
    {
        string path = Examples.TempDirectory("mevd");
        try
        {
            var services = new ServiceCollection()
                .AddSingleton<IEmbeddingGenerator>(new CharacterEmbeddings()) // an OpenAI, Ollama or ONNX generator in a real application
                .AddVectorDbVectorStore(path)
                .AddVectorDbCollection<ulong, Hotel>("hotels");
            await using var provider = services.BuildServiceProvider();

            var hotels = provider.GetRequiredService<VectorStoreCollection<ulong, Hotel>>();
            await hotels.EnsureCollectionExistsAsync();
            await hotels.UpsertAsync(
            [
                new Hotel { HotelId = 1, HotelName = "Harbour Inn", Description = "Rooms over the harbour, sea views, breakfast", Rating = 4, Tags = ["sea", "breakfast"] },
                new Hotel { HotelId = 2, HotelName = "Alpine Lodge", Description = "Mountain chalet with ski storage and sauna", Rating = 5, Tags = ["ski", "sauna"] },
                new Hotel { HotelId = 3, HotelName = "City Rest", Description = "Small rooms in the old town, near the station", Rating = 3, Tags = ["central"] },
            ]);

            string[] wanted = ["ski", "sea"];
            var options = new VectorSearchOptions<Hotel> { Filter = h => h.Rating >= 4 && h.Tags.Any(t => wanted.Contains(t)) };
            await foreach (var result in hotels.SearchAsync("a chalet for skiing", top: 2, options))
            {
                await output.WriteLineAsync($"{result.Record.HotelName} ({result.Score:F3})");
            }

            var best = await hotels.SearchAsync("a chalet for skiing", top: 1, options).FirstAsync();

            // Hybrid search: the embedding and BM25 over the full-text description, fused by reciprocal rank fusion.
            var hybrid = (IKeywordHybridSearchable<Hotel>)hotels;
            var fused = await hybrid.HybridSearchAsync("somewhere to relax", ["sauna"], top: 1).FirstAsync();
            await output.WriteLineAsync($"hybrid: {fused.Record.HotelName} ({fused.Score:F4})");
            return best.Record.HotelId == 2 && fused.Record.HotelId == 2 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>A stand-in embedding model with no download: character trigram hashes folded into 16 dimensions.</summary>
    private sealed class CharacterEmbeddings : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(Embed)));

        private static Embedding<float> Embed(string text)
        {
            var vector = new float[16];
            string lower = text.ToLowerInvariant();
            for (int i = 0; i + 3 <= lower.Length; i++)
            {
                uint hash = 2166136261; // FNV-1a: the same in every process, unlike string.GetHashCode
                foreach (char c in lower.AsSpan(i, 3))
                {
                    hash = (hash ^ c) * 16777619;
                }

                vector[hash % 16] += 1;
            }

            vector[0] += 0.01f;
            return new Embedding<float>(vector);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
