using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace VectorDb.Server;

/// <summary>
/// Where the server listens: the REST API on <c>--urls</c> (HTTP/1.1, and HTTP/2 over TLS) and the gRPC API on
/// <c>--grpc-urls</c> (HTTP/2, which gRPC needs, also without TLS). Both are bound here because Kestrel ignores
/// <c>--urls</c> once any endpoint is configured in code. An <c>https</c> address takes Kestrel's certificate
/// (<c>Kestrel:Certificates:Default</c>); <c>http://unix:/path</c> and <c>http://pipe:/name</c> bind a Unix socket or a
/// named pipe, as Kestrel does.
/// </summary>
internal sealed partial class ServerEndpoints
{
    /// <summary>The REST API's address unless <c>--urls</c> gives one.</summary>
    public const string DefaultRestUrl = "http://127.0.0.1:6333";

    /// <summary>The gRPC API's address unless <c>--grpc-urls</c> gives one (Qdrant's gRPC port).</summary>
    public const string DefaultGrpcUrl = "http://127.0.0.1:6334";

    private readonly List<(ListenOptions Listen, string Scheme)> _grpc = [];

    private ServerEndpoints()
    {
    }

    /// <summary>Logs where the gRPC API listens, with the ports the OS chose for port 0 (Kestrel logs the REST API's).</summary>
    public void LogGrpcAddresses(ILogger logger)
    {
        foreach (var (listen, scheme) in _grpc)
        {
            LogGrpcListening(logger, listen.EndPoint is IPEndPoint ip ? $"{scheme}://{Host(ip)}:{ip.Port}" : listen.EndPoint.ToString() ?? "");
        }
    }

    /// <summary>Binds the REST and gRPC addresses the configuration names.</summary>
    public static ServerEndpoints Configure(WebApplicationBuilder builder, ServerOptions options)
    {
        var endpoints = new ServerEndpoints();
        string rest = builder.Configuration["urls"] is { Length: > 0 } urls ? urls : DefaultRestUrl;
        if (Split(rest).Length == 0)
        {
            throw new InvalidOperationException("--urls names no address: the REST API needs one (only --grpc-urls takes `none`).");
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (string url in Split(rest))
            {
                Listen(kestrel, url, HttpProtocols.Http1AndHttp2);
            }

            foreach (string url in Split(options.GrpcUrls))
            {
                endpoints._grpc.Add((Listen(kestrel, url, HttpProtocols.Http2), BindingAddress.Parse(url).Scheme));
            }
        });
        return endpoints;
    }

    /// <summary>Addresses separated by <c>;</c>; <c>none</c> binds nothing (refused for the REST API).</summary>
    private static string[] Split(string urls) =>
        urls.Trim() is "none" or "" ? [] : urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static ListenOptions Listen(KestrelServerOptions kestrel, string url, HttpProtocols protocols)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"`{url}` is not an address to listen on (e.g. http://127.0.0.1:6333): {e.Message}", e);
        }

        if (address.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(address.PathBase))
        {
            throw new InvalidOperationException($"`{url}`: listen on http://HOST:PORT or https://HOST:PORT, without a path.");
        }

        ListenOptions bound = null!;
        void Configure(ListenOptions listen)
        {
            // Without TLS, Kestrel cannot offer HTTP/2 beside HTTP/1.1 on one port (and warns at every start that it
            // will not): say HTTP/1.1. A port of HTTP/2 alone (gRPC) serves it in cleartext.
            listen.Protocols = protocols == HttpProtocols.Http1AndHttp2 && address.Scheme != "https" ? HttpProtocols.Http1 : protocols;
            if (address.Scheme == "https")
            {
                listen.UseHttps();
            }

            bound = listen;
        }

        if (address.IsUnixPipe)
        {
            kestrel.ListenUnixSocket(address.UnixPipePath, Configure);
        }
        else if (address.IsNamedPipe)
        {
            kestrel.ListenNamedPipe(address.NamedPipeName, Configure);
        }
        else if (IPAddress.TryParse(address.Host.Trim('[', ']'), out var ip))
        {
            kestrel.Listen(ip, address.Port, Configure);
        }
        else if (address.Host == "localhost")
        {
            kestrel.ListenLocalhost(address.Port, Configure);
        }
        else
        {
            kestrel.ListenAnyIP(address.Port, Configure); // `*`, `+` and host names: every interface, as Kestrel binds them
        }

        return bound;
    }

    [LoggerMessage(1, LogLevel.Information, "gRPC API listening on: {Address}")]
    private static partial void LogGrpcListening(ILogger logger, string address);

    private static string Host(IPEndPoint endpoint) =>
        endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]" : endpoint.Address.ToString();
}
