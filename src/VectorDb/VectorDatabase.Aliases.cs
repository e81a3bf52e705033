using VectorDb.Log;

namespace VectorDb;

/// <summary>Aliases: second names of collections, usable wherever a collection's name is, switched atomically.</summary>
public sealed partial class VectorDatabase
{
    // Replaced whole, never changed: a reader sees the aliases before or after a change, never in between.
    private volatile Dictionary<string, uint> _aliases = new(StringComparer.Ordinal);

    /// <summary>
    /// Applies alias actions all at once: every action is checked against the aliases as the ones before it leave them,
    /// and either all take effect together (one logged change; a query sees the aliases before or after, never between)
    /// or, when one is refused, none does. Creating an alias that exists points it at the new collection, as in Qdrant;
    /// deleting one that does not exist changes nothing.
    /// </summary>
    /// <exception cref="InvalidRequestException">A bad alias name, or one that is a collection's name.</exception>
    /// <exception cref="CollectionNotFoundException">An alias to a collection that does not exist (aliases name collections, not other aliases).</exception>
    /// <exception cref="NotFoundException">A rename of an alias that does not exist.</exception>
    public void UpdateAliases(IEnumerable<AliasAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        var list = actions.ToList();
        Write(() =>
        {
            var aliases = new Dictionary<string, uint>(_aliases, StringComparer.Ordinal);
            var changes = new List<AliasChange>();
            foreach (var action in list)
            {
                switch (action)
                {
                    case CreateAlias(var alias, var collection):
                        CheckAliasName(alias);
                        uint id = _collections.TryGetValue(collection, out var target)
                            ? target.Id
                            : throw new CollectionNotFoundException(collection);
                        aliases[alias] = id;
                        changes.Add(new AliasChange(alias, id));
                        break;
                    case DeleteAlias(var alias):
                        if (aliases.Remove(alias))
                        {
                            changes.Add(new AliasChange(alias, null));
                        }

                        break;
                    case RenameAlias(var from, var to):
                        CheckAliasName(to);
                        if (!aliases.Remove(from, out uint renamed))
                        {
                            throw new NotFoundException($"Alias {from} does not exist.");
                        }

                        aliases[to] = renamed;
                        changes.Add(new AliasChange(from, null));
                        changes.Add(new AliasChange(to, renamed));
                        break;
                    default:
                        throw new ArgumentException($"Unknown alias action {action?.GetType().Name}.", nameof(actions));
                }
            }

            return changes.Count == 0 ? null : new UpdateAliasesRecord(0, changes);
        });
    }

    /// <summary>Every alias and the collection it names, by alias name; only those naming <paramref name="collection"/> when given.</summary>
    public IReadOnlyList<CollectionAlias> ListAliases(string? collection = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return [.. _aliases
            .Select(alias => FindById(alias.Value) is { } target ? new CollectionAlias(alias.Key, target.Name) : null)
            .OfType<CollectionAlias>()
            .Where(alias => collection is null || alias.Collection == collection)
            .OrderBy(alias => alias.Alias, StringComparer.Ordinal)];
    }

    void IDatabaseState.ApplyUpdateAliases(UpdateAliasesRecord record)
    {
        var aliases = new Dictionary<string, uint>(_aliases, StringComparer.Ordinal);
        foreach (var change in record.Changes)
        {
            if (change.CollectionId is { } id)
            {
                aliases[change.Alias] = id;
            }
            else
            {
                aliases.Remove(change.Alias);
            }
        }

        _aliases = aliases;
    }

    /// <summary>The aliases as checkpoints save them: each alias's collection id.</summary>
    private IReadOnlyDictionary<string, uint> AliasTargets() => new Dictionary<string, uint>(_aliases, StringComparer.Ordinal);

    /// <summary>The collection an alias names, or null.</summary>
    private Collection? ByAlias(string alias) => _aliases.TryGetValue(alias, out uint id) ? FindById(id) : null;

    /// <summary>Points the aliases of a collection replaced by another (restored from a snapshot) at the new one.</summary>
    private void RetargetAliases(uint from, uint to) =>
        _aliases = _aliases.ToDictionary(alias => alias.Key, alias => alias.Value == from ? to : alias.Value, StringComparer.Ordinal);

    /// <summary>Removes the aliases of a dropped collection.</summary>
    private void ForgetAliases(uint collection) =>
        _aliases = _aliases.Where(alias => alias.Value != collection).ToDictionary(StringComparer.Ordinal);

    /// <summary>Takes the aliases a checkpoint holds.</summary>
    private void RestoreAliases(IReadOnlyDictionary<string, uint>? aliases) =>
        _aliases = new Dictionary<string, uint>(aliases ?? new Dictionary<string, uint>(), StringComparer.Ordinal);

    private void CheckAliasName(string alias)
    {
        ValidateCollectionName(alias);
        if (_collections.ContainsKey(alias))
        {
            throw new InvalidRequestException($"Alias `{alias}` is the name of a collection: an alias needs a name of its own.");
        }
    }
}

/// <summary>An alias and the collection it names.</summary>
public sealed record CollectionAlias(string Alias, string Collection);

/// <summary>A change of aliases: <see cref="CreateAlias"/>, <see cref="DeleteAlias"/> or <see cref="RenameAlias"/>.</summary>
public abstract record AliasAction;

/// <summary>Points an alias at a collection (a new alias, or an existing one moved).</summary>
public sealed record CreateAlias(string Alias, string Collection) : AliasAction;

/// <summary>Removes an alias (nothing when it does not exist).</summary>
public sealed record DeleteAlias(string Alias) : AliasAction;

/// <summary>Gives an alias a new name, keeping its collection.</summary>
public sealed record RenameAlias(string From, string To) : AliasAction;
