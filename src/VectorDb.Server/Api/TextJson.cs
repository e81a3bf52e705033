using System.Text.Json;
using VectorDb.Query.Text;

namespace VectorDb.Server.Api;

/// <summary>
/// A text index's parameters in Qdrant's <c>field_schema</c> form: <c>tokenizer</c> (<c>word</c>, <c>whitespace</c>),
/// <c>min_token_len</c>, <c>max_token_len</c>, <c>lowercase</c>, <c>phrase_matching</c>, <c>stopwords</c> (a language
/// or <c>{"languages", "custom"}</c>) and <c>stemmer</c> (<c>{"type": "snowball", "language"}</c>). Only English is built
/// for stop words and stemming; other languages, and the <c>prefix</c> and <c>multilingual</c> tokenizers, are refused by name.
/// </summary>
internal static class TextJson
{
    private const string EnglishOnly = "only English stop words and stemming are built";

    public static TextIndexOptions Options(PayloadSchemaParams parameters) => new()
    {
        Tokenizer = parameters.Tokenizer switch
        {
            null or "word" => TokenizerKind.Word,
            "whitespace" => TokenizerKind.Whitespace,
            "prefix" or "multilingual" => throw new InvalidRequestException($"`field_schema.tokenizer` = \"{parameters.Tokenizer}\" is not supported yet: use word or whitespace."),
            var other => throw new InvalidRequestException($"Unknown `field_schema.tokenizer` \"{other}\": use word or whitespace."),
        },
        MinTokenLength = parameters.MinTokenLen is < 0 ? throw new InvalidRequestException("`field_schema.min_token_len` must not be negative.") : parameters.MinTokenLen,
        MaxTokenLength = parameters.MaxTokenLen is < 0 ? throw new InvalidRequestException("`field_schema.max_token_len` must not be negative.") : parameters.MaxTokenLen,
        Lowercase = parameters.Lowercase ?? true,
        PhraseMatching = parameters.PhraseMatching ?? false,
        StopWords = StopWordsOf(parameters.Stopwords, "field_schema.stopwords"),
        EnglishStemmer = EnglishStemmerOf(parameters.Stemmer, "field_schema.stemmer"),
    };

    /// <summary><c>stopwords</c>: a language name or <c>{"languages": [...], "custom": [...]}</c>; null when absent.</summary>
    public static string[]? StopWordsOf(JsonElement? element, string path)
    {
        switch (element)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } language:
                return English(language.GetString(), path);
            case { ValueKind: JsonValueKind.Object } sets:
                var words = new SortedSet<string>(StringComparer.Ordinal);
                foreach (var field in JsonText.Fields(sets))
                {
                    string at = $"{path}.{field.Name}";
                    if (field.Name is not ("languages" or "custom") || field.Value.ValueKind != JsonValueKind.Array)
                    {
                        throw new InvalidRequestException(field.Name is "languages" or "custom" ? $"`{at}` must be a list of strings." : $"Unknown field `{at}`.");
                    }

                    foreach (var item in field.Value.EnumerateArray())
                    {
                        string word = item.ValueKind == JsonValueKind.String ? JsonText.Read(item, at) : throw new InvalidRequestException($"`{at}` must be a list of strings.");
                        words.UnionWith(field.Name == "languages" ? English(word, at) : [word.ToLowerInvariant()]);
                    }
                }

                return [.. words];
            default:
                throw new InvalidRequestException($"`{path}` is a language name or {{\"languages\": [...], \"custom\": [...]}}.");
        }
    }

    private static string[] English(string? language, string at) => language is "english" or "en"
        ? [.. StopWords.English.Order(StringComparer.Ordinal)]
        : throw new InvalidRequestException($"`{at}` \"{language}\" is not supported yet: {EnglishOnly}.");

    /// <summary><c>stemmer</c>: Snowball English, or none (absent, null or <c>{"type": "none"}</c>).</summary>
    public static bool EnglishStemmerOf(JsonElement? element, string path)
    {
        if (element is not { ValueKind: not JsonValueKind.Null } stemmer)
        {
            return false;
        }

        string? type = stemmer.ValueKind == JsonValueKind.Object && stemmer.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        string? language = stemmer.ValueKind == JsonValueKind.Object && stemmer.TryGetProperty("language", out var l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null;
        return (type, language) switch
        {
            ("none", null) => false,
            ("snowball", "english" or "en") => true,
            ("snowball", _) => throw new InvalidRequestException($"`{path}.language` \"{language}\" is not supported yet: {EnglishOnly}."),
            _ => throw new InvalidRequestException($"`{path}` is {{\"type\": \"snowball\", \"language\": \"english\"}} or {{\"type\": \"none\"}}."),
        };
    }
}
