using System.Text.Json;
using VectorDb.Server.Api;
#pragma warning disable CS0612 // on_disk and always_ram: Qdrant's older settings, still shown beside `memory`
using Proto = Qdrant.Client.Grpc;

namespace VectorDb.Server.Grpc;

/// <summary>
/// Collection settings between Qdrant's protobuf messages and the engine. Requests are read through the REST API's
/// readers (<see cref="ProtoJson"/>), so both APIs accept and refuse the same settings with the same messages;
/// descriptions are the REST API's, written as protobuf.
/// </summary>
internal static class ProtoCollections
{
    private static readonly Dictionary<string, string> Renames = new(StringComparer.Ordinal)
    {
        ["vectors_config"] = "vectors",
        ["sparse_vectors_config"] = "sparse_vectors",
    };

    private static readonly ReadFields CreateFields = ReadFields.Of<Proto.CreateCollection>(
        "collection_name", "hnsw_config", "wal_config", "optimizers_config", "shard_number", "on_disk_payload", "vectors_config", "replication_factor",
        "write_consistency_factor", "quantization_config", "sharding_method", "sparse_vectors_config", "strict_mode_config", "metadata", "payload", "id_tracker");

    private static readonly ReadFields UpdateFields = ReadFields.Of<Proto.UpdateCollection>(
        "collection_name", "optimizers_config", "params", "hnsw_config", "vectors_config", "quantization_config", "sparse_vectors_config", "strict_mode_config", "metadata");

    /// <summary>A new collection's options.</summary>
    public static CollectionOptions CreateOptions(Proto.CreateCollection request, ServerOptions limits)
    {
        CreateFields.Check(request);
        var body = ProtoJson.Object(request, Renames);
        body.Remove("collection_name");
        return CollectionsApi.ToOptions(ServerJson.ReadBody<CreateCollectionRequest>(ProtoJson.Element(body), ""), limits);
    }

    /// <summary>A settings change, as <c>PATCH /collections/{name}</c> reads it.</summary>
    public static UpdateCollectionRequest UpdateRequest(Proto.UpdateCollection request)
    {
        UpdateFields.Check(request);
        var body = ProtoJson.Object(request, Renames);
        body.Remove("collection_name");
        return ServerJson.ReadBody<UpdateCollectionRequest>(ProtoJson.Element(body), "");
    }

    /// <summary>A payload index's schema from its type and parameters, as <c>PUT /collections/{name}/index</c> reads <c>field_schema</c>.</summary>
    public static (PayloadSchemaType Schema, bool IsTenant, TextIndexOptions? Text) IndexSchema(Proto.CreateFieldIndexCollection request)
    {
        string? type = request.HasFieldType ? request.FieldType switch
        {
            Proto.FieldType.Keyword => "keyword",
            Proto.FieldType.Integer => "integer",
            Proto.FieldType.Float => "float",
            Proto.FieldType.Geo => "geo",
            Proto.FieldType.Text => "text",
            Proto.FieldType.Bool => "bool",
            Proto.FieldType.Datetime => "datetime",
            Proto.FieldType.Uuid => "uuid",
            var other => throw new InvalidRequestException($"`field_type` {other} is not known."),
        } : null;
        if (request.FieldIndexParams is not { } parameters)
        {
            return IndexApi.ParseSchema(JsonSerializer.SerializeToElement(type ?? throw new InvalidRequestException("`field_type` is required.")));
        }

        // The parameters' one set member is an object of the REST form's fields; its name says the type.
        var json = ProtoJson.Object(parameters);
        if (json.Count != 1 || json.First().Value is not System.Text.Json.Nodes.JsonObject fields)
        {
            throw new InvalidRequestException("`field_index_params` must set the parameters of one index type.");
        }

        string paramsType = json.First().Key.Replace("_index_params", "", StringComparison.Ordinal);
        if (type is not null && type != paramsType)
        {
            throw new InvalidRequestException($"`field_type` {type} and `field_index_params.{json.First().Key}` disagree.");
        }

        fields["type"] = paramsType;
        TextParameters(fields);
        return IndexApi.ParseSchema(ProtoJson.Element(fields));
    }

