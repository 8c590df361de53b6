using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Payments.Splits;

namespace LiveCommerce.Grains.Orders;

/// <summary>
/// The order's state machine, without a silo: one guarded method per transition. A guard refuses with a
/// <see cref="DomainException"/> before anything changes; a transition changes <see cref="State"/> and enqueues the
/// typed messages it owes (<see cref="OrderMessage"/>). The grain loads, persists, delivers the outbox and publishes.
/// <code>
/// PendingPayment ─pay─▶ Paid ─ship─▶ Shipped ─delivered─▶ Delivered ─confirm─▶ Confirmed ─all shares settled─▶ Settled
///       │ cancel/expire                 └──────────────confirm (auto after shipping)──────────▲
///       ▼                     refund of every fen remaining (from Paid … Settled) ─▶ Refunded
///   Cancelled
/// </code>
/// </summary>
public sealed class OrderLifecycle(string orderId, OrderState state, OrderPolicy policy)
{
    /// <summary>Most tracking events kept per order (a parcel has a dozen; a misbehaving carrier cannot grow the record).</summary>
    public const int MaxTrackingEvents = 64;

    public OrderState State { get; } = state;
    private OrderState S => State;

    // ---- guards -------------------------------------------------------------------------------

    public void RequireExists()
    {
        if (!S.Exists) throw DomainException.NotFound("order", orderId);
    }

    public void RequireBuyer(string buyerId)
    {
        if (buyerId != S.BuyerId) throw DomainException.Forbidden("This is another buyer's order.");
    }

    private void RequireStatus(string action, params OrderStatus[] allowed)
    {
        if (!allowed.Contains(S.Status))
            throw DomainException.Conflict("order.illegal_transition", $"Cannot {action} an order that is {S.Status}.", S.Status.ToString());
    }

    // ---- payment ------------------------------------------------------------------------------

    /// <summary>An unpaid order past its deadline is cancelled as expired; true when that happened now.</summary>
    /// <param name="releaseStock">False when the room releases the units itself (its own sweep asked).</param>
    public bool ExpireIfDue(DateTimeOffset now, bool releaseStock)
    {
        if (S.Status != OrderStatus.PendingPayment || now < S.PaymentDeadline) return false;
        Cancelled(now, CancelReason.PaymentExpired);
        if (releaseStock) Enqueue(new ReleaseRoomStock());
        return true;
    }

    /// <summary>The room released the line on its own sweep before the order wrote anything: the order expired then.</summary>
    public void AdoptReleasedLine(DateTimeOffset expiredAt) => Cancelled(expiredAt, CancelReason.PaymentExpired);

    public void RequirePayable()
    {
        if (S.Status != OrderStatus.PendingPayment)
            throw DomainException.Conflict("order.not_payable", $"The order is {S.Status}; only a pending order can be paid.", S.Status.ToString());
    }

    /// <summary>
    /// Money this order does not keep (cancelled first, already paid by another payment, or another amount than asked)
    /// is returned in full.
    /// </summary>
    public void RefundUnkeptPayment(PaymentAttempt attempt, long captured)
    {
        attempt.RefundedInFull = true;
        S.ExtraPaymentsRefunded = checked(S.ExtraPaymentsRefunded + captured);
        Enqueue(new RefundAtGateway(attempt.PaymentId, $"rf-{attempt.PaymentId}-full", captured));
    }

