using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;

namespace VectorDb.Server.Api.Validation;

/// <summary>
/// Checks every API request before its handler runs: its query-string parameters against the endpoint's
/// <see cref="QueryParameters"/> (none when it declares none), its body with <see cref="RequestValidator"/>, and that
/// an endpoint taking no body got none (clients may send an empty object, or nothing).
/// </summary>
internal sealed class RequestValidationFilter : IEndpointFilter
{
    // A body larger than this on an endpoint that takes none is refused without reading it all.
    private const int UnexpectedBodyBytes = 64 << 10;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var metadata = http.GetEndpoint()?.Metadata;
        (metadata?.GetMetadata<QueryParameters>() ?? QueryParameters.None).Check(http.Request.Query);
        if (metadata?.GetMetadata<IAcceptsMetadata>() is null)
        {
            await RefuseBodyAsync(http.Request);
        }

        foreach (object? argument in context.Arguments)
        {
            if (argument is RequestBody body)
            {
                RequestValidator.Validate(body);
            }
        }

        return await next(context);
    }

    /// <summary>Throws unless the request has no body, or one that asks for nothing (<c>{}</c>, <c>null</c>).</summary>
    private static async Task RefuseBodyAsync(HttpRequest request)
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count == 0))
        {
            return;
        }

        var buffer = new byte[UnexpectedBodyBytes + 1];
        int read = 0, got;
        while (read < buffer.Length && (got = await request.Body.ReadAsync(buffer.AsMemory(read), request.HttpContext.RequestAborted)) > 0)
        {
            read += got;
        }

        if (read > UnexpectedBodyBytes)
        {
            throw new InvalidRequestException("This endpoint takes no request body.");
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.AsMemory(0, read));
            var root = document.RootElement;
            if (root.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
            {
                throw new InvalidRequestException("This endpoint takes no request body.");
            }

            if (root.ValueKind == JsonValueKind.Object && root.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).Select(p => p.Name).FirstOrDefault() is { } field)
            {
                throw new InvalidRequestException($"Unknown field `{field}`: this endpoint takes no request body.");
            }
        }
        catch (JsonException) when (read == 0 || buffer.AsSpan(0, read).Trim(" \t\r\n"u8).IsEmpty)
        {
            // An empty body.
        }
        catch (JsonException e)
        {
            throw new InvalidRequestException($"This endpoint takes no request body, and this one is not even JSON: {e.Message}");
        }
    }
}
