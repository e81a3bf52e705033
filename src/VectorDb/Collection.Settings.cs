using System.Text.Json;
using VectorDb.Log;

namespace VectorDb;

/// <summary>Settings of an existing collection that can change (Qdrant's <c>PATCH /collections/{name}</c>).</summary>
public sealed partial class Collection
{
    /// <summary>
    /// Changes settings: the beam width and number of links new links are built with (existing nodes keep their links
    /// until they are relinked), the metadata
    /// (merged: given keys set, keys given as null removed) and the strict-mode limits (merged: given fields replaced).
    /// Logged like every write. A change that changes nothing writes nothing.
    /// </summary>
    /// <returns>True when a setting changed.</returns>
    /// <exception cref="InvalidRequestException">A value out of range.</exception>
    public bool UpdateSettings(CollectionSettingsChange change, bool wait = true)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.DisableQuantization && change.Quantization is not null)
        {
            throw new InvalidRequestException("Quantization cannot be both set and disabled in one change.");
        }

        if (change.EfConstruction is not null || change.M is not null || change.FullScanThreshold is not null)
        {
            if (_unnamed is null)
            {
                throw new InvalidRequestException("`hnsw_config` changes the unnamed vector's graph, and this collection has none.");
            }

            new Hnsw.HnswParameters { M = change.M ?? Options.M, EfConstruction = change.EfConstruction ?? Options.EfConstruction }.Validate();
            int capacity = _unnamed.Graph.Parameters.M;
            if (change.M > capacity)
            {
                throw new InvalidRequestException($"`hnsw_config.m` can be lowered, or raised back up to {capacity}, not to {change.M}: {capacity} links per upper layer (twice that on layer 0) is the fixed size of every node's link block, and more would take rebuilding the graph, which is not built yet.");
            }
        }

        return Write(wait, () =>
        {
            var options = Options with
            {
                EfConstruction = change.EfConstruction ?? Options.EfConstruction,
                M = change.M ?? Options.M,
                LinkCapacity = change.M is null ? Options.LinkCapacity : _unnamed!.Graph.Parameters.M,
                FullScanThreshold = change.FullScanThreshold ?? Options.FullScanThreshold,
                Metadata = change.Metadata is { } patch ? Merged(Options.Metadata, patch) : Options.Metadata,
                StrictMode = change.StrictMode is { } strict ? (Options.StrictMode ?? new StrictModeOptions()).With(strict) : Options.StrictMode,
                Quantization = change.DisableQuantization ? null : change.Quantization ?? Options.Quantization,
            };
            options.Validate();
            var config = CollectionConfig.From(options);
            byte[] before = MessagePack.MessagePackSerializer.Serialize(CollectionConfig.From(Options), Storage.Serialization.Options);
            byte[] after = MessagePack.MessagePackSerializer.Serialize(config, Storage.Serialization.Options);
            return before.AsSpan().SequenceEqual(after) ? null : new UpdateSettingsRecord(Id, config);
        }).Written;
    }

    void ICollectionState.ApplyUpdateSettings(CollectionOptions options)
    {
        bool quantizationChanged = !Equals(options.Quantization, Options.Quantization);
        Options = options;
        _unnamed?.ChangeConstruction(options.EfConstruction, options.M, options.FullScanThreshold);
        if (quantizationChanged)
        {
            // The collection's quantization is every dense vector's that sets none of its own; the codes are encoded
            // again while searches go on (writers wait: this runs under the write lock).
            _unnamed?.ChangeQuantization(options.Quantization);
            foreach (var (name, vector) in options.NamedVectors ?? new Dictionary<string, DenseVectorOptions>())
            {
                if (vector.Quantization is null && vector.PrefixTier is null && _spaces.Find(name) is Spaces.DenseVectorSpace space)
                {
                    space.ChangeQuantization(options.Quantization);
                }
            }
        }
    }

    /// <summary>Metadata with a patch's keys set, those it gives as null removed; null when nothing remains.</summary>
    private static Payload? Merged(Payload? current, Payload patch)
    {
        var kept = (current ?? Payload.Empty).Root.EnumerateObject().Where(property => !patch.Root.TryGetProperty(property.Name, out _));
        var set = patch.Root.EnumerateObject().Where(property => property.Value.ValueKind != JsonValueKind.Null);
        var merged = Payload.FromObject(kept.Concat(set).ToDictionary(property => property.Name, property => property.Value));
        return merged.Root.EnumerateObject().Any() ? merged : null;
    }
}

/// <summary>A change of a collection's settings: null fields stay as they are.</summary>
public sealed record CollectionSettingsChange
{
    /// <summary>The beam width new links are built with (and the default <c>hnsw_ef</c> of searches).</summary>
    public int? EfConstruction { get; init; }

    /// <summary>
    /// Links per node kept from now on (see <see cref="Hnsw.HnswIndex.M"/>): lower than the collection was created with,
    /// or back up to it; never above it.
    /// </summary>
    public int? M { get; init; }

    /// <summary>The full-scan threshold in KB (see <see cref="CollectionOptions.FullScanThreshold"/>).</summary>
    public int? FullScanThreshold { get; init; }

    /// <summary>Metadata keys to set; keys given as JSON null are removed.</summary>
    public Payload? Metadata { get; init; }

    /// <summary>Strict-mode limits to set (its non-null fields).</summary>
    public StrictModeOptions? StrictMode { get; init; }

    /// <summary>
    /// The collection's quantization from now on (see <see cref="CollectionOptions.Quantization"/>): every row is encoded
    /// again, in the write, while searches keep running on the old codes.
    /// </summary>
    public QuantizationOptions? Quantization { get; init; }

    /// <summary>True to drop the collection's quantization (Qdrant's <c>"quantization_config": "Disabled"</c>).</summary>
    public bool DisableQuantization { get; init; }
}