    /// <summary>
    /// The payment pays the order: escrow credits every party (on hold when risk asked for review), or, when risk
    /// rejects at payment, the order is cancelled and the money returned. Returns the event to publish.
    /// </summary>
    public OrderEventKind Pay(PaymentAttempt attempt, RiskDecisionView decision, DateTimeOffset now)
    {
        RequirePayable();
        if (decision.Verdict == RiskVerdict.Reject)
        {
            S.PaidAmount = 0;
            Cancelled(now, CancelReason.RiskRejected);
            S.RiskDecisions.Add(decision);
            Enqueue(new ReleaseRoomStock());
            RefundUnkeptPayment(attempt, attempt.Captured);
            return OrderEventKind.Cancelled;
        }

        S.PaidAmount = attempt.Captured;
        S.PaidPaymentId = attempt.PaymentId;
        S.PaidAt = now;
        S.Status = OrderStatus.Paid;
        S.RiskDecisions.Add(decision);
        // Review at placement or at payment: the money stays in escrow on hold until an admin decides.
        S.OnHold = S.RiskDecisions.Any(d => d.Verdict == RiskVerdict.Review && d.Stage is "placement" or "payment");
        if (S.OnHold) Enqueue(new AddToReviewQueue(S.PaidAmount, now));

        var parts = SplitCalculator.Split(S.PaidAmount, S.Plan!);
        S.Lines = S.Plan!.Shares.Select((share, i) => new SplitLine
        {
            Role = share.Role,
            AccountId = share.AccountId,
            Level = share.Level,
            BasisPoints = share.BasisPoints,
            Amount = parts[i],
            Status = S.OnHold ? ShareStatus.OnHold : ShareStatus.Pending,
        }).ToList();

        Enqueue(new CommitRoomSale(S.PaidAmount));
        foreach (var line in S.Lines.Where(l => l.Amount > 0))
            Post(line, S.OnHold ? PostingKind.CreditOnHold : PostingKind.CreditPending, line.Amount, now);
        Enqueue(new RecordBuyerPurchase(S.PaidAmount, now));
        Enqueue(new CountPaidForRisk(now));
        Notify(new OrderPaidWebhook(Facts(), attempt.PaymentId, now, S.OnHold), now);
        return OrderEventKind.Paid;
    }

    // ---- fulfilment ---------------------------------------------------------------------------

    /// <summary>The buyer cancels an unpaid order; false when it was cancelled already (a repeat).</summary>
    public bool Cancel(string buyerId, DateTimeOffset now)
    {
        RequireExists();
        RequireBuyer(buyerId);
        if (S.Status == OrderStatus.Cancelled) return false;
        RequireStatus("cancel", OrderStatus.PendingPayment);
        Cancelled(now, CancelReason.BuyerCancelled);
        Enqueue(new ReleaseRoomStock());
        return true;
    }

    /// <summary>
    /// Ships a paid order; false when it was shipped already with this very parcel (a retried request: nothing
    /// changes). Another parcel on a shipped order, or shipping in any other state, is a 409.
    /// </summary>
    public bool Ship(string merchantId, string? trackingNumber, string? carrier, DateTimeOffset now)
    {
        RequireExists();
        if (merchantId != S.MerchantId) throw DomainException.Forbidden("Only the order's merchant can ship it.");
        if (trackingNumber is not null) Text.Require(trackingNumber, "trackingNumber", 64);
        if (carrier is not null)
        {
            if (!Carriers.IsKnown(carrier)) throw DomainException.Invalid("carrier", $"carrier must be one of {string.Join(", ", Carriers.All)}.");
            if (trackingNumber is null) throw DomainException.Invalid("trackingNumber", "trackingNumber is required with a carrier.");
        }
        if (S.ShippedAt is not null && S.TrackingNumber == trackingNumber && S.Carrier == carrier) return false;
        RequireStatus("ship", OrderStatus.Paid);
        S.Status = OrderStatus.Shipped;
        S.ShippedAt = now;
        S.TrackingNumber = trackingNumber;
        S.Carrier = carrier;
        S.AutoConfirmAt = now + policy.AutoConfirmAfterShipping;
        Enqueue(new ScheduleAutoConfirm(S.AutoConfirmAt.Value));
        Notify(new OrderShippedWebhook(Facts(), carrier, trackingNumber, now), now);
        return true;
    }

    /// <summary>Marks a shipped order delivered; false when it was delivered already (a repeat changes nothing).</summary>
    public bool MarkDelivered(DateTimeOffset now)
    {
        RequireExists();
        if (S.DeliveredAt is not null) return false;
        RequireStatus("mark delivered", OrderStatus.Shipped);
        S.Status = OrderStatus.Delivered;
        S.DeliveredAt = now;
        S.AutoConfirmAt = now + policy.AutoConfirmAfterDelivery;
        Enqueue(new ScheduleAutoConfirm(S.AutoConfirmAt.Value));
        Notify(new OrderDeliveredWebhook(Facts(), now), now);
        return true;
    }

    /// <summary>Whether the event is about the parcel the order was shipped in.</summary>
    public bool IsOwnParcel(LogisticsEvent e) => e.Carrier == S.Carrier && e.TrackingNumber == S.TrackingNumber;

