using System.Threading.RateLimiting;
using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Grains.Common;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore;

namespace LiveCommerce.Api.Platform;

/// <summary>One limit: at most <see cref="PermitLimit"/> requests per fixed window of <see cref="WindowSeconds"/>; 0 turns it off.</summary>
public sealed class QuotaLimit
{
    public int PermitLimit { get; set; }
    public int WindowSeconds { get; set; } = 60;

    public QuotaLimit() { }
    public QuotaLimit(int permitLimit, int windowSeconds) => (PermitLimit, WindowSeconds) = (permitLimit, windowSeconds);
}

/// <summary>
/// The <c>LiveCommerce:Quotas</c> section. Limits are per front-door process (ASP.NET Core's rate limiter keeps its
/// counters in memory): with N front doors behind a load balancer a caller gets up to N times each limit.
/// </summary>
public sealed class QuotaOptions
{
    public const string Section = "LiveCommerce:Quotas";

    /// <summary>Every request, by client IP (behind trusted proxies, the forwarded address). Generous: it stops floods, not shoppers.</summary>
    public QuotaLimit PerClientIp { get; set; } = new(20_000, 10);
    /// <summary>Every request made with an app's token, by app (all its merchants together).</summary>
    public QuotaLimit PerApp { get; set; } = new(600, 60);
    /// <summary>Order placement, by user.</summary>
    public QuotaLimit PerUserOrders { get; set; } = new(30, 60);
    /// <summary>Comments and likes, by user.</summary>
    public QuotaLimit PerUserInteractions { get; set; } = new(300, 60);
    /// <summary>Token issuance, by app.</summary>
    public QuotaLimit TokenIssuance { get; set; } = new(30, 60);
}

/// <summary>
/// A fixed-window limiter on the business clock. The framework's own limiters replenish on the machine's stopwatch,
/// which tests cannot move; this one reads the injected <see cref="TimeProvider"/>, so a test sees the 429 at the
/// limit and the recovery when it moves the clock past the window. Windows are aligned to multiples of their length.
/// </summary>
public sealed class ClockFixedWindowLimiter(int permitLimit, TimeSpan window, TimeProvider clock) : RateLimiter
{
    private readonly Lock _lock = new();
    private long _window = long.MinValue;
    private int _used;

    public override TimeSpan? IdleDuration
    {
        get
        {
            // Idle only once the window with any use is over, so evicting the limiter loses no count. Read without the
            // lock: the framework asks every partition ten times a second; racing an acquire at a window's start can at
            // worst forget that one permit.
            return WindowOf(clock.GetUtcNow()) != Volatile.Read(ref _window) ? window : null;
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
            return new RateLimiterStatistics { CurrentAvailablePermits = WindowOf(clock.GetUtcNow()) == _window ? permitLimit - _used : permitLimit };
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        var now = clock.GetUtcNow();
        var current = WindowOf(now);
        lock (_lock)
        {
            if (current != _window) (_window, _used) = (current, 0);
            if (permitCount <= permitLimit - _used)
            {
                _used += permitCount;
                return QuotaLease.Granted;
            }
        }
        var end = new DateTimeOffset((current + 1) * window.Ticks, TimeSpan.Zero);
        return new QuotaLease(false, end - now);
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private long WindowOf(DateTimeOffset now) => now.UtcTicks / window.Ticks;

    private sealed class QuotaLease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly QuotaLease Granted = new(true, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}

public static class Quotas
{
    public const string PerUserOrders = "per-user-orders";
    public const string PerUserInteractions = "per-user-interactions";
    public const string TokenIssuance = "token-issuance";

    public static void AddLiveCommerceQuotas(this WebApplicationBuilder builder)
    {
        var quotas = builder.Configuration.GetSection(QuotaOptions.Section).Get<QuotaOptions>() ?? new QuotaOptions();
        foreach (var limit in new[] { quotas.PerClientIp, quotas.PerApp, quotas.PerUserOrders, quotas.PerUserInteractions, quotas.TokenIssuance })
            if (limit.PermitLimit < 0 || limit.WindowSeconds is < 1 or > 86_400)
                throw new InvalidOperationException($"{QuotaOptions.Section}: limits must be >= 0 with a window of 1 to 86400 seconds.");

        builder.Services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                Partitioned(quotas.PerClientIp, http => "ip:" + http.RequestServices.GetRequiredService<ClientIpResolver>().Resolve(http)),
                Partitioned(quotas.PerApp, http => http.User.ActingApp() ?? (http.User.IsApp() ? http.User.FindFirst(Access.ClientIdClaim)?.Value : null)));
            o.AddPolicy(PerUserOrders, http => Partition(http, quotas.PerUserOrders, UserKey(http)));
            o.AddPolicy(PerUserInteractions, http => Partition(http, quotas.PerUserInteractions, UserKey(http)));
            // After OpenIddict authenticated the client (passthrough): only real apps spend their own quota.
            o.AddPolicy(TokenIssuance, http => Partition(http, quotas.TokenIssuance, http.GetOpenIddictServerRequest()?.ClientId));
            o.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.",
                    detail: $"A quota is exhausted; retry after {seconds} s.",
                    extensions: new Dictionary<string, object?> { ["code"] = "quota.exceeded", ["retryAfterSeconds"] = seconds }).ExecuteAsync(http);
            };
        });
    }

    private static string? UserKey(HttpContext http) =>
        http.User.Identity?.IsAuthenticated == true ? http.User.FindFirst("sub")?.Value : null;

    private static PartitionedRateLimiter<HttpContext> Partitioned(QuotaLimit limit, Func<HttpContext, string?> key) =>
        PartitionedRateLimiter.Create<HttpContext, string>(http => Partition(http, limit, key(http)));

    /// <summary>A partition per key on the business clock; no key (anonymous, not an app) or a 0 limit: no limit.</summary>
    private static RateLimitPartition<string> Partition(HttpContext http, QuotaLimit limit, string? key)
    {
        if (key is null || limit.PermitLimit == 0) return RateLimitPartition.GetNoLimiter("");
        var clock = http.RequestServices.GetRequiredKeyedService<TimeProvider>(DomainClock.Key);
        return RateLimitPartition.Get(key, _ => new ClockFixedWindowLimiter(limit.PermitLimit, TimeSpan.FromSeconds(limit.WindowSeconds), clock));
    }
}
