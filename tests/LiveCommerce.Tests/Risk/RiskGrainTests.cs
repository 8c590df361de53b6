using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Risk;
using LiveCommerce.Grains.Risk;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Risk;

/// <summary>Risk through the grains, with the shared fake clock (tests in this class change rules, so they run in order).</summary>
public sealed class RiskGrainTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    private IRiskRulesGrain Rules => fixture.Client.GetGrain<IRiskRulesGrain>("default");
    private ShopScenario NewShop() => new(fixture.Client, platformAccountId: fixture.PlatformAccountId);

    [Fact]
    public async Task The_sixth_order_from_one_ip_in_a_minute_is_rejected_without_touching_stock_and_the_window_expires()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 20);
        var buyers = await shop.RegisterBuyersAsync(7);
        const string ip = "198.51.100.23";
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(PlaceOutcome.Placed, (await shop.PlaceAsync(buyers[i], clientIp: ip)).Outcome);
            fixture.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        var sixth = await shop.PlaceAsync(buyers[5], clientIp: ip);
        Assert.Equal(PlaceOutcome.RiskRejected, sixth.Outcome);
        Assert.Contains(sixth.Reasons, r => r.StartsWith("ip-burst: 6 orders"));
        Assert.Equal(15, (await shop.Room.GetView()).Shelf.Single().StockLeft);
        var error = await Assert.ThrowsAsync<DomainException>(() => shop.Order(buyers[5], "k1").Get());
        Assert.Equal(ErrorKind.NotFound, error.Kind); // a rejected order does not exist

        // A minute after the first orders the window has moved on.
        fixture.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(PlaceOutcome.Placed, (await shop.PlaceAsync(buyers[6], clientIp: ip)).Outcome);
        var alerts = await fixture.Client.GetGrain<IRiskAlertsGrain>("default").Recent(RiskRuleCatalog.IpBurst, null, 10);
        Assert.Contains(alerts, a => a.BuyerId == buyers[5] && a.Verdict == RiskVerdict.Reject && a.ClientIp == ip);
    }

    [Fact]
    public async Task A_rule_change_takes_effect_on_the_next_order_and_is_audited()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 20);
        var buyers = await shop.RegisterBuyersAsync(3);
        const string ip = "198.51.100.77";
        var before = (await Rules.GetRules()).Version;
        await Rules.UpdateRule(RiskRuleCatalog.IpBurst, new RiskRuleUpdate(null, null, null, new Dictionary<string, long> { ["maxOrdersPerMinute"] = 1 }), "ops-alice");
        try
        {
            Assert.Equal(PlaceOutcome.Placed, (await shop.PlaceAsync(buyers[0], clientIp: ip)).Outcome);
            Assert.Equal(PlaceOutcome.RiskRejected, (await shop.PlaceAsync(buyers[1], clientIp: ip)).Outcome);

            // Switched to Review: the next order is placed, with the decision and reasons on it.
            await Rules.UpdateRule(RiskRuleCatalog.IpBurst, new RiskRuleUpdate(null, RiskAction.Review, null, null), "ops-bob");
            var held = await shop.PlaceAsync(buyers[2], clientIp: ip);
            Assert.Equal(PlaceOutcome.Placed, held.Outcome);
            Assert.Equal(RiskVerdict.Review, held.Order!.RiskDecisions.Single(d => d.Stage == "placement").Verdict);

            var changes = await Rules.GetChanges(RiskRuleCatalog.IpBurst, 10);
            var first = changes.Single(c => c.ChangedBy == "ops-alice");
            Assert.Equal((5L, 1L), (first.Old.Threshold("maxOrdersPerMinute"), first.New.Threshold("maxOrdersPerMinute")));
            Assert.Equal(fixture.Clock.GetUtcNow(), changes.Single(c => c.ChangedBy == "ops-bob").At);
            Assert.True(changes[0].Version > before);
            var error = await Assert.ThrowsAsync<DomainException>(() => Rules.UpdateRule("no-such-rule", new RiskRuleUpdate(true, null, null, null), "x"));
            Assert.Equal(ErrorKind.NotFound, error.Kind);
        }
        finally
        {
            await Rules.UpdateRule(RiskRuleCatalog.IpBurst, new RiskRuleUpdate(true, RiskAction.Reject, null, new Dictionary<string, long> { ["maxOrdersPerMinute"] = 5 }), "test-cleanup");
            fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        }
    }

    [Fact]
    public async Task A_reviewed_order_keeps_its_money_on_hold_until_an_admin_releases_it()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 10, livePrice: 6000);
        var buyers = await shop.RegisterBuyersAsync(5);
        const string device = "device-shared-1";
        // Four buyers from one device: the fourth trips device-many-buyers (Review).
        for (var i = 0; i < 3; i++) await shop.PlaceAsync(buyers[i], deviceId: device);
        var placed = await shop.PlaceAsync(buyers[3], deviceId: device);
        Assert.Equal(RiskVerdict.Review, placed.Order!.RiskDecisions.Single().Verdict);

        var paid = await shop.PayAsync(buyers[3]);
        Assert.True(paid.OnHold);
        Assert.All(paid.Split, l => Assert.Equal(ShareStatus.OnHold, l.Status));
        var merchant = fixture.Client.GetGrain<ISettlementAccountGrain>(shop.MerchantId);
        var seller = paid.Split.Single(l => l.Role == PartyRole.Seller).Amount;
        Assert.Equal(seller, (await merchant.GetBalance()).OnHold);
        var queue = fixture.Client.GetGrain<IRiskReviewQueueGrain>("default");
        Assert.Contains((await queue.Pending(0, 100)).Items, i => i.OrderId == paid.OrderId);

        // Confirmed and past settlement time: held money still does not settle.
        var order = shop.Order(buyers[3], "k1");
        await order.Ship(shop.MerchantId, null);
        await order.ConfirmReceipt(buyers[3]);
        await merchant.SetCycle(0, "test");
        fixture.Clock.Advance(TimeSpan.FromDays(5));
        Assert.Null((await merchant.RunSettlement()).BatchId);
        Assert.Equal(seller, (await merchant.GetBalance()).OnHold);

        await order.ResolveReview(new ReviewResolution(ReviewDecision.Release, "admin-7", "verified by phone"));
        await LiveCommerce.Tests.Grains.MisbehavingCallbackTests.WaitUntil(async () => !(await queue.Pending(0, 100)).Items.Any(i => i.OrderId == paid.OrderId));
        // T+0 and already confirmed: the release settles it at once.
        await LiveCommerce.Tests.Grains.MisbehavingCallbackTests.WaitUntil(async () => (await merchant.GetBalance()).Available == seller);
        var balance = await merchant.GetBalance();
        Assert.Equal((0L, 0L), (balance.OnHold, balance.Pending));
        Assert.Equal(0, (await merchant.RunSettlement()).Total);
        Assert.Contains((await queue.Decided(0, 100)).Items, i => i.OrderId == paid.OrderId && i.Decision == ReviewDecision.Release && i.DecidedBy == "admin-7");
    }

    [Fact]
    public async Task A_rejected_review_refunds_the_held_money()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 10, livePrice: 6000);
        var buyers = await shop.RegisterBuyersAsync(4);
        // Four buyers from one device: the fourth trips device-many-buyers (Review), its paid money is held.
        var device = "device-" + shop.Prefix;
        for (var i = 0; i < 3; i++) await shop.PlaceAsync(buyers[i], deviceId: device);
        await shop.PlaceAsync(buyers[3], deviceId: device);
        Assert.True((await shop.PayAsync(buyers[3])).OnHold);
        var order = shop.Order(buyers[3], "k1");
        var rejected = await order.ResolveReview(new ReviewResolution(ReviewDecision.Reject, "admin-8", null));
        Assert.Equal((OrderStatus.Refunded, 6000L, CancelReason.RiskRejected), (rejected.Status, rejected.RefundedAmount, rejected.CancelReason));
        Assert.Equal(0, (await fixture.Client.GetGrain<ISettlementAccountGrain>(shop.MerchantId).GetBalance()).OnHold);
        Assert.Equal(10 - 3, (await shop.Room.GetView()).Shelf.Single().StockLeft); // the other three are still reserved
    }

    [Fact]
    public async Task A_night_surge_is_detected_against_a_seeded_baseline()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 100, livePrice: 3000);
        var buyers = await shop.RegisterBuyersAsync(12);
        var night = MoveToNight(minute: 10);
        // A baseline of 2 orders in this hour on each of the last 7 nights.
        var merchantCounter = fixture.Client.GetGrain<IScopeCounterGrain>("merchant:" + shop.MerchantId);
        for (var day = 1; day <= 7; day++) await merchantCounter.SeedOrders(night.AddDays(-day), 2);

        var verdicts = new List<RiskVerdict>();
        for (var i = 0; i < 10; i++)
        {
            var placed = await shop.PlaceAsync(buyers[i]);
            verdicts.Add(placed.Order!.RiskDecisions.Single().Verdict);
        }
        // The 10th order of the hour is 500% of the average of 2.
        Assert.All(verdicts.Take(9), v => Assert.Equal(RiskVerdict.Allow, v));
        Assert.Equal(RiskVerdict.Review, verdicts[9]);
        var alert = (await fixture.Client.GetGrain<IRiskAlertsGrain>("default").Recent(RiskRuleCatalog.NightSurge, shop.MerchantId, 5)).First();
        Assert.Contains("merchant:" + shop.MerchantId, alert.Hits.Single().Reason);
        fixture.Clock.Advance(TimeSpan.FromHours(3));
    }
    [Fact]
    public async Task Concurrent_night_orders_are_each_counted_once_in_the_scope_counters()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 200, livePrice: 3000);
        var buyers = await shop.RegisterBuyersAsync(80);
        MoveToNight(minute: 20);

        // Placed at once: a silo sends the counts of orders that arrive together in one call per scope.
        var placed = await Task.WhenAll(buyers.Select(b => shop.PlaceAsync(b)));
        Assert.All(placed, p => Assert.NotNull(p.Order));

        foreach (var scope in new[] { "room:" + shop.RoomId, "merchant:" + shop.MerchantId, "product:" + shop.ProductId })
        {
            var activity = await fixture.Client.GetGrain<IScopeCounterGrain>(scope).Read(fixture.Clock.GetUtcNow());
            Assert.Equal(buyers.Length, activity.OrdersThisHour);
        }
        fixture.Clock.Advance(TimeSpan.FromHours(3));
    }

    /// <summary>Moves the shared clock to 02:mm Shanghai (18:mm UTC) on the next night.</summary>
    private DateTimeOffset MoveToNight(int minute)
    {
        var now = fixture.Clock.GetUtcNow();
        var night = new DateTimeOffset(now.UtcDateTime.Date.AddHours(18).AddMinutes(minute), TimeSpan.Zero);
        if (night <= now) night = night.AddDays(1);
        fixture.Clock.SetUtcNow(night);
        return night;
    }
}
