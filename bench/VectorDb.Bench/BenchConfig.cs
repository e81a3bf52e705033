using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Environments;
using BenchmarkDotNet.Jobs;

namespace VectorDb.Bench;

/// <summary>
/// Shared BenchmarkDotNet configuration: workstation GC (the engine is measured as an embedded library
/// would run), memory diagnoser (hot paths must not allocate).
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddJob(Job.Default.WithGcServer(false).WithGcConcurrent(false).WithRuntime(CoreRuntime.Core10_0));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddLogger(DefaultConfig.Instance.GetLoggers().ToArray());
        AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray());
        AddExporter(DefaultConfig.Instance.GetExporters().ToArray());
        WithOptions(ConfigOptions.JoinSummary);
    }
}

/// <summary>Category names for <c>--anyCategories</c>.</summary>
public static class BenchmarkCategories
{
    public const string Kernels = "Kernels";
    public const string Search = "Search";
}
