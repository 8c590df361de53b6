using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// Random order lives (pay or not, ship, deliver, confirm, settle on T+0 or T+1, partial and full refunds before
/// and after settlement, payouts) through the real grains; at the end every fen is accounted for.
/// </summary>
public sealed class ConservationTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    [Theory]
    [InlineData(7)]
    [InlineData(2026)]
    public async Task Random_order_lives_keep_the_books_exact(int seed)
    {
        var random = new Random(seed);
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 1000, livePrice: 1000 + random.Next(20_000), plan: random.Next(2) == 0 ? shop.SixLevelPlan() : shop.DefaultPlan());
        foreach (var account in shop.AccountIds)
            await fixture.Client.GetGrain<ISettlementAccountGrain>(account).SetCycle(random.Next(2), "test");
        var buyers = await shop.RegisterBuyersAsync(40);
        var orderIds = new List<string>();

        foreach (var buyer in buyers)
        {
            var placed = await shop.PlaceAsync(buyer, quantity: 1 + random.Next(3));
            var order = shop.Order(buyer, "k1");
            orderIds.Add(placed.Order!.OrderId);
            if (random.Next(10) < 2) { await order.Cancel(buyer); continue; }
            var view = await shop.PayAsync(buyer);
            var step = random.Next(6);
            if (step == 0) await Refund(order, view, random, RefundInitiator.Merchant, shop.MerchantId);
            if (step >= 1) await order.Ship(shop.MerchantId, null);
            if (step >= 2) await order.MarkDelivered();
            if (step == 3) await Refund(order, await order.Get(), random, RefundInitiator.Merchant, shop.MerchantId);
            if (step >= 4) await order.ConfirmReceipt(buyer);
            if (step == 5 && random.Next(2) == 0)
            {
                fixture.Clock.Advance(TimeSpan.FromDays(4));
                foreach (var account in shop.AccountIds) await Settle(account);
                await Refund(order, await order.Get(), random, RefundInitiator.Admin, "admin");
            }
        }

        fixture.Clock.Advance(TimeSpan.FromDays(4));
        foreach (var account in shop.AccountIds) await Settle(account);
        var merchant = fixture.Client.GetGrain<ISettlementAccountGrain>(shop.MerchantId);
        var available = (await merchant.GetBalance()).Available;
        if (available > 0) await merchant.Payout("payout-" + seed, available / 2, "test");

        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, orderIds, shop.AccountIds, fixture.PlatformAccountId);
    }

    private async Task Settle(string account)
    {
        try { await fixture.Client.GetGrain<ISettlementAccountGrain>(account).RunSettlement(); }
        catch (DomainException e) when (e.Kind == ErrorKind.NotFound) { }
    }

    private static async Task Refund(IOrderGrain order, OrderView view, Random random, RefundInitiator initiator, string actor)
    {
        var left = view.PaidAmount - view.RefundedAmount;
        if (left <= 0) return;
        var amount = random.Next(3) == 0 ? left : 1 + random.NextInt64(left);
        await order.Refund(new RefundRequest("r" + random.Next(), amount, "random", initiator, actor));
    }
}
