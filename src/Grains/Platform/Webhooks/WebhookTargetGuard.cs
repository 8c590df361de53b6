using System.Net;
using System.Net.Sockets;
using LiveCommerce.Contracts.Common;

namespace LiveCommerce.Grains.Platform.Webhooks;

/// <summary>
/// Keeps webhook requests from reaching the platform's own network (SSRF): URLs are absolute https without
/// credentials, and hosts may not resolve to loopback, private, link-local (the 169.254.169.254 metadata service),
/// shared, multicast or reserved addresses. Checked when a URL is registered and again on every connection (the name
/// may resolve differently by then: DNS rebinding). <paramref name="allowPrivate"/> lifts both rules (embedded profile,
/// loopback tests).
/// </summary>
public sealed class WebhookTargetGuard(bool allowPrivate)
{
    public const int MaxUrlLength = 2000;
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(2);

    public bool AllowPrivate => allowPrivate;

    /// <summary>The URL, normalised, or a 400 naming <paramref name="field"/>.</summary>
    public Uri RequireUrl(string? url, string field = "url")
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
            throw DomainException.Invalid(field, $"{field} must be an absolute https URL of at most {MaxUrlLength} characters.");
        if (uri.Scheme != Uri.UriSchemeHttps && !(allowPrivate && uri.Scheme == Uri.UriSchemeHttp))
            throw DomainException.Invalid(field, $"{field} must use https.");
        if (!string.IsNullOrEmpty(uri.UserInfo)) throw DomainException.Invalid(field, $"{field} must not carry credentials.");
        if (!string.IsNullOrEmpty(uri.Fragment)) throw DomainException.Invalid(field, $"{field} must not have a fragment.");
        if (!allowPrivate && IPAddress.TryParse(uri.IdnHost, out var literal) && IsForbidden(literal))
            throw DomainException.Invalid(field, $"{field} points at a private, loopback or reserved address.");
        if (!allowPrivate && uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            throw DomainException.Invalid(field, $"{field} points at a private, loopback or reserved address.");
        return uri;
    }

    /// <summary>
    /// Registration-time check of the host's current addresses. A name that does not resolve now is accepted: the
    /// connection-time check still applies to whatever it resolves to later.
    /// </summary>
    public async Task RequirePublicHostAsync(Uri uri, string field = "url")
    {
        if (allowPrivate || IPAddress.TryParse(uri.IdnHost, out _)) return;
        IPAddress[] addresses;
        try
        {
            using var timeout = new CancellationTokenSource(ResolveTimeout);
            addresses = await Dns.GetHostAddressesAsync(uri.IdnHost, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return;
        }
        if (addresses.Any(IsForbidden))
            throw DomainException.Invalid(field, $"{field} resolves to a private, loopback or reserved address.");
    }

    /// <summary>
    /// <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host and connects only to an allowed address, so a
    /// name that passed registration cannot be re-pointed at an internal address later.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = allowPrivate ? addresses : addresses.Where(a => !IsForbidden(a)).ToArray();
        if (allowed.Length == 0)
            throw new HttpRequestException($"Webhook host {host} resolves to no public address; refused.");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Addresses a webhook may never reach outside the embedded profile.</summary>
    public static bool IsForbidden(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return true;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,                       // "this" network, private, loopback
                100 => b[1] is >= 64 and <= 127,              // shared address space (carrier NAT)
                169 => b[1] == 254,                           // link-local, including the cloud metadata service
                172 => b[1] is >= 16 and <= 31,               // private
                192 => (b[1] == 168) || (b[1] == 0 && b[2] is 0 or 2) || (b[1] == 88 && b[2] == 99), // private, IETF, TEST-NET-1, 6to4 relay
                198 => b[1] is 18 or 19 || (b[1] == 51 && b[2] == 100), // benchmarking, TEST-NET-2
                203 => b[1] == 0 && b[2] == 113,              // TEST-NET-3
                >= 224 => true,                               // multicast, reserved, broadcast
                _ => false,
            };
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.IPv6Any)) return true;
            if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal) return true;
            var b = address.GetAddressBytes();
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true; // documentation
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) return true; // NAT64 can reach IPv4-internal hosts
            return address.IsIPv4MappedToIPv6 || b.Take(10).All(x => x == 0);  // IPv4-compatible forms
        }
        return true;
    }
}
