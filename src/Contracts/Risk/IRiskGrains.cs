namespace LiveCommerce.Contracts.Risk;

/// <summary>The rule set (key <c>default</c>): seeded from configuration, then changed at runtime with an audit trail.</summary>
public interface IRiskRulesGrain : IGrainWithStringKey
{
    [Orleans.Concurrency.AlwaysInterleave]
    Task<RiskRuleSet> GetRules();

    Task<RiskRuleSet> UpdateRule(string ruleId, RiskRuleUpdate update, string changedBy);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<RiskRuleChange>> GetChanges(string? ruleId, int limit);
}

/// <summary>
/// Sliding-window counters of order sources (client IPs, devices), one grain per hash bucket of sources
/// (<c>ip#{bucket}</c>, <c>device#{bucket}</c>): a crowd of a million IPs costs a bounded set of activations, not one
/// activation per IP. In memory only: the windows are minutes long and idle sources are dropped.
/// </summary>
public interface ISourceCounterGrain : IGrainWithStringKey
{
    /// <summary>Counts an order attempt from <paramref name="source"/>; distinct buyers are counted over <paramref name="distinctWindow"/>.</summary>
    Task<SourceActivity> RecordAttempt(string source, string buyerId, DateTimeOffset at, TimeSpan distinctWindow);
}

/// <summary>
/// Hourly counters of a scope, keyed <c>room:{id}</c>, <c>merchant:{id}</c> or <c>product:{id}</c>: orders in the night
/// window (with their 7-day baseline) and paid/refunded orders over 24 hours. Persisted, so baselines survive restarts.
/// </summary>
public interface IScopeCounterGrain : IGrainWithStringKey
{
    /// <summary>Counts several order attempts at once (what one silo counted since its last call, see <c>ScopeCounts</c>) and returns the scope's activity.</summary>
    Task<ScopeActivity> RecordOrders(DateTimeOffset at, bool countTowardsNight, int orders);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<ScopeActivity> Read(DateTimeOffset at);

    Task RecordPaid(string orderId, DateTimeOffset at);

    Task RecordRefunded(string orderId, DateTimeOffset at);

    /// <summary>Adds historical counts (operators importing a baseline, tests seeding one).</summary>
    Task SeedOrders(DateTimeOffset hour, long orders);
}

/// <summary>Recent risk events for operators (key <c>default</c>): all, per rule, per merchant.</summary>
public interface IRiskAlertsGrain : IGrainWithStringKey
{
    Task Record(RiskAlert alert);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<RiskAlert>> Recent(string? ruleId, string? merchantId, int limit);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyDictionary<string, long>> CountsByRule();
}

/// <summary>Orders whose money is on hold, waiting for an admin (key <c>default</c>).</summary>
public interface IRiskReviewQueueGrain : IGrainWithStringKey
{
    Task Add(ReviewItem item);
    Task MarkDecided(string orderId, Orders.ReviewDecision decision, string decidedBy, DateTimeOffset at);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<ReviewPage> Pending(int offset, int limit);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<ReviewPage> Decided(int offset, int limit);
}
