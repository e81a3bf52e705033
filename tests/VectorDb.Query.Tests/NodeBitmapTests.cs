
namespace VectorDb.Query.Tests;

public class NodeBitmapTests
{
    [Fact]
    public void Nodes_come_out_ascending_once_and_intersect_and_unite_like_sets()
    {
        var random = new Random(7);
        int[] first = [.. Enumerable.Range(0, 3_000).Select(_ => random.Next(200_000))];
        int[] second = [.. Enumerable.Range(0, 3_000).Select(_ => random.Next(200_000)), .. first.Take(500)];

        var a = NodeBitmap.Rent(100_000); // smaller than the nodes added: it grows
        var b = NodeBitmap.Rent(0);
        foreach (int node in first)
        {
            a.Add(node);
        }

        foreach (int node in second)
        {
            b.Add(node);
        }

        var union = NodeBitmap.Rent(0);
        union.UnionWith(a);
        union.UnionWith(b);
        a.IntersectWith(b);

        Assert.Equal(first.Intersect(second).Order(), List(a));
        Assert.Equal(first.Union(second).Order(), List(union));
        foreach (var bitmap in new[] { a, b, union })
        {
            NodeBitmap.Return(bitmap);
        }

        var reused = NodeBitmap.Rent(200_000);
        Assert.True(reused.IsEmpty);
        Assert.Empty(List(reused));
        NodeBitmap.Return(reused);
    }

    private static List<int> List(NodeBitmap bitmap)
    {
        var nodes = new List<int>();
        bitmap.AppendTo(nodes);
        return nodes;
    }
}
