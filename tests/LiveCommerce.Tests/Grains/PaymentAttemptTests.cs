using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Orders;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

/// <summary>
/// Starting a payment does not write the order: the attempt's reference follows from what the order has recorded,
/// and the gateway is idempotent by reference. These tests lose the order's activation while a payment is open.
/// </summary>
public sealed class PaymentAttemptTests(ManualPaymentsFixture fixture) : IClassFixture<ManualPaymentsFixture>
{
    [Fact]
    public async Task An_open_payment_the_order_forgot_is_the_same_payment_after_reactivation_and_pays_the_order_once()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 5, livePrice: 4200);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        var placed = (await shop.PlaceAsync(buyer, quantity: 2)).Order!;
        var order = shop.Order(buyer, "k1");
        var first = await order.StartPayment(buyer);

        await Activations.DeactivateAsync(fixture.Client, typeof(OrderGrain), placed.OrderId);
        // The same collection drops the sandbox's session; wait for that too, or it may go after the next start.
        await Activations.DeactivateAsync(fixture.Client, typeof(LiveCommerce.Grains.Payments.Gateway.SandboxPaymentGrain), first.PaymentId);
        var again = await order.StartPayment(buyer);
        Assert.Equal(first.PaymentId, again.PaymentId);

        // The payer pays the one payment (collecting idle activations also dropped the sandbox's open session,
        // which only lives in memory, so the second start opened it again under the same reference).
        await fixture.Client.GetGrain<ISandboxPaymentGrain>(first.PaymentId).Complete(true, null);
        var paid = await ShopScenario.WaitForAsync(order, o => o.Status != OrderStatus.PendingPayment);
        Assert.Equal((OrderStatus.Paid, 8400L, first.PaymentId), (paid.Status, paid.PaidAmount, paid.PaymentId));
        Books.AssertOrderConserved(paid);
        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, [paid.OrderId], shop.AccountIds, fixture.PlatformAccountId);
        Assert.Equal((2, 0), ((await shop.Room.GetView()).Shelf.Single().Sold, (await shop.Room.GetView()).Shelf.Single().Reserved));
    }

    [Fact]
    public async Task After_a_failed_attempt_the_next_payment_is_a_new_one_and_stays_the_same_across_reactivation()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 5, livePrice: 3000);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        var placed = (await shop.PlaceAsync(buyer, quantity: 1)).Order!;
        var order = shop.Order(buyer, "k1");
        var first = await order.StartPayment(buyer);
        await fixture.Client.GetGrain<ISandboxPaymentGrain>(first.PaymentId).Complete(false, null);

        // Until the failure's callback is applied the open attempt is reused; after it, a new payment opens.
        var second = await WaitForNewPaymentAsync(order, buyer, first.PaymentId);
        await Activations.DeactivateAsync(fixture.Client, typeof(OrderGrain), placed.OrderId);
        await Activations.DeactivateAsync(fixture.Client, typeof(LiveCommerce.Grains.Payments.Gateway.SandboxPaymentGrain), second.PaymentId);
        Assert.Equal(second.PaymentId, (await order.StartPayment(buyer)).PaymentId);

        await fixture.Client.GetGrain<ISandboxPaymentGrain>(second.PaymentId).Complete(true, null);
        var paid = await ShopScenario.WaitForAsync(order, o => o.Status != OrderStatus.PendingPayment);
        Assert.Equal((OrderStatus.Paid, 3000L, second.PaymentId), (paid.Status, paid.PaidAmount, paid.PaymentId));
        Assert.Equal(SandboxPaymentStatus.Failed, (await fixture.Sandbox.GetAsync(first.PaymentId))!.Status);
        Books.AssertOrderConserved(paid);
    }

    [Fact]
    public async Task A_result_is_believed_only_as_the_provider_records_it()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 5, livePrice: 5000);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        var placed = (await shop.PlaceAsync(buyer)).Order!;
        var order = shop.Order(buyer, "k1");
        var started = await order.StartPayment(buyer);
        var now = fixture.Clock.GetUtcNow();

        // Open at the provider: neither a success nor a failure is confirmed yet.
        Assert.Equal(PaymentApplyOutcome.NotConfirmed, (await order.ApplyPaymentResult(new PaymentResult(started.PaymentId, placed.OrderId, 5000, true, now, "test"))).Outcome);
        Assert.Equal(PaymentApplyOutcome.NotConfirmed, (await order.ApplyPaymentResult(new PaymentResult(started.PaymentId, placed.OrderId, 0, false, now, "test"))).Outcome);
        Assert.Equal(started.PaymentId, (await order.StartPayment(buyer)).PaymentId); // the attempt is still open

        await fixture.Client.GetGrain<ISandboxPaymentGrain>(started.PaymentId).Complete(true, null);
        var paid = await ShopScenario.WaitForAsync(order, o => o.Status != OrderStatus.PendingPayment);
        Assert.Equal((OrderStatus.Paid, 5000L), (paid.Status, paid.PaidAmount));
        // A repeat that says something else about the applied payment is refused; the same one is a no-op.
        Assert.Equal(PaymentApplyOutcome.AmountMismatch, (await order.ApplyPaymentResult(new PaymentResult(started.PaymentId, placed.OrderId, 3000, true, now, "test"))).Outcome);
        Assert.Equal(PaymentApplyOutcome.NotConfirmed, (await order.ApplyPaymentResult(new PaymentResult(started.PaymentId, placed.OrderId, 0, false, now, "test"))).Outcome);
        Assert.Equal(PaymentApplyOutcome.AlreadyApplied, (await order.ApplyPaymentResult(new PaymentResult(started.PaymentId, placed.OrderId, 5000, true, now, "test"))).Outcome);
        Assert.Equal((5000L, 0L), ((await order.Get()).PaidAmount, (await order.Get()).RefundedAmount));
    }

    [Fact]
    public async Task A_payment_the_provider_captured_for_another_amount_is_refunded_and_the_order_can_still_be_paid()
    {
        var shop = new ShopScenario(fixture.Client, platformAccountId: fixture.PlatformAccountId);
        await shop.SetUpAsync(stock: 5, livePrice: 5000);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer);
        var order = shop.Order(buyer, "k1");
        var first = await order.StartPayment(buyer);
        await fixture.Client.GetGrain<ISandboxPaymentGrain>(first.PaymentId).Complete(true, 4000);
        await MisbehavingCallbackTests.WaitUntil(async () => (await fixture.Sandbox.GetAsync(first.PaymentId))?.Refunds.Count == 1);
        var view = await order.Get();
        Assert.Equal((OrderStatus.PendingPayment, 0L, 0), (view.Status, view.PaidAmount, view.Split.Count));

        var second = await order.StartPayment(buyer);
        Assert.NotEqual(first.PaymentId, second.PaymentId);
        await fixture.Client.GetGrain<ISandboxPaymentGrain>(second.PaymentId).Complete(true, null);
        var paid = await ShopScenario.WaitForAsync(order, o => o.Status != OrderStatus.PendingPayment);
        Assert.Equal((OrderStatus.Paid, 5000L, second.PaymentId), (paid.Status, paid.PaidAmount, paid.PaymentId));
        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, [paid.OrderId], shop.AccountIds, fixture.PlatformAccountId);
    }

    private static async Task<PaymentStarted> WaitForNewPaymentAsync(IOrderGrain order, string buyer, string previous)
    {
        var deadline = Environment.TickCount64 + 15_000;
        while (true)
        {
            var started = await order.StartPayment(buyer);
            if (started.PaymentId != previous) return started;
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"Payment {previous} stayed open.");
            await Task.Delay(25);
        }
    }
}
