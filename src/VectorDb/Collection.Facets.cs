using System.Text.Json;
using VectorDb.Query;
using VectorDb.Query.PayloadIndexing;

namespace VectorDb;

/// <summary>Facet counts: how many points hold each value of an indexed payload key.</summary>
public sealed partial class Collection
{
    /// <summary>
    /// The <paramref name="limit"/> values of <paramref name="key"/> held by the most points among those
    /// <paramref name="filter"/> matches, with their counts (a point holding a value several times counts once; one holding
    /// several values counts for each), by count and then value. Always exact. The key needs a keyword, uuid, integer or
    /// bool index, whose kind of value is counted.
    /// </summary>
    /// <exception cref="InvalidRequestException">No such index on the key, or a bad limit.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired while counting.</exception>
    public IReadOnlyList<FacetHit> Facet(string key, int limit = 10, Filter? filter = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        CheckPageSize(limit);
        _table.ThrowIfDropped();
        var schema = _payloadIndexes.Find(key)?.Schema;
        if (schema is not (PayloadSchemaType.Keyword or PayloadSchemaType.Uuid or PayloadSchemaType.Integer or PayloadSchemaType.Bool))
        {
            throw new InvalidRequestException($"No appropriate index for faceting: `{key}`. Create a keyword, uuid, integer or bool payload index on it.");
        }

        using var read = _table.ReadVisible();
        var predicate = filter is null ? null : FilterCompiler.Compile(filter, _payloadIndexes, _table);
        var counts = new Dictionary<FacetValue, long>();
        var seen = new HashSet<FacetValue>();
        int scanned = 0;
        foreach (int node in MatchingNodes(predicate, cancellation))
        {
            if ((++scanned & 8191) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }

            seen.Clear();
            foreach (var element in PayloadPath.Values(_table.Stored(node)?.Payload, key))
            {
                if (FacetValue.Of(element, schema.Value) is { } value && seen.Add(value))
                {
                    counts[value] = counts.GetValueOrDefault(value) + 1;
                }
            }
        }

        return [.. counts.OrderByDescending(entry => entry.Value)
            .ThenBy(entry => entry.Key.Text, StringComparer.Ordinal).ThenBy(entry => entry.Key.Number).ThenBy(entry => entry.Key.Flag).Take(limit).Select(entry => new FacetHit(entry.Key, entry.Value))];
    }
}

/// <summary>A value of a faceted key: a string (keyword, uuid), an integer or a bool, exactly one set.</summary>
public readonly record struct FacetValue
{
    /// <summary>The value when it is a string.</summary>
    public string? Text { get; init; }

    /// <summary>The value when it is an integer.</summary>
    public long? Number { get; init; }

    /// <summary>The value when it is a bool.</summary>
    public bool? Flag { get; init; }

    /// <summary>The value as its JSON type: a string, a long or a bool.</summary>
    public object Value => Text ?? (object?)Number ?? Flag!.Value;

    /// <summary>The element as the kind of value an index of <paramref name="schema"/> holds; null for another kind.</summary>
    internal static FacetValue? Of(JsonElement element, PayloadSchemaType schema) => (schema, element.ValueKind) switch
    {
        (PayloadSchemaType.Keyword, JsonValueKind.String) => new FacetValue { Text = element.GetString() },
        (PayloadSchemaType.Uuid, JsonValueKind.String) when Guid.TryParse(element.GetString(), out var uuid) => new FacetValue { Text = uuid.ToString("D") },
        (PayloadSchemaType.Integer, JsonValueKind.Number) when element.TryGetInt64(out long number) => new FacetValue { Number = number },
        (PayloadSchemaType.Bool, JsonValueKind.True or JsonValueKind.False) => new FacetValue { Flag = element.GetBoolean() },
        _ => null,
    };
}

/// <summary>A value and how many points hold it.</summary>
public sealed record FacetHit(FacetValue Value, long Count);
