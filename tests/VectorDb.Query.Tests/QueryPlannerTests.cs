using VectorDb.Query.Planning;

namespace VectorDb.Query.Tests;

public sealed class QueryPlannerTests
{
    [Fact]
    public void Graph_work_is_learned_per_range_of_ef_so_searches_at_one_ef_do_not_misprice_another()
    {
        var planner = new QueryPlanner(dimensions: 100, maxLinks0: 32);
        Assert.Equal(20 * 32, planner.GraphDistances(32)); // nothing learned yet

        // Unfiltered searches at ef 32 and 256 (SIGMOD's figures): the work per ef halves between them.
        for (int i = 0; i < 200; i++)
        {
            planner.Observe(256, 2176);
            planner.Observe(32, 528);
        }

        Assert.Equal(528, planner.GraphDistances(32), 1e-6);
        Assert.Equal(2176, planner.GraphDistances(256), 1e-6);
        Assert.Equal(16.5 * 48, planner.GraphDistances(48), 1e-6);   // same range as 32
        Assert.Equal(8.5 * 1024, planner.GraphDistances(1024), 1e-6); // nearest range learned: 256
        Assert.Equal(16.5 * 8, planner.GraphDistances(8), 1e-6);     // nearest range learned: 32
    }
}