    /// <summary>
    /// Records a carrier event of this order's parcel. Returns the event to publish: <c>Delivered</c> when the event
    /// delivered a shipped order (the auto-confirm clock starts), null otherwise (kept in the history only, also for a
    /// repeat of an event already recorded, which changes nothing).
    /// </summary>
    public (bool Changed, OrderEventKind? Event) ApplyLogistics(LogisticsEvent e, DateTimeOffset now)
    {
        RequireExists();
        if (S.Carrier is null || S.TrackingNumber is null)
            throw DomainException.Conflict("order.not_tracked", "The order was not shipped with a carrier.", S.Status.ToString());
        if (!IsOwnParcel(e)) throw DomainException.Invalid("trackingNumber", "The event names another parcel than the order's.");
        if (S.Tracking.Any(t => t.EventId == e.EventId)) return (false, null);
        if (S.Tracking.Count >= MaxTrackingEvents)
            throw DomainException.Conflict("order.tracking_full", $"An order keeps at most {MaxTrackingEvents} tracking events.", S.Status.ToString());
        S.Tracking.Add(new TrackingEntry { EventId = e.EventId, Status = e.Status, OccurredAt = e.OccurredAt, ReceivedAt = now, Location = e.Location, Detail = e.Detail });
        if (e.Status != LogisticsStatus.Delivered || S.Status != OrderStatus.Shipped) return (true, null);
        MarkDelivered(now);
        return (true, OrderEventKind.Delivered);
    }

    /// <summary>The buyer confirms receipt; false when the order was confirmed already (by the buyer or the auto-confirm clock).</summary>
    public bool ConfirmReceipt(string buyerId, DateTimeOffset now)
    {
        RequireExists();
        RequireBuyer(buyerId);
        if (S.ConfirmedAt is not null) return false;
        RequireStatus("confirm", OrderStatus.Shipped, OrderStatus.Delivered);
        Confirm(now);
        return true;
    }

    /// <summary>Confirms a shipped or delivered order whose auto-confirm deadline passed; true when it did.</summary>
    public bool AutoConfirmIfDue(DateTimeOffset now)
    {
        RequireExists();
        if (S.Status is not (OrderStatus.Shipped or OrderStatus.Delivered) || S.AutoConfirmAt is not { } due || now < due) return false;
        Confirm(now);
        return true;
    }

    private void Confirm(DateTimeOffset now)
    {
        S.Status = OrderStatus.Confirmed;
        S.ConfirmedAt = now;
        S.AutoConfirmAt = null;
        foreach (var line in S.Lines.Where(l => l.Remaining > 0))
            Post(line, PostingKind.Confirm, line.Remaining, now);
        Notify(new OrderConfirmedWebhook(Facts(), now), now);
        MaybeSettled(now);
    }

    /// <summary>An account settled this order's share. Returns whether anything changed and whether the order became settled.</summary>
    public (bool Changed, bool BecameSettled) ShareSettled(string accountId, string batchId, DateTimeOffset settledAt)
    {
        if (!S.Exists) return (false, false);
        var line = S.Lines.FirstOrDefault(l => l.AccountId == accountId);
        if (line is null || line.Status == ShareStatus.Settled) return (false, false);
        line.Status = ShareStatus.Settled;
        line.BatchId = batchId;
        var wasSettled = S.Status == OrderStatus.Settled;
        MaybeSettled(settledAt);
        return (true, !wasSettled && S.Status == OrderStatus.Settled);
    }

    private void MaybeSettled(DateTimeOffset at)
    {
        if (S.Status != OrderStatus.Confirmed) return;
        if (S.Lines.All(l => l.Remaining == 0 || l.Status == ShareStatus.Settled))
        {
            S.Status = OrderStatus.Settled;
            S.SettledAt = at;
        }
    }

    // ---- refunds and review -------------------------------------------------------------------

