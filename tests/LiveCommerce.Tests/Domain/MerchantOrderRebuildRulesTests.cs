using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Analytics;
using LiveCommerce.Grains.Merchants;

namespace LiveCommerce.Tests.Domain;

/// <summary>
/// The row an order's state implies (the merchant order list's rebuild), without a silo: for every status, refunds and
/// after-sale steps it equals what the live projection folds from the events the order and its cases publish; and the
/// rule that lets a rebuilt row replace a stored one without moving a row backwards.
/// </summary>
public sealed class MerchantOrderRebuildRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 2, 0, 0, TimeSpan.Zero);
    internal static readonly ShippingAddress Home = new("Li Lei", "13812345678", "Zhejiang", "Hangzhou", "Xihu", "1 West Lake Road");

    internal static DateTimeOffset At(int minutes) => T0.AddMinutes(minutes).AddTicks(3); // sub-microsecond ticks: both paths cut them alike

    /// <summary>An order of 10,000 fen that went as far as the given steps (minutes after placement).</summary>
    internal static OrderView Order(OrderStatus status, int? paid = null, int? shipped = null, int? delivered = null, int? confirmed = null,
        int? settled = null, int? cancelled = null, (int Minute, long Amount)[]? refunds = null, string[]? cases = null, string merchant = "m1")
    {
        var refundViews = (refunds ?? []).Select((r, i) => new RefundView($"rf-o1-{i + 1}", r.Amount, "after-sale damaged", At(r.Minute), settled is not null)).ToList();
        return new OrderView("o1", "b1", "r1", "s1", merchant, "p1", 2, 5_000, 10_000, status, At(0), At(15), paid is { } p ? At(p) : null,
            shipped is { } s ? At(s) : null, delivered is { } d ? At(d) : null, confirmed is { } c ? At(c) : null, settled is { } st ? At(st) : null,
            cancelled is { } x ? At(x) : null, cancelled is not null ? CancelReason.BuyerCancelled : null, paid is null ? null : "pay-1",
            paid is null ? 0 : 10_000, refundViews.Sum(r => r.Amount), shipped is null ? null : "SF1", [], refundViews, [], false, null, Home,
            AfterSaleCaseIds: cases ?? []);
    }

    private static AfterSaleCaseView Case(string caseId, params (int Minute, AfterSaleStatus Status)[] steps) =>
        new(caseId, "o1", "b1", "m1", AfterSaleKind.RefundOnly, steps[^1].Status, "damaged", "", [], 4_000, null, 0, At(steps[0].Minute), null, null, null,
            false, steps.Select(s => new CaseStep(At(s.Minute), CaseActor.Buyer, "b1", "step", s.Status, null, null)).ToList());

    /// <summary>What the live projection holds after every event the order and its cases published, in the order given.</summary>
    private static MerchantOrderRecord Live(OrderView order, params AfterSaleCaseView[] cases)
    {
        IEnumerable<DomainEvent> events = OrderReplay.EventsOf(order, "Hangzhou", "Hangzhou").Select(e => e with { ShippingAddress = Home });
        events = events.Concat(cases.SelectMany(c => c.Timeline.Select(s => new AfterSaleCaseChanged(c.CaseId, "o1", "b1", "m1", "s1", "r1", "p1",
            c.Kind, s.Status, c.ReasonCode, c.AmountRequested, 0, false, s.At))));
        return events.Aggregate((MerchantOrderRecord?)null, MerchantOrderProjection.Apply)!;
    }

    private static void AssertSame(MerchantOrderRecord expected, MerchantOrderRecord actual) =>
        Assert.True(MerchantOrderRebuild.Same(expected, actual),
            $"expected {expected.ToRow()} [{string.Join(",", expected.RefundKeys)}] {expected.AfterSaleAt}\n" +
            $"  actual {actual.ToRow()} [{string.Join(",", actual.RefundKeys)}] {actual.AfterSaleAt}");

    public static TheoryData<string> Lives => new(
        "pending", "paid", "shipped", "delivered", "confirmed", "settled", "cancelled-unpaid", "cancelled-paid", "partly-refunded", "refunded-in-full",
        "refunded-after-settlement");

    private static OrderView Named(string name) => name switch
    {
        "pending" => Order(OrderStatus.PendingPayment),
        "paid" => Order(OrderStatus.Paid, paid: 1),
        "shipped" => Order(OrderStatus.Shipped, paid: 1, shipped: 60),
        "delivered" => Order(OrderStatus.Delivered, paid: 1, shipped: 60, delivered: 600),
        "confirmed" => Order(OrderStatus.Confirmed, paid: 1, shipped: 60, delivered: 600, confirmed: 700),
        "settled" => Order(OrderStatus.Settled, paid: 1, shipped: 60, delivered: 600, confirmed: 700, settled: 800),
        "cancelled-unpaid" => Order(OrderStatus.Cancelled, cancelled: 15),
        "cancelled-paid" => Order(OrderStatus.Cancelled, paid: 1, cancelled: 2),
        "partly-refunded" => Order(OrderStatus.Shipped, paid: 1, shipped: 60, refunds: [(90, 3_000), (95, 3_000)]),
        "refunded-in-full" => Order(OrderStatus.Refunded, paid: 1, refunds: [(5, 4_000), (9, 6_000)]),
        "refunded-after-settlement" => Order(OrderStatus.Settled, paid: 1, shipped: 60, delivered: 600, confirmed: 700, settled: 800, refunds: [(900, 2_500)]),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Lives))]
    public void The_row_an_order_implies_is_what_the_live_projection_folds_from_its_events(string life)
    {
        var order = Named(life);
        var row = MerchantOrderRebuild.RowOf(order, []);

        AssertSame(Live(order), row);
        Assert.Equal(order.Status, row.Status);
        Assert.Equal(order.RefundedAmount, row.RefundedAmount);
        Assert.Equal(order.Refunds.Count, row.RefundKeys.Count);
        Assert.Equal(AfterSaleStatus.None, row.AfterSale);
        Assert.True(row.Listed);
    }

    [Fact]
    public void Times_are_cut_to_microseconds_and_the_row_is_updated_at_its_latest_step()
    {
        var row = MerchantOrderRebuild.RowOf(Named("refunded-after-settlement"), []);
        Assert.Equal(T0, row.PlacedAt);
        Assert.Equal(T0.AddMinutes(1), row.PaidAt);
        Assert.Equal(T0.AddMinutes(60), row.ShippedAt);
        Assert.Equal(T0.AddMinutes(900), row.UpdatedAt);
        Assert.Equal((OrderStatus.Settled, 10_000L, 2_500L), (row.Status, row.Amount, row.RefundedAmount));
        Assert.Equal(Home, row.ShippingAddress);
    }

    [Fact]
    public void The_newest_step_of_any_case_of_the_order_is_its_after_sale_status()
    {
        var order = Order(OrderStatus.Shipped, paid: 1, shipped: 60, refunds: [(200, 1_000)], cases: ["o1:as1", "o1:as2"]);
        var first = Case("o1:as1", (100, AfterSaleStatus.AwaitingMerchant), (110, AfterSaleStatus.Rejected), (120, AfterSaleStatus.InArbitration),
            (200, AfterSaleStatus.Refunded));
        var second = Case("o1:as2", (300, AfterSaleStatus.AwaitingMerchant));

        var row = MerchantOrderRebuild.RowOf(order, [first, second]);
        AssertSame(Live(order, first, second), row);
        Assert.Equal((AfterSaleStatus.AwaitingMerchant, T0.AddMinutes(300)), (row.AfterSale, row.AfterSaleAt));
        Assert.Equal(T0.AddMinutes(300), row.UpdatedAt);

        // Only the first case: its closing is shown, with the refund it made.
        var closed = MerchantOrderRebuild.RowOf(order, [first]);
        AssertSame(Live(order, first), closed);
        Assert.Equal((AfterSaleStatus.Refunded, 1_000L), (closed.AfterSale, closed.RefundedAmount));
    }

    [Theory]
    [InlineData(AfterSaleStatus.AwaitingMerchant)]
    [InlineData(AfterSaleStatus.PartialOffered)]
    [InlineData(AfterSaleStatus.AwaitingReturn)]
    [InlineData(AfterSaleStatus.ReturnInTransit)]
    [InlineData(AfterSaleStatus.Rejected)]
    [InlineData(AfterSaleStatus.InArbitration)]
    [InlineData(AfterSaleStatus.Closed)]
    public void Every_after_sale_status_is_shown_as_the_live_projection_shows_it(AfterSaleStatus status)
    {
        var order = Order(OrderStatus.Delivered, paid: 1, shipped: 60, delivered: 600, cases: ["o1:as1"]);
        var c = Case("o1:as1", (610, AfterSaleStatus.AwaitingMerchant), (620, status));
        var row = MerchantOrderRebuild.RowOf(order, [c]);
        AssertSame(Live(order, c), row);
        Assert.Equal(status, row.AfterSale);
    }

    [Fact]
    public void Two_steps_at_one_instant_show_the_later_state_like_the_fold()
    {
        var order = Order(OrderStatus.Paid, paid: 1, cases: ["o1:as1"]);
        var c = Case("o1:as1", (5, AfterSaleStatus.AwaitingMerchant), (5, AfterSaleStatus.AwaitingReturn));
        var row = MerchantOrderRebuild.RowOf(order, [c]);
        AssertSame(Live(order, c), row);
        Assert.Equal(AfterSaleStatus.AwaitingReturn, row.AfterSale);
    }

    [Fact]
    public void A_refund_event_arriving_after_the_rebuild_is_not_counted_again()
    {
        var order = Named("partly-refunded");
        var row = MerchantOrderRebuild.RowOf(order, []);
        var late = OrderReplay.EventsOf(order, null, null).Last(e => e.Kind == OrderEventKind.Refunded);
        var after = MerchantOrderProjection.Apply(row, late);
        Assert.Equal(6_000, after.RefundedAmount);
        AssertSame(row, after);
    }

    [Fact]
    public void A_rebuilt_row_replaces_a_missing_behind_or_wrong_row_but_not_one_updated_after_its_order_was_read()
    {
        var order = Named("partly-refunded");
        var rebuilt = new RebuiltRecord(MerchantOrderRebuild.RowOf(order, []), At(100));

        Assert.Equal(ReplaceDecision.Replace, MerchantOrderRebuild.Decide(null, rebuilt));
        Assert.Equal(ReplaceDecision.Same, MerchantOrderRebuild.Decide(rebuilt.Record.Copy(), rebuilt));

        // The second refund's event was lost: the row is behind on money, and the rebuild gives it back.
        var lostRefund = OrderReplay.EventsOf(order, null, null).Select(e => e with { ShippingAddress = Home }).SkipLast(1)
            .Aggregate((MerchantOrderRecord?)null, MerchantOrderProjection.Apply)!;
        Assert.Equal(3_000, lostRefund.RefundedAmount);
        Assert.Equal(ReplaceDecision.Replace, MerchantOrderRebuild.Decide(lostRefund, rebuilt));

        // A row with a wrong status and a refund the order never made is replaced too: not a forward-only fold.
        var wrong = rebuilt.Record.Copy();
        wrong.Status = OrderStatus.Refunded;
        wrong.RefundKeys.Add("1:4000");
        wrong.RefundedAmount += 4_000;
        Assert.Equal(ReplaceDecision.Replace, MerchantOrderRebuild.Decide(wrong, rebuilt));

        // A row the feed updated after the order was read holds a step the rebuilt row may lack: read the order again.
        var moved = rebuilt.Record.Copy();
        moved.Status = OrderStatus.Delivered;
        moved.UpdatedAt = MerchantOrderProjection.Micros(At(101));
        Assert.Equal(ReplaceDecision.Moved, MerchantOrderRebuild.Decide(moved, rebuilt));
        moved.UpdatedAt = MerchantOrderProjection.Micros(At(100));
        Assert.Equal(ReplaceDecision.Replace, MerchantOrderRebuild.Decide(moved, rebuilt));
    }

    [Fact]
    public void A_plan_writes_only_differing_rows_counts_removals_that_exist_and_refuses_another_merchants_row()
    {
        var paid = MerchantOrderRebuild.RowOf(Named("paid"), []);
        var shipped = MerchantOrderRebuild.RowOf(Named("shipped") with { OrderId = "o2" }, []);
        var stored = new Dictionary<string, MerchantOrderRecord> { ["o1"] = paid.Copy(), ["ghost"] = paid.Copy() };

        var (write, outcome) = MerchantOrderRebuild.Plan("m1", [new(paid, At(1_000)), new(shipped, At(1_000))], ["ghost", "never"],
            id => stored.GetValueOrDefault(id));
        Assert.Equal(["o2"], write.Select(r => r.OrderId));
        Assert.Equal((2, 1, 1), (outcome.Written, outcome.Changed, outcome.Removed));
        Assert.Empty(outcome.Moved);

        var foreign = MerchantOrderRebuild.RowOf(Named("paid") with { MerchantId = "m2" }, []);
        Assert.Throws<ArgumentException>(() => MerchantOrderRebuild.Plan("m1", [new(foreign, At(1_000))], [], _ => null));
    }
}
