using System.Globalization;
using System.Text;
using Lucene.Net.Tartarus.Snowball.Ext;

namespace VectorDb.Query.Text;

/// <summary>The steps that turn text into tokens, with Qdrant's defaults for BM25 (English).</summary>
public sealed record TextAnalysisOptions
{
    /// <summary>How text is split.</summary>
    public TokenizerKind Tokenizer { get; init; } = TokenizerKind.Word;

    /// <summary>Lower-case tokens before the stop word check and stemming.</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>Tokens dropped (compared after lower-casing); null for none.</summary>
    public IReadOnlySet<string>? StopWords { get; init; } = Text.StopWords.English;

    /// <summary>Reduce tokens to their stems with Snowball's English (Porter2) stemmer.</summary>
    public bool EnglishStemmer { get; init; } = true;

    /// <summary>Stemmed tokens shorter than this many characters are dropped; null for no limit.</summary>
    public int? MinTokenLength { get; init; }

    /// <summary>Stemmed tokens longer than this many characters are dropped; null for no limit.</summary>
    public int? MaxTokenLength { get; init; }

    /// <summary>The analysis a full-text payload index's options describe.</summary>
    public static TextAnalysisOptions For(TextIndexOptions index) => new()
    {
        Tokenizer = index.Tokenizer,
        Lowercase = index.Lowercase,
        StopWords = index.StopWords is { Count: > 0 } words ? words.ToHashSet(StringComparer.Ordinal) : null,
        EnglishStemmer = index.EnglishStemmer,
        MinTokenLength = index.MinTokenLength,
        MaxTokenLength = index.MaxTokenLength,
    };
}

/// <summary>
/// Turns text into tokens as Qdrant's server does for BM25 and full-text indexes: split, lower-case, drop stop
/// words, stem, drop by length, in that order; repeated tokens are kept (they count for term frequency).
/// </summary>
/// <remarks>
/// Where .NET and Rust differ: a word character here is a letter, a number or a spacing mark (Unicode L*, N*, Mc),
/// which Rust's <c>char::is_alphanumeric</c> approximates with its Alphabetic and Numeric properties (it also counts
/// some non-spacing marks of Indic scripts, which split words here); lower-casing is .NET's invariant culture's, which
/// lacks Rust's final-sigma rule. Stems are Lucene.Net's Snowball English, the algorithm rust-stemmers implements.
/// </remarks>
public sealed class TextAnalyzer(TextAnalysisOptions options)
{
    [ThreadStatic]
    private static EnglishStemmer? t_stemmer;

    /// <summary>The analyzer with Qdrant's BM25 defaults.</summary>
    public static TextAnalyzer Default { get; } = new(new TextAnalysisOptions());

    /// <summary>Its options.</summary>
    public TextAnalysisOptions Options { get; } = options;

    /// <summary>Appends the tokens of <paramref name="text"/> to <paramref name="tokens"/>.</summary>
    public void Tokenize(string text, List<string> tokens)
    {
        int start = -1;
        int i = 0;
        while (i < text.Length)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out int length);
            if (IsTokenRune(rune))
            {
                if (start < 0)
                {
                    start = i;
                }
            }
            else if (start >= 0)
            {
                Add(text[start..i], tokens);
                start = -1;
            }

            i += length;
        }

        if (start >= 0)
        {
            Add(text[start..], tokens);
        }
    }

    private bool IsTokenRune(Rune rune) => Options.Tokenizer == TokenizerKind.Whitespace
        ? !Rune.IsWhiteSpace(rune)
        : Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter
                or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
                or UnicodeCategory.SpacingCombiningMark => true,
            _ => false,
        };

    private void Add(string token, List<string> tokens)
    {
        if (Options.Lowercase)
        {
            token = token.ToLowerInvariant();
        }

        if (Options.StopWords?.Contains(token) == true)
        {
            return;
        }

        if (Options.EnglishStemmer)
        {
            var stemmer = t_stemmer ??= new EnglishStemmer();
            stemmer.SetCurrent(token);
            stemmer.Stem();
            token = stemmer.Current;
        }

        if (Options.MinTokenLength is { } min || Options.MaxTokenLength is not null)
        {
            int characters = token.EnumerateRunes().Count();
            if (characters < (Options.MinTokenLength ?? 0) || characters > (Options.MaxTokenLength ?? int.MaxValue))
            {
                return;
            }
        }

        tokens.Add(token);
    }
}
