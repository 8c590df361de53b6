using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// The no-oversell proof, run on the in-memory cluster and on PostgreSQL: many buyers press "buy" at once for a
/// product with limited stock; some pay, the rest let their reservations expire.
/// </summary>
public static class FlashSaleScenario
{
    /// <summary>What the scenario ends with: the room, a paid order, and one placed in the second wave and not yet paid.</summary>
    public sealed record Outcome(RoomView Room, OrderView Paid, OrderView Pending);

    /// <summary>Runs the scenario; returns the room's final view and an unpaid order of the second wave.</summary>
    public static async Task<Outcome> RunAsync(IGrainFactory grains, FakeTimeProvider clock, int stock, int buyers, int payers)
    {
        var shop = new ShopScenario(grains);
        await shop.SetUpAsync(stock);
        var ids = await shop.RegisterBuyersAsync(buyers);

        // Everyone at once: no batching on the client side.
        var results = await Task.WhenAll(ids.Select(id => shop.PlaceAsync(id)));

        var placed = results.Where(r => r.Outcome == PlaceOutcome.Placed).ToList();
        Assert.Equal(stock, placed.Count);
        Assert.All(results.Where(r => r.Outcome != PlaceOutcome.Placed), r =>
        {
            Assert.Equal(PlaceOutcome.SoldOut, r.Outcome);
            Assert.Contains("Sold out", r.Message);
        });
        var shelf = (await shop.Room.GetView()).Shelf.Single();
        Assert.Equal((0, stock, 0), (shelf.StockLeft, shelf.Reserved, shelf.Sold));

        // Retrying with the same keys creates nothing new.
        var retried = await Task.WhenAll(placed.Take(20).Select(r => shop.PlaceAsync(r.Order!.BuyerId)));
        Assert.All(retried, r => Assert.Equal(PlaceOutcome.Replayed, r.Outcome));
        Assert.Equal(stock, (await shop.Room.GetView()).Shelf.Single().Reserved);

        // Some buyers pay before the deadline.
        var paying = placed.Take(payers).Select(r => r.Order!.BuyerId).ToList();
        var paid = await Task.WhenAll(paying.Select(b => shop.PayAsync(b)));
        Assert.All(paid, o => Assert.Equal(OrderStatus.Paid, o.Status));

        // Nothing expires before the deadline.
        clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(0, await shop.Room.ExpireDueReservations());

        // After it, every unpaid unit comes back exactly once.
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(stock - payers, await shop.Room.ExpireDueReservations());
        Assert.Equal(0, await shop.Room.ExpireDueReservations());
        shelf = (await shop.Room.GetView()).Shelf.Single();
        Assert.Equal((stock - payers, 0, payers), (shelf.StockLeft, shelf.Reserved, shelf.Sold));
        Assert.Equal(shelf.StockListed, shelf.StockLeft + shelf.Reserved + shelf.Sold);

        var unpaid = placed.Skip(payers).First().Order!;
        var expired = await grains.GetGrain<IOrderGrain>(unpaid.OrderId).Get();
        Assert.Equal((OrderStatus.Cancelled, CancelReason.PaymentExpired), (expired.Status, expired.CancelReason));

        // The units that came back sell again, and no more than them.
        var second = await Task.WhenAll(ids.Select(id => shop.PlaceAsync(id, key: "k2")));
        Assert.Equal(stock - payers, second.Count(r => r.Outcome == PlaceOutcome.Placed));
        var final = await shop.Room.GetView();
        Assert.Equal((0, stock - payers, payers), (final.Shelf.Single().StockLeft, final.Shelf.Single().Reserved, final.Shelf.Single().Sold));
        Assert.Equal(payers * 9900L, final.Gmv);
        var paidOrder = await grains.GetGrain<IOrderGrain>(paid[0].OrderId).Get();
        return new Outcome(final, paidOrder, second.First(r => r.Outcome == PlaceOutcome.Placed).Order!);
    }

    /// <summary>
    /// A reactivated room rebuilds exactly the same stock from its stock lines, and the merchant's account the same
    /// balances and open shares from the settlement store.
    /// </summary>
    public static async Task AssertSameAfterReloadAsync(IGrainFactory grains, Outcome outcome, AccountBalance merchantBefore)
    {
        var before = outcome.Room;
        var merchantAfter = await grains.GetGrain<ISettlementAccountGrain>(merchantBefore.AccountId).GetBalance();
        Assert.Equal(merchantBefore, merchantAfter);
        Assert.True(merchantAfter.Pending > 0 && merchantAfter.OpenOrders > 0);
        var after = await grains.GetGrain<ILiveRoomGrain>(before.RoomId).GetView();
        Assert.Equal(before.Shelf.Single() with { SplitPlan = after.Shelf.Single().SplitPlan }, after.Shelf.Single());
        Assert.Equal((before.Gmv, before.OrdersPaid, before.Status), (after.Gmv, after.OrdersPaid, after.Status));

        // A paid order reads its own record back, split included.
        var paid = await grains.GetGrain<IOrderGrain>(outcome.Paid.OrderId).Get();
        Assert.Equal(outcome.Paid with { Split = [], Refunds = [], RiskDecisions = [], Tracking = [], AfterSaleCaseIds = [] }, paid with { Split = [], Refunds = [], RiskDecisions = [], Tracking = [], AfterSaleCaseIds = [] });
        Assert.Equal(outcome.Paid.Split, paid.Split);
        Assert.Equal(OrderStatus.Paid, paid.Status);

        // An order that was only placed never wrote its own state: it comes back from its stock line, and its buyer lists it.
        var pending = await grains.GetGrain<IOrderGrain>(outcome.Pending.OrderId).Get();
        Assert.Equal(outcome.Pending with { Split = [], Refunds = [], RiskDecisions = [], Tracking = [], AfterSaleCaseIds = [] }, pending with { Split = [], Refunds = [], RiskDecisions = [], Tracking = [], AfterSaleCaseIds = [] });
        var listed = await grains.GetGrain<IBuyerGrain>(outcome.Pending.BuyerId).ListOrders(0, 10);
        Assert.Equal(outcome.Pending.OrderId, listed.Items[0].OrderId);
    }
}

public sealed class FlashSaleTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task Thousands_of_concurrent_orders_never_oversell_on_a_two_silo_cluster()
    {
        var outcome = await FlashSaleScenario.RunAsync(fixture.Client, fixture.Clock, stock: 300, buyers: 3000, payers: 120);
        var merchant = fixture.Client.GetGrain<ISettlementAccountGrain>(outcome.Room.Shelf.Single().MerchantId);
        var balance = await merchant.GetBalance();
        await fixture.Cluster.DeactivateAsync(fixture.Client.GetGrain<ILiveRoomGrain>(outcome.Room.RoomId));
        await fixture.Cluster.DeactivateAsync(merchant);
        await fixture.Cluster.DeactivateAsync(fixture.Client.GetGrain<IOrderGrain>(outcome.Pending.OrderId));
        await fixture.Cluster.DeactivateAsync(fixture.Client.GetGrain<IOrderGrain>(outcome.Paid.OrderId));
        await FlashSaleScenario.AssertSameAfterReloadAsync(fixture.Client, outcome, balance);
    }
}
