using LiveCommerce.Contracts.Risk;

namespace LiveCommerce.Grains.Risk;

/// <summary>
/// The rules the engine knows, with their default thresholds, actions and stages. Defaults can be overridden in
/// configuration (<c>LiveCommerce:Risk:Rules:{ruleId}:Enabled|Action|Severity|Thresholds:{name}</c>) and are then
/// changed at runtime through the admin API.
/// </summary>
public static class RiskRuleCatalog
{
    public const string IpBurst = "ip-burst";
    public const string BuyerBurst = "buyer-burst";
    /// <summary>The buyer-burst rule for orders of a shelf item the streamer listed as a flash sale (<c>flashSale</c>).</summary>
    public const string FlashSaleBuyerBurst = "flash-sale-buyer-burst";
    public const string IpManyBuyers = "ip-many-buyers";
    public const string DeviceManyBuyers = "device-many-buyers";
    public const string NightSurge = "night-surge";
    public const string PriceDeviation = "price-deviation";
    public const string NewBuyerHighValue = "new-buyer-high-value";
    public const string RefundSpike = "refund-spike";

    public static IReadOnlyList<RiskRule> Defaults { get; } =
    [
        new(IpBurst, true, RiskAction.Reject, RiskSeverity.High, new Dictionary<string, long> { ["maxOrdersPerMinute"] = 5 }, RiskStages.Placement,
            "More orders from one client IP in any 60 seconds than the threshold (the 6th of 5 trips it)."),
        new(BuyerBurst, true, RiskAction.Review, RiskSeverity.Medium, new Dictionary<string, long> { ["maxOrdersPerMinute"] = 3 }, RiskStages.Placement,
            "More orders from one buyer in any 60 seconds than the threshold."),
        // A flash sale is a shelf item listed with flashSale = true: there a burst is hoarding, not enthusiasm.
        new(FlashSaleBuyerBurst, true, RiskAction.Reject, RiskSeverity.High, new Dictionary<string, long> { ["maxOrdersPerMinute"] = 3 }, RiskStages.Placement,
            "On a flash-sale item: more orders from one buyer in any 60 seconds than the threshold."),
        new(IpManyBuyers, true, RiskAction.Review, RiskSeverity.Medium, new Dictionary<string, long> { ["maxDistinctBuyers"] = 5, ["windowMinutes"] = 10 }, RiskStages.Placement,
            "More distinct buyers ordering from one client IP within the window than the threshold."),
        new(DeviceManyBuyers, true, RiskAction.Review, RiskSeverity.Medium, new Dictionary<string, long> { ["maxDistinctBuyers"] = 3, ["windowMinutes"] = 10 }, RiskStages.Placement,
            "More distinct buyers ordering from one device within the window than the threshold."),
        new(NightSurge, true, RiskAction.Review, RiskSeverity.High, new Dictionary<string, long> { ["fromHour"] = 2, ["toHour"] = 4, ["surgePercent"] = 500 }, RiskStages.Both,
            "Orders of a room, merchant or product in a night hour (business time) at or above the percentage of that hour's trailing 7-day average."),
        new(PriceDeviation, true, RiskAction.Review, RiskSeverity.Medium, new Dictionary<string, long> { ["maxDiscountPercent"] = 30 }, RiskStages.Both,
            "A live price more than the percentage below the product's historical average price."),
        new(NewBuyerHighValue, true, RiskAction.Review, RiskSeverity.Medium, new Dictionary<string, long> { ["maxAccountAgeHours"] = 24, ["minAmount"] = 100_000 }, RiskStages.Both,
            "A new buyer with no paid order yet ordering or paying at or above the amount (fen)."),
        // Checked when money moves (payment), not on every placement, to keep placement to one round of calls.
        new(RefundSpike, true, RiskAction.Review, RiskSeverity.Medium, new Dictionary<string, long> { ["minPaidOrders"] = 10, ["maxRefundPercent"] = 50 }, RiskStages.Payment,
            "A room or merchant whose refunded share of paid orders over 24 hours reaches the percentage."),
    ];

    /// <summary>The defaults with configuration overrides applied.</summary>
    public static IReadOnlyList<RiskRule> FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection("LiveCommerce:Risk:Rules");
        return Defaults.Select(rule =>
        {
            var s = section.GetSection(rule.RuleId);
            if (!s.Exists()) return rule;
            var thresholds = new Dictionary<string, long>(rule.Thresholds);
            foreach (var t in s.GetSection("Thresholds").GetChildren())
                if (thresholds.ContainsKey(t.Key) && long.TryParse(t.Value, out var v)) thresholds[t.Key] = v;
            return rule with
            {
                Enabled = s.GetValue("Enabled", rule.Enabled),
                Action = s.GetValue("Action", rule.Action),
                Severity = s.GetValue("Severity", rule.Severity),
                Thresholds = thresholds,
            };
        }).ToList();
    }

    /// <summary>Applies an operator's update after checking it; throws a validation error naming the field.</summary>
    public static RiskRule Apply(RiskRule rule, RiskRuleUpdate update)
    {
        var thresholds = new Dictionary<string, long>(rule.Thresholds);
        foreach (var (name, value) in update.Thresholds ?? new Dictionary<string, long>())
        {
            if (!thresholds.ContainsKey(name))
                throw DomainException.Invalid($"thresholds.{name}", $"Rule {rule.RuleId} has no threshold '{name}'; it has {string.Join(", ", thresholds.Keys)}.");
            if (value < 0) throw DomainException.Invalid($"thresholds.{name}", "Thresholds must not be negative.");
            thresholds[name] = value;
        }
        if (rule.RuleId == NightSurge && (thresholds["fromHour"] is < 0 or > 23 || thresholds["toHour"] is < 1 or > 24 || thresholds["fromHour"] >= thresholds["toHour"]))
            throw DomainException.Invalid("thresholds", "Night hours must satisfy 0 <= fromHour < toHour <= 24.");
        if (rule.RuleId == PriceDeviation && thresholds["maxDiscountPercent"] > 100)
            throw DomainException.Invalid("thresholds.maxDiscountPercent", "maxDiscountPercent is at most 100.");
        return rule with
        {
            Enabled = update.Enabled ?? rule.Enabled,
            Action = update.Action ?? rule.Action,
            Severity = update.Severity ?? rule.Severity,
            Thresholds = thresholds,
        };
    }
}
