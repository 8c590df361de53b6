using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Payments.Gateway;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Api.Infrastructure;

/// <summary>
/// Embedded profile: the co-hosted sandbox provider posts its callbacks to the address this front door is actually
/// bound to (<c>--urls</c>, <c>Urls</c>, <c>ASPNETCORE_URLS</c>), not to the 127.0.0.1:5080 default: started on another
/// port, payments were otherwise confirmed only by a reconciliation run. Used only when
/// <c>LiveCommerce:Payments:Sandbox:CallbackUrl</c> is not configured.
/// </summary>
public sealed class BoundAddressCallbackSender(IServer server, IHttpClientFactory clients, IOptions<SandboxGatewayOptions> options,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock, ILogger<HttpPaymentCallbackSender> logger)
    : HttpPaymentCallbackSender(clients, options, clock, logger)
{
    protected override string CallbackUrl() =>
        Derive(server.Features.Get<IServerAddressesFeature>()?.Addresses, base.CallbackUrl()) ?? base.CallbackUrl();

    /// <summary>The callback path on the first bound address (http before https; wildcard hosts become loopback), or null.</summary>
    public static string? Derive(ICollection<string>? addresses, string configured)
    {
        if (addresses is not { Count: > 0 }) return null;
        var bound = addresses.Select(BindingAddress.Parse).OrderBy(a => a.Scheme == "http" ? 0 : 1).First();
        var host = bound.Host is "0.0.0.0" or "[::]" or "::" or "+" or "*" ? "127.0.0.1" : bound.Host;
        return $"{bound.Scheme}://{host}:{bound.Port}{new Uri(configured).AbsolutePath}";
    }

    /// <summary>Registers the sender when the front door co-hosts the silo and no callback address is configured.</summary>
    public static void Register(WebApplicationBuilder builder)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration[SandboxGatewayOptions.Section + ":CallbackUrl"])) return;
        builder.Services.AddSingleton<IPaymentCallbackSender, BoundAddressCallbackSender>();
    }
}
