namespace VectorDb.Query.PayloadIndexing;

/// <summary>Turns a <see cref="Filter"/> into a <see cref="NodePredicate"/>, answering each condition from a
/// field index where one can, and from the stored payload otherwise.</summary>
internal static class FilterCompiler
{
    public static NodePredicate Compile(Condition condition, PayloadIndexSet indexes, IPointSource source) => condition switch
    {
        Filter filter => CompileFilter(filter, indexes, source),
        HasIdCondition hasId => new NodeSetPredicate(ResolveIds(hasId.Ids, source)),
        HasVectorCondition hasVector => new NodeTestPredicate(
            source.VectorHolders(hasVector.Vector) ?? throw new InvalidRequestException($"Not existing vector name error: {hasVector.Vector}"), source),
        MatchTextAnyCondition or MatchPhraseCondition => KeyOf(condition) is { } key && indexes.Find(key)?.TryCompile(condition) is { } indexed
            ? indexed
            : throw new InvalidRequestException($"match.{(condition is MatchPhraseCondition ? "phrase" : "text_any")} on `{KeyOf(condition)}` needs a full-text (text) payload index on that key."),
        _ => KeyOf(condition) is { } key && indexes.Find(key)?.TryCompile(condition) is { } indexed
            ? indexed
            : new PayloadPredicate(condition, source),
    };

    private static NodePredicate CompileFilter(Filter filter, PayloadIndexSet indexes, IPointSource source)
    {
        var parts = new List<NodePredicate>();
        parts.AddRange((filter.Must ?? []).Select(c => Compile(c, indexes, source)));
        if (filter.Should is { Count: > 0 } should)
        {
            parts.Add(should.Count == 1 ? Compile(should[0], indexes, source) : new AnyOfPredicate([.. should.Select(c => Compile(c, indexes, source))]));
        }

        parts.AddRange((filter.MustNot ?? []).Select(c => new NotPredicate(Compile(c, indexes, source))));
        if (filter.MinShould is { } minShould)
        {
            parts.Add(new AtLeastPredicate([.. minShould.Conditions.Select(c => Compile(c, indexes, source))], minShould.MinCount));
        }

        return parts.Count switch
        {
            0 => MatchAllPredicate.Instance,
            1 => parts[0],
            _ => new AllOfPredicate([.. parts]),
        };
    }

    private static HashSet<int> ResolveIds(IReadOnlySet<PointId> ids, IPointSource source)
    {
        var nodes = new HashSet<int>();
        foreach (var id in ids)
        {
            if (source.TryGetNode(id, out int node))
            {
                nodes.Add(node);
            }
        }

        return nodes;
    }

    private static string? KeyOf(Condition condition) => condition switch
    {
        MatchValueCondition c => c.Key,
        MatchAnyCondition c => c.Key,
        MatchExceptCondition c => c.Key,
        RangeCondition c => c.Key,
        IsEmptyCondition c => c.Key,
        IsNullCondition c => c.Key,
        ValuesCountCondition c => c.Key,
        MatchTextCondition c => c.Key,
        MatchTextAnyCondition c => c.Key,
        MatchPhraseCondition c => c.Key,
        MatchPrefixCondition c => c.Key,
        DatetimeRangeCondition c => c.Key,
        GeoCondition c => c.Key,
        _ => null,
    };
}
