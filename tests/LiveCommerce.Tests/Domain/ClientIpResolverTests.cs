using System.Net;
using LiveCommerce.Api.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace LiveCommerce.Tests.Domain;

public sealed class ClientIpResolverTests
{
    private static ClientIpResolver Resolver(params string[] trusted) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(
            trusted.Select((t, i) => new KeyValuePair<string, string?>($"{ClientIpResolver.Section}:{i}", t))).Build());

    private static HttpContext Request(string remote, string? forwardedFor)
    {
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        if (forwardedFor is not null) http.Request.Headers["X-Forwarded-For"] = forwardedFor;
        return http;
    }

    [Fact]
    public void Without_a_trusted_proxy_the_header_is_ignored() =>
        Assert.Equal("203.0.113.9", Resolver().Resolve(Request("203.0.113.9", "1.2.3.4")));

    [Fact]
    public void Behind_a_trusted_proxy_the_address_it_saw_is_used() =>
        Assert.Equal("198.51.100.7", Resolver("10.0.0.1").Resolve(Request("10.0.0.1", "198.51.100.7")));

    [Fact]
    public void A_client_cannot_spoof_through_a_trusted_proxy_by_prepending_addresses() =>
        // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real address it saw.
        Assert.Equal("198.51.100.7", Resolver("10.0.0.1").Resolve(Request("10.0.0.1", "1.2.3.4, 198.51.100.7")));

    [Fact]
    public void Ipv4_mapped_addresses_are_normalized() =>
        Assert.Equal("127.0.0.1", Resolver().Resolve(Request("::ffff:127.0.0.1", null)));
}
