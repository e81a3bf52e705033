using System.Text.Json;
using VectorDb.Query.Text;

namespace VectorDb.Query.PayloadIndexing;

/// <summary>
/// A full-text index (Qdrant's <c>text</c>): each string value split into tokens by the index's analysis, postings of
/// token → nodes, and per node its values' token sequences (the column a graph search checks, and what phrases are
/// matched against). With it, <c>match.text</c> means every token of the query is among the point's tokens,
/// <c>match.text_any</c> at least one, <c>match.phrase</c> the query's tokens in a row within one value.
/// </summary>
internal sealed class TextFieldIndex(string key, TextIndexOptions options) : PayloadFieldIndex(key, PayloadSchemaType.Text)
{
    private readonly TextAnalyzer _analyzer = new(TextAnalysisOptions.For(options));
    private readonly Dictionary<string, HashSet<int>> _postings = new(StringComparer.Ordinal);
    private readonly Lock _postingsLock = new();
    private string[][]?[] _column = [];
    private int _points;

    public TextIndexOptions Options { get; } = options;

    public override int Points => Volatile.Read(ref _points);

    public override void Remove(int node)
    {
        var column = _column;
        if (node >= column.Length || column[node] is not { } values)
        {
            return;
        }

        Volatile.Write(ref column[node], null);
        lock (_postingsLock)
        {
            foreach (string token in values.SelectMany(v => v).Distinct())
            {
                if (_postings.TryGetValue(token, out var nodes) && nodes.Remove(node) && nodes.Count == 0)
                {
                    _postings.Remove(token);
                }
            }
        }

        Interlocked.Decrement(ref _points);
    }

    public override IndexedPredicate? TryCompile(Condition condition) => condition switch
    {
        MatchTextCondition text => new TokenMatch(this, Tokenize(text.Text), TokenMatch.Kind.All),
        MatchTextAnyCondition any => new TokenMatch(this, Tokenize(any.Text), TokenMatch.Kind.Any),
        MatchPhraseCondition phrase => Options.PhraseMatching
            ? new TokenMatch(this, Tokenize(phrase.Phrase), TokenMatch.Kind.Phrase)
            : throw new InvalidRequestException($"match.phrase on `{Key}` needs its text index created with `phrase_matching: true`."),
        _ => null,
    };

    protected override void AddValues(int node, IEnumerable<JsonElement> values)
    {
        var sequences = values.Where(v => v.ValueKind == JsonValueKind.String).Select(v => Tokenize(v.GetString()!)).Where(t => t.Length > 0).ToArray();
        if (sequences.Length == 0)
        {
            return;
        }

        lock (_postingsLock)
        {
            foreach (string token in sequences.SelectMany(t => t).Distinct())
            {
                if (!_postings.TryGetValue(token, out var nodes))
                {
                    _postings[token] = nodes = [];
                }

                nodes.Add(node);
            }
        }

        _column = Grow(_column, node);
        Volatile.Write(ref _column[node], sequences);
        Interlocked.Increment(ref _points);
    }

    private string[] Tokenize(string text)
    {
        var tokens = new List<string>();
        _analyzer.Tokenize(text, tokens);
        return [.. tokens];
    }

    /// <summary>Points whose tokens hold all, any, or the run of the query's tokens. A query without tokens matches nothing.</summary>
    private sealed class TokenMatch(TextFieldIndex index, string[] query, TokenMatch.Kind kind) : IndexedPredicate
    {
        private readonly HashSet<string> _distinct = new(query, StringComparer.Ordinal);
        private HashSet<int>? _matches;

        public enum Kind
        {
            All,
            Any,
            Phrase,
        }

        public override int Count => Matching().Count;

        public override bool CountIsExact => true;

        public override bool Matches(int node)
        {
            var column = Volatile.Read(ref index._column);
            if ((uint)node >= (uint)column.Length || Volatile.Read(ref column[node]) is not { } values || query.Length == 0)
            {
                return false;
            }

            return kind switch
            {
                Kind.All => _distinct.All(token => values.Any(v => Array.IndexOf(v, token) >= 0)),
                Kind.Any => values.Any(v => v.Any(_distinct.Contains)),
                _ => values.Any(ContainsRun),
            };
        }

        public override void Mark(NodeBitmap candidates)
        {
            foreach (int node in Matching())
            {
                candidates.Add(node);
            }
        }

        private bool ContainsRun(string[] tokens)
        {
            for (int start = 0; start + query.Length <= tokens.Length; start++)
            {
                if (tokens.AsSpan(start, query.Length).SequenceEqual(query))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The matching nodes, from the postings (intersected from the rarest token for all and phrase).</summary>
        private HashSet<int> Matching()
        {
            if (_matches is { } known)
            {
                return known;
            }

            HashSet<int> matches = [];
            if (_distinct.Count > 0)
            {
                lock (index._postingsLock)
                {
                    var postings = _distinct.Select(token => index._postings.GetValueOrDefault(token)).ToList();
                    if (kind == Kind.Any)
                    {
                        foreach (var nodes in postings.OfType<HashSet<int>>())
                        {
                            matches.UnionWith(nodes);
                        }
                    }
                    else if (postings.All(p => p is not null))
                    {
                        var ordered = postings.OrderBy(p => p!.Count).ToList();
                        matches.UnionWith(ordered[0]!);
                        foreach (var nodes in ordered.Skip(1))
                        {
                            matches.IntersectWith(nodes!);
                        }
                    }
                }

                if (kind == Kind.Phrase)
                {
                    matches.RemoveWhere(node => !Matches(node));
                }
            }

            return _matches = matches;
        }
    }
}
