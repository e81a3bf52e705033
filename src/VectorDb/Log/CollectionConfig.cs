using MessagePack;

namespace VectorDb.Log;

/// <summary>The settings a collection was created with, as logged and as checkpoint manifests hold them.</summary>
[MessagePackObject]
internal sealed record CollectionConfig(
    [property: Key(0)] int Dimensions,
    [property: Key(1)] DistanceMetric Distance,
    [property: Key(2)] int M,
    [property: Key(3)] int EfConstruction,
    [property: Key(4)] int[]? Matryoshka = null,
    [property: Key(5)] PcaConfig? Pca = null,
    [property: Key(6)] VectorDataType DataType = VectorDataType.Float32,
    [property: Key(7)] bool PayloadLinks = true, // logs written before value links have seven fields
    [property: Key(8)] string? MetadataJson = null) // and before collection metadata, eight
{
    public static CollectionConfig From(CollectionOptions options) => new(
        options.Dimensions,
        options.Distance,
        options.M,
        options.EfConstruction,
        options.Matryoshka is { } prefixes ? [.. prefixes] : null,
        options.Pca is { } pca ? new PcaConfig(options.PcaDimensions!.Value, pca.FitAtPoints, pca.SamplePoints) : null,
        options.DataType,
        options.PayloadLinks,
        options.Metadata?.ToJson());

    public CollectionOptions ToOptions() => new()
    {
        Dimensions = Dimensions,
        Distance = Distance,
        M = M,
        EfConstruction = EfConstruction,
        Matryoshka = Matryoshka,
        DataType = DataType,
        PayloadLinks = PayloadLinks,
        Metadata = MetadataJson is null ? null : Payload.Parse(MetadataJson),
        Pca = Pca is { } pca ? new PcaOptions { Dimensions = pca.Dimensions, FitAtPoints = pca.FitAtPoints, SamplePoints = pca.SamplePoints } : null,
    };
}

/// <summary>A collection's PCA settings as persisted (dimensions resolved from their default).</summary>
[MessagePackObject]
internal sealed record PcaConfig(
    [property: Key(0)] int Dimensions,
    [property: Key(1)] int FitAtPoints,
    [property: Key(2)] int SamplePoints);
