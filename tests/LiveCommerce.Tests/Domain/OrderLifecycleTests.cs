using System.Text.Json;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Orders;
using Microsoft.Extensions.Time.Testing;

namespace LiveCommerce.Tests.Domain;

/// <summary>The order's state machine without a silo: every transition, its guards, and the typed messages it owes.</summary>
public sealed class OrderLifecycleTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
    private static readonly OrderPolicy Policy = new();
    private static readonly AfterSalePolicy Rules = new();
    private DateTimeOffset Now => _clock.GetUtcNow();

    private OrderLifecycle Placed(long amount = 10_000)
    {
        var plan = new SplitPlan([new SplitShare(PartyRole.Seller, "m", 7000), new SplitShare(PartyRole.Streamer, "s", 1500),
            new SplitShare(PartyRole.Distributor, "d1", 1000, 1), new SplitShare(PartyRole.Platform, "platform", 500)]);
        var state = new OrderState
        {
            Exists = true, BuyerId = "b", MerchantId = "m", StreamerId = "s", RoomId = "r", ProductId = "p", Quantity = 1, UnitPrice = amount,
            Amount = amount, Plan = plan, Status = OrderStatus.PendingPayment, PlacedAt = Now, PaymentDeadline = Now + Policy.PaymentTimeout,
        };
        return new OrderLifecycle("o1", state, Policy);
    }

    private static PaymentAttempt Attempt(long captured) => new() { PaymentId = "pay-o1-1", Status = AttemptStatus.Succeeded, Captured = captured };
    private RiskDecisionView Allow() => new(RiskVerdict.Allow, [], "payment", Now);

    private OrderLifecycle Paid(long amount = 10_000)
    {
        var order = Placed(amount);
        Assert.Equal(OrderEventKind.Paid, order.Pay(Attempt(amount), Allow(), Now));
        order.State.Outbox.Clear();
        return order;
    }

    private OrderLifecycle Delivered(long amount = 10_000)
    {
        var order = Paid(amount);
        order.Ship("m", "SF1", Carriers.Sandbox, Now);
        order.MarkDelivered(Now);
        order.State.Outbox.Clear();
        return order;
    }

    private static string Snapshot(OrderLifecycle order) => JsonSerializer.Serialize(order.State);

    /// <summary>The refusal is a domain error of <paramref name="kind"/> and the order is byte for byte what it was.</summary>
    private static DomainException Refused(OrderLifecycle order, ErrorKind kind, Action step)
    {
        var before = Snapshot(order);
        var e = Assert.Throws<DomainException>(step);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(before, Snapshot(order));
        return e;
    }

    private static List<T> Messages<T>(OrderLifecycle order) => order.State.Outbox.OfType<T>().ToList();

    [Fact]
    public void Payment_credits_every_party_as_pending_and_owes_room_buyer_and_risk_in_sequence()
    {
        var order = Placed(10_001);
        Assert.Equal(OrderEventKind.Paid, order.Pay(Attempt(10_001), Allow(), Now));
        Assert.Equal((OrderStatus.Paid, 10_001L, "pay-o1-1"), (order.State.Status, order.State.PaidAmount, order.State.PaidPaymentId));
        var postings = Messages<PostToAccount>(order);
        Assert.Equal(["m", "s", "d1", "platform"], postings.Select(p => p.AccountId));
        Assert.All(postings, p => Assert.Equal(PostingKind.CreditPending, p.Posting.Kind));
        Assert.Equal(10_001, postings.Sum(p => p.Posting.Amount));
        Assert.Equal(10_001, Assert.Single(Messages<CommitRoomSale>(order)).Amount);
        Assert.Single(Messages<RecordBuyerPurchase>(order));
        Assert.Single(Messages<CountPaidForRisk>(order));
        Assert.Empty(Messages<AddToReviewQueue>(order));
        Assert.Equal(Enumerable.Range(1, order.State.Outbox.Count), order.State.Outbox.Select(m => m.Seq));
    }

    [Fact]
    public void A_review_verdict_holds_the_money_and_a_reject_cancels_and_returns_it()
    {
        var held = Placed();
        held.State.RiskDecisions.Add(new RiskDecisionView(RiskVerdict.Review, ["price"], "placement", Now));
        held.Pay(Attempt(10_000), Allow(), Now);
        Assert.True(held.State.OnHold);
        Assert.All(Messages<PostToAccount>(held), p => Assert.Equal(PostingKind.CreditOnHold, p.Posting.Kind));
        Assert.Equal(10_000, Assert.Single(Messages<AddToReviewQueue>(held)).Amount);

        Assert.Null(held.ResolveReview(new ReviewResolution(ReviewDecision.Release, "admin", null), Now));
        Assert.False(held.State.OnHold);
        Assert.Equal(ReviewDecision.Release, Assert.Single(Messages<MarkReviewDecided>(held)).Decision);
        Refused(held, ErrorKind.Conflict, () => held.ResolveReview(new ReviewResolution(ReviewDecision.Reject, "admin", null), Now));

        var rejected = Placed();
        Assert.Equal(OrderEventKind.Cancelled, rejected.Pay(Attempt(10_000), new RiskDecisionView(RiskVerdict.Reject, ["x"], "payment", Now), Now));
        Assert.Equal((OrderStatus.Cancelled, CancelReason.RiskRejected, 0L), (rejected.State.Status, rejected.State.CancelReason, rejected.State.PaidAmount));
        Assert.Single(Messages<ReleaseRoomStock>(rejected));
        Assert.Equal(10_000, Assert.Single(Messages<RefundAtGateway>(rejected)).Amount);
        Assert.Empty(Messages<PostToAccount>(rejected));
    }

    [Fact]
    public void Cancel_and_expiry_end_an_unpaid_order_only()
    {
        var order = Placed();
        Refused(order, ErrorKind.Forbidden, () => order.Cancel("someone", Now));
        Assert.True(order.Cancel("b", Now));
        Assert.Equal((OrderStatus.Cancelled, CancelReason.BuyerCancelled), (order.State.Status, order.State.CancelReason));
        Assert.Single(Messages<ReleaseRoomStock>(order));
        Assert.False(order.Cancel("b", Now)); // a repeat

        var expiring = Placed();
        Assert.False(expiring.ExpireIfDue(Now + Policy.PaymentTimeout - TimeSpan.FromSeconds(1), releaseStock: true));
        Assert.True(expiring.ExpireIfDue(Now + Policy.PaymentTimeout, releaseStock: false));
        Assert.Equal(CancelReason.PaymentExpired, expiring.State.CancelReason);
        Assert.Empty(expiring.State.Outbox); // the room's own sweep releases the units

        var paid = Paid();
        var e = Refused(paid, ErrorKind.Conflict, () => paid.Cancel("b", Now));
        Assert.Equal("Paid", e.CurrentState);
        Assert.False(paid.ExpireIfDue(Now + TimeSpan.FromDays(1), releaseStock: true));
        Refused(paid, ErrorKind.Conflict, paid.RequirePayable);
    }

    [Fact]
    public void Shipping_checks_merchant_carrier_and_state_and_starts_the_shipping_clock()
    {
        var order = Paid();
        Refused(order, ErrorKind.Forbidden, () => order.Ship("other", "SF1", null, Now));
        Assert.Equal("carrier", Refused(order, ErrorKind.Validation, () => order.Ship("m", "SF1", "pigeon", Now)).Field);
        Assert.Equal("trackingNumber", Refused(order, ErrorKind.Validation, () => order.Ship("m", null, Carriers.Sandbox, Now)).Field);

        order.Ship("m", "SF1", Carriers.Sandbox, Now);
        Assert.Equal((OrderStatus.Shipped, "SF1", Carriers.Sandbox), (order.State.Status, order.State.TrackingNumber, order.State.Carrier));
        Assert.Equal(Now + Policy.AutoConfirmAfterShipping, Assert.Single(Messages<ScheduleAutoConfirm>(order)).At);
        Assert.Equal("Shipped", Refused(order, ErrorKind.Conflict, () => order.Ship("m", "SF2", null, Now)).CurrentState);
        Assert.Equal("Shipped", Refused(order, ErrorKind.Conflict, () => order.Ship("m", "SF1", null, Now)).CurrentState); // another carrier
        order.State.Outbox.Clear();
        Assert.False(order.Ship("m", "SF1", Carriers.Sandbox, Now + TimeSpan.FromHours(1))); // a retry: nothing changes
        Assert.Equal((Now, 0), (order.State.ShippedAt!.Value, order.State.Outbox.Count));

        var cancelled = Placed();
        cancelled.Cancel("b", Now);
        Assert.Equal("Cancelled", Refused(cancelled, ErrorKind.Conflict, () => cancelled.Ship("m", "SF1", null, Now)).CurrentState);
        var unpaid = Placed();
        Assert.Equal("PendingPayment", Refused(unpaid, ErrorKind.Conflict, () => unpaid.Ship("m", null, null, Now)).CurrentState);
    }

    [Fact]
    public void Logistics_events_build_the_tracking_history_and_delivered_starts_the_auto_confirm_clock()
    {
        var order = Paid();
        order.Ship("m", "SF1", Carriers.Sandbox, Now);
        order.State.Outbox.Clear();
        LogisticsEvent Event(string id, LogisticsStatus status, string tracking = "SF1") => new(id, Carriers.Sandbox, tracking, status, Now, "Hangzhou", null);

        Assert.Equal((true, (OrderEventKind?)null), order.ApplyLogistics(Event("e1", LogisticsStatus.InTransit), Now));
        Assert.Equal((true, (OrderEventKind?)null), order.ApplyLogistics(Event("e2", LogisticsStatus.Exception), Now));
        Assert.Equal(OrderStatus.Shipped, order.State.Status);
        Assert.Equal("trackingNumber", Refused(order, ErrorKind.Validation, () => order.ApplyLogistics(Event("e3", LogisticsStatus.Delivered, "SF9"), Now)).Field);

        _clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal((true, (OrderEventKind?)OrderEventKind.Delivered), order.ApplyLogistics(Event("e4", LogisticsStatus.Delivered), Now));
        Assert.Equal((OrderStatus.Delivered, Now, Now + Policy.AutoConfirmAfterDelivery), (order.State.Status, order.State.DeliveredAt, order.State.AutoConfirmAt));
        Assert.Equal(Now + Policy.AutoConfirmAfterDelivery, Assert.Single(Messages<ScheduleAutoConfirm>(order)).At);
        Assert.Equal((false, (OrderEventKind?)null), order.ApplyLogistics(Event("e4", LogisticsStatus.Delivered), Now)); // a repeat
        Assert.Equal(["e1", "e2", "e4"], order.View().Tracking!.Select(t => t.EventId));

        var untracked = Paid();
        untracked.Ship("m", "SF1", null, Now);
        Refused(untracked, ErrorKind.Conflict, () => untracked.ApplyLogistics(Event("e1", LogisticsStatus.Delivered), Now));
    }

    [Fact]
    public void Confirmation_by_the_buyer_or_the_clock_then_settlement_of_every_share()
    {
        var order = Delivered();
        var due = order.State.AutoConfirmAt;
        order.State.Outbox.Clear();
        Assert.False(order.MarkDelivered(Now + TimeSpan.FromHours(5))); // a repeated delivery does not restart the clock
        Assert.Equal((due, 0), (order.State.AutoConfirmAt, order.State.Outbox.Count));
        Refused(order, ErrorKind.Forbidden, () => order.ConfirmReceipt("someone", Now));
        Assert.False(order.AutoConfirmIfDue(Now + Policy.AutoConfirmAfterDelivery - TimeSpan.FromMinutes(1)));
        Assert.True(order.AutoConfirmIfDue(Now + Policy.AutoConfirmAfterDelivery));
        Assert.Equal(OrderStatus.Confirmed, order.State.Status);
        Assert.All(Messages<PostToAccount>(order), p => Assert.Equal(PostingKind.Confirm, p.Posting.Kind));
        order.State.Outbox.Clear();
        Assert.False(order.ConfirmReceipt("b", Now)); // confirmed by the clock already: the buyer's confirmation is a repeat
        Assert.Empty(order.State.Outbox);

        foreach (var account in new[] { "m", "s", "d1" }) Assert.Equal((true, false), order.ShareSettled(account, "batch", Now));
        Assert.Equal((false, false), order.ShareSettled("m", "batch", Now));
        Assert.Equal((true, true), order.ShareSettled("platform", "batch", Now));
        Assert.Equal(OrderStatus.Settled, order.State.Status);

        var byBuyer = Delivered();
        byBuyer.ConfirmReceipt("b", Now);
        Assert.Equal(OrderStatus.Confirmed, byBuyer.State.Status);
    }

    [Fact]
    public void Refunds_are_the_merchants_or_an_admins_split_in_proportion_and_idempotent_by_key()
    {
        var order = Paid(10_000);
        Assert.Equal("refund.after_sale_case_required",
            Refused(order, ErrorKind.Forbidden, () => order.Refund(new RefundRequest("r1", 100, "x", RefundInitiator.Buyer, "b"), Now)).Code);
        Refused(order, ErrorKind.Forbidden, () => order.Refund(new RefundRequest("r1", 100, "x", RefundInitiator.Merchant, "other"), Now));
        Assert.Equal("amount", Refused(order, ErrorKind.Validation, () => order.Refund(new RefundRequest("r1", 10_001, "x", RefundInitiator.Merchant, "m"), Now)).Field);

        Assert.True(order.Refund(new RefundRequest("r1", 3333, "cracked", RefundInitiator.Merchant, "m"), Now));
        var postings = Messages<PostToAccount>(order);
        Assert.All(postings, p => Assert.Equal(PostingKind.Refund, p.Posting.Kind));
        Assert.Equal([3333 - 499 - 333 - 166, 499, 333, 166], postings.Select(p => p.Posting.Amount));
        Assert.Equal(3333, Assert.Single(Messages<RefundAtGateway>(order)).Amount);
        Assert.False(order.Refund(new RefundRequest("r1", 3333, "cracked", RefundInitiator.Merchant, "m"), Now)); // a replay
        Refused(order, ErrorKind.Conflict, () => order.Refund(new RefundRequest("r1", 1, "cracked", RefundInitiator.Merchant, "m"), Now));

        Assert.True(order.Refund(new RefundRequest("r2", 10_000 - 3333, "all", RefundInitiator.Admin, "admin"), Now));
        Assert.Equal(OrderStatus.Refunded, order.State.Status);
        Assert.Equal(10_000, Assert.Single(Messages<ReturnSoldStock>(order)).Amount); // never shipped: back on the shelf
        Assert.Equal("Refunded", Refused(order, ErrorKind.Conflict, () => order.Refund(new RefundRequest("r3", 1, "x", RefundInitiator.Admin, "admin"), Now)).CurrentState);

        var shipped = Delivered();
        shipped.Refund(new RefundRequest("r1", 10_000, "returned", RefundInitiator.Merchant, "m"), Now);
        Assert.Equal(OrderStatus.Refunded, shipped.State.Status);
        Assert.Empty(Messages<ReturnSoldStock>(shipped)); // shipped goods do not return to the shelf

        var unpaid = Placed();
        Assert.Equal("order.unpaid", Refused(unpaid, ErrorKind.Conflict, () => unpaid.Refund(new RefundRequest("r1", 1, "x", RefundInitiator.Admin, "admin"), Now)).Code);
    }

    private static AfterSaleRequest Ask(AfterSaleKind kind, long amount, string key = "as-1", string reason = "damaged") =>
        new("b", key, kind, reason, "the jar arrived cracked", ["https://img.example/1.jpg"], amount);

    [Fact]
    public void An_after_sale_case_is_admitted_once_at_a_time_within_the_rules()
    {
        var paid = Paid();
        Refused(paid, ErrorKind.Forbidden, () => paid.OpenAfterSale(Ask(AfterSaleKind.RefundOnly, 100) with { BuyerId = "other" }, Rules, Now));
        Assert.Equal("after_sale.not_delivered", Refused(paid, ErrorKind.Conflict, () => paid.OpenAfterSale(Ask(AfterSaleKind.ReturnAndRefund, 100), Rules, Now)).Code);
        Assert.Equal("reasonCode", Refused(paid, ErrorKind.Validation, () => paid.OpenAfterSale(Ask(AfterSaleKind.RefundOnly, 100, reason: "bored"), Rules, Now)).Field);
        Assert.Equal("amount", Refused(paid, ErrorKind.Validation, () => paid.OpenAfterSale(Ask(AfterSaleKind.RefundOnly, 10_001), Rules, Now)).Field);
        Assert.Equal("evidence", Refused(paid, ErrorKind.Validation, () => paid.OpenAfterSale(
            Ask(AfterSaleKind.RefundOnly, 100) with { Evidence = Enumerable.Range(0, Rules.MaxEvidence + 1).Select(i => $"https://img.example/{i}.jpg").ToList() }, Rules, Now)).Field);
        Assert.Equal("evidence", Refused(paid, ErrorKind.Validation, () => paid.OpenAfterSale(Ask(AfterSaleKind.RefundOnly, 100) with { Evidence = ["javascript:alert(1)"] }, Rules, Now)).Field);
        var unpaid = Placed();
        Assert.Equal("order.unpaid", Refused(unpaid, ErrorKind.Conflict, () => unpaid.OpenAfterSale(Ask(AfterSaleKind.RefundOnly, 100), Rules, Now)).Code);

        var (opening, isNew) = paid.OpenAfterSale(Ask(AfterSaleKind.RefundOnly, 10_000), Rules, Now);
        Assert.True(isNew);
        Assert.Equal(("o1:as1", "o1:as1"), (opening.CaseId, paid.State.OpenCaseId));
        Assert.Equal(opening, Assert.Single(Messages<OpenAfterSaleCase>(paid)).Opening);
        var replay = paid.OpenAfterSale(Ask(AfterSaleKind.RefundOnly, 10_000), Rules, Now); // same key: the same case
        Assert.Equal((opening.CaseId, false), (replay.Opening.CaseId, replay.New));
        Assert.Single(Messages<OpenAfterSaleCase>(paid));
        Assert.Equal("after_sale.case_open", Refused(paid, ErrorKind.Conflict, () => paid.OpenAfterSale(Ask(AfterSaleKind.PartialRefund, 100, key: "as-2"), Rules, Now)).Code);

        var late = Delivered();
        _clock.Advance(Policy.ReturnWindow + TimeSpan.FromMinutes(1));
        Assert.Equal("order.return_window_closed", Refused(late, ErrorKind.Conflict, () => late.OpenAfterSale(Ask(AfterSaleKind.ReturnAndRefund, 100), Rules, Now)).Code);
    }

    [Fact]
    public void Settling_a_case_refunds_at_most_what_remains_once_and_frees_the_order_for_another_case()
    {
        var order = Delivered(10_000);
        var first = order.OpenAfterSale(Ask(AfterSaleKind.ReturnAndRefund, 6000), Rules, Now).Opening;
        Assert.Equal((0L, true), order.SettleAfterSale(first.CaseId, 0, "after-sale damaged", Now)); // closed without a refund
        Assert.Null(order.State.OpenCaseId);
        Assert.Equal((0L, false), order.SettleAfterSale(first.CaseId, 0, "after-sale damaged", Now));

        var second = order.OpenAfterSale(Ask(AfterSaleKind.PartialRefund, 6000, key: "as-2"), Rules, Now).Opening;
        Assert.Equal("o1:as2", second.CaseId);
        order.Refund(new RefundRequest("m-1", 5000, "goodwill", RefundInitiator.Merchant, "m"), Now); // the merchant refunded meanwhile
        Assert.Equal((5000L, true), order.SettleAfterSale(second.CaseId, 6000, "after-sale damaged", Now)); // capped at what remains
        Assert.Equal((OrderStatus.Refunded, 10_000L), (order.State.Status, order.State.RefundedAmount));
        Assert.Equal(RefundInitiator.AfterSaleCase, order.State.Refunds.Last().Initiator);
        Assert.Equal((5000L, false), order.SettleAfterSale(second.CaseId, 6000, "after-sale damaged", Now)); // a repeat
        Refused(order, ErrorKind.NotFound, () => order.SettleAfterSale("o1:as9", 1, "x", Now));
        Assert.Equal(["o1:as1", "o1:as2"], order.View().AfterSaleCaseIds);
    }

    [Fact]
    public void An_outbox_written_by_the_previous_version_is_delivered_as_typed_messages()
    {
        var order = Paid();
        order.State.OutboxSequence = 7;
        order.State.LegacyOutbox =
        [
            new OutboxItem { Id = 6, Kind = OutboxKind.ReviewQueueDecided, Channel = "review", At = Now, Note = "Reject|admin-1" },
            new OutboxItem { Id = 7, Kind = OutboxKind.GatewayRefund, Channel = "gateway", Amount = 500, PaymentId = "pay-o1-1", RefundId = "rf-o1-1" },
        ];
        order.UpgradeLegacyOutbox();
        Assert.Empty(order.State.LegacyOutbox);
        Assert.Equal(new MarkReviewDecided(ReviewDecision.Reject, "admin-1", Now) { Seq = 6 }, order.State.Outbox[0]);
        Assert.Equal(new RefundAtGateway("pay-o1-1", "rf-o1-1", 500) { Seq = 7 }, order.State.Outbox[1]);
        order.Enqueue(new ReleaseRoomStock());
        Assert.Equal(8, order.State.Outbox[2].Seq);
    }

    // ---- webhook events ---------------------------------------------------------------------------

    [Fact]
    public void Every_public_transition_owes_one_webhook_event_in_the_same_outbox_with_a_per_order_sequence()
    {
        var order = Placed();
        order.State.ShippingAddress = new ShippingAddress("Ann", "13800000000", "Zhejiang", "Hangzhou", "Xihu", "1 West Lake Road");
        order.Pay(Attempt(10_000), Allow(), Now);
        order.Ship("m", "SF1", Carriers.Sandbox, Now);
        order.MarkDelivered(Now);
        order.ConfirmReceipt("b", Now);
        var events = Messages<RecordWebhookEvent>(order).Select(m => m.Event).ToList();
        Assert.Equal(["order.paid", "order.shipped", "order.delivered", "order.confirmed"], events.Select(e => e.Type));
        Assert.Equal([1L, 2, 3, 4], events.Select(e => e.ResourceSeq));
        Assert.Equal(["o1:1:order.paid", "o1:2:order.shipped", "o1:3:order.delivered", "o1:4:order.confirmed"], events.Select(e => e.EventId));
        Assert.All(events, e => Assert.Equal(("m", "o1", Now), (e.MerchantId, e.ResourceId, e.OccurredAt)));
        // Public fields only: the buyer, the address and the phone stay out of the payload.
        Assert.All(events, e => Assert.DoesNotContain("13800000000", e.Payload));
        Assert.All(events, e => Assert.DoesNotContain("West Lake", e.Payload));
        Assert.All(events, e => Assert.DoesNotContain("\"b\"", e.Payload));
        var paid = JsonDocument.Parse(events[0].Payload).RootElement;
        Assert.Equal("pay-o1-1", paid.GetProperty("paymentId").GetString());
        Assert.Equal("paid", paid.GetProperty("order").GetProperty("status").GetString());
        Assert.Equal("SF1", JsonDocument.Parse(events[1].Payload).RootElement.GetProperty("trackingNumber").GetString());
    }

    [Fact]
    public void A_refund_owes_an_order_refunded_event_and_a_refused_transition_owes_nothing()
    {
        var order = Paid();
        order.Refund(new RefundRequest("k1", 4000, "damaged", RefundInitiator.Merchant, "m"), Now);
        var refunded = Assert.Single(Messages<RecordWebhookEvent>(order)).Event;
        Assert.Equal(("order.refunded", 2L, "o1:2:order.refunded"), (refunded.Type, refunded.ResourceSeq, refunded.EventId));
        Assert.Equal(4000, JsonDocument.Parse(refunded.Payload).RootElement.GetProperty("refundAmount").GetInt64());
        order.State.Outbox.Clear();
        Refused(order, ErrorKind.Conflict, () => order.MarkDelivered(Now));
        Assert.Empty(order.State.Outbox);
    }

    [Fact]
    public void After_sale_cases_and_review_decisions_owe_webhook_events_in_the_orders_sequence()
    {
        var order = Paid();
        var opening = order.OpenAfterSale(Ask(AfterSaleKind.RefundOnly, 3000), Rules, Now).Opening;
        order.OpenAfterSale(Ask(AfterSaleKind.RefundOnly, 3000), Rules, Now); // a repeat owes nothing new
        order.SettleAfterSale(opening.CaseId, 3000, "after-sale damaged", Now);
        var events = Messages<RecordWebhookEvent>(order).Select(m => m.Event).ToList();
        Assert.Equal(["aftersale.opened", "order.refunded", "aftersale.closed"], events.Select(e => e.Type));
        Assert.Equal([2L, 3, 4], events.Select(e => e.ResourceSeq));
        Assert.Equal(3000, JsonDocument.Parse(events[2].Payload).RootElement.GetProperty("refundAmount").GetInt64());
        Assert.All(events, e => Assert.DoesNotContain("damaged", e.Payload));

        var held = Placed();
        held.State.RiskDecisions.Add(new RiskDecisionView(RiskVerdict.Review, ["price"], "placement", Now));
        held.Pay(Attempt(10_000), Allow(), Now);
        held.ResolveReview(new ReviewResolution(ReviewDecision.Reject, "admin-7", null), Now);
        var decided = Messages<RecordWebhookEvent>(held).Select(m => m.Event).ToList();
        Assert.Equal(["order.paid", "order.refunded", "risk.review_decided"], decided.Select(e => e.Type));
        Assert.Equal("reject", JsonDocument.Parse(decided[2].Payload).RootElement.GetProperty("decision").GetString());
        Assert.DoesNotContain("admin-7", decided[2].Payload);
    }
}
