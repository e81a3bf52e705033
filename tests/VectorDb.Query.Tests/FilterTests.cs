using System.Text.Json;

namespace VectorDb.Query.Tests;

public sealed class FilterTests
{
    private static readonly Payload Point = Payload.Parse("""
        {"city": "Berlin", "n": 7, "when": "2023-02-08T10:49:00.123Z", "price": 9.5, "tags": ["a", "b"], "ok": true, "gone": null, "empty": [],
         "meta": {"source": "web"}, "items": [{"sku": "x1", "qty": 2}, {"sku": "y2", "qty": 5}]}
        """);

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Theory]
    [InlineData("city", "\"Berlin\"", true)]
    [InlineData("city", "\"Paris\"", false)]
    [InlineData("n", "7", true)]
    [InlineData("tags", "\"b\"", true)]
    [InlineData("ok", "true", true)]
    [InlineData("ok", "false", false)]
    [InlineData("meta.source", "\"web\"", true)]
    [InlineData("items[].sku", "\"y2\"", true)]
    [InlineData("items.sku", "\"y2\"", false)]
    [InlineData("missing", "\"x\"", false)]
    public void Match_value_follows_key_paths_and_any_array_element(string key, string value, bool expected) =>
        Assert.Equal(expected, new MatchValueCondition(key, Json(value)).Matches(1, Point));

    [Fact]
    public void Match_any_except_range_empty_null_and_ids()
    {
        Assert.True(new MatchAnyCondition("city", [Json("\"Rome\""), Json("\"Berlin\"")]).Matches(1, Point));
        Assert.False(new MatchAnyCondition("city", [Json("\"Rome\"")]).Matches(1, Point));
        Assert.True(new MatchExceptCondition("city", [Json("\"Rome\"")]).Matches(1, Point));
        Assert.False(new MatchExceptCondition("city", [Json("\"Berlin\"")]).Matches(1, Point));
        Assert.True(new MatchExceptCondition("tags", [Json("\"a\"")]).Matches(1, Point)); // "b" is not excluded
        Assert.True(new RangeCondition("price", Gte: 9.5, Lt: 10).Matches(1, Point));
        Assert.False(new RangeCondition("price", Gt: 9.5).Matches(1, Point));
        Assert.True(new RangeCondition("items[].qty", Gt: 4).Matches(1, Point));
        Assert.False(new RangeCondition("city", Gt: 0).Matches(1, Point));
        Assert.True(new IsEmptyCondition("empty").Matches(1, Point));
        Assert.True(new IsEmptyCondition("gone").Matches(1, Point));
        Assert.True(new IsEmptyCondition("missing").Matches(1, Point));
        Assert.False(new IsEmptyCondition("tags").Matches(1, Point));
        Assert.True(new IsNullCondition("gone").Matches(1, Point));
        Assert.False(new IsNullCondition("missing").Matches(1, Point));
        Assert.True(new HasIdCondition(new HashSet<PointId> { 1, 2 }).Matches(2, null));
        Assert.False(new HasIdCondition(new HashSet<PointId> { 1 }).Matches(3, Point));
    }

    [Fact]
    public void Must_should_and_must_not_combine_and_nest()
    {
        var berlin = new MatchValueCondition("city", Json("\"Berlin\""));
        var rome = new MatchValueCondition("city", Json("\"Rome\""));
        Assert.True(new Filter().Matches(1, Point));
        Assert.True(new Filter(Must: [berlin]).Matches(1, Point));
        Assert.False(new Filter(Must: [berlin, rome]).Matches(1, Point));
        Assert.True(new Filter(Should: [rome, berlin]).Matches(1, Point));
        Assert.False(new Filter(Should: [rome]).Matches(1, Point));
        Assert.False(new Filter(MustNot: [berlin]).Matches(1, Point));
        Assert.True(new Filter(Must: [new Filter(Should: [rome, new Filter(MustNot: [rome])])]).Matches(1, Point));
        Assert.False(new Filter(Must: [berlin]).Matches(1, null));
    }

    [Fact]
    public void Shorthands_build_the_same_conditions()
    {
        Assert.True(new Filter(Must: [Conditions.Match("city", "Berlin"), Conditions.Match("n", 7), Conditions.Match("ok", true)]).Matches(1, Point));
        Assert.True(Conditions.MatchAny("tags", "z", "a").Matches(1, Point));
        Assert.False(Conditions.Range("n", gt: 7).Matches(1, Point));
    }

    [Theory]
    [InlineData("""{"must": [{"key": "tags", "values_count": {"gte": 2}}]}""", true)]
    [InlineData("""{"must": [{"key": "tags", "values_count": {"gt": 2}}]}""", false)]
    [InlineData("""{"must": [{"key": "gone", "values_count": {"lt": 1}}]}""", true)]
    [InlineData("""{"must": [{"key": "items", "values_count": {"gte": 2, "lte": 2}}]}""", true)]
    [InlineData("""{"must": [{"nested": {"key": "items", "filter": {"must": [{"key": "sku", "match": {"value": "x1"}}, {"key": "qty", "range": {"gte": 2}}]}}}]}""", true)]
    [InlineData("""{"must": [{"nested": {"key": "items[]", "filter": {"must": [{"key": "sku", "match": {"value": "x1"}}, {"key": "qty", "range": {"gte": 5}}]}}}]}""", false)]
    [InlineData("""{"must": [{"key": "items[].sku", "match": {"value": "x1"}}, {"key": "items[].qty", "range": {"gte": 5}}]}""", true)]
    [InlineData("""{"min_should": {"conditions": [{"key": "city", "match": {"value": "Berlin"}}, {"key": "n", "range": {"gt": 100}}, {"key": "ok", "match": {"value": true}}], "min_count": 2}}""", true)]
    [InlineData("""{"min_should": {"conditions": [{"key": "city", "match": {"value": "Berlin"}}, {"key": "n", "range": {"gt": 100}}, {"key": "ok", "match": {"value": false}}], "min_count": 2}}""", false)]
    [InlineData("""{"must": [{"key": "when", "range": {"gte": "2023-02-08T10:00:00Z", "lt": "2023-02-08 11:00"}}]}""", true)]
    [InlineData("""{"must": [{"key": "when", "range": {"gt": "2023-02-08T11:49:01+01:00"}}]}""", false)]
    [InlineData("""{"must": [{"key": "when", "range": {"gte": "2023-02-08"}}]}""", true)]
    [InlineData("""{"must": [{"key": "n", "range": {"gte": "2023-02-08"}}]}""", false)]
    [InlineData("""{"must": [{"key": "city", "match": {"text": "erl"}}]}""", true)]
    [InlineData("""{"must": [{"key": "city", "match": {"text": "berl"}}]}""", false)]
    [InlineData("""{"must": [{"key": "items[].sku", "match": {"prefix": "y"}}]}""", true)]
    [InlineData("""{"must": [{"key": "city", "match": {"prefix": "erl"}}]}""", false)]
    public void Values_count_nested_and_min_should_follow_qdrant(string filter, bool expected) =>
        Assert.Equal(expected, FilterJson.Parse(filter).Matches(1, Point));

    [Theory]
    [InlineData("""{"must": [{"key": "tags", "values_count": {"gte": -1}}]}""", "values_count.gte")]
    [InlineData("""{"must": [{"key": "tags", "values_count": {"eq": 1}}]}""", "values_count.eq")]
    [InlineData("""{"must": [{"nested": {"key": "items", "filter": {"must": [{"has_id": [1]}]}}}]}""", "inside `nested`")]
    [InlineData("""{"must": [{"nested": {"key": "items"}}]}""", "nested.filter")]
    [InlineData("""{"min_should": {"conditions": [], "min_count": 0}}""", "min_count")]
    [InlineData("""{"min_should": {"min_count": 1}}""", "min_should.conditions")]
    [InlineData("""{"must": [{"has_vector": 3}]}""", "has_vector")]
    [InlineData("""{"must": [{"key": "when", "range": {"gt": "2023-13-45"}}]}""", "range.gt")]
    [InlineData("""{"must": [{"key": "at", "geo_radius": {"center": {"lon": 200, "lat": 0}, "radius": 5}}]}""", "geo_radius.center")]
    [InlineData("""{"must": [{"key": "at", "geo_radius": {"center": {"lon": 1, "lat": 0}, "radius": -5}}]}""", "geo_radius.radius")]
    [InlineData("""{"must": [{"key": "at", "geo_polygon": {"exterior": {"points": [{"lon": 0, "lat": 0}, {"lon": 1, "lat": 0}, {"lon": 1, "lat": 1}]}}}]}""", "closed ring")]
    [InlineData("""{"must": [{"key": "at", "geo_bounding_box": {"top_left": {"lon": 0, "lat": 0}, "bottom_right": {"lon": 1, "lat": 5}}}]}""", "top_left.lat")]
    [InlineData("""{"must": [{"key": "when", "range": {"gt": "2023-02-08", "lt": 5}}]}""", "range.gt")]
    public void Malformed_conditions_are_refused_by_path(string filter, string expected) =>
        Assert.Contains(expected, Assert.Throws<InvalidRequestException>(() => FilterJson.Parse(filter)).Message, StringComparison.Ordinal);
}
