using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace VectorDb.Server.Tests;

/// <summary>
/// The server as users run it: <c>dotnet VectorDb.Server.dll</c> in its own process on 127.0.0.1 and a port
/// the OS picks, with its console output kept so tests can show it (and search it for secrets).
/// </summary>
internal sealed partial class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<(Uri RestApi, Uri GrpcApi)> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<Uri> _bound = new();

    private ServerProcess(Process process) => _process = process;

    /// <summary>Where its REST API listens.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>Where its gRPC API listens.</summary>
    public Uri GrpcAddress { get; private set; } = null!;

    /// <summary>True until the process has exited.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Everything it printed so far, stdout and stderr interleaved.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>Starts the server with <paramref name="arguments"/> (e.g. <c>--data-dir</c>, limits) and waits until it listens.</summary>
    public static Task<ServerProcess> StartAsync(params string[] arguments)
    {
        var start = StartInfo(AppContext.BaseDirectory);
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "VectorDb.Server.dll"));
        return StartAsync(start, arguments);
    }

    /// <summary>
    /// Starts the server with the README's command, <c>dotnet run --project src/VectorDb.Server</c> (without building:
    /// the tests' own configuration is built), typed in <paramref name="workingDirectory"/>.
    /// </summary>
    public static Task<ServerProcess> StartWithDotnetRunAsync(string workingDirectory)
    {
        var start = StartInfo(workingDirectory);
        string configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name; // bin/<configuration>/<framework>/
        foreach (string argument in new[] { "run", "--no-build", "-c", configuration, "--project", Path.Combine(VectorDb.Tests.Repository.Root, "src", "VectorDb.Server"), "--" })
        {
            start.ArgumentList.Add(argument);
        }

        return StartAsync(start, []);
    }

    private static ProcessStartInfo StartInfo(string workingDirectory) => new("dotnet")
    {
        UseShellExecute = false,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        WorkingDirectory = workingDirectory,
    };

    private static async Task<ServerProcess> StartAsync(ProcessStartInfo start, string[] arguments)
    {
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        start.ArgumentList.Add("--grpc-urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Record(e.Data);
        process.ErrorDataReceived += (_, e) => server.Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _ = process.WaitForExitAsync().ContinueWith(
            _ => server._listening.TrySetException(new InvalidOperationException($"the server exited with {process.ExitCode}:\n{server.Tail()}")),
            TaskScheduler.Default);

        try
        {
            (server.Address, server.GrpcAddress) = await server._listening.Task.WaitAsync(StartTimeout);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>A client for it, with an API key when given.</summary>
    public HttpClient CreateClient(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("api-key", apiKey);
        }

        return client;
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut or an OOM kill.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>The last lines it printed, for failure messages.</summary>
    public string Tail(int lines = 40) => string.Join('\n', _output.TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        if (ListeningLine().Match(line) is { Success: true } bound)
        {
            _bound.Enqueue(new Uri(bound.Groups[1].Value));
        }

        // Kestrel logs every address it binds; the server then names its gRPC address, once started.
        if (GrpcLine().Match(line) is { Success: true } grpc)
        {
            var grpcAddress = new Uri(grpc.Groups[1].Value);
            _listening.TrySetResult((_bound.First(address => address != grpcAddress), grpcAddress));
        }
    }

    [GeneratedRegex(@"Now listening on: (https?://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"gRPC API listening on: (https?://127\.0\.0\.1:\d+)")]
    private static partial Regex GrpcLine();
}
