namespace LiveCommerce.Grains.Platform.Webhooks;

/// <summary>Webhook delivery settings (section <c>LiveCommerce:Webhooks</c>).</summary>
public sealed class WebhookOptions
{
    public const string Section = "LiveCommerce:Webhooks";

    /// <summary>A receiver must answer 2xx within this time (Kuaishou asks for 3 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Waits after the 1st, 2nd, … failed attempt; after the last one the delivery is dead-lettered. Null: the default
    /// (5 s, 1 min, 5 min, 30 min, 2 h, 5 h, 10 h: eight attempts over about 18 hours).
    /// </summary>
    public TimeSpan[]? RetrySchedule { get; set; }

    /// <summary>At most this many requests in flight per app.</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Events read from the log, and deliveries attempted, per round.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// Lets webhook URLs use http and point at loopback or private addresses outside the embedded profile (loopback
    /// tests only; never in production). The embedded profile always allows them.
    /// </summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>After a rotation the previous secret still signs (a second signature) for this long, so receivers can switch.</summary>
    public TimeSpan SecretGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The log is read up to events at least this old before the cursor moves past them: PostgreSQL hands out positions
    /// before commit, so a younger position may still be followed by an older one that commits later.
    /// </summary>
    public TimeSpan CursorSettle { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Events that occurred longer ago than this leave the log with their deliveries and attempts, once no delivery of
    /// them is pending (delivered, dead, or never subscribed); replays cannot reach them after that.
    /// </summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Events deleted per statement by the retention job (it runs batches until a short one, at most 20 an hour).</summary>
    public int RetentionBatchSize { get; set; } = 1000;

    public static readonly IReadOnlyList<TimeSpan> DefaultSchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10),
    ];

    public WebhookRetryPolicy RetryPolicy() => new(RetrySchedule is { Length: > 0 } s ? s : DefaultSchedule);
}
