using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Risk;

namespace LiveCommerce.Grains.Risk;

/// <summary>What the engine knows about an order when it decides. Null activity means "not collected" (rule off or no source).</summary>
public sealed record RiskFacts
{
    public SourceActivity? Ip { get; init; }
    public SourceActivity? Device { get; init; }
    public int BuyerOrdersInLastMinute { get; init; }
    /// <summary>The order is for a shelf item listed as a flash sale.</summary>
    public bool FlashSale { get; init; }
    public DateTimeOffset BuyerRegisteredAt { get; init; }
    public int BuyerPreviousOrders { get; init; }
    public long Amount { get; init; }
    public long UnitPrice { get; init; }
    public long HistoricalAveragePrice { get; init; }
    public int LocalHour { get; init; }
    public DateTimeOffset At { get; init; }
    /// <summary>Room, merchant and product activity for the night rule; room and merchant for refund spikes.</summary>
    public IReadOnlyList<ScopeActivity> Scopes { get; init; } = [];
}

/// <summary>
/// The decision: every enabled rule of the stage is checked against the facts; the strongest action of the rules
/// that tripped wins (Reject over Review over Allow), and every tripped rule is reported with its numbers.
/// </summary>
public static class RiskEngine
{
    public static RiskAssessment Evaluate(RiskRuleSet rules, RiskFacts facts, RiskStages stage)
    {
        var hits = new List<RiskHit>();
        foreach (var rule in rules.Rules.Where(r => r.Enabled && (r.Stages & stage) != 0))
        {
            var reason = Check(rule, facts);
            if (reason is not null) hits.Add(new RiskHit(rule.RuleId, rule.Action, rule.Severity, reason));
        }
        var verdict = hits.Count == 0 ? RiskVerdict.Allow
            : hits.Any(h => h.Action == RiskAction.Reject) ? RiskVerdict.Reject
            : RiskVerdict.Review;
        return new RiskAssessment(verdict, hits, rules.Version);
    }

    /// <summary>Null when the rule does not trip, otherwise why it did.</summary>
    public static string? Check(RiskRule rule, RiskFacts f) => rule.RuleId switch
    {
        RiskRuleCatalog.IpBurst => f.Ip is { } ip && ip.OrdersInLastMinute > rule.Threshold("maxOrdersPerMinute")
            ? $"{ip.OrdersInLastMinute} orders from this IP in 60 s (more than {rule.Threshold("maxOrdersPerMinute")})" : null,
        RiskRuleCatalog.BuyerBurst => f.BuyerOrdersInLastMinute > rule.Threshold("maxOrdersPerMinute")
            ? $"{f.BuyerOrdersInLastMinute} orders from this buyer in 60 s (more than {rule.Threshold("maxOrdersPerMinute")})" : null,
        RiskRuleCatalog.FlashSaleBuyerBurst => f.FlashSale && f.BuyerOrdersInLastMinute > rule.Threshold("maxOrdersPerMinute")
            ? $"{f.BuyerOrdersInLastMinute} orders from this buyer in 60 s on a flash sale (more than {rule.Threshold("maxOrdersPerMinute")})" : null,
        RiskRuleCatalog.IpManyBuyers => f.Ip is { } ip2 && ip2.DistinctBuyersInWindow > rule.Threshold("maxDistinctBuyers")
            ? $"{ip2.DistinctBuyersInWindow} buyers from this IP in {rule.Threshold("windowMinutes")} min (more than {rule.Threshold("maxDistinctBuyers")})" : null,
        RiskRuleCatalog.DeviceManyBuyers => f.Device is { } d && d.DistinctBuyersInWindow > rule.Threshold("maxDistinctBuyers")
            ? $"{d.DistinctBuyersInWindow} buyers from this device in {rule.Threshold("windowMinutes")} min (more than {rule.Threshold("maxDistinctBuyers")})" : null,
        RiskRuleCatalog.NightSurge => NightSurge(rule, f),
        RiskRuleCatalog.PriceDeviation => PriceDeviation(rule, f.UnitPrice, f.HistoricalAveragePrice),
        RiskRuleCatalog.NewBuyerHighValue => f.BuyerPreviousOrders == 0
            && f.At - f.BuyerRegisteredAt < TimeSpan.FromHours(rule.Threshold("maxAccountAgeHours"))
            && f.Amount >= rule.Threshold("minAmount")
            ? $"first order of a buyer registered {(f.At - f.BuyerRegisteredAt).TotalHours:0.#} h ago, amount {f.Amount} fen (at least {rule.Threshold("minAmount")})" : null,
        RiskRuleCatalog.RefundSpike => RefundSpike(rule, f),
        _ => null,
    };

    public static bool InNightWindow(RiskRule nightRule, int localHour) =>
        localHour >= nightRule.Threshold("fromHour") && localHour < nightRule.Threshold("toHour");

    /// <summary>"More than N% below the average": price &lt; average × (100 − N) / 100, in integers.</summary>
    public static string? PriceDeviation(RiskRule rule, long unitPrice, long averagePrice)
    {
        var maxDiscount = rule.Threshold("maxDiscountPercent");
        if (averagePrice <= 0 || unitPrice <= 0) return null;
        if ((Int128)unitPrice * 100 >= (Int128)averagePrice * (100 - maxDiscount)) return null;
        var below = 100m - unitPrice * 100m / averagePrice;
        return $"price {unitPrice} fen is {below:0.#}% below the historical average {averagePrice} fen (more than {maxDiscount}%)";
    }

    private static string? NightSurge(RiskRule rule, RiskFacts f)
    {
        if (!InNightWindow(rule, f.LocalHour)) return null;
        var percent = rule.Threshold("surgePercent");
        foreach (var scope in f.Scopes)
        {
            // No baseline yet means no verdict, not a division by zero.
            if (scope.BaselineOrdersTimes7 <= 0) continue;
            // orders / (sum / 7) >= percent / 100  ⇔  orders × 7 × 100 >= percent × sum
            if (scope.OrdersThisHour * 7 * 100 >= percent * scope.BaselineOrdersTimes7)
                return $"{scope.Scope}: {scope.OrdersThisHour} orders in hour {f.LocalHour}:00 against a 7-day average of {scope.BaselineOrdersTimes7 / 7.0:0.##} (at least {percent}%)";
        }
        return null;
    }

    private static string? RefundSpike(RiskRule rule, RiskFacts f)
    {
        foreach (var scope in f.Scopes.Where(s => !s.Scope.StartsWith("product:", StringComparison.Ordinal)))
        {
            if (scope.PaidLast24Hours < rule.Threshold("minPaidOrders")) continue;
            if (scope.RefundedLast24Hours * 100 >= rule.Threshold("maxRefundPercent") * scope.PaidLast24Hours)
                return $"{scope.Scope}: {scope.RefundedLast24Hours} of {scope.PaidLast24Hours} paid orders refunded in 24 h (at least {rule.Threshold("maxRefundPercent")}%)";
        }
        return null;
    }
}
