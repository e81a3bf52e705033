using System.Text;
using VectorDb.Query.Text;

namespace VectorDb.Query.Tests;

public class Bm25Tests
{
    [Theory]
    [InlineData("", 0u)]
    [InlineData("hello", 0x248bfa47u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x2e4ff723u)]
    public void Murmur3_matches_the_reference_hash(string text, uint expected) =>
        Assert.Equal(expected, Murmur3.Hash32(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void A_document_gets_the_vector_qdrant_documents()
    {
        // Qdrant's inference docs: "Recipe for baking chocolate chip cookies" with the defaults (k 1.2, b 0.75,
        // avg_len 256); "for" is a stop word, so the length is 5 and every term weighs 2.2 / (1 + 1.2 (0.25 + 0.75·5/256)).
        var vector = new Bm25Encoder(new Bm25Options()).EncodeDocument("Recipe for baking chocolate chip cookies");

        Assert.Equal([112174620u, 177304315u, 662344706u, 771857363u, 1617337648u], vector.Indices);
        Assert.All(vector.Values, value => Assert.Equal(1.6697302f, value));
    }

    [Fact]
    public void Tokens_are_split_lowercased_stop_worded_and_stemmed()
    {
        var tokens = new List<string>();
        TextAnalyzer.Default.Tokenize("Don't bake the COOKIES; baking_soda's running-shoes 42x", tokens);
        Assert.Equal(["bake", "cooki", "bake", "soda", "run", "shoe", "42x"], tokens);

        tokens.Clear();
        new TextAnalyzer(new TextAnalysisOptions { Tokenizer = TokenizerKind.Whitespace, StopWords = null, EnglishStemmer = false, Lowercase = false })
            .Tokenize("Don't  bake the", tokens);
        Assert.Equal(["Don't", "bake", "the"], tokens);
    }

    [Fact]
    public void Repeated_terms_saturate_and_a_query_weighs_each_distinct_term_once()
    {
        var encoder = new Bm25Encoder(new Bm25Options { AverageLength = 4 });
        var document = encoder.EncodeDocument("cat cat cat dog");
        float cat = document.Values[Array.IndexOf(document.Indices, Bm25Encoder.TermId("cat"))];
        float dog = document.Values[Array.IndexOf(document.Indices, Bm25Encoder.TermId("dog"))];
        Assert.Equal((float)(3 * 2.2 / (3 + 1.2)), cat, 6);
        Assert.Equal((float)(1 * 2.2 / (1 + 1.2)), dog, 6);

        var query = encoder.EncodeQuery("dogs and cats and dogs");
        Assert.Equal(2, query.Count);
        Assert.All(query.Values, value => Assert.Equal(1f, value));
    }
}