    /// <summary>A text index's stop words and stemmer in their REST forms: a language or a list, and <c>{"type": "snowball", "language"}</c>.</summary>
    private static void TextParameters(System.Text.Json.Nodes.JsonObject fields)
    {
        if (fields["stopwords"] is System.Text.Json.Nodes.JsonObject stopwords)
        {
            var languages = stopwords["languages"]?.AsArray();
            var custom = stopwords["custom"]?.AsArray();
            fields["stopwords"] = custom is null && languages is [var language] ? language!.DeepClone() : stopwords.DeepClone();
        }

        if (fields["stemmer"] is System.Text.Json.Nodes.JsonObject stemmer && stemmer["snowball"] is System.Text.Json.Nodes.JsonObject snowball)
        {
            fields["stemmer"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "snowball", ["language"] = snowball["language"]?.DeepClone() };
        }
    }

    /// <summary>A collection's description as Qdrant's gRPC API gives it.</summary>
    public static Proto.CollectionInfo Describe(Collection collection)
    {
        var info = CollectionsApi.Describe(collection);
        var config = info.Config;
        var described = new Proto.CollectionInfo
        {
            Status = info.Status == "green" ? Proto.CollectionStatus.Green : Proto.CollectionStatus.Yellow,
            OptimizerStatus = new Proto.OptimizerStatus { Ok = true },
            SegmentsCount = (ulong)info.SegmentsCount,
            PointsCount = (ulong)info.PointsCount,
            IndexedVectorsCount = (ulong)info.IndexedVectorsCount,
            Config = new Proto.CollectionConfig
            {
                Params = new Proto.CollectionParams
                {
                    ShardNumber = (uint)config.Params.ShardNumber,
                    ReplicationFactor = (uint)config.Params.ReplicationFactor,
                    WriteConsistencyFactor = (uint)config.Params.WriteConsistencyFactor,
                    OnDiskPayload = config.Params.OnDiskPayload,
                    VectorsConfig = Vectors(config.Params.Vectors),
                    SparseVectorsConfig = config.Params.SparseVectors is { } sparse ? Sparse(sparse) : null,
                },
                HnswConfig = new Proto.HnswConfigDiff
                {
                    M = (ulong)config.HnswConfig.M,
                    EfConstruct = (ulong)config.HnswConfig.EfConstruct,
                    FullScanThreshold = (ulong)config.HnswConfig.FullScanThreshold,
                    OnDisk = config.HnswConfig.OnDisk,
                    PayloadM = (ulong)config.HnswConfig.PayloadM,
                },
                OptimizerConfig = new Proto.OptimizersConfigDiff
                {
                    DeletedThreshold = config.OptimizerConfig.DeletedThreshold,
                    VacuumMinVectorNumber = (ulong)config.OptimizerConfig.VacuumMinVectorNumber,
                    DefaultSegmentNumber = (ulong)config.OptimizerConfig.DefaultSegmentNumber,
                    FlushIntervalSec = (ulong)config.OptimizerConfig.FlushIntervalSec,
                },
                WalConfig = new Proto.WalConfigDiff { WalCapacityMb = (ulong)config.WalConfig.WalCapacityMb, WalSegmentsAhead = (ulong)config.WalConfig.WalSegmentsAhead },
                QuantizationConfig = Quantization(config.QuantizationConfig),
                StrictModeConfig = config.StrictModeConfig is { } strict ? StrictMode(strict) : null,
            },
        };
        if (config.Metadata is { ValueKind: JsonValueKind.Object } metadata)
        {
            foreach (var field in metadata.EnumerateObject())
            {
                described.Config.Metadata[field.Name] = ProtoValues.ToValue(field.Value);
            }
        }

        foreach (var (key, index) in info.PayloadSchema)
        {
            described.PayloadSchema[key] = new Proto.PayloadSchemaInfo { DataType = SchemaType(index.DataType), Points = (ulong)index.Points };
        }

        return described;
    }

    private static Proto.VectorsConfig Vectors(object vectors)
    {
        if (vectors is VectorParamsInfo single)
        {
            return new Proto.VectorsConfig { Params = Vector(single) };
        }

        var map = new Proto.VectorParamsMap();
        foreach (var (name, vector) in (IReadOnlyDictionary<string, VectorParamsInfo>)vectors)
        {
            map.Map[name] = Vector(vector);
        }

        return new Proto.VectorsConfig { ParamsMap = map };
    }