    /// <summary>
    /// A merchant's or an admin's refund (a buyer asks through an after-sale case). False when the same refund key
    /// was applied before (a replay).
    /// </summary>
    public bool Refund(RefundRequest request, DateTimeOffset now)
    {
        RequireExists();
        Ids.Require(request.RefundKey, "refundKey");
        var reason = Text.Require(request.Reason, "reason", 200);
        if (request.Amount <= 0) throw DomainException.Invalid("amount", "amount must be positive.");
        switch (request.Initiator)
        {
            case RefundInitiator.Buyer:
                throw new DomainException(ErrorKind.Forbidden, "refund.after_sale_case_required",
                    "A buyer asks for a refund by opening an after-sale case (POST /v1/orders/{orderId}/after-sales).");
            case RefundInitiator.AfterSaleCase:
                throw DomainException.Invalid("initiator", "After-sale refunds are settled by their case.");
            case RefundInitiator.Merchant when request.ActorId != S.MerchantId:
                throw DomainException.Forbidden("A merchant can refund only its own orders.");
        }

        var existing = S.Refunds.FirstOrDefault(r => r.RefundKey == request.RefundKey);
        if (existing is not null)
        {
            if (existing.Amount == request.Amount) return false;
            throw DomainException.Conflict("idempotency.key_reused", "This refund key was already used for another amount.");
        }
        RequireRefundable();
        var remaining = S.PaidAmount - S.RefundedAmount;
        if (request.Amount > remaining)
            throw DomainException.Invalid("amount", $"amount {request.Amount} exceeds the {remaining} fen that remain refundable.");

        ApplyRefund(request.RefundKey, request.Amount, reason, request.Initiator, request.ActorId, now);
        return true;
    }

    private void RequireRefundable()
    {
        if (S.Status == OrderStatus.PendingPayment)
            throw DomainException.Conflict("order.unpaid", "An unpaid order has nothing to refund; cancel it instead.", S.Status.ToString());
        if (S.Status is OrderStatus.Cancelled or OrderStatus.Refunded)
            throw DomainException.Conflict("order.not_refundable", $"The order is {S.Status}.", S.Status.ToString());
    }

    /// <summary>
    /// Splits a refund over the parties in proportion to what each still holds (the odd fen to the seller): released
    /// from escrow before settlement, clawed back after it. Every fen of the whole order refunded ends it.
    /// </summary>
    private void ApplyRefund(string refundKey, long amount, string reason, RefundInitiator initiator, string actorId, DateTimeOffset now)
    {
        var seller = S.Lines.FindIndex(l => l.Role == PartyRole.Seller);
        var parts = SplitCalculator.AllocateRefund(amount, S.Lines.Select(l => l.Remaining).ToList(), seller);
        var afterSettlement = false;
        for (var i = 0; i < S.Lines.Count; i++)
        {
            if (parts[i] == 0) continue;
            var line = S.Lines[i];
            afterSettlement |= line.Status == ShareStatus.Settled;
            line.Refunded = checked(line.Refunded + parts[i]);
            if (line.Remaining == 0 && line.Status != ShareStatus.Settled) line.Status = ShareStatus.Reversed;
            Post(line, PostingKind.Refund, parts[i], now);
        }
        var refundId = $"rf-{orderId}-{S.Refunds.Count + 1}";
        S.Refunds.Add(new OrderRefund
        {
            RefundId = refundId,
            RefundKey = refundKey,
            Amount = amount,
            Reason = reason,
            Initiator = initiator,
            ActorId = actorId,
            At = now,
            AfterSettlement = afterSettlement,
        });
        S.RefundedAmount = checked(S.RefundedAmount + amount);
        Enqueue(new RefundAtGateway(S.PaidPaymentId!, refundId, amount));
        Enqueue(new CountRefundedForRisk(now));

        if (S.RefundedAmount == S.PaidAmount)
        {
            // Stock goes back on the shelf only for goods that never left the merchant.
            if (S.ShippedAt is null) Enqueue(new ReturnSoldStock(S.PaidAmount));
            S.Status = OrderStatus.Refunded;
            S.AutoConfirmAt = null;
            S.OnHold = false;
        }
        Notify(new OrderRefundedWebhook(Facts(), refundId, amount, now), now);
    }

