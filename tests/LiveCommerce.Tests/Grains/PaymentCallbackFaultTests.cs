using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

/// <summary>Duplicate, late and out-of-order callbacks: every order is paid once and the books stay exact.</summary>
public sealed class MisbehavingCallbackTests(MisbehavingCallbacksFixture fixture) : IClassFixture<MisbehavingCallbacksFixture>
{
    [Fact]
    public async Task Duplicate_and_out_of_order_callbacks_move_money_once()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 50, livePrice: 3999);
        var buyers = await shop.RegisterBuyersAsync(20);
        var deliveredBefore = DirectCallbackSender.Delivered;
        foreach (var b in buyers) await shop.PlaceAsync(b, quantity: 1 + b.Length % 3);
        var paid = await Task.WhenAll(buyers.Select(b => shop.PayAsync(b)));
        Assert.All(paid, o => Assert.Equal(OrderStatus.Paid, o.Status));

        // Every payment produced a final callback, its duplicate and a stale "processing" event.
        await WaitUntil(() => DirectCallbackSender.Delivered - deliveredBefore >= 3 * buyers.Length);
        await Task.Delay(300);
        var orderIds = paid.Select(o => o.OrderId).ToList();
        foreach (var id in orderIds)
        {
            var order = await fixture.Client.GetGrain<IOrderGrain>(id).Get();
            Assert.Equal(OrderStatus.Paid, order.Status);
            Assert.Equal(order.Amount, order.PaidAmount);
        }
        var merchant = await fixture.Client.GetGrain<ISettlementAccountGrain>(shop.MerchantId).GetBalance();
        Assert.Equal(paid.Sum(o => o.Split.Single(l => l.AccountId == shop.MerchantId).Amount), merchant.Pending);
        Assert.Equal(paid.Sum(o => o.Quantity), (await shop.Room.GetView()).Shelf.Single().Sold);
        // The platform account is shared with the other tests of this class: count only these orders' part of it.
        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, orderIds, shop.AccountIds, fixture.PlatformAccountId);
    }

    [Fact]
    public async Task A_second_payment_for_a_paid_order_is_refunded_in_full()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 5, livePrice: 2500);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer);
        var paid = await shop.PayAsync(buyer);

        // A payment under the order's next reference that the order never recorded (a crash between opening it at the
        // provider and saving it) still arrives.
        var second = $"pay-{paid.OrderId}-2";
        await fixture.Client.GetGrain<ISandboxPaymentGrain>(second).Create(paid.OrderId, paid.Amount);
        await WaitUntil(async () => (await shop.Order(buyer, "k1").Get()).RefundedAmount == 0
            && (await fixture.Sandbox.GetAsync(second))?.Refunds.Count == 1);

        var order = await shop.Order(buyer, "k1").Get();
        Assert.Equal((OrderStatus.Paid, paid.Amount, 0L), (order.Status, order.PaidAmount, order.RefundedAmount));
        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, [order.OrderId], shop.AccountIds, fixture.PlatformAccountId);
    }

    internal static async Task WaitUntil(Func<bool> condition) => await WaitUntil(() => Task.FromResult(condition()));

    internal static async Task WaitUntil(Func<Task<bool>> condition)
    {
        var deadline = Environment.TickCount64 + 15_000;
        while (!await condition())
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException("condition not met within 15 s");
            await Task.Delay(25);
        }
    }
}

/// <summary>Callbacks that never arrive: reconciliation finds the money and repairs the books, with no manual step.</summary>
public sealed class LostCallbackTests(LostCallbacksFixture fixture) : IClassFixture<LostCallbacksFixture>
{
    private IPaymentReconciliationGrain Reconciliation => fixture.Client.GetGrain<IPaymentReconciliationGrain>("sandbox");

    [Fact]
    public async Task Reconciliation_applies_payments_whose_callbacks_were_lost()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 20, livePrice: 1999);
        var buyers = await shop.RegisterBuyersAsync(10);
        var orders = new List<IOrderGrain>();
        foreach (var b in buyers)
        {
            await shop.PlaceAsync(b);
            await shop.Order(b, "k1").StartPayment(b);
            orders.Add(shop.Order(b, "k1"));
        }
        await Task.Delay(500); // the provider completed them; nobody told us
        Assert.All(await Task.WhenAll(orders.Select(o => o.Get())), o => Assert.Equal(OrderStatus.PendingPayment, o.Status));

        var now = fixture.Clock.GetUtcNow();
        var report = await Reconciliation.Reconcile(now.AddHours(-1), now.AddHours(1));
        Assert.Equal(10, report.Actions.Count(a => a.Kind == "lost_callback_applied"));
        Assert.Equal(0, report.Unresolved);
        Assert.All(await Task.WhenAll(orders.Select(o => o.Get())), o => Assert.Equal(OrderStatus.Paid, o.Status));

        var again = await Reconciliation.Reconcile(now.AddHours(-1), now.AddHours(1));
        Assert.Equal((0, again.Checked), (again.Repaired, again.Matched));
        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, (await Task.WhenAll(orders.Select(o => o.Get()))).Select(o => o.OrderId).ToList(),
            shop.AccountIds, fixture.PlatformAccountId);
        var status = await Reconciliation.GetStatus();
        Assert.True(status.RepairsByKind["lost_callback_applied"] >= 10);
    }

    [Fact]
    public async Task A_payment_for_an_order_cancelled_meanwhile_is_refunded()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 3, livePrice: 8800);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer);
        var order = shop.Order(buyer, "k1");
        var payment = await order.StartPayment(buyer);
        await MisbehavingCallbackTests.WaitUntil(async () => await fixture.Sandbox.GetAsync(payment.PaymentId) is not null);
        await order.Cancel(buyer); // the buyer gave up before the (lost) success notice
        Assert.Equal(3, (await shop.Room.GetView()).Shelf.Single().StockLeft);

        var now = fixture.Clock.GetUtcNow();
        var report = await Reconciliation.Reconcile(now.AddHours(-1), now.AddHours(1));
        Assert.Contains(report.Actions, a => a.PaymentId == payment.PaymentId && a.Kind == "payment_for_cancelled_order_refunded");
        var record = await fixture.Sandbox.GetAsync(payment.PaymentId);
        Assert.Equal(8800, record!.Refunds.Sum(r => r.Amount));
        var view = await order.Get();
        Assert.Equal((OrderStatus.Cancelled, 0L), (view.Status, view.PaidAmount));
        Assert.Equal((3, 0), ((await shop.Room.GetView()).Shelf.Single().StockLeft, (await shop.Room.GetView()).Shelf.Single().Sold));
        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, [view.OrderId], shop.AccountIds, fixture.PlatformAccountId);
    }
}
