using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Orders;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// An order that went through risk review is read back from storage after its activation is collected (issue 13,
/// defect 10: it answered 500 from then on).
/// </summary>
public sealed class ReviewedOrderReactivationTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    [Theory]
    [InlineData(ReviewDecision.Release)]
    [InlineData(ReviewDecision.Reject)]
    public async Task A_reviewed_order_reads_back_after_its_activation_is_collected(ReviewDecision decision)
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 10, livePrice: 6000);
        var buyers = await shop.RegisterBuyersAsync(4);
        // Four buyers from one device: the fourth trips device-many-buyers (Review).
        var device = "device-" + shop.Prefix;
        for (var i = 0; i < 3; i++) await shop.PlaceAsync(buyers[i], deviceId: device);
        var placed = (await shop.PlaceAsync(buyers[3], deviceId: device)).Order!;
        Assert.Equal(RiskVerdict.Review, placed.RiskDecisions.Single().Verdict);
        var paid = await shop.PayAsync(buyers[3]);
        Assert.True(paid.OnHold);

        var order = shop.Order(buyers[3], "k1");
        await Activations.DeactivateAsync(fixture.Client, typeof(OrderGrain), placed.OrderId);
        Assert.True((await order.Get()).OnHold);

        var resolved = await order.ResolveReview(new ReviewResolution(decision, "admin-r", "checked"));
        await Activations.DeactivateAsync(fixture.Client, typeof(OrderGrain), placed.OrderId);
        var read = await order.Get();
        Assert.Equal((resolved.Status, resolved.OnHold, resolved.PaidAmount, resolved.RefundedAmount), (read.Status, read.OnHold, read.PaidAmount, read.RefundedAmount));
        Assert.Equal(resolved.RiskDecisions.Select(d => (d.Verdict, d.Stage, string.Join("|", d.Reasons))),
            read.RiskDecisions.Select(d => (d.Verdict, d.Stage, string.Join("|", d.Reasons))));
        if (decision == ReviewDecision.Release)
        {
            await order.Ship(shop.MerchantId, "SF1");
            await Activations.DeactivateAsync(fixture.Client, typeof(OrderGrain), placed.OrderId);
            Assert.Equal(OrderStatus.Shipped, (await order.Get()).Status);
        }
    }

    [Fact]
    public async Task A_T0_merchants_order_released_from_review_after_confirmation_settles_at_once()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 10, livePrice: 6000);
        var merchant = fixture.Client.GetGrain<ISettlementAccountGrain>(shop.MerchantId);
        await merchant.SetCycle(0, "test");
        var buyers = await shop.RegisterBuyersAsync(4);
        var device = "device-" + shop.Prefix;
        for (var i = 0; i < 3; i++) await shop.PlaceAsync(buyers[i], deviceId: device);
        await shop.PlaceAsync(buyers[3], deviceId: device);
        var paid = await shop.PayAsync(buyers[3]);
        Assert.True(paid.OnHold);
        var seller = paid.Split.Single(l => l.Role == PartyRole.Seller).Amount;
        var order = shop.Order(buyers[3], "k1");
        await order.Ship(shop.MerchantId, null);
        await order.ConfirmReceipt(buyers[3]);
        await Activations.DeactivateAsync(fixture.Client, typeof(LiveCommerce.Grains.Payments.Accounts.SettlementAccountGrain), shop.MerchantId);
        Assert.Equal((seller, 0L), ((await merchant.GetBalance()).OnHold, (await merchant.GetBalance()).Available));

        await order.ResolveReview(new ReviewResolution(ReviewDecision.Release, "admin-t0", null));
        await MisbehavingCallbackTests.WaitUntil(async () => (await merchant.GetBalance()).Available == seller);
        await Activations.DeactivateAsync(fixture.Client, typeof(LiveCommerce.Grains.Payments.Accounts.SettlementAccountGrain), shop.MerchantId);
        var balance = await merchant.GetBalance();
        Assert.Equal((0L, 0L, seller, (DateTimeOffset?)null), (balance.Pending, balance.OnHold, balance.Available, balance.NextSettlementAt));
        var settled = await ShopScenario.WaitForAsync(order, o => o.Split.Single(l => l.Role == PartyRole.Seller).Status == ShareStatus.Settled);
        Assert.NotNull(settled.Split.Single(l => l.Role == PartyRole.Seller).SettlementBatchId);
    }
}
