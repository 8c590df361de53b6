using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using LiveCommerce.Contracts.Platform;
using Microsoft.Extensions.Options;
using StandardWebhooks;

namespace LiveCommerce.Grains.Platform.Webhooks;

/// <summary>The outcome of one POST: delivered only on a 2xx answer within the timeout.</summary>
public sealed record SendOutcome(bool Delivered, int? StatusCode, string? Error, long LatencyMs);

/// <summary>
/// POSTs one event to an app, signed per Standard Webhooks (<c>webhook-id</c>, <c>webhook-timestamp</c>,
/// <c>webhook-signature</c>: <c>v1,</c> + base64 HMAC-SHA256 of <c>id.timestamp.body</c> with the <c>whsec_</c> secret,
/// one signature per live secret). No retries here (the dispatcher's schedule is the retry policy), no redirects, and
/// every connection passes the SSRF guard (<see cref="WebhookTargetGuard.ConnectAsync"/>).
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, IOptions<WebhookOptions> options)
{
    public const string ClientName = "webhooks";
    private const int MaxErrorLength = 300;

    /// <summary>The request body: the event's envelope with its payload as <c>data</c>. Same event, same body, on every attempt.</summary>
    public static string Body(WebhookEvent e) => new JsonObject
    {
        ["type"] = e.Type,
        ["timestamp"] = e.OccurredAt.ToString("O"),
        ["eventId"] = e.EventId,
        ["merchantId"] = e.MerchantId,
        ["resourceId"] = e.ResourceId,
        ["sequence"] = e.ResourceSeq,
        ["data"] = JsonNode.Parse(e.Payload),
    }.ToJsonString();

    /// <summary>The <c>webhook-signature</c> value: a space-separated <c>v1,</c> signature per secret.</summary>
    public static string Sign(IEnumerable<string> secrets, string id, DateTimeOffset timestamp, string body) =>
        string.Join(' ', secrets.Select(secret => new StandardWebhook(secret).Sign(id, timestamp, body)));

    public async Task<SendOutcome> SendAsync(WebhookTarget target, WebhookEvent e, CancellationToken cancellationToken = default)
    {
        var body = Body(e);
        // The wall clock, not the business clock: receivers compare webhook-timestamp with their own clock to refuse
        // replayed requests (Standard Webhooks' tolerance window).
        var timestamp = TimeProvider.System.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Url)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", e.EventId);
        request.Headers.Add("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", Sign(target.Secrets, e.EventId, timestamp, body));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("LiveCommerce-Webhooks", "1.0"));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var latency = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var code = (int)response.StatusCode;
            return code is >= 200 and < 300
                ? new SendOutcome(true, code, null, latency)
                : new SendOutcome(false, code, $"HTTP {code}", latency);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendOutcome(false, null, $"no answer within {options.Value.Timeout.TotalSeconds:0.#} s", (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (HttpRequestException x)
        {
            var message = x.InnerException is { } inner ? $"{x.Message} ({inner.Message})" : x.Message;
            return new SendOutcome(false, null, message.Length > MaxErrorLength ? message[..MaxErrorLength] : message,
                (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
