using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>An endpoint's own request body limit (bytes); without it the front door's default applies.</summary>
/// <param name="ReadByEndpoint">The endpoint reads at most the limit itself, after its own cheaper checks (the payment
/// callback checks its signature header first): the middleware only sets the server's limit and buffers nothing.</param>
public sealed record BodyLimit(long? MaxRequestBodySize, bool ReadByEndpoint = false) : IRequestSizeLimitMetadata;

/// <summary>
/// Every request body is bounded before anything reads it: by the endpoint's <see cref="IRequestSizeLimitMetadata"/>
/// or else <c>LiveCommerce:Api:MaxRequestBodyBytes</c> (64 KB; no operation here needs more). The server's own
/// default (Kestrel: 30 MB) let anonymous callers make the front door buffer tens of megabytes per request.
/// Too large is a 413 problem, answered before the endpoint (or authentication) runs.
/// </summary>
public static class BodyLimits
{
    public const string Setting = "LiveCommerce:Api:MaxRequestBodyBytes";
    public const long DefaultBytes = 64 * 1024;

    /// <summary>Gives an endpoint its own limit (larger or smaller than the default).</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodyLimit(bytes));

    /// <summary>The endpoint bounds its own read to <paramref name="bytes"/> (and refuses cheaply before reading).</summary>
    public static TBuilder WithBoundedRead<TBuilder>(this TBuilder builder, long bytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodyLimit(bytes, ReadByEndpoint: true));

    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app, long defaultBytes) => app.Use(async (http, next) =>
    {
        var metadata = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>();
        // Explicit null in metadata means "unlimited" (as ASP.NET Core reads it); no endpoint here asks for that.
        var limit = metadata is null ? defaultBytes : metadata.MaxRequestBodySize;
        if (limit is not { } max) { await next(http); return; }
        if (metadata is BodyLimit { ReadByEndpoint: true })
        {
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } own) own.MaxRequestBodySize = max;
            await next(http);
            return;
        }

        if (http.Request.ContentLength > max) { await TooLarge(http, max); return; }
        // Kestrel enforces the same limit on the wire (it stops reading past it).
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = max;
        if (http.Request.ContentLength is null && HasBody(http.Request))
        {
            // No declared length (chunked): read at most max + 1 bytes here, so the endpoint sees a bounded body.
            var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > max) { await TooLarge(http, max); return; }
                buffer.Write(chunk, 0, read);
            }
            buffer.Position = 0;
            http.Request.Body = buffer;
            http.Request.ContentLength = buffer.Length;
        }
        await next(http);
    });

    private static bool HasBody(HttpRequest request) =>
        request.Headers.TransferEncoding.Count > 0 || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsDelete(request.Method) || HttpMethods.IsOptions(request.Method));

    private static async Task TooLarge(HttpContext http, long max)
    {
        http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status413PayloadTooLarge,
                Title = "The request body is too large.",
                Detail = $"This operation accepts at most {max} bytes.",
            },
        });
    }
}
