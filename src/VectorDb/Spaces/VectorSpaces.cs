namespace VectorDb.Spaces;

/// <summary>
/// A collection's vector spaces by name at one moment: dense (the unnamed vector under <c>""</c>), sparse and
/// multivectors. Replaced as a whole when a vector is added or removed, never changed in place, so a reader holding it
/// sees one set throughout.
/// </summary>
internal sealed record VectorSpaces(
    IReadOnlyDictionary<string, DenseVectorSpace> Dense, IReadOnlyDictionary<string, SparseVectorSpace> Sparse, IReadOnlyDictionary<string, MultivectorSpace> Multi)
{
    /// <summary>Every space, dense ones first.</summary>
    public IEnumerable<IVectorSpace> All => Dense.Values.Concat<IVectorSpace>(Sparse.Values).Concat(Multi.Values);

    /// <summary>The space of a vector name, or null.</summary>
    public IVectorSpace? Find(string name) =>
        Dense.TryGetValue(name, out var dense) ? dense : Sparse.TryGetValue(name, out var sparse) ? sparse : Multi.GetValueOrDefault(name);

    /// <summary>These spaces and one more.</summary>
    public VectorSpaces With(IVectorSpace space) => space switch
    {
        DenseVectorSpace dense => this with { Dense = new Dictionary<string, DenseVectorSpace>(Dense, StringComparer.Ordinal) { [dense.Name] = dense } },
        SparseVectorSpace sparse => this with { Sparse = new Dictionary<string, SparseVectorSpace>(Sparse, StringComparer.Ordinal) { [sparse.Name] = sparse } },
        MultivectorSpace multi => this with { Multi = new Dictionary<string, MultivectorSpace>(Multi, StringComparer.Ordinal) { [multi.Name] = multi } },
        _ => throw new ArgumentException($"Unknown kind of vector space {space.GetType().Name}.", nameof(space)),
    };

    /// <summary>These spaces without the one named.</summary>
    public VectorSpaces Without(string name) => this with
    {
        Dense = Dense.Where(s => s.Key != name).ToDictionary(StringComparer.Ordinal),
        Sparse = Sparse.Where(s => s.Key != name).ToDictionary(StringComparer.Ordinal),
        Multi = Multi.Where(s => s.Key != name).ToDictionary(StringComparer.Ordinal),
    };
}

/// <summary>A point's vectors: the unnamed one, named dense ones, sparse ones and multivectors (null when it has none of a kind).</summary>
internal readonly record struct PointVectors(
    float[]? Unnamed,
    IReadOnlyDictionary<string, float[]>? Named,
    IReadOnlyDictionary<string, Sparse.SparseVector>? Sparse,
    IReadOnlyDictionary<string, float[][]>? Multi = null)
{
    /// <summary>A point's vectors as given.</summary>
    public static PointVectors Of(Point point) => new(point.Vector, point.NamedVectors, point.SparseVectors, point.Multivectors);
}
