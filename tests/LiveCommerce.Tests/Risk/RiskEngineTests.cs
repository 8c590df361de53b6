using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Risk;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Risk;

namespace LiveCommerce.Tests.Risk;

/// <summary>Each rule at its boundary: exactly at, one under, one over the threshold.</summary>
public sealed class RiskEngineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static RiskRuleSet Rules(params string[] enabled) =>
        new(1, RiskRuleCatalog.Defaults.Select(r => r with { Enabled = enabled.Length == 0 || enabled.Contains(r.RuleId) }).ToList());
    private static RiskFacts Quiet => new() { At = T0, LocalHour = 20, BuyerRegisteredAt = T0.AddDays(-30), BuyerPreviousOrders = 3, UnitPrice = 1000, HistoricalAveragePrice = 1000, Amount = 1000 };

    [Theory]
    [InlineData(5, RiskVerdict.Allow)]
    [InlineData(6, RiskVerdict.Reject)]
    public void Ip_burst_trips_on_the_sixth_order_in_a_minute(int orders, RiskVerdict expected)
    {
        var result = RiskEngine.Evaluate(Rules(RiskRuleCatalog.IpBurst), Quiet with { Ip = new SourceActivity(orders, 1) }, RiskStages.Placement);
        Assert.Equal(expected, result.Verdict);
        if (expected != RiskVerdict.Allow) Assert.Contains("6 orders from this IP in 60 s", result.Hits.Single().Reason);
    }

    [Fact]
    public void The_sliding_window_counts_any_60_seconds_not_calendar_minutes()
    {
        var window = new SlidingWindow();
        for (var i = 0; i < 5; i++) window.Record("b", T0.AddSeconds(i), TimeSpan.FromMinutes(10));
        Assert.Equal(6, window.Record("b", T0.AddSeconds(59.9), TimeSpan.FromMinutes(10)).LastMinute);
        var later = new SlidingWindow();
        for (var i = 0; i < 5; i++) later.Record("b", T0.AddSeconds(i), TimeSpan.FromMinutes(10));
        Assert.Equal(5, later.Record("b", T0.AddSeconds(60), TimeSpan.FromMinutes(10)).LastMinute); // the first left the window
    }

    [Fact]
    public void Distinct_buyers_expire_with_their_last_visit()
    {
        var window = new SlidingWindow();
        var ten = TimeSpan.FromMinutes(10);
        window.Record("a", T0, ten);
        window.Record("b", T0.AddMinutes(1), ten);
        window.Record("a", T0.AddMinutes(5), ten);
        Assert.Equal(3, window.Record("c", T0.AddMinutes(10.5), ten).DistinctBuyers); // a (last seen at 5), b (at 1), c
        Assert.Equal(2, window.Record("c", T0.AddMinutes(11.5), ten).DistinctBuyers); // b's only visit left the window; a's first did not remove a
    }

    [Theory]
    [InlineData(3, RiskVerdict.Allow)]
    [InlineData(4, RiskVerdict.Review)]
    public void Buyer_burst_trips_above_three_a_minute(int orders, RiskVerdict expected) =>
        Assert.Equal(expected, RiskEngine.Evaluate(Rules(RiskRuleCatalog.BuyerBurst), Quiet with { BuyerOrdersInLastMinute = orders }, RiskStages.Placement).Verdict);

    [Theory]
    [InlineData(3, true, RiskVerdict.Allow)]
    [InlineData(4, true, RiskVerdict.Reject)]
    [InlineData(4, false, RiskVerdict.Review)]
    public void A_buyer_burst_on_a_flash_sale_is_rejected_by_default_and_elsewhere_reviewed(int orders, bool flashSale, RiskVerdict expected)
    {
        var result = RiskEngine.Evaluate(Rules(RiskRuleCatalog.BuyerBurst, RiskRuleCatalog.FlashSaleBuyerBurst),
            Quiet with { BuyerOrdersInLastMinute = orders, FlashSale = flashSale }, RiskStages.Placement);
        Assert.Equal(expected, result.Verdict);
        if (expected == RiskVerdict.Reject) Assert.Contains(result.Hits, h => h.RuleId == RiskRuleCatalog.FlashSaleBuyerBurst && h.Action == RiskAction.Reject);
    }

    [Theory]
    [InlineData(5, RiskVerdict.Allow)]
    [InlineData(6, RiskVerdict.Review)]
    public void Many_buyers_from_one_ip(int buyers, RiskVerdict expected) =>
        Assert.Equal(expected, RiskEngine.Evaluate(Rules(RiskRuleCatalog.IpManyBuyers), Quiet with { Ip = new SourceActivity(1, buyers) }, RiskStages.Placement).Verdict);

    [Theory]
    [InlineData(3, RiskVerdict.Allow)]
    [InlineData(4, RiskVerdict.Review)]
    public void Many_buyers_from_one_device(int buyers, RiskVerdict expected) =>
        Assert.Equal(expected, RiskEngine.Evaluate(Rules(RiskRuleCatalog.DeviceManyBuyers), Quiet with { Device = new SourceActivity(1, buyers) }, RiskStages.Placement).Verdict);

    [Theory]
    [InlineData(6900, RiskVerdict.Review)]  // 31% below
    [InlineData(7000, RiskVerdict.Allow)]   // exactly 30%: not "more than"
    [InlineData(7100, RiskVerdict.Allow)]   // 29% below
    public void Price_deviation_is_more_than_30_percent_below_the_average(long price, RiskVerdict expected) =>
        Assert.Equal(expected, RiskEngine.Evaluate(Rules(RiskRuleCatalog.PriceDeviation), Quiet with { UnitPrice = price, HistoricalAveragePrice = 10000 }, RiskStages.Placement).Verdict);

    [Theory]
    [InlineData(2, 10, 14, RiskVerdict.Review)] // 10 against an average of 2 = 500%
    [InlineData(2, 9, 14, RiskVerdict.Allow)]   // 450%
    [InlineData(3, 11, 14, RiskVerdict.Review)] // 03:00 is in the window
    [InlineData(4, 50, 14, RiskVerdict.Allow)]  // 04:00 is not
    [InlineData(1, 50, 14, RiskVerdict.Allow)]  // 01:00 is not
    [InlineData(2, 50, 0, RiskVerdict.Allow)]   // no baseline yet: no verdict
    public void Night_surge_compares_the_hour_with_its_7_day_average(int hour, long orders, long baselineTimes7, RiskVerdict expected)
    {
        var facts = Quiet with { LocalHour = hour, Scopes = [new ScopeActivity("merchant:m1", orders, baselineTimes7, 0, 0)] };
        Assert.Equal(expected, RiskEngine.Evaluate(Rules(RiskRuleCatalog.NightSurge), facts, RiskStages.Placement).Verdict);
    }

    [Theory]
    [InlineData(23, 0, 100_000, RiskVerdict.Review)]
    [InlineData(25, 0, 100_000, RiskVerdict.Allow)]  // not new
    [InlineData(1, 1, 100_000, RiskVerdict.Allow)]   // not the first order
    [InlineData(1, 0, 99_999, RiskVerdict.Allow)]    // below the amount
    public void A_new_buyers_first_order_above_a_value(int ageHours, int previousOrders, long amount, RiskVerdict expected)
    {
        var facts = Quiet with { BuyerRegisteredAt = T0.AddHours(-ageHours), BuyerPreviousOrders = previousOrders, Amount = amount };
        Assert.Equal(expected, RiskEngine.Evaluate(Rules(RiskRuleCatalog.NewBuyerHighValue), facts, RiskStages.Placement).Verdict);
    }

    [Theory]
    [InlineData(10, 5, RiskVerdict.Review)]
    [InlineData(10, 4, RiskVerdict.Allow)]
    [InlineData(9, 9, RiskVerdict.Allow)] // too few paid orders to judge
    public void A_refund_spike_per_merchant(long paid, long refunded, RiskVerdict expected)
    {
        var facts = Quiet with { Scopes = [new ScopeActivity("merchant:m1", 0, 0, paid, refunded)] };
        Assert.Equal(expected, RiskEngine.Evaluate(Rules(RiskRuleCatalog.RefundSpike), facts, RiskStages.Payment).Verdict);
    }

    [Fact]
    public void The_strongest_action_wins_and_every_hit_is_reported()
    {
        var facts = Quiet with { Ip = new SourceActivity(9, 1), BuyerOrdersInLastMinute = 9 };
        var result = RiskEngine.Evaluate(Rules(), facts, RiskStages.Placement);
        Assert.Equal(RiskVerdict.Reject, result.Verdict);
        Assert.Equal([RiskRuleCatalog.IpBurst, RiskRuleCatalog.BuyerBurst], result.Hits.Select(h => h.RuleId));
    }

    [Fact]
    public void Disabled_rules_and_other_stages_do_not_trip()
    {
        var facts = Quiet with { Ip = new SourceActivity(9, 1) };
        Assert.Equal(RiskVerdict.Allow, RiskEngine.Evaluate(Rules(RiskRuleCatalog.BuyerBurst), facts, RiskStages.Placement).Verdict);
        Assert.Equal(RiskVerdict.Allow, RiskEngine.Evaluate(Rules(RiskRuleCatalog.IpBurst), facts, RiskStages.Payment).Verdict);
    }

    [Fact]
    public void Rule_updates_are_checked()
    {
        var night = RiskRuleCatalog.Defaults.Single(r => r.RuleId == RiskRuleCatalog.NightSurge);
        Assert.Equal("thresholds", Assert.Throws<DomainException>(() => RiskRuleCatalog.Apply(night, new RiskRuleUpdate(null, null, null, new Dictionary<string, long> { ["fromHour"] = 5 }))).Field);
        Assert.Equal("thresholds.nope", Assert.Throws<DomainException>(() => RiskRuleCatalog.Apply(night, new RiskRuleUpdate(null, null, null, new Dictionary<string, long> { ["nope"] = 1 }))).Field);
        var changed = RiskRuleCatalog.Apply(night, new RiskRuleUpdate(false, RiskAction.Reject, null, new Dictionary<string, long> { ["surgePercent"] = 300 }));
        Assert.Equal((false, RiskAction.Reject, 300L, 2L), (changed.Enabled, changed.Action, changed.Threshold("surgePercent"), changed.Threshold("fromHour")));
    }

    [Fact]
    public void The_night_slot_is_in_Shanghai_time()
    {
        var calendar = new BusinessCalendar(new BusinessCalendarOptions());
        var night = RiskRuleCatalog.Defaults.Single(r => r.RuleId == RiskRuleCatalog.NightSurge);
        Assert.True(RiskEngine.InNightWindow(night, calendar.HourOf(new DateTimeOffset(2026, 11, 24, 18, 30, 0, TimeSpan.Zero)))); // 02:30 CST
        Assert.False(RiskEngine.InNightWindow(night, calendar.HourOf(new DateTimeOffset(2026, 11, 24, 2, 30, 0, TimeSpan.Zero))));  // 10:30 CST
        Assert.False(RiskEngine.InNightWindow(night, calendar.HourOf(new DateTimeOffset(2026, 11, 24, 20, 0, 0, TimeSpan.Zero))));  // 04:00 CST
    }

    [Fact]
    public void Hourly_counts_give_a_7_day_baseline_and_stay_bounded()
    {
        var counts = new HourlyCounts();
        var tonight = new DateTimeOffset(2026, 11, 24, 18, 30, 0, TimeSpan.Zero);
        for (var day = 1; day <= 9; day++) counts.At(tonight.AddDays(-day)).Orders += 2;
        counts.At(tonight).Orders += 10;
        Assert.Equal(14, counts.BaselineTimes7(tonight)); // days 8 and 9 are outside the 7-day window
        Assert.True(counts.Hours.Count <= HourlyCounts.KeepHours);
    }
}

public sealed class CounterExpiryTests
{
    [Fact]
    public void Idle_sources_are_dropped_and_their_windows_with_them()
    {
        var windows = new SourceWindows();
        var t0 = new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 5; i++) windows.Record("203.0.113.1", "b" + i, t0, TimeSpan.FromMinutes(10));
        Assert.Equal(1, windows.Tracked);
        // Half an hour later, a thousand calls from other sources prune the idle one.
        for (var i = 0; i < SourceWindows.PruneEvery; i++) windows.Record("198.51.100." + (i % 200), "x", t0.AddMinutes(31), TimeSpan.FromMinutes(10));
        Assert.Equal(200, windows.Tracked);
        // It starts from nothing again: no stale burst is held against it.
        Assert.Equal((1, 1), windows.Record("203.0.113.1", "b9", t0.AddMinutes(31), TimeSpan.FromMinutes(10)));
    }
}
