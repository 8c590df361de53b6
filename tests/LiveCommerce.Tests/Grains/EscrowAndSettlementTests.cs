using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Grains;

public sealed class EscrowAndSettlementTests(PaymentsFixture fixture) : IClassFixture<PaymentsFixture>
{
    private ShopScenario NewShop() => new(fixture.Client, platformAccountId: fixture.PlatformAccountId);
    private ISettlementAccountGrain Account(string id) => fixture.Client.GetGrain<ISettlementAccountGrain>(id);

    [Fact]
    public async Task A_paid_order_with_a_six_level_plan_credits_every_party_as_pending()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 10, livePrice: 12345, plan: shop.SixLevelPlan());
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer, quantity: 3);
        var order = await shop.PayAsync(buyer);

        Assert.Equal(OrderStatus.Paid, order.Status);
        Assert.Equal(37035, order.PaidAmount);
        Assert.Equal(9, order.Split.Count);
        Assert.Equal(6, order.Split.Count(l => l.Role == PartyRole.Distributor));
        foreach (var line in order.Split.Where(l => l.Role != PartyRole.Seller))
            Assert.Equal(37035L * line.BasisPoints / 10_000, line.Amount);
        Assert.Equal(37035, order.Split.Sum(l => l.Amount));
        foreach (var line in order.Split.Where(l => l.Role != PartyRole.Platform)) // the platform account is shared by this class
        {
            var balance = await Account(line.AccountId).GetBalance();
            Assert.Equal((line.Amount, 0L, 0L), (balance.Pending, balance.OnHold, balance.Available));
        }
        Books.AssertOrderConserved(order);
    }

    [Fact]
    public async Task Confirmation_and_the_T_plus_1_run_make_shares_available_on_the_next_business_day()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 10);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer);
        var paid = await shop.PayAsync(buyer);
        var order = shop.Order(buyer, "k1");
        await order.Ship(shop.MerchantId, "SF1");
        await order.MarkDelivered();

        // The next Friday, 15:00 in Shanghai (07:00 UTC); the shared fake clock only moves forward.
        var friday = NextFriday(fixture.Clock.GetUtcNow());
        fixture.Clock.SetUtcNow(friday);
        await order.ConfirmReceipt(buyer);
        var seller = paid.Split.Single(l => l.Role == PartyRole.Seller);
        var merchant = Account(shop.MerchantId);
        Assert.Equal(1, (await merchant.GetBalance()).CycleDays);

        // Friday night, Saturday, Sunday: nothing is due yet (T+1 counts business days).
        foreach (var utc in new[] { friday.AddHours(8).AddMinutes(59), friday.AddDays(1).AddHours(9).AddMinutes(30), friday.AddDays(2).AddHours(8) })
        {
            fixture.Clock.SetUtcNow(utc);
            Assert.Null((await merchant.RunSettlement()).BatchId);
        }
        Assert.Equal((seller.Amount, 0L), ((await merchant.GetBalance()).Pending, (await merchant.GetBalance()).Available));

        // Monday 00:10 Shanghai = Sunday 16:10 UTC: the run settles it; a second run settles nothing again.
        fixture.Clock.SetUtcNow(friday.AddDays(2).AddHours(9).AddMinutes(10));
        var run = await merchant.RunSettlement();
        Assert.NotNull(run.BatchId);
        Assert.Equal(seller.Amount, run.Total);
        Assert.Null((await merchant.RunSettlement()).BatchId);
        var balance = await merchant.GetBalance();
        Assert.Equal((0L, seller.Amount), (balance.Pending, balance.Available));

        var batch = await merchant.GetBatch(run.BatchId!);
        var monday = DateOnly.FromDateTime(friday.UtcDateTime).AddDays(3);
        Assert.Equal(monday, batch!.BusinessDate);
        var line = Assert.Single(batch.Lines);
        Assert.Equal((paid.OrderId, seller.Amount, seller.Amount, 0L), (line.OrderId, line.Share, line.Amount, line.RefundedBeforeSettlement));
        var listed = await merchant.GetBatches(monday, monday);
        Assert.Contains(listed, b => b.BatchId == run.BatchId);

        // The order learns which batch settled each share; once all parties settled, the order is Settled.
        foreach (var account in paid.Split.Select(l => l.AccountId).Where(a => a != shop.MerchantId))
            await Account(account).RunSettlement();
        var settled = await ShopScenario.WaitForAsync(order, o => o.Status == OrderStatus.Settled);
        Assert.Equal(run.BatchId, settled.Split.Single(l => l.Role == PartyRole.Seller).SettlementBatchId);
    }

    private static DateTimeOffset NextFriday(DateTimeOffset now)
    {
        var day = now.UtcDateTime.Date.AddDays(1);
        while (day.DayOfWeek != DayOfWeek.Friday) day = day.AddDays(1);
        return new DateTimeOffset(day.AddHours(7), TimeSpan.Zero);
    }

    [Fact]
    public async Task A_partial_refund_after_settlement_claws_back_from_each_party_in_proportion()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 10, livePrice: 10000);
        foreach (var account in shop.AccountIds) await Account(account).SetCycle(0, "test");
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer);
        await shop.PayAsync(buyer);
        var order = shop.Order(buyer, "k1");
        await order.Ship(shop.MerchantId, null);
        await order.MarkDelivered();
        await order.ConfirmReceipt(buyer);
        var settled = await ShopScenario.WaitForAsync(order, o => o.Status == OrderStatus.Settled);
        Assert.All(settled.Split, l => Assert.Equal(ShareStatus.Settled, l.Status));
        var before = await Account(shop.MerchantId).GetBalance();
        var paid = await Account(shop.MerchantId).Payout("payout-1", before.Available, "test");
        Assert.Equal((before.Available, 0L, before.PaidOut + before.Available, false), (paid.Amount, paid.AvailableAfter, paid.PaidOutAfter, paid.Replayed));
        // The same payout key for another amount is refused, also after the account reloads; the same request is a
        // replay that answers the original receipt (kept by the store with its balances).
        await Activations.DeactivateAsync(fixture.Client, typeof(LiveCommerce.Grains.Payments.Accounts.SettlementAccountGrain), shop.MerchantId);
        var reused = await Assert.ThrowsAsync<DomainException>(() => Account(shop.MerchantId).Payout("payout-1", before.Available - 1, "test"));
        Assert.Equal("idempotency.key_reused", reused.Code);
        Assert.Equal(paid with { Replayed = true }, await Account(shop.MerchantId).Payout("payout-1", before.Available, "test"));

        // Refund 33.33 yuan of 100: 70/15/10/5 of it, rounded down, the odd fen to the seller.
        var refunded = await order.Refund(new RefundRequest("r1", 3333, "one item missing", RefundInitiator.Merchant, shop.MerchantId));
        Assert.Equal(OrderStatus.Settled, refunded.Status);
        Assert.True(refunded.Refunds.Single().AfterSettlement);
        var byAccount = refunded.Split.ToDictionary(l => l.AccountId, l => l.Refunded);
        Assert.Equal(3333, byAccount.Values.Sum());
        Assert.Equal(499, byAccount[shop.StreamerId]);
        Assert.Equal(333, byAccount[shop.DistributorId(1)]);
        Assert.Equal(166, byAccount[fixture.PlatformAccountId]);
        Assert.Equal(3333 - 499 - 333 - 166, byAccount[shop.MerchantId]);

        // The merchant had paid everything out: its balance goes negative and will be recovered later.
        var merchant = await Account(shop.MerchantId).GetBalance();
        Assert.Equal(-byAccount[shop.MerchantId], merchant.Available);
        Assert.Equal((await Account(shop.StreamerId).GetBalance()).TotalCredited - byAccount[shop.StreamerId], (await Account(shop.StreamerId).GetBalance()).Available);

        // The same refund key again changes nothing; more than what remains is refused.
        await order.Refund(new RefundRequest("r1", 3333, "one item missing", RefundInitiator.Merchant, shop.MerchantId));
        var tooMuch = await Assert.ThrowsAsync<DomainException>(() => order.Refund(new RefundRequest("r2", 10_000, "all", RefundInitiator.Merchant, shop.MerchantId)));
        Assert.Equal("amount", tooMuch.Field);
        Books.AssertOrderConserved(await order.Get());
        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, [refunded.OrderId], shop.AccountIds, fixture.PlatformAccountId);
    }

    [Fact]
    public async Task A_full_refund_before_shipping_returns_the_stock_and_reverses_every_share()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 5);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer, quantity: 2);
        var paid = await shop.PayAsync(buyer);
        Assert.Equal(3, (await shop.Room.GetView()).Shelf.Single().StockLeft);

        var refunded = await shop.Order(buyer, "k1").Refund(new RefundRequest("r1", paid.PaidAmount, "changed my mind", RefundInitiator.Merchant, shop.MerchantId));
        Assert.Equal(OrderStatus.Refunded, refunded.Status);
        Assert.All(refunded.Split, l => Assert.Equal(ShareStatus.Reversed, l.Status));
        var shelf = (await shop.Room.GetView()).Shelf.Single();
        Assert.Equal((5, 0), (shelf.StockLeft, shelf.Sold));
        foreach (var line in paid.Split.Where(l => l.Role != PartyRole.Platform))
            Assert.Equal(0, (await Account(line.AccountId).GetBalance()).Pending);
        await Books.AssertSystemConservedAsync(fixture.Client, fixture.Sandbox, [paid.OrderId], shop.AccountIds, fixture.PlatformAccountId);
    }

    [Fact]
    public async Task Illegal_transitions_are_conflicts_that_change_nothing()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 5);
        var buyer = (await shop.RegisterBuyersAsync(1))[0];
        await shop.PlaceAsync(buyer);
        var order = shop.Order(buyer, "k1");

        var confirm = await Assert.ThrowsAsync<DomainException>(() => order.ConfirmReceipt(buyer));
        Assert.Equal((ErrorKind.Conflict, "PendingPayment"), (confirm.Kind, confirm.CurrentState));
        var refund = await Assert.ThrowsAsync<DomainException>(() => order.Refund(new RefundRequest("r", 1, "x", RefundInitiator.Merchant, shop.MerchantId)));
        Assert.Equal("order.unpaid", refund.Code);

        await shop.PayAsync(buyer);
        await order.Ship(shop.MerchantId, "SF1");
        var twice = await Assert.ThrowsAsync<DomainException>(() => order.Ship(shop.MerchantId, "SF2"));
        Assert.Equal((ErrorKind.Conflict, "Shipped"), (twice.Kind, twice.CurrentState));
        Assert.Equal("SF1", (await order.Get()).TrackingNumber);
        var notMine = await Assert.ThrowsAsync<DomainException>(() => order.Ship("someone-else", "X"));
        Assert.Equal(ErrorKind.Forbidden, notMine.Kind);
        var cancel = await Assert.ThrowsAsync<DomainException>(() => order.Cancel(buyer));
        Assert.Equal(ErrorKind.Conflict, cancel.Kind);
    }

    [Fact]
    public async Task Orders_confirm_themselves_after_the_configured_days()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 5);
        var buyers = await shop.RegisterBuyersAsync(2);
        foreach (var b in buyers) { await shop.PlaceAsync(b); await shop.PayAsync(b); }
        var shippedOnly = shop.Order(buyers[0], "k1");
        var delivered = shop.Order(buyers[1], "k1");
        var start = fixture.Clock.GetUtcNow();
        await shippedOnly.Ship(shop.MerchantId, null);
        await delivered.Ship(shop.MerchantId, null);
        await delivered.MarkDelivered();
        var scheduler = fixture.Client.GetGrain<IAutoConfirmSchedulerGrain>("auto-confirm");

        fixture.Clock.Advance(TimeSpan.FromDays(6.9));
        await scheduler.RunDue();
        Assert.Equal(OrderStatus.Delivered, (await delivered.Get()).Status);

        fixture.Clock.Advance(TimeSpan.FromDays(0.2)); // 7 days after delivery
        await scheduler.RunDue();
        Assert.Equal(OrderStatus.Confirmed, (await delivered.Get()).Status);
        Assert.Equal(OrderStatus.Shipped, (await shippedOnly.Get()).Status);

        fixture.Clock.SetUtcNow(start + TimeSpan.FromDays(10) + TimeSpan.FromMinutes(1)); // 10 days after shipping, no delivery event
        await scheduler.RunDue();
        Assert.Equal(OrderStatus.Confirmed, (await shippedOnly.Get()).Status);
    }

    [Fact]
    public async Task A_result_the_provider_does_not_confirm_as_the_orders_own_attempt_changes_nothing()
    {
        var shop = NewShop();
        await shop.SetUpAsync(stock: 5, livePrice: 5000);
        var buyers = await shop.RegisterBuyersAsync(2);
        var placed = (await shop.PlaceAsync(buyers[0])).Order!;
        var order = shop.Order(buyers[0], "k1");
        var now = fixture.Clock.GetUtcNow();

        // A payment id the provider never issued, the order's own reference before any payment exists under it, and
        // another order's real payment (paid, so its callback arrived) named for this order.
        Assert.Equal(PaymentApplyOutcome.UnknownPayment, (await order.ApplyPaymentResult(new PaymentResult("pay-fake", placed.OrderId, 5000, true, now, "test"))).Outcome);
        Assert.Equal(PaymentApplyOutcome.UnknownPayment, (await order.ApplyPaymentResult(new PaymentResult($"pay-{placed.OrderId}-1", placed.OrderId, 5000, true, now, "test"))).Outcome);
        await shop.PlaceAsync(buyers[1]);
        var other = await shop.PayAsync(buyers[1]);
        Assert.Equal(PaymentApplyOutcome.UnknownPayment, (await order.ApplyPaymentResult(new PaymentResult(other.PaymentId!, placed.OrderId, 5000, true, now, "test"))).Outcome);

        var view = await order.Get();
        Assert.Equal((OrderStatus.PendingPayment, 0L, 0), (view.Status, view.PaidAmount, view.Split.Count));
        Assert.Equal(5000 * 7 / 10, (await Account(shop.MerchantId).GetBalance()).Pending); // only the other order's share
        await Assert.ThrowsAsync<DomainException>(() => order.ApplyPaymentResult(new PaymentResult("pay-fake", placed.OrderId, -1000, true, now, "test")));
        await Assert.ThrowsAsync<DomainException>(() => order.ApplyPaymentResult(new PaymentResult("pay-fake", placed.OrderId, long.MaxValue, true, now, "test")));
    }
}