    /// <summary>An admin's decision on money held by risk. Returns the event to publish (null for a release).</summary>
    public OrderEventKind? ResolveReview(ReviewResolution resolution, DateTimeOffset now)
    {
        RequireExists();
        if (!S.OnHold) throw DomainException.Conflict("order.not_on_hold", "The order's money is not on hold.", S.Status.ToString());
        var note = resolution.Note is null ? "" : ": " + resolution.Note;
        if (resolution.Decision == ReviewDecision.Release)
        {
            foreach (var line in S.Lines.Where(l => l.Status == ShareStatus.OnHold))
            {
                line.Status = ShareStatus.Pending;
                Post(line, PostingKind.ReleaseHold, line.Remaining, now);
            }
            S.OnHold = false;
            S.RiskDecisions.Add(new RiskDecisionView(RiskVerdict.Allow, [$"review.released by {resolution.AdminId}{note}"], "review", now));
            Enqueue(new MarkReviewDecided(ReviewDecision.Release, resolution.AdminId, now));
            Notify(new RiskReviewDecidedWebhook(Facts(), ReviewDecision.Release, now), now);
            return null;
        }
        S.RiskDecisions.Add(new RiskDecisionView(RiskVerdict.Reject, [$"review.rejected by {resolution.AdminId}{note}"], "review", now));
        ApplyRefund($"review-reject-{S.Refunds.Count + 1}", S.PaidAmount - S.RefundedAmount, "rejected by risk review",
            RefundInitiator.System, resolution.AdminId, now);
        S.CancelReason = CancelReason.RiskRejected;
        Enqueue(new MarkReviewDecided(ReviewDecision.Reject, resolution.AdminId, now));
        Notify(new RiskReviewDecidedWebhook(Facts(), ReviewDecision.Reject, now), now);
        return OrderEventKind.Refunded;
    }

    // ---- after-sale ---------------------------------------------------------------------------

    /// <summary>
    /// Admits a buyer's after-sale case: the order is the buyer's, paid and not fully refunded, no other case is open,
    /// the kind fits the goods (a return only after delivery, within the return window) and the amount is at most what
    /// remains refundable. Returns the opening, or the earlier one for a repeated Idempotency-Key.
    /// </summary>
    public (AfterSaleOpening Opening, bool New) OpenAfterSale(AfterSaleRequest request, AfterSalePolicy rules, DateTimeOffset now)
    {
        RequireExists();
        RequireBuyer(request.BuyerId);
        Ids.Require(request.IdempotencyKey, "Idempotency-Key");
        if (S.CasesByKey.TryGetValue(request.IdempotencyKey, out var earlier))
            return (Opening(earlier, request, now), false);
        AfterSaleCase.Validate(request, rules);
        RequireRefundable();
        if (S.OpenCaseId is { } open)
            throw DomainException.Conflict("after_sale.case_open", $"Case {open} is still open on this order; one case at a time.", AfterSaleStatus.AwaitingMerchant.ToString());
        if (S.CasesByKey.Count >= rules.MaxCasesPerOrder)
            throw DomainException.Conflict("after_sale.too_many_cases", $"An order can have at most {rules.MaxCasesPerOrder} after-sale cases.", S.Status.ToString());

        var delivered = S.DeliveredAt ?? S.ConfirmedAt;
        if (request.Kind == AfterSaleKind.ReturnAndRefund && delivered is null)
            throw DomainException.Conflict("after_sale.not_delivered", "Goods can be returned only after delivery; ask for a refund only.", S.Status.ToString());
        if (delivered is { } from && now > from + policy.ReturnWindow)
            throw DomainException.Conflict("order.return_window_closed", $"After-sale cases close {policy.ReturnWindow.TotalDays:0} days after delivery.", S.Status.ToString());
        var remaining = S.PaidAmount - S.RefundedAmount;
        if (request.Amount > remaining)
            throw DomainException.Invalid("amount", $"amount {request.Amount} exceeds the {remaining} fen that remain refundable.");

        var caseId = $"{orderId}:as{S.CasesByKey.Count + 1}";
        S.CasesByKey[request.IdempotencyKey] = caseId;
        S.OpenCaseId = caseId;
        var opening = Opening(caseId, request, now);
        Enqueue(new OpenAfterSaleCase(opening));
        Notify(new AfterSaleOpenedWebhook(Facts(), caseId, request.Kind, request.Amount, now), now);
        return (opening, true);
    }

    private AfterSaleOpening Opening(string caseId, AfterSaleRequest request, DateTimeOffset now) =>
        new(caseId, orderId, S.BuyerId, S.MerchantId, S.StreamerId, S.RoomId, S.ProductId, request, now);

