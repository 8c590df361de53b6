using System.Text.Json;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Orders;
using Microsoft.Extensions.Time.Testing;

namespace LiveCommerce.Tests.Domain;

/// <summary>The after-sale case's state machine without a silo: every step, its guards, and its deadlines on a fake clock.</summary>
public sealed class AfterSaleCaseTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
    private static readonly AfterSalePolicy Policy = new();
    private DateTimeOffset Now => _clock.GetUtcNow();

    private AfterSaleCase Opened(AfterSaleKind kind = AfterSaleKind.ReturnAndRefund, long amount = 6000)
    {
        var c = new AfterSaleCase("o1:as1", new AfterSaleCaseState(), Policy);
        var request = new AfterSaleRequest("b", "k1", kind, "damaged", "cracked lid", ["https://img.example/1.jpg", "https://img.example/2.jpg"], amount);
        Assert.True(c.Open(new AfterSaleOpening("o1:as1", "o1", "b", "m", "s", "r", "p", request, Now)));
        return c;
    }

    private static DomainException Refused(AfterSaleCase c, ErrorKind kind, Action step)
    {
        var before = JsonSerializer.Serialize(c.State);
        var e = Assert.Throws<DomainException>(step);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(before, JsonSerializer.Serialize(c.State));
        return e;
    }

    [Fact]
    public void Opening_sets_the_merchants_deadline_and_a_repeat_changes_nothing()
    {
        var c = Opened();
        Assert.Equal((AfterSaleStatus.AwaitingMerchant, Now + Policy.MerchantAnswerWindow), (c.State.Status, c.State.Deadline));
        Assert.False(c.Open(c.State.Opening!));
        Assert.Equal(("opened", CaseActor.Buyer), (Assert.Single(c.State.Timeline).Action, c.State.Timeline[0].Actor));
        Assert.Equal(2, c.View().Evidence.Count);
        Assert.Equal((AfterSaleStatus.AwaitingMerchant, "damaged", 6000L), (c.Changed(Now).Status, c.Changed(Now).ReasonCode, c.Changed(Now).AmountRequested));
        var unknown = new AfterSaleCase("x", new AfterSaleCaseState(), Policy);
        Refused(unknown, ErrorKind.NotFound, () => unknown.Approve("m", Now));
    }

    [Fact]
    public void Approving_a_refund_only_case_closes_it_with_the_amount_requested()
    {
        var c = Opened(AfterSaleKind.RefundOnly, 2500);
        Refused(c, ErrorKind.Forbidden, () => c.Approve("other", Now));
        c.Approve("m", Now);
        Assert.Equal((AfterSaleStatus.Refunded, (DateTimeOffset?)null), (c.State.Status, c.State.Deadline));
        Assert.Equal(2500, c.State.PendingSettlement!.Amount);
        c.Settled(2500);
        Assert.Equal((2500L, (CaseSettlement?)null), (c.State.AmountRefunded, c.State.PendingSettlement));
        Unchanged(c, () => c.Approve("m", Now)); // the merchant's repeat (its answer was lost) changes nothing
        var e = Refused(c, ErrorKind.Conflict, () => c.Reject("m", "changed my mind", Now));
        Assert.Equal(("after_sale.illegal_step", "Refunded"), (e.Code, e.CurrentState));
        Refused(c, ErrorKind.Conflict, () => c.Escalate("b", Now));
    }

    private static void Unchanged(AfterSaleCase c, Action step)
    {
        var before = JsonSerializer.Serialize(c.State);
        step();
        Assert.Equal(before, JsonSerializer.Serialize(c.State));
    }

    [Fact]
    public void Every_step_repeated_by_its_party_with_the_same_data_changes_nothing_and_otherwise_is_refused()
    {
        var c = Opened();
        c.Reject("m", "the lid was fine", Now);
        Unchanged(c, () => c.Reject("m", "the lid was fine", Now));
        Refused(c, ErrorKind.Conflict, () => c.Reject("m", "another reason", Now)); // other data: not a repeat
        Refused(c, ErrorKind.Conflict, () => c.Approve("m", Now));
        c.Escalate("b", Now);
        Unchanged(c, () => c.Escalate("b", Now));
        var half = new Arbitration("admin", ArbitrationOutcome.RefundPart, 3000, "half");
        c.Arbitrate(half, Now);
        Unchanged(c, () => c.Arbitrate(half, Now));
        Refused(c, ErrorKind.Conflict, () => c.Arbitrate(half with { Amount = 2000 }, Now));
        Refused(c, ErrorKind.Conflict, () => c.Arbitrate(half with { AdminId = "admin2" }, Now));

        var r = Opened();
        r.OfferPartial("m", 2000, Now);
        Unchanged(r, () => r.OfferPartial("m", 2000, Now));
        Refused(r, ErrorKind.Conflict, () => r.OfferPartial("m", 1000, Now));
        r.AcceptOffer("b", Now);
        Unchanged(r, () => r.AcceptOffer("b", Now));

        var t = Opened();
        t.Approve("m", Now);
        Unchanged(t, () => t.Approve("m", Now));
        t.ShipReturn("b", Carriers.Sandbox, "RET1", Now);
        Unchanged(t, () => t.ShipReturn("b", Carriers.Sandbox, "RET1", Now));
        Refused(t, ErrorKind.Conflict, () => t.ShipReturn("b", Carriers.Sandbox, "RET2", Now));
        Refused(t, ErrorKind.Conflict, () => t.Approve("m", Now)); // the buyer acted since: the approval is no longer the last step
        t.ConfirmReturn("m", Now);
        Unchanged(t, () => t.ConfirmReturn("m", Now));

        var w = Opened();
        w.Withdraw("b", Now);
        Unchanged(w, () => w.Withdraw("b", Now));
        Refused(w, ErrorKind.Forbidden, () => w.Withdraw("other", Now)); // a repeat is recognised only after the party is checked
    }

    [Fact]
    public void A_return_is_shipped_back_then_received_and_refunded()
    {
        var c = Opened();
        c.Approve("m", Now);
        Assert.Equal((AfterSaleStatus.AwaitingReturn, Now + Policy.ReturnShipWindow), (c.State.Status, c.State.Deadline));
        Assert.Null(c.State.PendingSettlement);
        Refused(c, ErrorKind.Conflict, () => c.ConfirmReturn("m", Now));
        Assert.Equal("carrier", Refused(c, ErrorKind.Validation, () => c.ShipReturn("b", "pigeon", "X1", Now)).Field);
        Refused(c, ErrorKind.Forbidden, () => c.ShipReturn("other", Carriers.Sandbox, "X1", Now));

        _clock.Advance(TimeSpan.FromDays(2));
        c.ShipReturn("b", Carriers.Sandbox, "RET1", Now);
        Assert.Equal((AfterSaleStatus.ReturnInTransit, Now + Policy.ReturnTransitAllowance + Policy.ReturnReceiptWindow, "RET1"),
            (c.State.Status, c.State.Deadline, c.State.ReturnTrackingNumber));
        Refused(c, ErrorKind.Forbidden, () => c.ConfirmReturn("other", Now));
        c.ConfirmReturn("m", Now);
        Assert.Equal((AfterSaleStatus.Refunded, 6000L), (c.State.Status, c.State.PendingSettlement!.Amount));
        Assert.Equal(["opened", "approved", "return_shipped", "return_received"], c.State.Timeline.Select(s => s.Action));
        Assert.Equal([CaseActor.Buyer, CaseActor.Merchant, CaseActor.Buyer, CaseActor.Merchant], c.State.Timeline.Select(s => s.Actor));
    }

    [Fact]
    public void The_merchants_silence_approves_automatically_at_the_deadline()
    {
        var refundOnly = Opened(AfterSaleKind.RefundOnly, 1000);
        Assert.False(refundOnly.RunDeadline(Now + Policy.MerchantAnswerWindow - TimeSpan.FromSeconds(1)));
        Assert.Equal(AfterSaleStatus.AwaitingMerchant, refundOnly.State.Status);
        Assert.True(refundOnly.RunDeadline(Now + Policy.MerchantAnswerWindow));
        Assert.Equal((AfterSaleStatus.Refunded, 1000L), (refundOnly.State.Status, refundOnly.State.PendingSettlement!.Amount));
        Assert.Equal((CaseActor.System, "auto_approved"), (refundOnly.State.Timeline[^1].Actor, refundOnly.State.Timeline[^1].Action));
        Assert.False(refundOnly.RunDeadline(Now + TimeSpan.FromDays(30))); // closed: nothing more is due

        var ret = Opened();
        ret.RunDeadline(Now + Policy.MerchantAnswerWindow);
        Assert.Equal(AfterSaleStatus.AwaitingReturn, ret.State.Status);
    }

    [Fact]
    public void A_return_not_shipped_in_time_closes_without_a_refund()
    {
        var c = Opened();
        c.Approve("m", Now);
        Assert.False(c.RunDeadline(Now + Policy.ReturnShipWindow - TimeSpan.FromMinutes(1)));
        Assert.True(c.RunDeadline(Now + Policy.ReturnShipWindow));
        Assert.Equal((AfterSaleStatus.Closed, 0L), (c.State.Status, c.State.PendingSettlement!.Amount));
        Assert.Equal("return_not_shipped", c.State.Timeline[^1].Action);
        Refused(c, ErrorKind.Conflict, () => c.ShipReturn("b", Carriers.Sandbox, "late", Now));
    }

    [Fact]
    public void A_return_the_merchant_does_not_confirm_is_received_automatically_ten_days_after_its_delivery()
    {
        var c = Opened();
        c.Approve("m", Now);
        var shipped = Now;
        c.ShipReturn("b", Carriers.Sandbox, "RET1", Now);
        var delivered = shipped + TimeSpan.FromDays(4);
        LogisticsEvent Event(string id, LogisticsStatus status, string tracking = "RET1") =>
            new(id, Carriers.Sandbox, tracking, status, delivered, "Hangzhou", null);

        Assert.Equal("trackingNumber", Refused(c, ErrorKind.Validation, () => c.ReturnLogistics(Event("e0", LogisticsStatus.Delivered, "OTHER"), Now)).Field);
        Assert.False(c.ReturnLogistics(Event("e1", LogisticsStatus.InTransit), Now)); // only the delivery moves the clock
        _clock.Advance(TimeSpan.FromDays(4));
        Assert.True(c.ReturnLogistics(Event("e2", LogisticsStatus.Delivered), Now));
        Assert.False(c.ReturnLogistics(Event("e2", LogisticsStatus.Delivered), Now)); // a repeat
        Assert.Equal((delivered + Policy.ReturnReceiptWindow, delivered), (c.State.Deadline, c.State.ReturnDeliveredAt));
        Assert.Equal(("return_delivered", CaseActor.System), (c.State.Timeline[^1].Action, c.State.Timeline[^1].Actor));

        // Ten days after shipping is no longer the clock: ten days after the delivery is.
        Assert.False(c.RunDeadline(shipped + Policy.ReturnReceiptWindow));
        Assert.False(c.RunDeadline(delivered + Policy.ReturnReceiptWindow - TimeSpan.FromMinutes(1)));
        Assert.True(c.RunDeadline(delivered + Policy.ReturnReceiptWindow));
        Assert.Equal((AfterSaleStatus.Refunded, 6000L), (c.State.Status, c.State.PendingSettlement!.Amount));
        Assert.Equal("return_auto_received", c.State.Timeline[^1].Action);
        Assert.False(c.ReturnLogistics(Event("e3", LogisticsStatus.Delivered), Now)); // closed: nothing more
    }

    [Fact]
    public void A_return_whose_carrier_never_reports_its_delivery_is_received_after_the_transit_allowance()
    {
        var c = Opened();
        c.Approve("m", Now);
        c.ShipReturn("b", Carriers.Sandbox, "RET1", Now);
        var due = Now + Policy.ReturnTransitAllowance + Policy.ReturnReceiptWindow;
        Assert.False(c.RunDeadline(due - TimeSpan.FromMinutes(1)));
        Assert.True(c.RunDeadline(due));
        Assert.Equal(("return_auto_received", AfterSaleStatus.Refunded), (c.State.Timeline[^1].Action, c.State.Status));
    }

    [Fact]
    public void A_rejected_case_is_escalated_and_arbitrated_finally()
    {
        var c = Opened();
        Assert.Equal("reason", Refused(c, ErrorKind.Validation, () => c.Reject("m", " ", Now)).Field);
        c.Reject("m", "the lid was fine when it left", Now);
        Assert.Equal((AfterSaleStatus.Rejected, Now + Policy.BuyerAnswerWindow), (c.State.Status, c.State.Deadline));
        Refused(c, ErrorKind.Conflict, () => c.Arbitrate(new Arbitration("admin", ArbitrationOutcome.RefundAll, null, "x"), Now));
        Refused(c, ErrorKind.Forbidden, () => c.Escalate("other", Now));
        c.Escalate("b", Now);
        Assert.Equal((AfterSaleStatus.InArbitration, (DateTimeOffset?)null), (c.State.Status, c.State.Deadline));
        Assert.False(c.RunDeadline(Now + TimeSpan.FromDays(365))); // no clock closes an arbitration
        Refused(c, ErrorKind.Conflict, () => c.Withdraw("b", Now));
        Assert.Equal("amount", Refused(c, ErrorKind.Validation, () => c.Arbitrate(new Arbitration("admin", ArbitrationOutcome.RefundPart, 6000, "half"), Now)).Field);
        Assert.Equal("amount", Refused(c, ErrorKind.Validation, () => c.Arbitrate(new Arbitration("admin", ArbitrationOutcome.RefundPart, null, "half"), Now)).Field);

        c.Arbitrate(new Arbitration("admin", ArbitrationOutcome.RefundPart, 2500, "lid damaged, jar fine"), Now);
        Assert.Equal((AfterSaleStatus.Refunded, 2500L, false), (c.State.Status, c.State.PendingSettlement!.Amount, c.State.ArbitratedAgainstBuyer));
        Assert.Equal((CaseActor.Admin, "arbitrated_part"), (c.State.Timeline[^1].Actor, c.State.Timeline[^1].Action));
        Refused(c, ErrorKind.Conflict, () => c.Arbitrate(new Arbitration("admin", ArbitrationOutcome.RefundAll, null, "again"), Now));
    }

    [Fact]
    public void Arbitration_against_the_buyer_closes_without_money_and_is_marked()
    {
        var c = Opened();
        c.Reject("m", "used", Now);
        c.Escalate("b", Now);
        c.Arbitrate(new Arbitration("admin", ArbitrationOutcome.RefundNone, null, "photos show wear"), Now);
        Assert.Equal((AfterSaleStatus.Closed, 0L, true), (c.State.Status, c.State.PendingSettlement!.Amount, c.State.ArbitratedAgainstBuyer));
        Assert.True(c.Changed(Now).ArbitratedAgainstBuyer);
    }

    [Fact]
    public void A_rejection_not_escalated_in_time_closes()
    {
        var c = Opened();
        c.Reject("m", "used", Now);
        Assert.True(c.RunDeadline(Now + Policy.BuyerAnswerWindow));
        Assert.Equal((AfterSaleStatus.Closed, "not_escalated"), (c.State.Status, c.State.Timeline[^1].Action));
    }

    [Fact]
    public void A_partial_offer_is_accepted_escalated_or_taken_at_the_deadline()
    {
        var c = Opened(AfterSaleKind.PartialRefund, 6000);
        Assert.Equal("amount", Refused(c, ErrorKind.Validation, () => c.OfferPartial("m", 6000, Now)).Field);
        Assert.Equal("amount", Refused(c, ErrorKind.Validation, () => c.OfferPartial("m", 0, Now)).Field);
        c.OfferPartial("m", 4000, Now);
        Assert.Equal((AfterSaleStatus.PartialOffered, 4000L), (c.State.Status, c.State.AmountOffered!.Value));
        Refused(c, ErrorKind.Forbidden, () => c.AcceptOffer("other", Now));
        c.AcceptOffer("b", Now);
        Assert.Equal((AfterSaleStatus.Refunded, 4000L), (c.State.Status, c.State.PendingSettlement!.Amount));

        var escalated = Opened(AfterSaleKind.PartialRefund, 6000);
        escalated.OfferPartial("m", 1000, Now);
        escalated.Escalate("b", Now);
        Assert.Equal(AfterSaleStatus.InArbitration, escalated.State.Status);

        var silent = Opened(AfterSaleKind.PartialRefund, 6000);
        silent.OfferPartial("m", 3000, Now);
        Assert.True(silent.RunDeadline(Now + Policy.BuyerAnswerWindow));
        Assert.Equal((AfterSaleStatus.Refunded, 3000L), (silent.State.Status, silent.State.PendingSettlement!.Amount));
    }

    [Fact]
    public void The_buyer_may_withdraw_before_arbitration()
    {
        var c = Opened();
        Refused(c, ErrorKind.Forbidden, () => c.Withdraw("other", Now));
        c.Withdraw("b", Now);
        Assert.Equal((AfterSaleStatus.Closed, 0L, "withdrawn"), (c.State.Status, c.State.PendingSettlement!.Amount, c.State.Timeline[^1].Action));
        Unchanged(c, () => c.Withdraw("b", Now)); // a repeat of the withdrawal
        Refused(c, ErrorKind.Conflict, () => c.Escalate("b", Now));
    }
}

