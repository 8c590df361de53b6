using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Grains.Orders;

[GenerateSerializer]
public sealed class AfterSaleCaseState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public AfterSaleOpening? Opening { get; set; }
    [Id(2)] public AfterSaleStatus Status { get; set; }
    [Id(3)] public long? AmountOffered { get; set; }
    [Id(4)] public long AmountRefunded { get; set; }
    [Id(5)] public DateTimeOffset? Deadline { get; set; }
    [Id(6)] public string? ReturnCarrier { get; set; }
    [Id(7)] public string? ReturnTrackingNumber { get; set; }
    [Id(8)] public bool ArbitratedAgainstBuyer { get; set; }
    [Id(9)] public List<CaseStep> Timeline { get; set; } = [];
    /// <summary>The closing the order still has to carry out (persisted first, delivered after, retried until done).</summary>
    [Id(10)] public CaseSettlement? PendingSettlement { get; set; }
    /// <summary>When the carrier delivered the return parcel to the merchant (its receipt clock starts there).</summary>
    [Id(11)] public DateTimeOffset? ReturnDeliveredAt { get; set; }
}

/// <summary>What the order must do when the case closes: refund an amount (0 = close without a refund).</summary>
[GenerateSerializer, Immutable]
public sealed record CaseSettlement([property: Id(0)] long Amount, [property: Id(1)] string Reason);

/// <summary>
/// An after-sale case's state machine, without a silo. One guarded method per step; a refused step throws before
/// anything changes. Closing steps leave a <see cref="CaseSettlement"/> for the grain to carry to the order.
/// <code>
/// AwaitingMerchant ─approve (or deadline)─▶ Refunded                       (refund only / partial)
///        │         └approve (or deadline)─▶ AwaitingReturn ─ship back─▶ ReturnInTransit ─receipt (or deadline)─▶ Refunded
///        │                                        └deadline─▶ Closed
///        ├─offer part─▶ PartialOffered ─accept (or deadline)─▶ Refunded ; ─escalate─▶ InArbitration
///        └─reject─▶ Rejected ─escalate─▶ InArbitration ─admin─▶ Refunded | Closed (final)
///                       └deadline─▶ Closed            withdraw (buyer, before arbitration) ─▶ Closed
/// </code>
/// </summary>
public sealed class AfterSaleCase(string caseId, AfterSaleCaseState state, AfterSalePolicy policy)
{
    public AfterSaleCaseState State { get; } = state;
    private AfterSaleCaseState S => State;
    private AfterSaleOpening O => S.Opening!;
    private AfterSaleRequest R => O.Request;

    public static bool IsFinal(AfterSaleStatus status) => status is AfterSaleStatus.Refunded or AfterSaleStatus.Closed;

