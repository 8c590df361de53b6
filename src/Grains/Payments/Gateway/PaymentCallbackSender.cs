using LiveCommerce.Grains.Common;
using System.Text.Json;
using LiveCommerce.Contracts.Payments;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Grains.Payments.Gateway;

/// <summary>How the sandbox provider delivers a signed callback; HTTP in production, the test server in tests.</summary>
public interface IPaymentCallbackSender
{
    /// <summary>Sends the callback; true when the front door acknowledged it (2xx).</summary>
    Task<bool> SendAsync(PaymentCallback callback, CancellationToken cancellationToken = default);
}

/// <summary>POSTs callbacks to <see cref="SandboxGatewayOptions.CallbackUrl"/>, signed with the shared secret.</summary>
public class HttpPaymentCallbackSender(IHttpClientFactory httpClients, IOptions<SandboxGatewayOptions> options, [FromKeyedServices(DomainClock.Key)] TimeProvider clock, ILogger<HttpPaymentCallbackSender> logger)
    : IPaymentCallbackSender
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<bool> SendAsync(PaymentCallback callback, CancellationToken cancellationToken = default)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(callback, Json);
        var url = CallbackUrl();
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
        };
        request.Headers.Add(CallbackSignature.Header, CallbackSignature.Sign(options.Value.CallbackSecret, clock.GetUtcNow(), body));
        try
        {
            using var response = await CreateClient().SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            logger.LogDebug(e, "Callback {EventId} to {Url} failed", callback.EventId, url);
            return false;
        }
    }

    /// <summary>Where callbacks go; the embedded front door derives it from the address it actually listens on.</summary>
    protected virtual string CallbackUrl() => options.Value.CallbackUrl;

    /// <summary>The client that reaches the front door; tests point it at their in-memory server.</summary>
    protected virtual HttpClient CreateClient() => httpClients.CreateClient(nameof(HttpPaymentCallbackSender));
}
