namespace VectorDb.Tests;

/// <summary>
/// Writers replace, delete and re-tag whole groups while readers search and read them, in one process: every
/// search finds k points, and every read of a group sees all of it or none, from a single write.
/// </summary>
public class ConcurrencyTests
{
    private const int GroupSize = 16;

    [Fact]
    public async Task Reads_see_whole_batches_and_searches_never_come_back_empty()
    {
        using var db = VectorDatabase.InMemory();
        var collection = db.CreateCollection("c", new CollectionOptions { Dimensions = 16, Distance = DistanceMetric.Euclid });
        collection.Upsert(Enumerable.Range(0, 2000).Select(i => new Point((ulong)i, VectorOf(i))));
        var stop = DateTime.UtcNow.AddSeconds(3);
        long reads = 0;
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            for (int generation = 1; DateTime.UtcNow < stop; generation++)
            {
                var ids = IdsOf((w * 4) + random.Next(4));
                switch (random.Next(3))
                {
                    case 0:
                        collection.Delete(ids);
                        break;
                    case 1:
                        collection.SetPayload(ids, Payload.FromObject(new { tag = generation }));
                        break;
                    default:
                        collection.Upsert(ids.Select(id => new Point(id, VectorOf(generation), Payload.FromObject(new { tag = generation }))));
                        break;
                }
            }
        })).ToArray();
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var random = new Random(100 + r);
            while (DateTime.UtcNow < stop)
            {
                Assert.Equal(10, collection.Search(VectorOf(random.Next()), 10).Count);
                var group = collection.Get(IdsOf(random.Next(8)));
                Assert.True(group.Count is 0 or GroupSize, $"a read saw {group.Count} of a group's {GroupSize} points");
                Assert.Single(group.Select(p => p.Payload!.ToJson()).Distinct().DefaultIfEmpty(""));
                Interlocked.Increment(ref reads);
            }
        })).ToArray();

        await Task.WhenAll([.. writers, .. readers]);
        Assert.True(reads > 100, $"only {reads} reads ran");
    }

    private static PointId[] IdsOf(int group) => [.. Enumerable.Range(0, GroupSize).Select(i => new PointId(1_000_000UL + (ulong)(group * GroupSize) + (ulong)i))];

    private static float[] VectorOf(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, 16).Select(_ => (float)random.NextDouble())];
    }
}
