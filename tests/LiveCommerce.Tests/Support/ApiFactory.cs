using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LiveCommerce.Tests.Support;

/// <summary>
/// The real front door (embedded profile, co-hosted silo on free ports) behind an in-memory test server.
/// The clock is a <see cref="FakeTimeProvider"/> that tests move forward.
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
        builder.ConfigureTestServices(services => services.UseDomainClock(Clock));
    }

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
}
