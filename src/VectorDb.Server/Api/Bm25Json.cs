using System.Text.Json;
using VectorDb.Query.Text;

namespace VectorDb.Server.Api;

/// <summary>
/// The <c>options</c> of a <c>qdrant/bm25</c> document, as Qdrant reads them: <c>k</c>, <c>b</c>, <c>avg_len</c>,
/// <c>tokenizer</c>, <c>language</c>, <c>lowercase</c>, <c>ascii_folding</c>, <c>stopwords</c>, <c>stemmer</c>,
/// <c>min_token_len</c>, <c>max_token_len</c>. What we cannot do as Qdrant does (languages other than English, ASCII
/// folding, the prefix and multilingual tokenizers) is refused by name; unlike Qdrant, unknown keys are refused too.
/// </summary>
internal static class Bm25Json
{
    private const string EnglishOnly = "only English stop words and stemming are built (Lucene.Net's Snowball English stemmer)";

    public static Bm25Options Options(JsonElement? element, string path)
    {
        var options = new Bm25Options();
        if (element is not { ValueKind: not JsonValueKind.Null } given)
        {
            return options;
        }

        if (given.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidRequestException($"`{path}` must be an object.");
        }

        var analysis = options.Analysis;
        bool? english = null;
        foreach (var field in JsonText.Fields(given))
        {
            string name = field.Name;
            var value = field.Value;
            string at = $"{path}.{name}";
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue; // null counts as absent: the default
            }

            switch (name)
            {
                case "k":
                    options = options with { K = Number(value, at, min: 0) };
                    break;
                case "b":
                    options = options with { B = Number(value, at, min: 0, max: 1) };
                    break;
                case "avg_len":
                    options = options with { AverageLength = Number(value, at, min: double.Epsilon) };
                    break;
                case "tokenizer":
                    analysis = analysis with
                    {
                        Tokenizer = String(value, at) switch
                        {
                            "word" => TokenizerKind.Word,
                            "whitespace" => TokenizerKind.Whitespace,
                            "prefix" or "multilingual" => throw new InvalidRequestException($"`{at}` = \"{value.GetString()}\" is not supported yet: use word or whitespace."),
                            var other => throw new InvalidRequestException($"Unknown `{at}` \"{other}\": use word or whitespace."),
                        },
                    };
                    break;
                case "language":
                    english = String(value, at) switch
                    {
                        "english" or "en" => true,
                        "none" => false,
                        var other => throw new InvalidRequestException($"`{at}` = \"{other}\" is not supported yet: {EnglishOnly}; \"none\" turns stop words and stemming off."),
                    };
                    break;
                case "lowercase":
                    analysis = analysis with { Lowercase = Bool(value, at) };
                    break;
                case "ascii_folding":
                    if (Bool(value, at))
                    {
                        throw new InvalidRequestException($"`{at}` = true is not supported yet: tokens are not folded to ASCII.");
                    }

                    break;
                case "stopwords":
                    analysis = analysis with { StopWords = TextJson.StopWordsOf(value, at)?.ToHashSet(StringComparer.Ordinal) };
                    break;
                case "stemmer":
                    analysis = analysis with { EnglishStemmer = TextJson.EnglishStemmerOf(value, at) };
                    break;
                case "min_token_len":
                    analysis = analysis with { MinTokenLength = Length(value, at) };
                    break;
                case "max_token_len":
                    analysis = analysis with { MaxTokenLength = Length(value, at) };
                    break;
                default:
                    throw new InvalidRequestException($"Unknown field `{at}`.");
            }
        }

        // `language: none` turns off what stopwords and stemmer do not set themselves, as in Qdrant.
        if (english == false)
        {
            analysis = analysis with
            {
                StopWords = given.TryGetProperty("stopwords", out var stopWords) && stopWords.ValueKind != JsonValueKind.Null ? analysis.StopWords : null,
                EnglishStemmer = given.TryGetProperty("stemmer", out var stemmer) && stemmer.ValueKind != JsonValueKind.Null && analysis.EnglishStemmer,
            };
        }

        return options with { Analysis = analysis };
    }

    private static double Number(JsonElement value, string at, double min, double max = double.MaxValue) =>
        value.ValueKind == JsonValueKind.Number && value.GetDouble() is var number && number >= min && number <= max
            ? number
            : throw new InvalidRequestException($"`{at}` must be a number from {min:G3} to {max:G3}, got {value.GetRawText()}.");

    private static int Length(JsonElement value, string at) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int length) && length >= 0
            ? length
            : throw new InvalidRequestException($"`{at}` must be a non-negative integer, got {value.GetRawText()}.");

    private static bool Bool(JsonElement value, string at) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new InvalidRequestException($"`{at}` must be true or false."),
    };

    private static string String(JsonElement value, string at) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new InvalidRequestException($"`{at}` must be a string.");
}
