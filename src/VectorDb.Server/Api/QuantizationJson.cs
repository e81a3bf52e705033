using System.Text.Json;
using VectorDb.Server.Api.Validation;

namespace VectorDb.Server.Api;

/// <summary>Qdrant's <c>quantization_config</c>: <c>scalar</c> (int8) is built; product and binary codes are not yet.</summary>
[Refused("product", ProductRefusal)]
[Refused("binary", "binary and few-bit quantization are not built yet: use `scalar` (int8)")]
internal sealed record QuantizationConfig(ScalarQuantizationConfig? Scalar) : RequestBody
{
    internal const string ProductRefusal = "product quantization is not built: use `scalar` (int8)";

    /// <summary>The settings, or a 400 naming what is missing.</summary>
    public QuantizationOptions ToOptions(string path) => Scalar is { } scalar
        ? scalar.ToOptions($"{path}.scalar")
        : throw new InvalidRequestException($"`{path}` needs `scalar` (the only quantization built).");

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
        ScalarQuantizationOptions scalar => new QuantizationConfigInfo(new ScalarQuantizationInfo("int8", scalar.Quantile, scalar.AlwaysRam)),
        _ => null,
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

/// <summary>A vector's quantization as <c>GET /collections/{name}</c> shows it.</summary>
internal sealed record QuantizationConfigInfo(ScalarQuantizationInfo Scalar);

/// <summary>Scalar quantization's settings as given (unset ones left out).</summary>
internal sealed record ScalarQuantizationInfo(
    string Type,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] float? Quantile,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] bool? AlwaysRam);
