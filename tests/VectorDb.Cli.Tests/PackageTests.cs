using System.Diagnostics;
using System.Text.RegularExpressions;

namespace VectorDb.Cli.Tests;

/// <summary>
/// The NuGet packages as a user meets them: packed to a local feed, referenced from a fresh project outside the
/// repository (which runs the examples of docs/embedded.md against them), and the tool installed and run.
/// </summary>
public sealed partial class PackageTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vectordb-package-tests", Guid.NewGuid().ToString("N"));

    public PackageTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Packages_restore_into_a_fresh_project_that_runs_the_examples_and_the_tool_installs()
    {
        string root = RepositoryRoot();
        string feed = Path.Combine(_directory, "feed");
        // The test run built every packaged project in this configuration; packing must not rebuild what other tests run.
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var pack = await RunAsync(root, "dotnet", "pack", Path.Combine(root, "VectorDb.Packages.slnf"), "-c", configuration, "--no-build", "-o", feed);
        Assert.True(pack.ExitCode == 0, pack.Output);
        var packages = Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName).ToList();
        Assert.Equal(6, packages.Count);
        string version = VersionOf().Match(packages.Single(p => p!.StartsWith("VectorDb.Core.", StringComparison.Ordinal))!).Groups[1].Value;

        // A fresh console project outside the repository (no Directory.Build.props, no central versions) with the examples.
        string app = Path.Combine(_directory, "app");
        Directory.CreateDirectory(app);
        foreach (string file in Directory.GetFiles(Path.Combine(root, "docs", "examples"), "*.cs"))
        {
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        }

        string globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(app, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <NoWarn>MEVD9001</NoWarn>
                <!-- Our packages land here, never in the machine's cache (where an older build of the same version could linger). -->
                <RestorePackagesPath>{Path.Combine(_directory, "packages")}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{globalPackages}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="VectorDb" Version="{version}" />
                <PackageReference Include="VectorDb.VectorData" Version="{version}" />
                <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.0" />
                <PackageReference Include="System.Linq.Async" Version="6.0.1" ExcludeAssets="compile" />
              </ItemGroup>
            </Project>
            """, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """, TestContext.Current.CancellationToken);

        var quickStart = await RunAsync(app, "dotnet", "run", "-c", "Release", "--", "quickstart");
        Assert.True(quickStart.ExitCode == 0, quickStart.Output);
        Assert.Contains("2 points left", quickStart.Output, StringComparison.Ordinal);
        var mevd = await RunAsync(app, "dotnet", "run", "-c", "Release", "--no-build", "--", "mevd");
        Assert.True(mevd.ExitCode == 0, mevd.Output);
        Assert.Contains("Alpine Lodge", mevd.Output, StringComparison.Ordinal);

        // The tool package carries everything it needs: installing it downloads nothing.
        string tools = Path.Combine(_directory, "tools");
        var install = await RunAsync(_directory, "dotnet", ["tool", "install", "VectorDb.Cli", "--tool-path", tools, "--add-source", feed, "--version", version],
            ("NUGET_PACKAGES", Path.Combine(_directory, "tool-packages")));
        Assert.True(install.ExitCode == 0, install.Output);
        var help = await RunAsync(_directory, Path.Combine(tools, "vectordb"), "--help");
        Assert.True(help.ExitCode == 0, help.Output);
        Assert.Contains("serve", help.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^VectorDb\.Core\.(.+)\.nupkg$")]
    private static partial Regex VersionOf();

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "VectorDb.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("VectorDb.sln not found above the test binaries.");
    }

    private static Task<(int ExitCode, string Output)> RunAsync(string directory, string program, params string[] arguments) =>
        RunAsync(directory, program, arguments, []);

    private static async Task<(int ExitCode, string Output)> RunAsync(string directory, string program, string[] arguments, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output + await error);
    }
}
