using VectorDb.Query.Planning;

namespace VectorDb.Query.Tests;

public sealed class SearchPlanTests
{
    [Fact]
    public void A_plan_puts_its_reason_in_words_once_and_only_when_it_is_read()
    {
        int formatted = 0;
        var scan = new ExactScanPlan(SearchStrategy.ExactScan, () => $"reason {++formatted}");
        var completing = new ExactScanPlan(SearchStrategy.ExactScan, scan.LazyReason);
        var onPrefix = new WholeVectorPlan(completing, "why");
        Assert.Equal(0, formatted);

        Assert.Equal("reason 1; why, so it compared all dimensions", onPrefix.Reason);
        Assert.Equal("reason 1", scan.Reason);
        Assert.Equal("reason 1", completing.Reason);
        Assert.Equal(1, formatted);
    }
}
