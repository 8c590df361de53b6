using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace LiveCommerce.Tests.Support;

/// <summary>
/// The front door with a trusted proxy (10.9.9.9) configured. The in-memory test server has no TCP peer, so a
/// test-only middleware sets the connection's remote address from <c>X-Test-Peer</c>, standing in for the socket.
/// </summary>
public sealed class RiskApiFactory : ApiFactory
{
    public const string TrustedProxy = "10.9.9.9";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("LiveCommerce:Api:TrustedProxies:0", TrustedProxy);
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, PeerAddressFilter>());
    }

    private sealed class PeerAddressFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue("X-Test-Peer", out var peer)) context.Connection.RemoteIpAddress = IPAddress.Parse(peer.ToString());
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
