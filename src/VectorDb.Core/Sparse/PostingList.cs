namespace VectorDb.Sparse;

/// <summary>One dimension's postings: the nodes whose vector has a weight on it, ascending by node, with the weights.</summary>
internal sealed class PostingList
{
    private int[] _nodes = new int[4];
    private float[] _weights = new float[4];

    /// <summary>How many nodes the list holds.</summary>
    public int Count { get; private set; }

    public ReadOnlySpan<int> Nodes => _nodes.AsSpan(0, Count);

    public ReadOnlySpan<float> Weights => _weights.AsSpan(0, Count);

    /// <summary>Bytes the list's arrays hold (capacity, not count).</summary>
    public long Bytes => _nodes.Length * (long)(sizeof(int) + sizeof(float));

    /// <summary>Adds a node's weight; nodes usually arrive in ascending order, which appends.</summary>
    public void Add(int node, float weight)
    {
        int at = Count == 0 || _nodes[Count - 1] < node ? Count : ~_nodes.AsSpan(0, Count).BinarySearch(node);
        if (at < 0)
        {
            throw new InvalidOperationException($"node {node} is in the posting list already.");
        }

        if (Count == _nodes.Length)
        {
            Array.Resize(ref _nodes, Count * 2);
            Array.Resize(ref _weights, Count * 2);
        }

        Array.Copy(_nodes, at, _nodes, at + 1, Count - at);
        Array.Copy(_weights, at, _weights, at + 1, Count - at);
        _nodes[at] = node;
        _weights[at] = weight;
        Count++;
    }

    /// <summary>Removes a node; false when it was not there.</summary>
    public bool Remove(int node)
    {
        int at = _nodes.AsSpan(0, Count).BinarySearch(node);
        if (at < 0)
        {
            return false;
        }

        Count--;
        Array.Copy(_nodes, at + 1, _nodes, at, Count - at);
        Array.Copy(_weights, at + 1, _weights, at, Count - at);
        return true;
    }
}