public sealed class AfterSaleCountersTests
{
    private static AfterSaleCaseChanged Step(string caseId, AfterSaleStatus status, string reason = "damaged", long refunded = 0, bool against = false,
        AfterSaleKind kind = AfterSaleKind.ReturnAndRefund) =>
        new(caseId, "o", "b", "m", "s", "r", "p", kind, status, reason, 5000, refunded, against, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Outcomes_are_counted_by_reason_and_the_refund_rate_is_per_paid_order()
    {
        var counters = new LiveCommerce.Grains.Analytics.AfterSaleCounters();
        counters.Apply(Step("c1", AfterSaleStatus.AwaitingMerchant));
        counters.Apply(Step("c1", AfterSaleStatus.Refunded, refunded: 5000));
        counters.Apply(Step("c2", AfterSaleStatus.AwaitingMerchant));
        counters.Apply(Step("c2", AfterSaleStatus.InArbitration));
        counters.Apply(Step("c2", AfterSaleStatus.Closed, against: true));
        counters.Apply(Step("c3", AfterSaleStatus.AwaitingMerchant, reason: "not_received", kind: AfterSaleKind.RefundOnly));
        counters.Apply(Step("c3", AfterSaleStatus.Refunded, reason: "not_received", refunded: 1200, kind: AfterSaleKind.RefundOnly));
        counters.Apply(Step("c4", AfterSaleStatus.AwaitingMerchant, reason: "made-up"));

        var rows = counters.Rows(paidOrders: 10).ToDictionary(r => r.ReasonCode);
        Assert.Equal(["damaged", "not_received", "other"], rows.Keys);
        Assert.Equal((2L, 1L, 1L, 1L, 5000L, 1L, 1L, 0.1), (rows["damaged"].Opened, rows["damaged"].Escalated, rows["damaged"].Refunded, rows["damaged"].Returned,
            rows["damaged"].RefundedAmount, rows["damaged"].ClosedWithoutRefund, rows["damaged"].ArbitratedAgainstBuyer, rows["damaged"].RefundRate));
        Assert.Equal((1L, 0L, 1200L), (rows["not_received"].Refunded, rows["not_received"].Returned, rows["not_received"].RefundedAmount));
        Assert.Equal(1, rows["other"].Opened);
        Assert.Equal(0, counters.Rows(paidOrders: 0).Single(r => r.ReasonCode == "damaged").RefundRate);
    }
}