    /// <summary>
    /// Closes the open case, refunding up to <paramref name="amount"/> (capped at what remains: a merchant refund may
    /// have come first). Refund key = case id, so a repeat changes nothing. Returns the amount refunded and whether
    /// anything changed.
    /// </summary>
    public (long Refunded, bool Changed) SettleAfterSale(string caseId, long amount, string reason, DateTimeOffset now)
    {
        RequireExists();
        if (amount < 0) throw DomainException.Invalid("amount", "amount must not be negative.");
        if (S.Refunds.FirstOrDefault(r => r.RefundKey == caseId) is { } done) return (done.Amount, false);
        if (S.OpenCaseId != caseId)
        {
            if (S.CasesByKey.ContainsValue(caseId)) return (0, false); // closed before without a refund
            throw DomainException.NotFound("after-sale case", caseId);
        }
        S.OpenCaseId = null;
        var refund = S.Status is OrderStatus.PendingPayment or OrderStatus.Cancelled ? 0 : Math.Min(amount, S.PaidAmount - S.RefundedAmount);
        if (refund > 0) ApplyRefund(caseId, refund, Text.Require(reason, "reason", 200), RefundInitiator.AfterSaleCase, caseId, now);
        Notify(new AfterSaleClosedWebhook(Facts(), caseId, refund, now), now);
        return (refund, true);
    }

    // ---- helpers ------------------------------------------------------------------------------

    private void Cancelled(DateTimeOffset at, CancelReason reason)
    {
        S.Status = OrderStatus.Cancelled;
        S.CancelledAt = at;
        S.CancelReason = reason;
    }

    public void Enqueue(OrderMessage message) => S.Outbox.Add(message with { Seq = ++S.OutboxSequence });

    /// <summary>
    /// Owes the webhook log an event, in the same state write as the change. The id is the order's webhook sequence,
    /// so redelivering the outbox item appends nothing new; the sequence orders the order's events for receivers.
    /// </summary>
    private void Notify(OrderWebhook e, DateTimeOffset at)
    {
        var seq = ++S.WebhookSequence;
        Enqueue(new RecordWebhookEvent(e.ToEvent(S.MerchantId, orderId, seq, at)));
    }

    private OrderFacts Facts() => new(orderId, S.RoomId, S.ProductId, S.Quantity, S.Amount, S.PaidAmount, S.RefundedAmount, S.Status);

    private void Post(SplitLine line, PostingKind kind, long amount, DateTimeOffset at)
    {
        line.Sequence++;
        Enqueue(new PostToAccount(line.AccountId,
            new AccountPosting($"{orderId}:{line.AccountId}:{line.Sequence}", orderId, kind, amount, at, line.Sequence, line.BasisPoints)));
    }

    /// <summary>Moves an outbox persisted by the previous version into the typed outbox (same sequence numbers).</summary>
    public void UpgradeLegacyOutbox()
    {
        if (S.LegacyOutbox.Count == 0) return;
        S.Outbox.InsertRange(0, S.LegacyOutbox.Select(i => i.ToMessage()));
        S.LegacyOutbox.Clear();
    }

    public OrderView View() =>
        new(orderId, S.BuyerId, S.RoomId, S.StreamerId, S.MerchantId, S.ProductId, S.Quantity, S.UnitPrice, S.Amount, S.Status,
            S.PlacedAt, S.PaymentDeadline, S.PaidAt, S.ShippedAt, S.DeliveredAt, S.ConfirmedAt, S.SettledAt, S.CancelledAt, S.CancelReason,
            S.PaidPaymentId ?? S.Payments.LastOrDefault()?.PaymentId, S.PaidAmount, S.RefundedAmount, S.TrackingNumber,
            S.Lines.Select(l => l.View()).ToList(),
            S.Refunds.Select(r => new RefundView(r.RefundId, r.Amount, r.Reason, r.At, r.AfterSettlement)).ToList(),
            S.RiskDecisions.ToList(), S.OnHold, S.AutoConfirmAt, S.ShippingAddress,
            S.Carrier, S.Tracking.Select(t => t.View()).ToList(), S.OpenCaseId, S.CasesByKey.Values.Order(StringComparer.Ordinal).ToList());
}
