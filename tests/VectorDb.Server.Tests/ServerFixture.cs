using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace VectorDb.Server.Tests;

/// <summary>The server in-process on an in-memory database, optionally with an API key.</summary>
public sealed class ServerFactory : WebApplicationFactory<Program>
{
    /// <summary>API key the server requires; none by default.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Read-only API key; none by default.</summary>
    public string? ReadOnlyApiKey { get; init; }

    /// <summary>Extra <c>VectorDb:</c> settings, e.g. limits.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("VectorDb:DataDir", ":memory:");
        foreach (var (name, value) in Settings)
        {
            builder.UseSetting($"VectorDb:{name}", value);
        }

        if (ApiKey is not null)
        {
            builder.UseSetting("VectorDb:ApiKey", ApiKey);
        }

        if (ReadOnlyApiKey is not null)
        {
            builder.UseSetting("VectorDb:ReadOnlyApiKey", ReadOnlyApiKey);
        }
    }
}

/// <summary>Helpers for Qdrant-shaped JSON calls.</summary>
internal static class Http
{
    public static async Task<(int Status, JsonElement Body)> SendAsync(this HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is string raw)
        {
            request.Content = new StringContent(raw, System.Text.Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        string text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var json = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return ((int)response.StatusCode, json);
    }
}
