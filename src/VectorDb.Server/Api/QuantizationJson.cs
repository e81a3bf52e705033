using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Qdrant's <c>quantization_config</c>: <c>scalar</c> (int8) or <c>binary</c>; product quantization is not built.</summary>
[Refused("product", ProductRefusal)]
internal sealed record QuantizationConfig(ScalarQuantizationConfig? Scalar, BinaryQuantizationConfig? Binary = null) : RequestBody
{
    internal const string ProductRefusal = "product quantization is not built: use `scalar` (int8) or `binary`";

    /// <summary>The settings, or a 400 naming what is missing.</summary>
    public QuantizationOptions ToOptions(string path) => (Scalar, Binary) switch
    {
        ({ } scalar, null) => scalar.ToOptions($"{path}.scalar"),
        (null, { } binary) => binary.ToOptions($"{path}.binary"),
        (null, null) => throw new InvalidRequestException($"`{path}` needs `scalar` or `binary`."),
        _ => throw new InvalidRequestException($"`{path}` takes one of `scalar` and `binary`, not both."),
    };

    /// <summary>
    /// <c>quantization_config</c> of a PATCH (Qdrant's diff): an object as at creation, or <c>"Disabled"</c>, which
    /// drops it. Returns null for absent, and <paramref name="disable"/> for "Disabled".
    /// </summary>
    public static QuantizationOptions? ReadChange(JsonElement? element, string path, out bool disable)
    {
        disable = false;
        switch (element)
        {
            case null or { ValueKind: JsonValueKind.Null }:
                return null;
            case { ValueKind: JsonValueKind.String } text when text.GetString() == "Disabled":
                disable = true;
                return null;
            case { ValueKind: JsonValueKind.Object } given:
                return ServerJson.ReadBody<QuantizationConfig>(given, path).ToOptions(path);
            default:
                throw new InvalidRequestException($"`{path}` is a quantization object (`scalar`) or \"Disabled\".");
        }
    }

    /// <summary>As Qdrant shows a vector's quantization.</summary>
    public static QuantizationConfigInfo? Describe(QuantizationOptions? options) => options switch
    {
        ScalarQuantizationOptions scalar => new QuantizationConfigInfo { Scalar = new ScalarQuantizationInfo("int8", scalar.Quantile, scalar.AlwaysRam) },
        BinaryQuantizationOptions binary => new QuantizationConfigInfo
        {
            Binary = new BinaryQuantizationInfo(BinaryQuantizationConfig.Names.First(n => n.Value == binary.Encoding).Key, BinaryQuantizationConfig.QueryNames.First(n => n.Value == binary.QueryEncoding).Key, binary.AlwaysRam),
        },
        _ => null,
    };
}

/// <summary><c>binary</c>: <c>encoding</c> (one_bit, two_bits, one_and_half_bits), <c>query_encoding</c> and <c>always_ram</c>.</summary>
internal sealed record BinaryQuantizationConfig(string? Encoding, string? QueryEncoding, bool? AlwaysRam) : RequestBody
{
    internal static readonly Dictionary<string, BinaryEncoding> Names = new(StringComparer.Ordinal)
    {
        ["one_bit"] = BinaryEncoding.OneBit,
        ["two_bits"] = BinaryEncoding.TwoBits,
        ["one_and_half_bits"] = BinaryEncoding.OneAndHalfBits,
    };

    internal static readonly Dictionary<string, BinaryQueryEncoding> QueryNames = new(StringComparer.Ordinal)
    {
        ["default"] = BinaryQueryEncoding.Default,
        ["binary"] = BinaryQueryEncoding.Binary,
        ["scalar4bits"] = BinaryQueryEncoding.Scalar4Bits,
        ["scalar8bits"] = BinaryQueryEncoding.Scalar8Bits,
    };

    public QuantizationOptions ToOptions(string path) => new BinaryQuantizationOptions
    {
        Encoding = Encoding switch
        {
            null => BinaryEncoding.OneBit,
            _ => Names.TryGetValue(Encoding, out var encoding) ? encoding : throw new InvalidRequestException($"Unknown `{path}.encoding` \"{Encoding}\": use one_bit, two_bits or one_and_half_bits."),
        },
        QueryEncoding = QueryEncoding is null ? BinaryQueryEncoding.Default
            : QueryNames.TryGetValue(QueryEncoding, out var query) ? query
            : throw new InvalidRequestException($"Unknown `{path}.query_encoding` \"{QueryEncoding}\": use default, binary, scalar4bits or scalar8bits."),
        AlwaysRam = AlwaysRam,
    };
}

/// <summary><c>scalar</c>: <c>type</c> int8 (required), <c>quantile</c> (0.5–1) and <c>always_ram</c>.</summary>
internal sealed record ScalarQuantizationConfig(string? Type, float? Quantile, bool? AlwaysRam) : RequestBody
{
    public QuantizationOptions ToOptions(string path)
    {
        if (Type != "int8")
        {
            throw new InvalidRequestException(Type is null ? $"`{path}.type` is required: int8." : $"Unknown `{path}.type` \"{Type}\": use int8.");
        }

        var options = new ScalarQuantizationOptions { Quantile = Quantile, AlwaysRam = AlwaysRam };
        options.Validate();
        return options;
    }
}

/// <summary>Search params <c>quantization</c>: <c>ignore</c>, <c>rescore</c>, <c>oversampling</c> (≥ 1).</summary>
internal sealed record QuantizationSearchParams(bool? Ignore, bool? Rescore, double? Oversampling) : RequestBody
{
    public QuantizationSearch ToOptions()
    {
        var options = new QuantizationSearch { Ignore = Ignore ?? false, Rescore = Rescore, Oversampling = Oversampling };
        options.Validate();
        return options;
    }
}

/// <summary>A vector's quantization as <c>GET /collections/{name}</c> shows it: one of the two.</summary>
internal sealed record QuantizationConfigInfo
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ScalarQuantizationInfo? Scalar { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public BinaryQuantizationInfo? Binary { get; init; }
}

/// <summary>Binary quantization's settings (<c>always_ram</c> only when given).</summary>
internal sealed record BinaryQuantizationInfo(
    string Encoding,
    string QueryEncoding,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? AlwaysRam);

/// <summary>Scalar quantization's settings as given (unset ones left out).</summary>
internal sealed record ScalarQuantizationInfo(
    string Type,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] float? Quantile,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? AlwaysRam);