    private static Proto.VectorParams Vector(VectorParamsInfo vector)
    {
        var described = new Proto.VectorParams
        {
            Size = (ulong)vector.Size,
            Distance = Enum.Parse<Proto.Distance>(vector.Distance),
            HnswConfig = vector.HnswConfig is { } hnsw ? new Proto.HnswConfigDiff { M = (ulong)hnsw.M, EfConstruct = (ulong)hnsw.EfConstruct } : null,
            QuantizationConfig = Quantization(vector.QuantizationConfig),
            MultivectorConfig = vector.MultivectorConfig is null ? null : new Proto.MultiVectorConfig { Comparator = Proto.MultiVectorComparator.MaxSim },
        };
        switch (vector.Datatype)
        {
            case "float16":
                described.Datatype = Proto.Datatype.Float16;
                break;
            case "float32":
                described.Datatype = Proto.Datatype.Float32;
                break;
            // bfloat16 (ours) has no protobuf value: left unset, as Qdrant leaves the default.
        }

        if (vector.OnDisk is { } onDisk)
        {
            described.OnDisk = onDisk;
        }

        if (vector.Memory is { } memory)
        {
            described.Memory = Enum.Parse<Proto.Memory>(memory, ignoreCase: true);
        }

        return described;
    }

    private static Proto.SparseVectorConfig Sparse(Dictionary<string, SparseVectorParamsInfo> sparse)
    {
        var config = new Proto.SparseVectorConfig();
        foreach (var (name, vector) in sparse)
        {
            config.Map[name] = new Proto.SparseVectorParams { Modifier = vector.Modifier == "idf" ? Proto.Modifier.Idf : Proto.Modifier.None };
        }

        return config;
    }

    private static Proto.QuantizationConfig? Quantization(QuantizationConfigInfo? quantization) => quantization switch
    {
        { Scalar: { } scalar } => new Proto.QuantizationConfig
        {
            Scalar = WithOptional(new Proto.ScalarQuantization { Type = Proto.QuantizationType.Int8 }, scalar.Quantile, scalar.AlwaysRam),
        },
        { Binary: { } binary } => new Proto.QuantizationConfig { Binary = Binary(binary) },
        _ => null,
    };

    private static Proto.ScalarQuantization WithOptional(Proto.ScalarQuantization scalar, float? quantile, bool? alwaysRam)
    {
        if (quantile is { } q)
        {
            scalar.Quantile = q;
        }

        if (alwaysRam is { } ram)
        {
            scalar.AlwaysRam = ram;
        }

        return scalar;
    }

    private static Proto.BinaryQuantization Binary(BinaryQuantizationInfo binary)
    {
        var described = new Proto.BinaryQuantization
        {
            Encoding = binary.Encoding switch
            {
                "two_bits" => Proto.BinaryQuantizationEncoding.TwoBits,
                "one_and_half_bits" => Proto.BinaryQuantizationEncoding.OneAndHalfBits,
                _ => Proto.BinaryQuantizationEncoding.OneBit,
            },
            QueryEncoding = new Proto.BinaryQuantizationQueryEncoding
            {
                Setting = binary.QueryEncoding switch
                {
                    "binary" => Proto.BinaryQuantizationQueryEncoding.Types.Setting.Binary,
                    "scalar4bits" => Proto.BinaryQuantizationQueryEncoding.Types.Setting.Scalar4Bits,
                    "scalar8bits" => Proto.BinaryQuantizationQueryEncoding.Types.Setting.Scalar8Bits,
                    _ => Proto.BinaryQuantizationQueryEncoding.Types.Setting.Default,
                },
            },
        };
        if (binary.AlwaysRam is { } alwaysRam)
        {
            described.AlwaysRam = alwaysRam;
        }

        return described;
    }

    /// <summary>Strict mode's scalar limits, by the names both APIs share (per-vector limits are shown by REST only).</summary>
    private static Proto.StrictModeConfig StrictMode(StrictModeConfig strict)
    {
        var json = JsonSerializer.SerializeToElement(strict, ServerJson.Options);
        var described = new Proto.StrictModeConfig();
        foreach (var field in Proto.StrictModeConfig.Descriptor.Fields.InDeclarationOrder())
        {
            if (field.FieldType == Google.Protobuf.Reflection.FieldType.Message || !json.TryGetProperty(field.Name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            object converted = field.FieldType switch
            {
                Google.Protobuf.Reflection.FieldType.Bool => value.GetBoolean(),
                Google.Protobuf.Reflection.FieldType.Float => value.GetSingle(),
                Google.Protobuf.Reflection.FieldType.UInt32 => value.GetUInt32(),
                _ => value.GetUInt64(),
            };
            field.Accessor.SetValue(described, converted);
        }

        return described;
    }

    private static Proto.PayloadSchemaType SchemaType(string name) =>
        Enum.TryParse<Proto.PayloadSchemaType>(name, ignoreCase: true, out var type) ? type : Proto.PayloadSchemaType.UnknownType;
}
