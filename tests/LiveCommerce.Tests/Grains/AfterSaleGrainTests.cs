using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

/// <summary>After-sale cases through the grains on the in-memory cluster: money, deadlines, one case at a time.</summary>
public sealed class AfterSaleGrainTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    private ShopScenario NewShop() => new(fixture.Client, platformAccountId: fixture.PlatformAccountId);

    [Fact]
    public Task A_return_after_settlement_claws_back_every_partys_share_exactly() =>
        AfterSaleScenario.ReturnAfterSettlementAsync(fixture.Client, fixture.Clock, fixture.Sandbox, NewShop());

    [Fact]
    public Task An_arbitrated_partial_refund_splits_in_proportion_and_balances() =>
        AfterSaleScenario.ArbitratedPartialRefundAsync(fixture.Client, fixture.Clock, fixture.Sandbox, NewShop());

    [Fact]
    public async Task The_carriers_delivery_of_the_return_reaches_the_case_through_the_order_and_starts_the_receipt_clock()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 5, livePrice: 4000);
        var (order, buyer) = await AfterSaleScenario.DeliveredAsync(shop, fixture.Clock);
        var paid = await order.Get();
        var opened = await order.OpenAfterSale(new AfterSaleRequest(buyer, "as-ret", AfterSaleKind.ReturnAndRefund, "damaged", "", [], paid.PaidAmount));
        var afterSale = fixture.Client.GetGrain<IAfterSaleCaseGrain>(opened.CaseId);
        await afterSale.Approve(shop.MerchantId);
        await afterSale.ShipReturn(buyer, Carriers.Sandbox, "RET-9");

        var delivered = fixture.Clock.GetUtcNow().AddDays(3);
        fixture.Clock.Advance(TimeSpan.FromDays(3));
        // The carrier reports the return parcel on the order (its callback names the order): the order hands it to the case.
        var orderView = await order.ApplyLogisticsEvent(new LogisticsEvent("ret-ev-1", Carriers.Sandbox, "RET-9", LogisticsStatus.Delivered, delivered, null, null));
        Assert.Equal(paid.Tracking?.Count ?? 0, orderView.Tracking?.Count ?? 0); // not the order's own parcel's history
        var inTransit = await afterSale.Get();
        Assert.Equal((AfterSaleStatus.ReturnInTransit, delivered + TimeSpan.FromDays(10), "return_delivered"),
            (inTransit.Status, inTransit.Deadline, inTransit.Timeline[^1].Action));
        await Assert.ThrowsAsync<DomainException>(() => order.ApplyLogisticsEvent(
            new LogisticsEvent("ret-ev-2", Carriers.Sandbox, "SOMEONE-ELSES", LogisticsStatus.Delivered, delivered, null, null)));

        fixture.Clock.Advance(TimeSpan.FromDays(10));
        var closed = await afterSale.RunDeadline();
        Assert.Equal((AfterSaleStatus.Refunded, paid.PaidAmount), (closed.Status, closed.AmountRefunded));
    }

    [Fact]
    public async Task An_unanswered_refund_before_shipping_is_approved_at_the_deadline_and_the_stock_returns()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 5, livePrice: 4000);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer, quantity: 2);
        var paid = await shop.PayAsync(buyer);
        var order = shop.Order(buyer, "k1");
        var opened = await order.OpenAfterSale(new AfterSaleRequest(buyer, "as-1", AfterSaleKind.RefundOnly, "changed_mind", "", [], paid.PaidAmount));
        var afterSale = fixture.Client.GetGrain<IAfterSaleCaseGrain>(opened.CaseId);
        Assert.Equal(AfterSaleStatus.AwaitingMerchant, (await afterSale.RunDeadline()).Status);
        // The same Idempotency-Key returns the same case.
        Assert.Equal(opened.CaseId, (await order.OpenAfterSale(new AfterSaleRequest(buyer, "as-1", AfterSaleKind.RefundOnly, "changed_mind", "", [], paid.PaidAmount))).CaseId);

        fixture.Clock.Advance(TimeSpan.FromHours(48));
        var closed = await afterSale.RunDeadline();
        Assert.Equal((AfterSaleStatus.Refunded, paid.PaidAmount, CaseActor.System), (closed.Status, closed.AmountRefunded, closed.Timeline[^1].Actor));
        var refunded = await order.Get();
        Assert.Equal(OrderStatus.Refunded, refunded.Status);
        var shelf = (await shop.Room.GetView()).Shelf.Single();
        Assert.Equal((5, 0), (shelf.StockLeft, shelf.Sold)); // never shipped: back on the shelf
        var approveClosed = await Assert.ThrowsAsync<DomainException>(() => afterSale.Approve(shop.MerchantId));
        Assert.Equal((ErrorKind.Conflict, "Refunded"), (approveClosed.Kind, approveClosed.CurrentState));
        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, [refunded.OrderId], shop.AccountIds, fixture.PlatformAccountId);
    }
}
