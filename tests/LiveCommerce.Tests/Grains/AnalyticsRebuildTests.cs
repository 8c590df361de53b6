using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Analytics;
using LiveCommerce.Grains.Common;
using LiveCommerce.Tests.Support;
using Orleans.Streams;

namespace LiveCommerce.Tests.Grains;

public sealed class AnalyticsRebuildTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = Environment.TickCount64 + 15_000;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (Environment.TickCount64 > deadline) throw new TimeoutException("analytics did not converge");
            await Task.Delay(50);
        }
    }

    private Task Publish(string ns, string key, DomainEvent e) =>
        fixture.Client.GetStreamProvider(EventStreams.Provider).GetStream<DomainEvent>(StreamId.Create(ns, key)).OnNextAsync(e);

    [Fact]
    public async Task Duplicate_events_count_once_and_a_rebuild_replaces_phantom_or_missing_counts_with_durable_truth()
    {
        var shop = new ShopScenario(fixture.Client);
        await shop.SetUpAsync(stock: 10, livePrice: 2500);
        var buyers = await shop.RegisterBuyersAsync(3, city: "Wuhan");
        foreach (var b in buyers) await shop.Room.Join(b);
        await shop.PlaceAsync(buyers[0]);
        var paid = await shop.PayAsync(buyers[0]);
        await shop.PlaceAsync(buyers[1]);
        await shop.PayAsync(buyers[1]);

        var room = fixture.Client.GetGrain<IRoomAnalyticsGrain>(shop.RoomId);
        var live = await Eventually(room.GetReport, r => r.Funnel.Paid == 2 && r.Views == 3);
        Assert.Equal((5000L, 2L), (live.Gmv, live.Funnel.Placed));

        // The same Paid event again (a redelivery) is recognized and ignored.
        var duplicate = new OrderEvent(OrderEventKind.Paid, paid.OrderId, buyers[0], "Wuhan", shop.RoomId, "Hangzhou", shop.StreamerId, shop.MerchantId,
            shop.ProductId, "beauty", 1, 2500, 12900, 2500, 0, paid.PaidAt!.Value, paid.PlacedAt, false);
        await Publish(EventStreams.Rooms, shop.RoomId, duplicate);
        // A phantom order no durable state knows (as if counted before a crash rolled it back), which is counted.
        await Publish(EventStreams.Rooms, shop.RoomId, duplicate with { OrderId = "phantom-order" });
        var skewed = await Eventually(room.GetReport, r => r.Funnel.Paid == 3);
        Assert.Equal(7500L, skewed.Gmv);

        // A third order, counted on every stream.
        await shop.PlaceAsync(buyers[2]);
        await shop.PayAsync(buyers[2]);
        var streamer = fixture.Client.GetGrain<IStreamerAnalyticsGrain>(shop.StreamerId);
        await Eventually(streamer.GetReport, s => s.Funnel.Paid == 3);

        var result = await fixture.Client.GetGrain<IAnalyticsRebuildGrain>("analytics").Run();
        Assert.True(result.Orders >= 3);
        var rebuilt = await room.GetReport();
        Assert.Equal((3L, 3L, 7500L, 3L), (rebuilt.Funnel.Placed, rebuilt.Funnel.Paid, rebuilt.Gmv, rebuilt.Views));
        Assert.NotNull(rebuilt.RebuiltAt);
        Assert.Equal(3L, (await streamer.GetReport()).Funnel.Paid);

        // Running it again changes nothing.
        await fixture.Client.GetGrain<IAnalyticsRebuildGrain>("analytics").Run();
        var again = await room.GetReport();
        Assert.Equal((rebuilt.Funnel, rebuilt.Gmv, rebuilt.Views), (again.Funnel, again.Gmv, again.Views));
    }

    [Fact]
    public async Task Aggregates_survive_deactivation_through_the_timed_write()
    {
        var shop = new ShopScenario(fixture.Client);
        await shop.SetUpAsync(stock: 10, livePrice: 1800);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.Room.Join(buyer);
        await shop.PlaceAsync(buyer);
        await shop.PayAsync(buyer);
        var room = fixture.Client.GetGrain<IRoomAnalyticsGrain>(shop.RoomId);
        await Eventually(room.GetReport, r => r.Funnel.Paid == 1 && r.Views == 1);

        await fixture.Cluster.DeactivateAsync(room); // the deactivation writes what the timer had not yet
        var after = await room.GetReport();
        Assert.Equal((1L, 1L, 1800L), (after.Views, after.Funnel.Paid, after.Gmv));
        Assert.Equal(PriceBand.Under20, after.PriceBands.Single(b => b.Paid == 1).Band);
    }

    [Fact]
    public void Repurchase_is_found_whichever_order_arrives_first_and_returns_count_once_per_order()
    {
        var calendar = new BusinessCalendar(new BusinessCalendarOptions());
        var t0 = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        OrderEvent E(OrderEventKind kind, string order, DateTimeOffset at, long refund = 0, bool afterDelivery = false, string merchant = "m") =>
            new(kind, order, "b", "Chengdu", "r", "Hangzhou", "s", merchant, "p", null, 1, 1000, 1000, 1000, refund, at, at, afterDelivery);

        var ledger = new BuyerLedger();
        // The later payment arrives first; they are 47 h apart, so the buyer repurchased within 48 h.
        ledger.Apply(E(OrderEventKind.Paid, "o2", t0.AddHours(47)), calendar, TimeSpan.FromHours(48), 500);
        ledger.Apply(E(OrderEventKind.Paid, "o1", t0, merchant: "m2"), calendar, TimeSpan.FromHours(48), 500);
        ledger.Apply(E(OrderEventKind.Paid, "o1", t0, merchant: "m2"), calendar, TimeSpan.FromHours(48), 500); // duplicate
        Assert.Equal(new RetentionCounts(1, 1, 0, 0), ledger.RetentionOf(RetentionScope.Streamer, "s"));
        Assert.Equal(new RetentionCounts(1, 0, 0, 0), ledger.RetentionOf(RetentionScope.Merchant, "m")); // different merchants

        // Two partial refunds after delivery: one returned order. A return whose delivery event was lost still counts as delivered.
        ledger.Apply(E(OrderEventKind.Delivered, "o2", t0.AddDays(3)), calendar, TimeSpan.FromHours(48), 500);
        ledger.Apply(E(OrderEventKind.Refunded, "o2", t0.AddDays(4), refund: 300, afterDelivery: true), calendar, TimeSpan.FromHours(48), 500);
        ledger.Apply(E(OrderEventKind.Refunded, "o2", t0.AddDays(5), refund: 200, afterDelivery: true), calendar, TimeSpan.FromHours(48), 500);
        ledger.Apply(E(OrderEventKind.Refunded, "o1", t0.AddDays(5), refund: 1000, afterDelivery: true, merchant: "m2"), calendar, TimeSpan.FromHours(48), 500);
        Assert.Equal(new RetentionCounts(1, 1, 2, 2), ledger.RetentionOf(RetentionScope.Streamer, "s"));
        Assert.Equal(1500, ledger.Buyers["b"].RefundedTotal);

        // Price band boundaries: 2000 fen is 20-50, 5000 fen is 20-50, 5001 is > 50.
        Assert.Equal([PriceBand.Under20, PriceBand.From20To50, PriceBand.From20To50, PriceBand.Over50],
            new long[] { 1999, 2000, 5000, 5001 }.Select(PriceBands.Of).ToArray());
    }
}
