using System.Net;
using LiveCommerce.Contracts.Common;

namespace LiveCommerce.Api.Infrastructure;

public static class RequestHelpers
{
    public const string IdempotencyHeader = "Idempotency-Key";

    /// <summary>Set to <c>true</c> on an answer that repeats what an earlier request with the same key did.</summary>
    public const string IdempotentReplayedHeader = "Idempotent-Replayed";

    /// <summary>The Idempotency-Key header, required and shaped like an id.</summary>
    public static string RequireIdempotencyKey(this HttpContext http)
    {
        var key = http.Request.Headers[IdempotencyHeader].ToString();
        if (string.IsNullOrEmpty(key))
            throw DomainException.Invalid(IdempotencyHeader, $"The {IdempotencyHeader} header is required for this request.");
        var problem = Ids.Problem(key);
        if (problem is not null) throw DomainException.Invalid(IdempotencyHeader, $"{IdempotencyHeader} {problem}.");
        return key;
    }

    public static string? OptionalIdempotencyKey(this HttpContext http)
    {
        var key = http.Request.Headers[IdempotencyHeader].ToString();
        return string.IsNullOrEmpty(key) ? null : http.RequireIdempotencyKey();
    }

    /// <summary>Validates paging parameters: offset >= 0, 1 <= limit <= 100.</summary>
    public static (int Offset, int Limit) Paging(int? offset, int? limit)
    {
        var o = offset ?? 0;
        var l = limit ?? 20;
        if (o < 0) throw DomainException.Invalid("offset", "offset must not be negative.");
        if (l is < 1 or > 100) throw DomainException.Invalid("limit", "limit must be between 1 and 100.");
        return (o, l);
    }

    public static T Require<T>(T? value, string field) where T : struct =>
        value ?? throw DomainException.Invalid(field, $"{field} is required.");

    public static T Require<T>(T? value, string field) where T : class =>
        value ?? throw DomainException.Invalid(field, $"{field} is required.");
}

/// <summary>
/// The client's IP for risk rules: the connection's address, or the X-Forwarded-For entry added by a configured
/// trusted proxy. A client cannot choose its IP by sending the header itself.
/// </summary>
public sealed class ClientIpResolver
{
    public const string Section = "LiveCommerce:Api:TrustedProxies";
    private readonly HashSet<IPAddress> _trusted;

    public ClientIpResolver(IConfiguration configuration)
    {
        _trusted = (configuration.GetSection(Section).Get<string[]>() ?? [])
            .Select(IPAddress.Parse).Select(Normalize).ToHashSet();
    }

    public string Resolve(HttpContext http)
    {
        var remote = http.Connection.RemoteIpAddress is { } r ? Normalize(r) : IPAddress.None;
        // Walk X-Forwarded-For from the right: every hop we trust may have appended the address it saw.
        var current = remote;
        if (_trusted.Contains(current))
        {
            var hops = http.Request.Headers["X-Forwarded-For"].ToString()
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            for (var i = hops.Length - 1; i >= 0 && _trusted.Contains(current); i--)
            {
                if (!IPAddress.TryParse(hops[i], out var hop)) break;
                current = Normalize(hop);
            }
        }
        return current.ToString();
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
