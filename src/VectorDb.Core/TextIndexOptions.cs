namespace VectorDb;

/// <summary>How text is split into tokens.</summary>
public enum TokenizerKind
{
    /// <summary>Runs of letters and numbers; everything else separates (Qdrant's <c>word</c>).</summary>
    Word,

    /// <summary>Runs of anything but white space (Qdrant's <c>whitespace</c>).</summary>
    Whitespace,
}

/// <summary>
/// A full-text payload index's analysis (Qdrant's <c>text</c> index parameters), with Qdrant's defaults: word tokens,
/// lower-cased, no stop words, no stemming, no length limits, no phrase matching.
/// </summary>
public sealed record TextIndexOptions
{
    /// <summary>How text is split.</summary>
    public TokenizerKind Tokenizer { get; init; } = TokenizerKind.Word;

    /// <summary>Lower-case tokens (of values and of queries alike).</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>Tokens dropped, compared after lower-casing; null or empty for none.</summary>
    public IReadOnlyList<string>? StopWords { get; init; }

    /// <summary>Reduce tokens to their stems with Snowball's English stemmer.</summary>
    public bool EnglishStemmer { get; init; }

    /// <summary>Tokens shorter than this many characters are dropped; null for no limit.</summary>
    public int? MinTokenLength { get; init; }

    /// <summary>Tokens longer than this many characters are dropped; null for no limit.</summary>
    public int? MaxTokenLength { get; init; }

    /// <summary>Keep each value's token order, so <c>match.phrase</c> can require tokens to follow each other.</summary>
    public bool PhraseMatching { get; init; }

    /// <summary>True when both describe the same analysis (stop words compared as sets).</summary>
    public bool SameAs(TextIndexOptions? other) =>
        other is not null && Tokenizer == other.Tokenizer && Lowercase == other.Lowercase && EnglishStemmer == other.EnglishStemmer
        && MinTokenLength == other.MinTokenLength && MaxTokenLength == other.MaxTokenLength && PhraseMatching == other.PhraseMatching
        && (StopWords ?? []).ToHashSet(StringComparer.Ordinal).SetEquals(other.StopWords ?? []);

    /// <exception cref="InvalidRequestException">A length limit is negative, or the minimum exceeds the maximum.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Tokenizer) || MinTokenLength < 0 || MaxTokenLength < 0 || MinTokenLength > MaxTokenLength)
        {
            throw new InvalidRequestException($"A text index needs a known tokenizer and token length limits of 0 or more, the minimum not above the maximum (got {MinTokenLength}..{MaxTokenLength}).");
        }
    }
}
