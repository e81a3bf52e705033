using System.Text.Json;
using VectorDb.Query;
using VectorDb.Querying;

namespace VectorDb;

/// <summary>Grouped queries: the best points per value of a payload key.</summary>
public sealed partial class Collection
{
    /// <summary>How many times a grouped query widens its search to fill its groups.</summary>
    private const int GroupRounds = 5;

    /// <summary>
    /// Runs a universal query and groups its hits by the values of <paramref name="groupBy"/> (strings or integers;
    /// a point holding several joins each group, points holding none are left out): the <see cref="PointQuery.Limit"/>
    /// groups whose best hit ranks highest, each with up to <paramref name="groupSize"/> hits in rank order. The query
    /// is run for limit × group size hits (its prefetches for their limits × the number of groups), then for four times
    /// as many, up to five rounds, while fewer groups than asked for are full and more hits exist.
    /// </summary>
    /// <exception cref="InvalidRequestException">No keyword, uuid or integer index on the key; a bad group size; or a malformed query.</exception>
    public IReadOnlyList<PointGroup> QueryGroups(PointQuery query, string groupBy, int groupSize, QueryOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentException.ThrowIfNullOrEmpty(groupBy);
        options ??= QueryOptions.Default;
        CheckPageSize(query.Limit);
        if (groupSize is < 1 or > MaxSearchLimit)
        {
            throw new InvalidRequestException($"group_size must be between 1 and {MaxSearchLimit}, got {groupSize}.");
        }

        if (options.Offset != 0)
        {
            throw new InvalidRequestException("A grouped query has no offset: page through groups by excluding the ones seen with a filter.");
        }

        _table.ThrowIfDropped();
        if (_payloadIndexes.Find(groupBy) is not { Schema: PayloadSchemaType.Keyword or PayloadSchemaType.Uuid or PayloadSchemaType.Integer })
        {
            throw new InvalidRequestException($"`group_by` needs a keyword, uuid or integer payload index on `{groupBy}`: create one to group by it.");
        }

        using var read = _table.ReadVisible();
        var run = new QueryRun(this, explain: false, cancellation);
        run.ExcludeNamedPoints(query);
        int groups = query.Limit;
        var grouped = new Dictionary<GroupId, List<(Hit Hit, float Score)>>();
        var order = new List<GroupId>();
        for (int round = 0; round < GroupRounds; round++)
        {
            long scale = 1L << (2 * round); // each round asks for four times as many hits
            var widened = Widened(query, (int)Math.Min((long)groups * groupSize * scale, MaxSearchLimit), groups * scale);
            var result = run.Stage(widened, inherited: null, extra: 0, depth: 1);
            grouped.Clear();
            order.Clear();
            foreach (var hit in result.Hits)
            {
                foreach (var id in GroupIds(hit.Node, groupBy))
                {
                    if (!grouped.TryGetValue(id, out var members))
                    {
                        grouped[id] = members = [];
                        order.Add(id);
                    }

                    if (members.Count < groupSize)
                    {
                        members.Add((hit, result.Present(hit)));
                    }
                }
            }

            bool full = order.Count >= groups && order.Take(groups).All(id => grouped[id].Count == groupSize);
            if (full || result.Hits.Count < widened.Limit || widened.Limit >= MaxSearchLimit)
            {
                break;
            }
        }

        var lookup = new SearchOptions { WithPayload = options.WithPayload, WithVector = options.WithVector };
        return [.. order.Take(groups).Select(id => new PointGroup(id, [.. grouped[id]
            .Select(member => ToScoredPoint(member.Hit.Node, member.Score, lookup, member.Hit.OrderValue))
            .OfType<ScoredPoint>()]))];
    }

    /// <summary>The query asked for <paramref name="limit"/> hits, its prefetches (at every depth) for <paramref name="factor"/> times theirs.</summary>
    private static PointQuery Widened(PointQuery query, int limit, long factor) => query with
    {
        Limit = limit,
        Prefetch = query.Prefetch?.Select(prefetch => Widened(prefetch, (int)Math.Min(prefetch.Limit * factor, MaxSearchLimit), factor)).ToList(),
    };

    /// <summary>The group ids a point's payload gives: each distinct string or integer at the key (arrays flattened).</summary>
    private IEnumerable<GroupId> GroupIds(int node, string key)
    {
        var seen = new HashSet<GroupId>();
        foreach (var value in PayloadPath.Values(_table.Stored(node)?.Payload, key))
        {
            GroupId? id = value.ValueKind switch
            {
                JsonValueKind.String => GroupId.Of(value.GetString()!),
                JsonValueKind.Number when value.TryGetInt64(out long number) => GroupId.Of(number),
                _ => null,
            };
            if (id is { } found && seen.Add(found))
            {
                yield return found;
            }
        }
    }
}

/// <summary>A group's id: the payload value its points share, a string or an integer.</summary>
public readonly record struct GroupId
{
    private GroupId(string? text, long number) => (Text, Number) = (text, number);

    /// <summary>The value when it is a string; null for an integer.</summary>
    public string? Text { get; }

    /// <summary>The value when it is an integer (<see cref="Text"/> is null).</summary>
    public long Number { get; }

    /// <summary>A string id.</summary>
    public static GroupId Of(string text) => new(text ?? throw new ArgumentNullException(nameof(text)), 0);

    /// <summary>An integer id.</summary>
    public static GroupId Of(long number) => new(null, number);

    /// <inheritdoc />
    public override string ToString() => Text ?? Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One group of a grouped query: its id and its best hits, best first.</summary>
public sealed record PointGroup(GroupId Id, IReadOnlyList<ScoredPoint> Hits);
