namespace VectorDb.Query.Tests;

public sealed class EstimationContextTests
{
    [Theory]
    [InlineData(50_000)] // a strided sample
    [InlineData(800)]    // every node
    public void Sample_matches_are_the_samples_first_matches_without_drawing_the_whole_sample(int nodeBound)
    {
        var source = new CountingSource(nodeBound, dead: node => node % 7 == 0);
        var tenth = new EveryTenth();

        var lazily = new EstimationContext(source).SampleMatches(tenth, 16);
        int lookups = source.Lookups;
        var drawn = new EstimationContext(source);
        var expected = drawn.Sample.Where(tenth.Matches).Take(16).ToArray();

        Assert.Equal(expected, lazily);
        Assert.Equal(expected, drawn.SampleMatches(tenth, 16)); // from the drawn sample, the same
        Assert.Empty(new EstimationContext(source).SampleMatches(tenth, 0));
        Assert.All(lazily, node => Assert.True(node % 7 != 0 && node % 10 == 3));
        Assert.InRange(lookups, 16, 24); // only matches are looked up (the 16 kept and the dead among them), up to the 16th
    }

    private sealed class EveryTenth : NodePredicate
    {
        public override bool Matches(int node) => node % 10 == 3;

        public override Cardinality Estimate(EstimationContext context) => throw new NotSupportedException();
    }

    private sealed class CountingSource(int nodeBound, Func<int, bool> dead) : IPointSource
    {
        public int Lookups { get; private set; }

        public int NodeBound => nodeBound;

        public int LiveCount => Enumerable.Range(0, nodeBound).Count(node => !dead(node));

        public bool TryGetPoint(int node, out PointId id, out Payload? payload)
        {
            Lookups++;
            (id, payload) = (new PointId((ulong)node), null);
            return !dead(node);
        }

        public bool TryGetNode(PointId id, out int node) => throw new NotSupportedException();

        public Func<int, bool>? VectorHolders(string vector) => throw new NotSupportedException();
    }
}
