using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Gateway;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace LiveCommerce.Tests.Grains;

/// <summary>After-sale lives through the grains, shared by the in-memory cluster tests and the PostgreSQL ones.</summary>
public static class AfterSaleScenario
{
    private static AfterSaleRequest Ask(string buyer, AfterSaleKind kind, long amount, string key = "as-1") =>
        new(buyer, key, kind, "damaged", "the jar arrived cracked", ["https://img.example/a.jpg", "https://img.example/b.jpg"], amount);

    /// <summary>Paid, shipped with the sandbox carrier, delivered by a carrier event.</summary>
    public static async Task<(IOrderGrain Order, string Buyer)> DeliveredAsync(ShopScenario shop, FakeTimeProvider clock)
    {
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer);
        await shop.PayAsync(buyer);
        var order = shop.Order(buyer, "k1");
        await order.Ship(shop.MerchantId, "SBX1", Carriers.Sandbox);
        await order.ApplyLogisticsEvent(new LogisticsEvent("ev-1", Carriers.Sandbox, "SBX1", LogisticsStatus.InTransit, clock.GetUtcNow(), "Hangzhou", null));
        var delivered = await order.ApplyLogisticsEvent(new LogisticsEvent("ev-2", Carriers.Sandbox, "SBX1", LogisticsStatus.Delivered, clock.GetUtcNow(), "Shanghai", null));
        Assert.Equal(OrderStatus.Delivered, delivered.Status);
        Assert.Equal(2, delivered.Tracking!.Count);
        return (order, buyer);
    }

    /// <summary>
    /// A full return after the order settled (T+0): every party's share is clawed back exactly, the goods (shipped)
    /// do not return to the shelf, and the books balance.
    /// </summary>
    public static async Task ReturnAfterSettlementAsync(IGrainFactory grains, FakeTimeProvider clock, ISandboxStore provider, ShopScenario shop)
    {
        await shop.SetUpAsync(stock: 10, livePrice: 12_345, plan: shop.SixLevelPlan());
        foreach (var account in shop.AccountIds) await grains.GetGrain<ISettlementAccountGrain>(account).SetCycle(0, "test");
        var (order, buyer) = await DeliveredAsync(shop, clock);
        await order.ConfirmReceipt(buyer);
        var settled = await ShopScenario.WaitForAsync(order, o => o.Status == OrderStatus.Settled);
        var before = new Dictionary<string, long>();
        foreach (var line in settled.Split) before[line.AccountId] = (await grains.GetGrain<ISettlementAccountGrain>(line.AccountId).GetBalance()).Available;
        var soldBefore = (await shop.Room.GetView()).Shelf.Single().Sold;

        var opened = await order.OpenAfterSale(Ask(buyer, AfterSaleKind.ReturnAndRefund, settled.PaidAmount));
        var afterSale = grains.GetGrain<IAfterSaleCaseGrain>(opened.CaseId);
        await afterSale.Approve(shop.MerchantId);
        await afterSale.ShipReturn(buyer, Carriers.Sandbox, "RET-1");
        var closed = await afterSale.ConfirmReturn(shop.MerchantId);
        Assert.Equal((AfterSaleStatus.Refunded, settled.PaidAmount), (closed.Status, closed.AmountRefunded));

        var refunded = await order.Get();
        Assert.Equal((OrderStatus.Refunded, settled.PaidAmount), (refunded.Status, refunded.RefundedAmount));
        Assert.True(Assert.Single(refunded.Refunds).AfterSettlement);
        Assert.Null(refunded.OpenAfterSaleCaseId);
        foreach (var line in settled.Split)
        {
            Assert.Equal(line.Amount, refunded.Split.Single(l => l.AccountId == line.AccountId).Refunded);
            if (line.AccountId == shop.PlatformAccountId) continue; // shared with other tests: its lines are checked by the books below
            Assert.Equal(before[line.AccountId] - line.Amount, (await grains.GetGrain<ISettlementAccountGrain>(line.AccountId).GetBalance()).Available);
        }
        Assert.Equal(soldBefore, (await shop.Room.GetView()).Shelf.Single().Sold); // shipped goods never go back on the shelf
        await Books.AssertSystemConservedAsync(grains, provider, [refunded.OrderId], shop.AccountIds, shop.PlatformAccountId);
    }

    /// <summary>Return asked, rejected, escalated, arbitrated to part of it: the part is refunded in proportion, the books balance.</summary>
    public static async Task ArbitratedPartialRefundAsync(IGrainFactory grains, FakeTimeProvider clock, ISandboxStore provider, ShopScenario shop)
    {
        await shop.SetUpAsync(stock: 10, livePrice: 10_000);
        var (order, buyer) = await DeliveredAsync(shop, clock);
        var opened = await order.OpenAfterSale(Ask(buyer, AfterSaleKind.ReturnAndRefund, 10_000));
        var afterSale = grains.GetGrain<IAfterSaleCaseGrain>(opened.CaseId);
        await afterSale.Reject(shop.MerchantId, "the jar was intact when it left");
        var second = await Assert.ThrowsAsync<DomainException>(() => order.OpenAfterSale(Ask(buyer, AfterSaleKind.PartialRefund, 100, key: "as-2")));
        Assert.Equal("after_sale.case_open", second.Code);
        await afterSale.Escalate(buyer);
        var decided = await afterSale.Arbitrate(new Arbitration("admin-1", ArbitrationOutcome.RefundPart, 3333, "lid cracked, content fine"));
        Assert.Equal((AfterSaleStatus.Refunded, 3333L), (decided.Status, decided.AmountRefunded));
        Assert.Equal(["opened", "rejected", "escalated", "arbitrated_part"], decided.Timeline.Select(s => s.Action));

        var view = await order.Get();
        Assert.Equal((OrderStatus.Delivered, 3333L), (view.Status, view.RefundedAmount));
        var byAccount = view.Split.ToDictionary(l => l.AccountId, l => l.Refunded);
        Assert.Equal((499L, 333L, 166L, 3333L - 499 - 333 - 166),
            (byAccount[shop.StreamerId], byAccount[shop.DistributorId(1)], byAccount[shop.PlatformAccountId], byAccount[shop.MerchantId]));
        Assert.Equal(7000 - byAccount[shop.MerchantId], (await grains.GetGrain<ISettlementAccountGrain>(shop.MerchantId).GetBalance()).Pending);
        await Books.AssertSystemConservedAsync(grains, provider, [view.OrderId], shop.AccountIds, shop.PlatformAccountId);
    }
}
