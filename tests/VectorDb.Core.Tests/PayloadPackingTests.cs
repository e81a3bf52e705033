namespace VectorDb.Core.Tests;

public sealed class PayloadPackingTests
{
    [Fact]
    public void A_packed_payload_is_an_equal_copy_with_the_same_text()
    {
        var payload = Payload.Parse("""{"name": "caf\u00e9 \"quoted\"", "tags": ["a", {"deep": [1, 2.5, null]}], "n": -0.0, "big": 18446744073709551615, "é": "ü"}""");

        var packed = payload.Packed();

        Assert.NotSame(payload, packed);
        Assert.Equal(payload, packed);
        Assert.Equal(payload.ToJson(), packed.ToJson());
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(packed.ToJson()), packed.Bytes); // counted while packing, not copied
        Assert.Equal(payload.Bytes, packed.Bytes);
        Assert.True(packed.TryGetValue("name"u8, out var name));
        Assert.Equal("café \"quoted\"", name.GetString());
    }

    [Fact]
    public void Empty_payloads_pack_to_the_shared_empty_one()
    {
        Assert.Same(Payload.Empty, Payload.Empty.Packed());
        Assert.Same(Payload.Empty, Payload.Parse("{}").Packed());
    }

    [Fact]
    public void Prefetching_a_payload_of_any_size_or_layout_leaves_it_as_it_was()
    {
        string large = $$"""{"text": "{{new string('x', 100_000)}}", "n": 1}""";
        Payload[] payloads = [Payload.Empty, Payload.Parse("""{"a": 1}"""), Payload.Parse("""{"a": 1}""").Packed(), Payload.Parse(large), Payload.Parse(large).Packed()];
        var before = payloads.Select(p => p.ToJson()).ToList();

        foreach (var payload in payloads)
        {
            payload.Prefetch();
        }

        Assert.Equal(before, payloads.Select(p => p.ToJson()));
    }
}
