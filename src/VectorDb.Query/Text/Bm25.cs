using System.Text;
using VectorDb.Sparse;

namespace VectorDb.Query.Text;

/// <summary>BM25's parameters, with Qdrant's defaults.</summary>
public sealed record Bm25Options
{
    /// <summary>Term-frequency saturation (k₁).</summary>
    public double K { get; init; } = 1.2;

    /// <summary>Length normalisation (0: none, 1: full).</summary>
    public double B { get; init; } = 0.75;

    /// <summary>
    /// The document length lengths are normalised against: a fixed number, as in Qdrant, not the corpus mean (which
    /// would change every stored vector as the corpus grows).
    /// </summary>
    public double AverageLength { get; init; } = 256;

    /// <summary>How text becomes tokens.</summary>
    public TextAnalysisOptions Analysis { get; init; } = new();
}

/// <summary>
/// Text to sparse vectors as Qdrant's server-side <c>qdrant/bm25</c> model makes them, so that vectors from Qdrant's
/// clients and from this server agree: a token's dimension is the absolute value of its signed MurmurHash3
/// (x86, 32-bit, seed 0, over its UTF-8 bytes); a document weighs each distinct token by BM25's term-frequency part,
/// tf·(k₁+1) / (tf + k₁·(1 − b + b·len/avg_len)) with len its token count; a query weighs each distinct token 1.
/// Inverse document frequency is not in either: a search applies it when the sparse vector's modifier is <c>idf</c>
/// (<see cref="SparseIndex.WeighByIdf"/>).
/// </summary>
public sealed class Bm25Encoder(Bm25Options options)
{
    private readonly TextAnalyzer _analyzer = new(options.Analysis);

    /// <summary>Its parameters.</summary>
    public Bm25Options Options { get; } = options;

    /// <summary>A token's dimension.</summary>
    public static uint TermId(string token)
    {
        Span<byte> buffer = stackalloc byte[256];
        int length = Encoding.UTF8.GetMaxByteCount(token.Length) <= buffer.Length
            ? Encoding.UTF8.GetBytes(token, buffer)
            : -1;
        uint hash = length >= 0 ? Murmur3.Hash32(buffer[..length]) : Murmur3.Hash32(Encoding.UTF8.GetBytes(token));
        int signed = unchecked((int)hash);
        return signed == int.MinValue ? 1u << 31 : (uint)Math.Abs(signed);
    }

    /// <summary>A stored document's vector.</summary>
    public SparseVector EncodeDocument(string text)
    {
        var tokens = new List<string>();
        _analyzer.Tokenize(text, tokens);
        var counts = new Dictionary<uint, int>();
        foreach (string token in tokens)
        {
            uint id = TermId(token);
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }

        double k = Options.K, b = Options.B;
        double normalisation = 1 - b + (b * tokens.Count / Options.AverageLength);
        var indices = new uint[counts.Count];
        var values = new float[counts.Count];
        int i = 0;
        foreach (var (id, count) in counts)
        {
            indices[i] = id;
            values[i++] = (float)(count * (k + 1) / Math.FusedMultiplyAdd(k, normalisation, count));
        }

        return SparseVector.Create(indices, values);
    }

    /// <summary>A query's vector: weight 1 on each distinct token.</summary>
    public SparseVector EncodeQuery(string text)
    {
        var tokens = new List<string>();
        _analyzer.Tokenize(text, tokens);
        uint[] indices = [.. tokens.Select(TermId).Distinct()];
        return SparseVector.Create(indices, [.. indices.Select(_ => 1f)]);
    }
}
