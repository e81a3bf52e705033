using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;
using Microsoft.Extensions.VectorData.ProviderServices;
using VectorDb.Query;

namespace VectorDb.VectorData;

/// <summary>
/// An MEVD collection over a collection of an embedded <see cref="VectorDatabase"/>. A record is a point: its key the
/// point id (<c>ulong</c>, non-negative <c>long</c>/<c>int</c>, <c>Guid</c>, or a <c>string</c>'s name-based UUID with the
/// string kept in a payload field of the key's name: <see cref="StringKeys"/>), its data properties payload fields
/// named by storage name, its vector property the collection's unnamed vector — or, when it has several, named vectors
/// named by storage name. Filters run in the engine; <c>IsIndexed</c> data properties get payload indexes.
/// </summary>
/// <typeparam name="TKey">The key type: <c>ulong</c>, <c>long</c>, <c>int</c>, <c>Guid</c> or <c>string</c>.</typeparam>
/// <typeparam name="TRecord">The record type.</typeparam>
/// <remarks>
/// Writes are atomic per call (a batch is validated and logged as one record) and, unless
/// <see cref="VectorDbCollectionOptions.WaitForDurability"/> is off, complete once durable. Engine errors surface as
/// <see cref="VectorStoreException"/> with the engine's exception inside; what MEVD's contract makes an argument or
/// support error stays one (<see cref="ArgumentException"/>, <see cref="NotSupportedException"/>).
/// </remarks>
public class VectorDbCollection<TKey, TRecord> : VectorStoreCollection<TKey, TRecord>, IKeywordHybridSearchable<TRecord>
    where TKey : notnull
    where TRecord : class
{
    private static readonly VectorSearchOptions<TRecord> DefaultSearch = new();
    private static readonly RecordRetrievalOptions DefaultRetrieval = new();
    private static readonly Dictionary<VectorPropertyModel, Embedding> NoEmbeddings = [];

    private readonly VectorDatabase _database;
    private readonly RecordMapper _mapper;
    private readonly Dictionary<VectorPropertyModel, Scoring> _scoring = [];
    private readonly HashSet<VectorPropertyModel> _flat = [];
    private readonly VectorDbCollectionOptions _options;
    private readonly VectorStoreCollectionMetadata _metadata;
    private readonly Dictionary<(VectorPropertyModel, bool WithVectors), SearchOptions> _searchOptions = [];

    /// <summary>An MEVD collection over the collection <paramref name="name"/> of <paramref name="database"/> (created by <see cref="EnsureCollectionExistsAsync"/>).</summary>
    /// <exception cref="NotSupportedException">A key, data or vector type, distance function or index kind the engine does not offer.</exception>
    /// <exception cref="ArgumentException">A bad name or option.</exception>
    public VectorDbCollection(VectorDatabase database, string name, VectorDbCollectionOptions? options = null)
        : this(database, name, options, static (builder, definition, generator) => builder.Build(typeof(TRecord), typeof(TKey), definition, generator))
    {
        if (typeof(TKey) == typeof(object) || !RecordModelBuilder.KeyTypes.Contains(typeof(TKey)))
        {
            throw new NotSupportedException($"Keys of type {typeof(TKey).Name} are not supported; use ulong, long, int, Guid or string.");
        }
    }

    internal VectorDbCollection(VectorDatabase database, string name, VectorDbCollectionOptions? options, Func<RecordModelBuilder, VectorStoreCollectionDefinition?, IEmbeddingGenerator?, CollectionModel> buildModel)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        try
        {
            VectorDatabase.ValidateCollectionName(name);
        }
        catch (InvalidRequestException e)
        {
            throw new ArgumentException(e.Message, nameof(name), e);
        }

        _database = database;
        _options = options is null ? new VectorDbCollectionOptions() : new VectorDbCollectionOptions(options);
        _options.Validate();
        Name = name;
        var model = buildModel(new RecordModelBuilder(), _options.Definition, _options.EmbeddingGenerator);
        _mapper = new RecordMapper(model, typeof(TRecord), () => model.CreateRecord<TRecord>()!);
        foreach (var property in _mapper.Model.DataProperties.Where(p => p.IsIndexed && p.IsFullTextIndexed))
        {
            throw new NotSupportedException($"Data property '{property.ModelName}' asks for a payload index and a full-text index; VectorDb keeps one index per field: choose IsIndexed or IsFullTextIndexed.");
        }

        foreach (var property in _mapper.Model.DataProperties.Where(p => p.IsFullTextIndexed && (RecordModelBuilder.ElementType(p.Type) ?? p.Type) != typeof(string)))
        {
            throw new NotSupportedException($"Data property '{property.ModelName}' is full-text indexed but not text; full-text indexes take string or string-array properties.");
        }

        foreach (var property in _mapper.Model.VectorProperties)
        {
            _scoring[property] = Scoring.For(property.DistanceFunction);
            switch (property.IndexKind)
            {
                case null or IndexKind.Hnsw:
                    break;
                case IndexKind.Flat:
                    _flat.Add(property);
                    break;
                default:
                    throw new NotSupportedException($"Index kind '{property.IndexKind}' of vector property '{property.ModelName}' is not supported by VectorDb; use {IndexKind.Hnsw} or {IndexKind.Flat}.");
            }
        }

        foreach (var property in _mapper.Model.VectorProperties)
        {
            foreach (bool withVectors in (bool[])[false, true])
            {
                _searchOptions[(property, withVectors)] = new SearchOptions
                {
                    Using = _mapper.VectorName(property),
                    WithPayload = true,
                    WithVector = withVectors,
                    Exact = _flat.Contains(property),
                    Ef = _options.SearchEf,
                };
            }
        }

        _metadata = new VectorStoreCollectionMetadata
        {
            VectorStoreSystemName = VectorDbVectorStore.SystemName,
            VectorStoreName = database.Path,
            CollectionName = name,
        };
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override Task<bool> CollectionExistsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(TryEngine(out _));

    /// <summary>
    /// Creates the collection when it does not exist, then the payload indexes of the <c>IsIndexed</c> and
    /// <c>IsFullTextIndexed</c> data properties. An existing collection must hold the record's vectors with the same
    /// dimensions and metric.
    /// </summary>
    /// <exception cref="VectorStoreException">The existing collection does not fit the record definition, or the creation failed.</exception>
    public override async Task EnsureCollectionExistsAsync(CancellationToken cancellationToken = default)
    {
        var collection = await Run("EnsureCollectionExists", async () =>
        {
            if (!TryEngine(out var existing))
            {
                try
                {
                    return await _database.CreateCollectionAsync(Name, EngineOptions(), cancellationToken).ConfigureAwait(false);
                }
                catch (CollectionAlreadyExistsException)
                {
                    existing = Engine();
                }
            }

            MakeFit(existing);
            return existing;
        }).ConfigureAwait(false);

        foreach (var property in _mapper.Model.DataProperties)
        {
            if (IndexSchema(property) is { } schema)
            {
                // Not cancelled once the collection exists: a caller told "cancelled" would skip creating the indexes later.
                await Run("EnsureCollectionExists", () => collection.CreatePayloadIndexAsync(property.StorageName, schema, cancellation: CancellationToken.None)).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public override async Task EnsureCollectionDeletedAsync(CancellationToken cancellationToken = default) =>
        await Run("EnsureCollectionDeleted", () => _database.DeleteCollectionAsync(Name, cancellationToken)).ConfigureAwait(false);

    /// <inheritdoc />
    public override async Task<TRecord?> GetAsync(TKey key, RecordRetrievalOptions? options = null, CancellationToken cancellationToken = default)
    {
        bool vectors = IncludeVectors((options ?? DefaultRetrieval).IncludeVectors);
        if (!_mapper.TryPointIdOfKey(key, out var id))
        {
            return null; // a negative key: no point has it
        }

        var point = await Run("Get", () => Task.FromResult(Engine().Get(id, withVector: vectors, withPayload: true))).ConfigureAwait(false);
        return point is null ? null : ToRecord(point, vectors, "Get");
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<TRecord> GetAsync(IEnumerable<TKey> keys, RecordRetrievalOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        bool vectors = IncludeVectors((options ?? DefaultRetrieval).IncludeVectors);
        var ids = ExistingIds(keys);
        var points = await Run("Get", () => Task.FromResult(Engine().Get(ids, withVector: vectors, withPayload: true, cancellationToken))).ConfigureAwait(false);
        foreach (var point in points)
        {
            yield return ToRecord(point, vectors, "Get");
        }
    }

    /// <summary>
    /// The first <paramref name="top"/> records (after <c>Skip</c>) matching <paramref name="filter"/>, by the engine:
    /// in id order, or with <c>OrderBy</c> in the order of one numeric data property that has a payload index
    /// (<c>IsIndexed</c>); records without a value for it are left out, as in Qdrant's ordered scroll.
    /// </summary>
    /// <exception cref="NotSupportedException">A filter that cannot be translated, or an order the engine cannot produce.</exception>
    public override async IAsyncEnumerable<TRecord> GetAsync(Expression<Func<TRecord, bool>> filter, int top, FilteredRecordRetrievalOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new FilteredRecordRetrievalOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(top, int.MaxValue - options.Skip);
        bool vectors = IncludeVectors(options.IncludeVectors);
        var translated = FilterTranslator.Translate(filter, _mapper.Model);
        var order = Order(options);
        var points = await Run("Get", () => Task.FromResult(order is null
            ? Scrolled(translated, options.Skip + top, vectors, cancellationToken)
            : Engine().ScrollOrdered(order, Limit(options.Skip + top), vectors, withPayload: true, translated, cancellationToken).Points)).ConfigureAwait(false);
        foreach (var point in points.Skip(options.Skip))
        {
            yield return ToRecord(point, vectors, "Get");
        }
    }

    /// <inheritdoc />
    public override async Task DeleteAsync(TKey key, CancellationToken cancellationToken = default) =>
        await DeleteAsync([key], cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override async Task DeleteAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var ids = ExistingIds(keys);
        await Run("Delete", () => Engine().DeleteAsync(ids, _options.WaitForDurability, cancellationToken)).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async Task UpsertAsync(TRecord record, CancellationToken cancellationToken = default) =>
        await UpsertAsync([record], cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Upserts a batch atomically: embeddings are generated first (for vector properties of non-vector types), then the
    /// whole batch is validated and written as one logged write, or nothing is written. <c>Guid</c> keys left empty are
    /// generated (and set on the records).
    /// </summary>
    /// <exception cref="VectorStoreException">The engine refused the batch (e.g. a vector of the wrong length) or could not log it.</exception>
    public override async Task UpsertAsync(IEnumerable<TRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var batch = records as IReadOnlyList<TRecord> ?? [.. records];
        if (batch.Count == 0)
        {
            return;
        }

        var key = _mapper.Model.KeyProperty;
        foreach (var record in batch)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
            if (key.IsAutoGenerated && key.GetValueAsObject(record) is Guid uuid && uuid == Guid.Empty)
            {
                key.SetValueAsObject(record, Guid.CreateVersion7());
            }
        }

        var embeddings = await EmbeddingsAsync(batch, cancellationToken).ConfigureAwait(false);
        var points = new Point[batch.Count];
        for (int i = 0; i < points.Length; i++)
        {
            points[i] = _mapper.ToPoint(batch[i], embeddings?[i] ?? NoEmbeddings);
        }

        await Run("Upsert", () => Engine().UpsertAsync(points, _options.WaitForDurability ? UpsertOptions.Default : new UpsertOptions { Wait = false }, cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// The <paramref name="top"/> records nearest <paramref name="searchValue"/> (after <c>Skip</c>, passing
    /// <c>ScoreThreshold</c> in the distance function's units), with scores in those units. The value is a vector
    /// (<c>float[]</c>, <c>ReadOnlyMemory&lt;float&gt;</c>, <c>Embedding&lt;float&gt;</c> or their <c>Half</c> forms) or
    /// anything the vector property's embedding generator takes (e.g. a string).
    /// </summary>
    /// <exception cref="NotSupportedException">A filter that cannot be translated.</exception>
    /// <exception cref="InvalidOperationException">A search value that is not a vector, and no embedding generator for it.</exception>
    public override async IAsyncEnumerable<VectorSearchResult<TRecord>> SearchAsync<TInput>(TInput searchValue, int top, VectorSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= DefaultSearch;
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(top, int.MaxValue - options.Skip);
        bool vectors = IncludeVectors(options.IncludeVectors);
        var property = _mapper.Model.GetVectorPropertyOrSingle(options);
        var query = await QueryVectorAsync(searchValue, property, cancellationToken).ConfigureAwait(false);
        var search = _searchOptions[(property, vectors)];
        if (options.Filter is not null)
        {
            search = search with { Filter = FilterTranslator.Translate(options.Filter, _mapper.Model) };
        }

        var hits = Search(query, options.Skip + top, search, cancellationToken);
        PrefetchPayloads(hits, options.Skip);
        var scoring = _scoring[property];
        for (int i = options.Skip; i < hits.Count; i++)
        {
            var hit = hits[i];
            double score = scoring.ToScore(hit.Score);
            if (options.ScoreThreshold is { } threshold && !scoring.Passes(score, threshold))
            {
                yield break; // hits come best first: none after this one passes either
            }

            yield return new VectorSearchResult<TRecord>(ToRecord(hit.Id, hit.Payload, vectors ? VectorsOf(hit) : null, "Search"), score);
        }
    }

    /// <summary>
    /// Hybrid search: the records nearest <paramref name="searchValue"/> and those whose full-text property (the
    /// <c>AdditionalProperty</c>, or the only full-text one) best matches <paramref name="keywords"/> by BM25, fused by
    /// reciprocal rank fusion in the engine (Qdrant's universal query: two prefetches, RRF). Scores are RRF scores
    /// (higher is better; <c>ScoreThreshold</c> keeps those at least it). The filter applies to both legs.
    /// </summary>
    /// <exception cref="NotSupportedException">A filter that cannot be translated.</exception>
    /// <exception cref="InvalidOperationException">No full-text property, or several and none chosen; a search value that is not a vector, without an embedding generator.</exception>
    public async IAsyncEnumerable<VectorSearchResult<TRecord>> HybridSearchAsync<TInput>(TInput searchValue, ICollection<string> keywords, int top, HybridSearchOptions<TRecord>? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where TInput : notnull
    {
        ArgumentNullException.ThrowIfNull(searchValue);
        ArgumentNullException.ThrowIfNull(keywords);
        ArgumentOutOfRangeException.ThrowIfLessThan(top, 1);
        options ??= new HybridSearchOptions<TRecord>();
        ArgumentOutOfRangeException.ThrowIfNegative(options.Skip);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(top, Collection.MaxSearchLimit - options.Skip);
        bool vectors = IncludeVectors(options.IncludeVectors);
        var property = _mapper.Model.GetVectorPropertyOrSingle(new VectorSearchOptions<TRecord> { VectorProperty = options.VectorProperty });
        var text = _mapper.Model.GetFullTextDataPropertyOrSingle(options.AdditionalProperty);
        string keywordVector = RecordMapper.KeywordVector(text);
        var query = await QueryVectorAsync(searchValue, property, cancellationToken).ConfigureAwait(false);
        var filter = options.Filter is null ? null : FilterTranslator.Translate(options.Filter, _mapper.Model);

        // Each leg returns more than the page so that fusion can rank points one leg found deeper down. The depth does
        // not follow Skip (a deeper leg could reorder near ties, and pages would overlap) unless the page lies beyond it.
        int limit = options.Skip + top, depth = Math.Min(Collection.MaxSearchLimit, Math.Max(Math.Max(4 * top, 100), limit));
        var search = _searchOptions[(property, false)];
        var legs = new List<PointQuery>
        {
            new() { Query = new NearestQuery(VectorInput.Of(query.ToArray())), Using = search.Using, Filter = filter, Limit = depth, Ef = search.Ef, Exact = search.Exact },
        };
        var words = RecordMapper.Bm25.EncodeQuery(string.Join(' ', keywords));
        if (words.Count > 0) // keywords that are all stop words leave the dense leg alone
        {
            legs.Add(new() { Query = new NearestQuery(VectorInput.Of(words)), Using = keywordVector, Filter = filter, Limit = depth });
        }

        var fused = new PointQuery { Prefetch = legs, Query = new FusionQuery(FusionMethod.Rrf), Limit = top };
        var hits = await Run("HybridSearch", () => Task.FromResult(Engine().Query(fused, new QueryOptions { Offset = options.Skip, WithPayload = true, WithVector = vectors }, cancellationToken))).ConfigureAwait(false);
        PrefetchPayloads(hits, 0);
        foreach (var hit in hits)
        {
            if (options.ScoreThreshold is { } threshold && hit.Score < threshold)
            {
                yield break; // best first
            }

            yield return new VectorSearchResult<TRecord>(ToRecord(hit.Id, hit.Payload, vectors ? VectorsOf(hit) : null, "HybridSearch"), hit.Score);
        }
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(VectorStoreCollectionMetadata) ? _metadata
            : serviceType == typeof(VectorDatabase) ? _database
            : serviceType == typeof(Collection) ? (TryEngine(out var collection) ? collection : null)
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>
    /// Starts loading the payloads of the hits from <paramref name="from"/> on, before any record is made of them: they
    /// are cold after a graph walk, and their misses overlap this way instead of stalling record after record.
    /// </summary>
    private static void PrefetchPayloads(IReadOnlyList<ScoredPoint> hits, int from)
    {
        for (int i = from; i < hits.Count; i++)
        {
            hits[i].Payload?.Prefetch();
        }
    }

    private SearchResults Search(ReadOnlyMemory<float> query, int k, SearchOptions search, CancellationToken cancellation)
    {
        try
        {
            return Engine().Search(query.Span, k, search, cancellation);
        }
        catch (VectorDbException e)
        {
            throw StoreErrors.Wrapped(e, _database, Name, "Search");
        }
    }

    /// <summary>The collection options the engine creates the collection with, from the record model.</summary>
    private CollectionOptions EngineOptions()
    {
        var model = _mapper.Model;
        // Full-text properties also get a BM25 sparse vector each: the keyword leg of hybrid search.
        var keywords = _mapper.KeywordFields.Count == 0
            ? null
            : _mapper.KeywordFields.ToDictionary(f => f.Vector, _ => new SparseVectorOptions { Idf = true }, StringComparer.Ordinal);
        if (model.VectorProperties.Count == 1)
        {
            var only = model.VectorProperty;
            return new CollectionOptions { Dimensions = only.Dimensions, Distance = _scoring[only].Metric, DataType = DataType(only), SparseVectors = keywords };
        }

        return new CollectionOptions
        {
            Dimensions = 0,
            NamedVectors = model.VectorProperties.ToDictionary(
                p => p.StorageName,
                p => new DenseVectorOptions { Dimensions = p.Dimensions, Distance = _scoring[p].Metric, DataType = DataType(p) },
                StringComparer.Ordinal),
            SparseVectors = keywords,
        };
    }

    private static VectorDataType DataType(VectorPropertyModel property) =>
        RecordModelBuilder.IsHalfVector(property.EmbeddingType) ? VectorDataType.Float16 : VectorDataType.Float32;

    /// <summary>Checks that an existing collection holds the record's vectors, and adds the BM25 vectors of full-text properties it lacks.</summary>
    private void MakeFit(Collection collection)
    {
        foreach (var property in _mapper.Model.VectorProperties)
        {
            string name = _mapper.VectorName(property);
            var (dimensions, metric) = name.Length == 0
                ? (collection.Options.Dimensions, collection.Options.Distance)
                : collection.Options.NamedVectors?.GetValueOrDefault(name) is { } named ? (named.Dimensions, named.Distance) : (0, default);
            if (dimensions != property.Dimensions || metric != _scoring[property].Metric)
            {
                throw StoreErrors.Described(
                    $"Collection '{Name}' exists, but its vector {(name.Length == 0 ? "(unnamed)" : $"'{name}'")} is {(dimensions == 0 ? "missing" : $"{dimensions}-dimensional {metric}")}, " +
                    $"while vector property '{property.ModelName}' is {property.Dimensions}-dimensional {_scoring[property].Metric}. Delete the collection or use another name.",
                    _database,
                    Name,
                    "EnsureCollectionExists");
            }
        }

        foreach (var (property, vector) in _mapper.KeywordFields)
        {
            switch (collection.Options.SparseVectors?.GetValueOrDefault(vector))
            {
                case null:
                    // A collection made without it (another definition, or through REST): add it; points get it when upserted.
                    collection.CreateVector(vector, new SparseVectorOptions { Idf = true });
                    break;
                case { Idf: false }:
                    throw StoreErrors.Described(
                        $"Collection '{Name}' has a sparse vector '{vector}' without IDF, which full-text property '{property.ModelName}' cannot use for BM25. Delete the collection or use another name.",
                        _database,
                        Name,
                        "EnsureCollectionExists");
            }
        }
    }

    private static PayloadSchemaType? IndexSchema(DataPropertyModel property)
    {
        if (property.IsFullTextIndexed)
        {
            return PayloadSchemaType.Text;
        }

        if (!property.IsIndexed)
        {
            return null;
        }

        var type = RecordModelBuilder.ElementType(property.Type) ?? property.Type;
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(string) || type == typeof(Guid) ? PayloadSchemaType.Keyword
            : type == typeof(bool) ? PayloadSchemaType.Bool
            : type == typeof(float) || type == typeof(double) ? PayloadSchemaType.Float
            : type == typeof(DateTime) || type == typeof(DateTimeOffset) ? PayloadSchemaType.Datetime
            : PayloadSchemaType.Integer; // the other numbers (RecordModelBuilder admits no other types)
    }

    private ScrollOrder? Order(FilteredRecordRetrievalOptions<TRecord> options)
    {
        if (options.OrderBy is null)
        {
            return null;
        }

        var sorts = options.OrderBy(new FilteredRecordRetrievalOptions<TRecord>.OrderByDefinition()).Values;
        if (sorts.Count == 0)
        {
            return null;
        }

        if (sorts.Count > 1)
        {
            throw new NotSupportedException("VectorDb orders by one property; OrderBy was given several.");
        }

        var property = _mapper.Model.GetDataOrKeyProperty(sorts[0].PropertySelector);
        if (property is not DataPropertyModel { IsIndexed: true } || !RecordModelBuilder.IsNumber(property.Type) || Nullable.GetUnderlyingType(property.Type) is not null)
        {
            // Nullable ones too: the engine's order leaves out points without a value, where LINQ would keep them.
            throw new NotSupportedException(
                $"VectorDb orders by non-nullable numeric data properties with a payload index; '{property.ModelName}' needs to be a number marked [VectorStoreData(IsIndexed = true)].");
        }

        return new ScrollOrder(property.StorageName, Descending: !sorts[0].Ascending);
    }

    /// <summary>The first <paramref name="count"/> points matching <paramref name="filter"/> in id order, paging past the page-size limit.</summary>
    private List<PointRecord> Scrolled(Filter filter, int count, bool vectors, CancellationToken cancellation)
    {
        var points = new List<PointRecord>(Math.Min(count, Collection.MaxSearchLimit));
        PointId? offset = null;
        do
        {
            var page = Engine().Scroll(offset, Math.Min(count - points.Count, Collection.MaxSearchLimit), vectors, withPayload: true, filter, cancellation);
            points.AddRange(page.Points);
            offset = page.NextOffset;
        }
        while (offset is not null && points.Count < count);
        return points;
    }

    private static int Limit(int count) => count <= Collection.MaxSearchLimit
        ? count
        : throw new NotSupportedException($"An ordered GetAsync returns at most {Collection.MaxSearchLimit} records including Skip; page with a filter on the order property instead.");

    private bool IncludeVectors(bool requested)
    {
        if (requested && _mapper.Model.VectorProperties.Any(p => !RecordModelBuilder.IsVectorType(p.Type)))
        {
            throw new NotSupportedException("IncludeVectors cannot be used when a vector property is generated from another type (an embedding generator): the stored embedding is not that property's value.");
        }

        return requested;
    }

    /// <summary>The search value as a vector: itself, or its embedding by the property's generator.</summary>
    private static async ValueTask<ReadOnlyMemory<float>> QueryVectorAsync<TInput>(TInput value, VectorPropertyModel property, CancellationToken cancellation) =>
        IsVector(value, property, out var vector)
            ? vector
            : RecordMapper.ToFloats(await property.GenerateEmbeddingAsync(value!, cancellation).ConfigureAwait(false))!;

    /// <summary>True when the search value is a vector (then in <paramref name="vector"/>), false when it is to be embedded.</summary>
    /// <exception cref="InvalidOperationException">Neither: no embedding generator for it.</exception>
    private static bool IsVector<TInput>(TInput value, VectorPropertyModel property, out ReadOnlyMemory<float> vector)
    {
        switch (value)
        {
            case float[] floats:
                vector = floats;
                return true;
            case ReadOnlyMemory<float> memory:
                vector = memory;
                return true;
            case Embedding<float> embedding:
                vector = embedding.Vector;
                return true;
            case Half[] or ReadOnlyMemory<Half> or Embedding<Half>:
                vector = RecordMapper.ToFloats(value);
                return true;
        }

        vector = default;
        return property.EmbeddingGenerator is null
            ? throw new InvalidOperationException(
                $"A search value of type {typeof(TInput).Name} is not a vector, and vector property '{property.ModelName}' has no embedding generator: " +
                "search with float[], ReadOnlyMemory<float>, Embedding<float> or their Half forms, or configure an IEmbeddingGenerator.")
            : false;
    }

    /// <summary>Per record, the embeddings generated for vector properties of non-vector types; null when there are none.</summary>
    private async Task<Dictionary<VectorPropertyModel, Embedding>[]?> EmbeddingsAsync(IReadOnlyList<TRecord> batch, CancellationToken cancellation)
    {
        Dictionary<VectorPropertyModel, Embedding>[]? perRecord = null;
        foreach (var property in _mapper.Model.VectorProperties.Where(p => !RecordModelBuilder.IsVectorType(p.Type)))
        {
            var embeddings = await property.GenerateEmbeddingsAsync(batch.Select(r => property.GetValueAsObject(r)!), cancellation).ConfigureAwait(false);
            if (embeddings.Count != batch.Count)
            {
                throw StoreErrors.Described($"The embedding generator of '{property.ModelName}' returned {embeddings.Count} embeddings for {batch.Count} records.", _database, Name, "Upsert");
            }

            perRecord ??= [.. batch.Select(_ => new Dictionary<VectorPropertyModel, Embedding>())];
            for (int i = 0; i < batch.Count; i++)
            {
                perRecord[i][property] = embeddings[i];
            }
        }

        return perRecord;
    }

    private TRecord ToRecord(PointRecord point, bool vectors, string operation) => ToRecord(point.Id, point.Payload, vectors ? VectorsOf(point) : null, operation);

    /// <summary>A stored point's vectors by name (a method of its own, so that records read without vectors make no closure).</summary>
    private static Func<string, float[]?> VectorsOf(PointRecord point) => name => name.Length == 0 ? point.Vector : point.NamedVectors?.GetValueOrDefault(name);

    /// <summary>A record of a stored point; a stored value that does not fit the record (written through REST, or by an older record shape) is a <see cref="VectorStoreException"/>.</summary>
    private TRecord ToRecord(PointId id, Payload? payload, Func<string, float[]?>? vectors, string operation)
    {
        try
        {
            return (TRecord)_mapper.ToRecord(id, payload, vectors);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or System.Text.Json.JsonException or OverflowException or InvalidCastException)
        {
            throw StoreErrors.Wrapped(e, _database, Name, operation);
        }
    }

    /// <summary>The point ids of keys; negative integer keys and empty or malformed string keys, which no point has, are left out.</summary>
    private List<PointId> ExistingIds(IEnumerable<TKey> keys)
    {
        var ids = new List<PointId>();
        foreach (var key in keys)
        {
            if (_mapper.TryPointIdOfKey(key, out var id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }

    private static float[]? VectorOf(ScoredPoint hit, string name) => name.Length == 0 ? hit.Vector : hit.NamedVectors?.GetValueOrDefault(name);

    /// <summary>A hit's vectors by name (a method of its own: a lambda in the search loops would allocate its closure for every hit, asked for or not).</summary>
    private static Func<string, float[]?> VectorsOf(ScoredPoint hit) => name => VectorOf(hit, name);

    /// <summary>The engine's collection of this name; aliases do not count (MEVD collections are addressed by collection name).</summary>
    private bool TryEngine([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Collection? collection) =>
        _database.TryGetCollection(Name, out collection) && collection.Name == Name;

    private Collection Engine() => TryEngine(out var collection)
        ? collection
        : throw StoreErrors.Described(
            _database.TryGetCollection(Name, out var target)
                ? $"'{Name}' is an alias of collection '{target.Name}'; MEVD collections are addressed by their collection name."
                : $"Collection '{Name}' does not exist; call EnsureCollectionExistsAsync first.",
            _database,
            Name);

    private async Task<T> Run<T>(string operation, Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (VectorDbException e)
        {
            throw StoreErrors.Wrapped(e, _database, Name, operation);
        }
    }
}
