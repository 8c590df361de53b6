using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// A merchant's answer is durable once the case has saved it: if the order cannot be reached to carry the refund (its
/// silo stopping under the call in a rolling restart), the answer still succeeds, and the refund follows as soon as the
/// order can be reached (the case's next activation or its reminder). Answering an error instead would leave the
/// merchant a step that a repeat refuses (409: the case is no longer awaiting it).
/// </summary>
public sealed class AfterSaleOrderUnreachableTests(AfterSaleOrderUnreachableTests.Fixture fixture) : IClassFixture<AfterSaleOrderUnreachableTests.Fixture>
{
    public sealed class Fixture : PaymentsFixture
    {
        public static volatile bool OrderUnreachable;

        protected override void ConfigureServices(IServiceCollection services)
        {
            base.ConfigureServices(services);
            services.AddSingleton<IIncomingGrainCallFilter, UnreachableOrderFilter>();
        }
    }

    /// <summary>Fails the order's after-sale settlement the way a silo that stopped under the call does.</summary>
    private sealed class UnreachableOrderFilter : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context) =>
            Fixture.OrderUnreachable && context.InterfaceMethod.Name == nameof(IOrderGrain.SettleAfterSale)
                ? throw new SiloUnavailableException("The target silo became unavailable (test)")
                : context.Invoke();
    }

    [Fact]
    public async Task An_approval_whose_order_cannot_be_reached_succeeds_and_the_refund_follows()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 5, livePrice: 4000);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer);
        var paid = await shop.PayAsync(buyer);
        var order = shop.Order(buyer, "k1");
        var opened = await order.OpenAfterSale(new AfterSaleRequest(buyer, "as-1", AfterSaleKind.RefundOnly, "changed_mind", "", [], paid.PaidAmount));
        var afterSale = fixture.Client.GetGrain<IAfterSaleCaseGrain>(opened.CaseId);

        Fixture.OrderUnreachable = true;
        AfterSaleCaseView approved;
        try { approved = await afterSale.Approve(shop.MerchantId); }
        finally { Fixture.OrderUnreachable = false; }

        Assert.Equal((AfterSaleStatus.Refunded, 0L), (approved.Status, approved.AmountRefunded)); // decided; the money not yet moved
        Assert.Equal(OrderStatus.Paid, (await order.Get()).Status);
        // The answering activation was dropped: the next one carries the closing to the order as it activates.
        var settled = await WaitAsync(() => afterSale.Get(), c => c.AmountRefunded == paid.PaidAmount);
        Assert.Equal(AfterSaleStatus.Refunded, settled.Status);
        var refunded = await order.Get();
        Assert.Equal((OrderStatus.Refunded, paid.PaidAmount), (refunded.Status, refunded.RefundedAmount));
        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, [refunded.OrderId], shop.AccountIds, fixture.PlatformAccountId);
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        for (var attempt = 0; ; attempt++)
        {
            var value = await read();
            if (done(value) || attempt == 100) return value;
            await Task.Delay(100);
        }
    }
}
