namespace VectorDb.VectorData.Tests;

/// <summary>Every example of docs/embedded.md (docs/examples) runs and does what it says.</summary>
public sealed class ExamplesTests
{
    public static TheoryData<string> Names => [.. Examples.Examples.All.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Example_runs(string name)
    {
        using var output = new StringWriter();
        int exit = await Examples.Examples.All[name](output);
        Assert.True(exit == 0, $"example {name} failed:\n{output}");
        Assert.NotEmpty(output.ToString());
    }
}
