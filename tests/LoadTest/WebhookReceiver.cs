using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LiveCommerce.LoadTest;

/// <summary>
/// The app's webhook endpoint, served by the load generator itself on 127.0.0.1 (a free port): a minimal Kestrel app
/// that hands every POST to the <see cref="WebhookTally"/> and answers at once: 204 for a signed delivery (duplicates
/// included: at least once means the app acknowledges them), 401 for a bad signature (as a real app refuses it), 503
/// until the tally exists (the secret is issued only after the URL is known; the platform retries).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Path = "/hooks";
    /// <summary>An order event is well under 2 KB; anything much larger is not ours.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    private readonly WebApplication _app;
    private volatile WebhookTally? _tally;

    private WebhookReceiver(WebApplication app) => _app = app;

    /// <summary>The URL to subscribe, e.g. <c>http://127.0.0.1:41234/hooks</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Counting starts once the app's secret is known.</summary>
    public void Use(WebhookTally tally) => _tally = tally;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = MaxBodyBytes;
        });
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.TrimEnd('/') + Path;
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path != Path || !HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var receivedAt = Stopwatch.GetTimestamp();
        string body;
        try
        {
            using var reader = new StreamReader(context.Request.Body);
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }
        catch (BadHttpRequestException e)
        {
            context.Response.StatusCode = e.StatusCode;
            return;
        }
        if (_tally is not { } tally)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        context.Response.StatusCode = tally.Receive(body, context.Request.Headers, receivedAt) == WebhookReceipt.BadSignature
            ? StatusCodes.Status401Unauthorized
            : StatusCodes.Status204NoContent;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
