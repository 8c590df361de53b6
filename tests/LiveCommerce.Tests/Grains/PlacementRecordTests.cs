using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Orders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// A placed order's durable record is its room's stock line (one coalesced room write, no order or buyer write).
/// These tests throw the order's activation away before it ever wrote its own state and check that nothing of the
/// order is lost or duplicated.
/// </summary>
public sealed class PlacementRecordTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    private ShopScenario NewShop() => new(fixture.Client, platformAccountId: fixture.PlatformAccountId);

    [Fact]
    public async Task An_order_placed_and_never_written_is_rebuilt_from_its_stock_line_after_deactivation()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 10, livePrice: 12345, plan: shop.SixLevelPlan());
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        var placed = await shop.PlaceAsync(buyer, quantity: 3, deviceId: "device-1");
        Assert.Equal(PlaceOutcome.Placed, placed.Outcome);
        var before = placed.Order!;

        // The shelf price moves after the order; the order keeps what it was placed at.
        await shop.Room.ChangePrice(shop.StreamerId, shop.ProductId, 11000);
        await DeactivateAsync(before.OrderId);

        var order = shop.Order(buyer, "k1");
        var rebuilt = await order.Get();
        Assert.Equal(before with { Split = [], Refunds = [], RiskDecisions = [], Tracking = [], AfterSaleCaseIds = [] }, rebuilt with { Split = [], Refunds = [], RiskDecisions = [], Tracking = [], AfterSaleCaseIds = [] });
        Assert.Equal(before.RiskDecisions.Select(d => (d.Verdict, d.Stage, d.At, string.Join("|", d.Reasons))),
            rebuilt.RiskDecisions.Select(d => (d.Verdict, d.Stage, d.At, string.Join("|", d.Reasons))));

        // A retried placement after the rebuild is the same order, not a second reservation.
        var stockBefore = (await shop.Room.GetView()).Shelf.Single().StockLeft;
        var replay = await shop.PlaceAsync(buyer, quantity: 3, deviceId: "device-1");
        Assert.Equal(PlaceOutcome.Replayed, replay.Outcome);
        Assert.Equal(stockBefore, (await shop.Room.GetView()).Shelf.Single().StockLeft);
        Assert.Equal(7, stockBefore);

        // Paying the rebuilt order splits the amount it was placed at, by the plan it was placed under.
        var paid = await shop.PayAsync(buyer);
        Assert.Equal(OrderStatus.Paid, paid.Status);
        Assert.Equal(37035, paid.PaidAmount);
        Assert.Equal(9, paid.Split.Count);
        Assert.Equal(6, paid.Split.Count(l => l.Role == PartyRole.Distributor));
        Books.AssertOrderConserved(paid);
        var sold = (await shop.Room.GetView()).Shelf.Single();
        Assert.Equal((7, 0, 3), (sold.StockLeft, sold.Reserved, sold.Sold));
    }

    [Fact]
    public async Task A_buyer_lists_its_orders_newest_first_from_the_stock_lines_and_counts_purchases_once()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 10, livePrice: 5000);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        var first = (await shop.PlaceAsync(buyer, quantity: 1, key: "a")).Order!;
        fixture.Clock.Advance(TimeSpan.FromSeconds(5));
        var second = (await shop.PlaceAsync(buyer, quantity: 2, key: "b")).Order!;

        var page = await fixture.Client.GetGrain<IBuyerGrain>(buyer).ListOrders(0, 10);
        Assert.Equal(2, page.Total);
        Assert.Equal([second.OrderId, first.OrderId], page.Items.Select(i => i.OrderId));
        Assert.Equal([10000L, 5000L], page.Items.Select(i => i.Amount));
        Assert.All(page.Items, i => Assert.Equal(shop.RoomId, i.RoomId));
        var paging = await fixture.Client.GetGrain<IBuyerGrain>(buyer).ListOrders(1, 10);
        Assert.Equal([first.OrderId], paging.Items.Select(i => i.OrderId));

        await shop.PayAsync(buyer, "b");
        // The order's outbox may redeliver a purchase; it counts once.
        await fixture.Client.GetGrain<IBuyerGrain>(buyer).RecordPurchase(second.OrderId, 10000, fixture.Clock.GetUtcNow());
        var view = await fixture.Client.GetGrain<IBuyerGrain>(buyer).Get();
        Assert.Equal((1, 10000L), (view.PaidOrderCount, view.TotalSpent));
    }

    [Fact]
    public async Task An_unpaid_rebuilt_order_still_expires_and_gives_its_stock_back()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 5);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        var placed = (await shop.PlaceAsync(buyer, quantity: 2)).Order!;
        await DeactivateAsync(placed.OrderId);

        fixture.Clock.SetUtcNow(placed.PaymentDeadline.AddSeconds(1));
        Assert.Equal(1, await shop.Room.ExpireDueReservations());
        var order = await shop.Order(buyer, "k1").Get();
        Assert.Equal((OrderStatus.Cancelled, CancelReason.PaymentExpired), (order.Status, order.CancelReason));
        var item = (await shop.Room.GetView()).Shelf.Single();
        Assert.Equal((5, 0), (item.StockLeft, item.Reserved));
    }

    [Fact]
    public void Order_activations_are_collected_after_the_order_idle_age_not_orleans_default()
    {
        // Orleans looks a class's own collection age up by the grain class's full name.
        foreach (var silo in fixture.Cluster.Silos)
        {
            var collection = silo.SiloHost.Services.GetRequiredService<IOptions<GrainCollectionOptions>>().Value;
            Assert.Equal(new OrderPolicy().IdleActivationAge, collection.ClassSpecificCollectionAge[typeof(OrderGrain).FullName!]);
            Assert.True(collection.ClassSpecificCollectionAge[typeof(OrderGrain).FullName!] < collection.CollectionAge);
        }
    }

    private Task DeactivateAsync(string orderId) => Activations.DeactivateAsync(fixture.Client, typeof(OrderGrain), orderId);
}