    /// <summary>The request's own rules (reason from the list, bounded text and evidence, positive amount).</summary>
    public static void Validate(AfterSaleRequest request, AfterSalePolicy policy)
    {
        if (!Enum.IsDefined(request.Kind)) throw DomainException.Invalid("kind", "kind must be refundOnly, returnAndRefund or partialRefund.");
        if (!AfterSaleReasons.IsKnown(request.ReasonCode))
            throw DomainException.Invalid("reasonCode", $"reasonCode must be one of {string.Join(", ", AfterSaleReasons.All)}.");
        if (Text.Problem(request.Description, policy.MaxDescriptionLength, required: false) is { } problem)
            throw DomainException.Invalid("description", $"description {problem}.");
        if (request.Evidence.Count > policy.MaxEvidence) throw DomainException.Invalid("evidence", $"evidence has at most {policy.MaxEvidence} images.");
        foreach (var url in request.Evidence)
            if (url is null || url.Length > policy.MaxEvidenceUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
                throw DomainException.Invalid("evidence", $"evidence holds https image URLs of at most {policy.MaxEvidenceUrlLength} characters.");
        if (request.Amount <= 0) throw DomainException.Invalid("amount", "amount must be positive.");
    }

    public void RequireExists()
    {
        if (!S.Exists) throw DomainException.NotFound("after-sale case", caseId);
    }

    /// <summary>Creates the case; false when it exists already (the order's outbox and its caller both open it).</summary>
    public bool Open(AfterSaleOpening opening)
    {
        if (S.Exists)
        {
            if (O.OrderId != opening.OrderId) throw DomainException.Conflict("after_sale.id_reused", "This case id belongs to another order.");
            return false;
        }
        Validate(opening.Request, policy);
        S.Exists = true;
        S.Opening = opening;
        S.Status = AfterSaleStatus.AwaitingMerchant;
        S.Deadline = opening.OpenedAt + policy.MerchantAnswerWindow;
        Step(opening.OpenedAt, CaseActor.Buyer, opening.BuyerId, "opened", opening.Request.Amount, opening.Request.Description);
        return true;
    }

    public void Approve(string merchantId, DateTimeOffset now)
    {
        RequireMerchant(merchantId);
        if (Repeats(merchantId, "approved")) return;
        RequireStatus("approve", AfterSaleStatus.AwaitingMerchant);
        Approved(now, CaseActor.Merchant, merchantId, "approved");
    }

    private void Approved(DateTimeOffset now, CaseActor actor, string actorId, string action)
    {
        if (R.Kind == AfterSaleKind.ReturnAndRefund)
        {
            S.Status = AfterSaleStatus.AwaitingReturn;
            S.Deadline = now + policy.ReturnShipWindow;
            Step(now, actor, actorId, action, null, null);
            return;
        }
        Refund(now, actor, actorId, action, R.Amount);
    }

    public void Reject(string merchantId, string reason, DateTimeOffset now)
    {
        RequireMerchant(merchantId);
        var why = Text.Require(reason, "reason", 500);
        if (Repeats(merchantId, "rejected", note: why)) return;
        RequireStatus("reject", AfterSaleStatus.AwaitingMerchant);
        S.Status = AfterSaleStatus.Rejected;
        S.Deadline = now + policy.BuyerAnswerWindow;
        Step(now, CaseActor.Merchant, merchantId, "rejected", null, why);
    }

    public void OfferPartial(string merchantId, long amount, DateTimeOffset now)
    {
        RequireMerchant(merchantId);
        if (amount <= 0 || amount >= R.Amount)
            throw DomainException.Invalid("amount", $"A partial offer is between 1 and {R.Amount - 1} fen (less than requested).");
        if (Repeats(merchantId, "offered_partial", amount)) return;
        RequireStatus("offer a partial refund on", AfterSaleStatus.AwaitingMerchant);
        S.Status = AfterSaleStatus.PartialOffered;
        S.AmountOffered = amount;
        S.Deadline = now + policy.BuyerAnswerWindow;
        Step(now, CaseActor.Merchant, merchantId, "offered_partial", amount, null);
    }

    public void AcceptOffer(string buyerId, DateTimeOffset now)
    {
        RequireBuyer(buyerId);
        if (Repeats(buyerId, "accepted_offer")) return;
        RequireStatus("accept an offer on", AfterSaleStatus.PartialOffered);
        Refund(now, CaseActor.Buyer, buyerId, "accepted_offer", S.AmountOffered!.Value);
    }

    public void Withdraw(string buyerId, DateTimeOffset now)
    {
        RequireBuyer(buyerId);
        if (Repeats(buyerId, "withdrawn")) return;
        RequireStatus("withdraw", AfterSaleStatus.AwaitingMerchant, AfterSaleStatus.PartialOffered, AfterSaleStatus.AwaitingReturn, AfterSaleStatus.Rejected);
        Close(now, CaseActor.Buyer, buyerId, "withdrawn", null);
    }

    public void ShipReturn(string buyerId, string carrier, string trackingNumber, DateTimeOffset now)
    {
        RequireBuyer(buyerId);
        if (!Carriers.IsKnown(carrier)) throw DomainException.Invalid("carrier", $"carrier must be one of {string.Join(", ", Carriers.All)}.");
        var tracking = Text.Require(trackingNumber, "trackingNumber", 64);
        if (Repeats(buyerId, "return_shipped", note: $"{carrier} {tracking}")) return;
        RequireStatus("ship a return on", AfterSaleStatus.AwaitingReturn);
        S.Status = AfterSaleStatus.ReturnInTransit;
        S.ReturnCarrier = carrier;
        S.ReturnTrackingNumber = tracking;
        // Until the carrier reports the delivery: a fallback, so a parcel never reported still ends in a refund.
        S.Deadline = now + policy.ReturnTransitAllowance + policy.ReturnReceiptWindow;
        Step(now, CaseActor.Buyer, buyerId, "return_shipped", null, $"{carrier} {tracking}");
    }

    /// <summary>
    /// The carrier delivered the return parcel: the merchant's receipt clock runs from the delivery. True when it
    /// changed the case; false for a repeat, an event other than a delivery, or a case no longer waiting for its return.
    /// </summary>
    public bool ReturnLogistics(LogisticsEvent e, DateTimeOffset now)
    {
        RequireExists();
        if (S.ReturnCarrier is null || e.Carrier != S.ReturnCarrier || e.TrackingNumber != S.ReturnTrackingNumber)
            throw DomainException.Invalid("trackingNumber", "The event names another parcel than the case's return.");
        if (e.Status != LogisticsStatus.Delivered || S.Status != AfterSaleStatus.ReturnInTransit || S.ReturnDeliveredAt is not null) return false;
        S.ReturnDeliveredAt = e.OccurredAt;
        S.Deadline = e.OccurredAt + policy.ReturnReceiptWindow;
        Step(now, CaseActor.System, e.Carrier, "return_delivered", null, e.TrackingNumber);
        return true;
    }

    public void ConfirmReturn(string merchantId, DateTimeOffset now)
    {
        RequireMerchant(merchantId);
        if (Repeats(merchantId, "return_received")) return;
        RequireStatus("confirm the return on", AfterSaleStatus.ReturnInTransit);
        Refund(now, CaseActor.Merchant, merchantId, "return_received", R.Amount);
    }

    public void Escalate(string buyerId, DateTimeOffset now)
    {
        RequireBuyer(buyerId);
        if (Repeats(buyerId, "escalated")) return;
        RequireStatus("escalate", AfterSaleStatus.Rejected, AfterSaleStatus.PartialOffered);
        S.Status = AfterSaleStatus.InArbitration;
        S.Deadline = null; // the platform decides; no clock closes an arbitration
        Step(now, CaseActor.Buyer, buyerId, "escalated", null, null);
    }

    /// <summary>The platform's decision: all, part or none of the amount requested; final.</summary>
    public void Arbitrate(Arbitration decision, DateTimeOffset now)
    {
        RequireExists();
        Ids.Require(decision.AdminId, "adminId");
        var note = Text.Require(decision.Note, "note", 500);
        var amount = decision.Outcome switch
        {
            ArbitrationOutcome.RefundAll => R.Amount,
            ArbitrationOutcome.RefundPart when decision.Amount is > 0 and var a && a < R.Amount => a,
            ArbitrationOutcome.RefundPart => throw DomainException.Invalid("amount", $"A partial decision refunds between 1 and {R.Amount - 1} fen."),
            ArbitrationOutcome.RefundNone => 0L,
            _ => throw DomainException.Invalid("outcome", "outcome must be refundAll, refundPart or refundNone."),
        };
        var action = amount == 0 ? "arbitrated_none" : decision.Outcome == ArbitrationOutcome.RefundAll ? "arbitrated_all" : "arbitrated_part";
        if (Repeats(decision.AdminId, action, amount == 0 ? null : amount, note)) return;
        RequireStatus("arbitrate", AfterSaleStatus.InArbitration);
        if (amount == 0)
        {
            S.ArbitratedAgainstBuyer = true;
            Close(now, CaseActor.Admin, decision.AdminId, action, note);
            return;
        }
        Refund(now, CaseActor.Admin, decision.AdminId, action, amount, note);
    }

    /// <summary>Acts on a passed deadline; true when it did. The merchant's silence approves, the buyer's closes.</summary>
    public bool RunDeadline(DateTimeOffset now)
    {
        if (!S.Exists || S.Deadline is not { } due || now < due) return false;
        switch (S.Status)
        {
            case AfterSaleStatus.AwaitingMerchant: Approved(now, CaseActor.System, "system", "auto_approved"); break;
            case AfterSaleStatus.AwaitingReturn: Close(now, CaseActor.System, "system", "return_not_shipped", null); break;
            case AfterSaleStatus.ReturnInTransit: Refund(now, CaseActor.System, "system", "return_auto_received", R.Amount); break;
            // The merchant agreed to pay the offer; a buyer who neither accepts nor escalates gets it.
            case AfterSaleStatus.PartialOffered: Refund(now, CaseActor.System, "system", "offer_auto_accepted", S.AmountOffered!.Value); break;
            case AfterSaleStatus.Rejected: Close(now, CaseActor.System, "system", "not_escalated", null); break;
            default: return false;
        }
        return true;
    }

    /// <summary>The order refunded <paramref name="refunded"/> fen for this case (less than decided if the order had less left).</summary>
    public void Settled(long refunded)
    {
        S.AmountRefunded = refunded;
        S.PendingSettlement = null;
    }

    private void Refund(DateTimeOffset now, CaseActor actor, string actorId, string action, long amount, string? note = null)
    {
        S.Status = AfterSaleStatus.Refunded;
        S.Deadline = null;
        S.PendingSettlement = new CaseSettlement(amount, $"after-sale {R.ReasonCode}");
        Step(now, actor, actorId, action, amount, note);
    }

    private void Close(DateTimeOffset now, CaseActor actor, string actorId, string action, string? note)
    {
        S.Status = AfterSaleStatus.Closed;
        S.Deadline = null;
        S.PendingSettlement = new CaseSettlement(0, $"after-sale {R.ReasonCode}");
        Step(now, actor, actorId, action, null, note);
    }

    /// <summary>
    /// Whether the case's last step is this very step by this actor (a repeat of a request whose answer was lost): a
    /// repeat changes nothing and answers the case as it is, so every step is safe to retry. Anything else after the
    /// step (another party's answer, a deadline) makes a repeat a refused step again.
    /// </summary>
    private bool Repeats(string actorId, string action, long? amount = null, string? note = null) =>
        S.Timeline.Count > 0 && S.Timeline[^1] is var last && last.ActorId == actorId && last.Action == action
        && (amount is null || last.Amount == amount) && (note is null || last.Note == note);

    private void Step(DateTimeOffset at, CaseActor actor, string actorId, string action, long? amount, string? note) =>
        S.Timeline.Add(new CaseStep(at, actor, actorId, action, S.Status, amount, note));

    private void RequireBuyer(string buyerId)
    {
        RequireExists();
        if (buyerId != O.BuyerId) throw DomainException.Forbidden("This is another buyer's case.");
    }

    private void RequireMerchant(string merchantId)
    {
        RequireExists();
        if (merchantId != O.MerchantId) throw DomainException.Forbidden("This case is about another merchant's order.");
    }

    private void RequireStatus(string action, params AfterSaleStatus[] allowed)
    {
        RequireExists();
        if (!allowed.Contains(S.Status))
            throw DomainException.Conflict("after_sale.illegal_step", $"Cannot {action} a case that is {S.Status}.", S.Status.ToString());
    }

    /// <summary>The event every step publishes (merchant, streamer and platform streams).</summary>
    public AfterSaleCaseChanged Changed(DateTimeOffset at) =>
        new(caseId, O.OrderId, O.BuyerId, O.MerchantId, O.StreamerId, O.RoomId, O.ProductId, R.Kind, S.Status, R.ReasonCode, R.Amount,
            S.AmountRefunded, S.ArbitratedAgainstBuyer, at);

    public AfterSaleCaseView View()
    {
        RequireExists();
        return new AfterSaleCaseView(caseId, O.OrderId, O.BuyerId, O.MerchantId, R.Kind, S.Status, R.ReasonCode, R.Description, R.Evidence,
            R.Amount, S.AmountOffered, S.AmountRefunded, O.OpenedAt, S.Deadline, S.ReturnCarrier, S.ReturnTrackingNumber, S.ArbitratedAgainstBuyer,
            S.Timeline.ToList());
    }
}
