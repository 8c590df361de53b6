namespace LiveCommerce.Grains.Analytics;

/// <summary>Analytics settings (<c>LiveCommerce:Analytics</c>); every number is an operator setting.</summary>
public sealed class AnalyticsOptions
{
    public const string Section = "LiveCommerce:Analytics";

    /// <summary>
    /// How often an analytics grain writes its aggregates when they changed. Events applied since the last write
    /// are lost if the silo dies: this is the loss window (besides events still in flight on the streams).
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Two paid orders of a buyer from the same streamer (merchant) at most this far apart make a repurchase.</summary>
    public TimeSpan RepurchaseWindow { get; set; } = TimeSpan.FromHours(48);

    /// <summary>A buyer whose last paid order is older than this is dormant.</summary>
    public int DormantDays { get; set; } = 180;

    /// <summary>Default horizon of the lifetime value prediction.</summary>
    public int LifetimeHorizonWeeks { get; set; } = 52;

    /// <summary>Below this many buyers with a purchase, a shard uses the default model parameters instead of a fit.</summary>
    public int LifetimeMinimumBuyers { get; set; } = 30;

    /// <summary>Orders remembered per buyer (dedupe, repurchase and return detection); older ones keep only their counts.</summary>
    public int OrdersPerBuyer { get; set; } = 500;

    /// <summary>Rooms listed per streamer and merchant (most recent first).</summary>
    public int RoomsPerOwner { get; set; } = 200;
}
