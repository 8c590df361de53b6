using System.Net.Http.Headers;
using System.Net.Http.Json;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Payments.Gateway;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LiveCommerce.Tests.Support;

/// <summary>
/// The real front door (embedded profile, co-hosted silo on free ports) behind an in-memory test server. The
/// business clock is a <see cref="FakeTimeProvider"/> that tests move forward; the sandbox provider's signed
/// callbacks reach the callback endpoint through the test server.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("LiveCommerce:Profile", "Embedded");
        builder.UseSetting("LiveCommerce:Silo:SiloPort", FreePorts.Next().ToString());
        builder.UseSetting("LiveCommerce:Silo:GatewayPort", FreePorts.Next().ToString());
        builder.UseSetting("LiveCommerce:ClusterId", "api-tests-" + Guid.NewGuid().ToString("N")[..8]);
        builder.UseSetting("LiveCommerce:Payments:Sandbox:CompletionDelay", "00:00:00.050");
        // Tests move the clock by days; a year-long token outlives them.
        builder.UseSetting("LiveCommerce:Auth:TokenLifetimeMinutes", "525600");
        builder.UseSetting("LiveCommerce:Auth:MaxTokenLifetimeMinutes", "525600");
        // The business clock only moves when a test moves it, so a quota window would last the fixture's lifetime and the
        // per-IP quota would count every request of every test in it; quota tests configure their own limits.
        builder.UseSetting("LiveCommerce:Quotas:PerClientIp:PermitLimit", "100000000");
        // Pools re-read streamer trust every second instead of 30, so tests see new scores quickly.
        builder.UseSetting("LiveCommerce:Traffic:SnapshotRefresh", "00:00:01");
        if (CallbacksThroughTestServer) builder.UseSetting("LiveCommerce:Payments:Sandbox:CallbackUrl", "http://localhost/v1/payments/callbacks/sandbox");
        builder.ConfigureTestServices(services =>
        {
            services.UseDomainClock(Clock);
            if (CallbacksThroughTestServer) services.AddSingleton<IPaymentCallbackSender>(sp => new TestServerCallbackSender(this,
                sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<IOptions<SandboxGatewayOptions>>(),
                sp.GetRequiredKeyedService<TimeProvider>(DomainClock.Key), sp.GetRequiredService<ILogger<HttpPaymentCallbackSender>>()));
        });
    }

    /// <summary>False for a factory on a real Kestrel server, whose callbacks travel over HTTP like in production.</summary>
    protected virtual bool CallbacksThroughTestServer => true;

    /// <summary>A client carrying a development token for <paramref name="subject"/> in <paramref name="role"/>.</summary>
    public async Task<HttpClient> ClientAs(string subject, string role)
    {
        var client = CreateClient();
        var response = await client.PostAsJsonAsync("/v1/dev/tokens", new { subject, role });
        response.EnsureSuccessStatusCode();
        var token = (await response.Content.ReadFromJsonAsync<TokenBody>())!.AccessToken;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private sealed record TokenBody(string AccessToken);

    /// <summary>The production sender (same signing, same retries), pointed at the in-memory server.</summary>
    private sealed class TestServerCallbackSender(ApiFactory factory, IHttpClientFactory clients, IOptions<SandboxGatewayOptions> options,
        TimeProvider clock, ILogger<HttpPaymentCallbackSender> logger) : HttpPaymentCallbackSender(clients, options, clock, logger)
    {
        protected override HttpClient CreateClient() => factory.Server.CreateClient();
    }
}
