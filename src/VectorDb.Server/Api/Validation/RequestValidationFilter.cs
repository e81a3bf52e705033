namespace VectorDb.Server.Api.Validation;

/// <summary>
/// Checks every API request before its handler runs: its query-string parameters against the endpoint's
/// <see cref="QueryParameters"/> (none when it declares none), and its body with <see cref="RequestValidator"/>.
/// </summary>
internal sealed class RequestValidationFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var parameters = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<QueryParameters>() ?? QueryParameters.None;
        parameters.Check(context.HttpContext.Request.Query);

        foreach (object? argument in context.Arguments)
        {
            if (argument is RequestBody body)
            {
                RequestValidator.Validate(body);
            }
        }

        return next(context);
    }
}
