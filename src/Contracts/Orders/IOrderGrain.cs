using LiveCommerce.Contracts.Payments;

namespace LiveCommerce.Contracts.Orders;

/// <summary>
/// Escrow lifecycle: PendingPayment → Paid → Shipped → Delivered → Confirmed → Settled, with Cancelled (unpaid,
/// by the buyer or expired) and Refunded (every fen returned) as ends.
/// </summary>
public enum OrderStatus
{
    PendingPayment = 0,
    Paid = 1,
    Shipped = 2,
    Delivered = 3,
    Confirmed = 4,
    Settled = 5,
    Cancelled = 6,
    Refunded = 7,
}

public enum CancelReason { BuyerCancelled = 0, PaymentExpired = 1, RiskRejected = 2 }

/// <summary>
/// One order: a line of one product from one room, its money and its split between parties.
/// Keyed by order id, which the front door derives from the buyer and the Idempotency-Key.
/// </summary>
public interface IOrderGrain : IGrainWithStringKey
{
    /// <summary>Reserves stock and creates the order; the same command again returns the same order.</summary>
    Task<PlaceOrderResult> Place(PlaceOrder command);

    [Orleans.Concurrency.ReadOnly]
    Task<OrderView> Get();

    /// <summary>Opens a payment at the gateway for the amount due (or returns the one already open).</summary>
    Task<PaymentStarted> StartPayment(string buyerId);

    /// <summary>
    /// Applies a gateway result (callback or reconciliation) once the provider confirms it for one of this order's
    /// own attempts and the amount due; anything else is answered with a refusal outcome and changes nothing.
    /// Idempotent by payment id. An amount out of range is a validation error.
    /// </summary>
    Task<PaymentApplied> ApplyPaymentResult(PaymentResult result);

    Task<OrderView> Cancel(string buyerId);
    /// <summary>Ships a paid order; with a carrier code (<see cref="Carriers"/>) its logistics events arrive on the signed callback.</summary>
    Task<OrderView> Ship(string merchantId, string? trackingNumber, string? carrier = null);
    Task<OrderView> MarkDelivered();

    /// <summary>A carrier's event for this order's parcel: kept in the tracking history; <c>delivered</c> starts the auto-confirm clock. Idempotent by event id.</summary>
    Task<OrderView> ApplyLogisticsEvent(LogisticsEvent logisticsEvent);

    /// <summary>Admits an after-sale case (one open per order) and opens it; the same Idempotency-Key returns the same case.</summary>
    Task<AfterSaleCaseView> OpenAfterSale(AfterSaleRequest request);

    /// <summary>
    /// Closes the order's open case <paramref name="caseId"/>, refunding <paramref name="amount"/> (at most what remains
    /// refundable) through the escrow and split machinery. Idempotent by case id.
    /// </summary>
    Task<AfterSaleSettled> SettleAfterSale(string caseId, long amount, string reason);
    Task<OrderView> ConfirmReceipt(string buyerId);

    /// <summary>Confirms the order if its auto-confirm deadline has passed; called by the deadline scheduler.</summary>
    Task<OrderView> AutoConfirmIfDue();

    /// <summary>Refunds part or all of what remains; splits the refund over the parties in proportion.</summary>
    Task<OrderView> Refund(RefundRequest request);

    /// <summary>
    /// Called by the room when the reservation passed its deadline: true (and the order is cancelled, durably)
    /// when no payment arrived, false when the order is paid or paying.
    /// </summary>
    Task<bool> TryExpire();

    /// <summary>A settlement account settled this order's share (made it available to the party).</summary>
    Task MarkShareSettled(string accountId, string batchId, DateTimeOffset settledAt);

    /// <summary>Admin review outcome for money held by risk: release to escrow, or refund and cancel.</summary>
    Task<OrderView> ResolveReview(ReviewResolution resolution);
}

[GenerateSerializer, Immutable]
public sealed record PlaceOrder(
    [property: Id(0)] string BuyerId,
    [property: Id(1)] string RoomId,
    [property: Id(2)] string ProductId,
    [property: Id(3)] int Quantity,
    [property: Id(4)] string IdempotencyKey,
    [property: Id(5)] string ClientIp,
    [property: Id(6)] string? DeviceId,
    // Placed by a buyer's standing repurchase authorization rather than in the live session.
    [property: Id(7)] bool StandingAuthorization = false,
    // The address the buyer named (the front door resolves it from the address book); null: the buyer's default.
    [property: Id(8)] ShippingAddress? ShippingAddress = null);

public enum PlaceOutcome
{
    Placed = 0,
    /// <summary>The same Idempotency-Key was used before for this very request: the earlier order is returned.</summary>
    Replayed = 1,
    SoldOut = 2,
    RoomNotLive = 3,
    NotOnShelf = 4,
    OverPerOrderLimit = 5,
    RiskRejected = 6,
    /// <summary>The merchant withdrew the distribution offer the room listed the product under.</summary>
    OfferWithdrawn = 7,
    /// <summary>The buyer holds the most unpaid orders allowed for this product or in this room (hoarding cap).</summary>
    OpenOrderLimit = 8,
}

[GenerateSerializer, Immutable]
public sealed record PlaceOrderResult(
    [property: Id(0)] PlaceOutcome Outcome,
    [property: Id(1)] OrderView? Order,
    [property: Id(2)] string? Message,
    [property: Id(3)] IReadOnlyList<string> Reasons);

public enum ShareStatus
{
    /// <summary>In escrow (paid, not yet settled), including confirmed shares waiting for their settlement day.</summary>
    Pending = 0,
    /// <summary>Held by risk review: not settled until released.</summary>
    OnHold = 1,
    /// <summary>Available to the party.</summary>
    Settled = 2,
    /// <summary>Refunded in full.</summary>
    Reversed = 3,
}

/// <summary>One party's share of the order: what it got, what was refunded from it, where the rest sits.</summary>
[GenerateSerializer, Immutable]
public sealed record SplitLineView(
    [property: Id(0)] PartyRole Role,
    [property: Id(1)] string AccountId,
    [property: Id(2)] int Level,
    [property: Id(3)] int BasisPoints,
    [property: Id(4)] long Amount,
    [property: Id(5)] long Refunded,
    [property: Id(6)] ShareStatus Status,
    [property: Id(7)] string? SettlementBatchId);

[GenerateSerializer, Immutable]
public sealed record RefundView(
    [property: Id(0)] string RefundId,
    [property: Id(1)] long Amount,
    [property: Id(2)] string Reason,
    [property: Id(3)] DateTimeOffset At,
    [property: Id(4)] bool AfterSettlement);

public enum RiskVerdict { Allow = 0, Review = 1, Reject = 2 }

[GenerateSerializer, Immutable]
public sealed record RiskDecisionView(
    [property: Id(0)] RiskVerdict Verdict,
    [property: Id(1)] IReadOnlyList<string> Reasons,
    [property: Id(2)] string Stage,
    [property: Id(3)] DateTimeOffset At);

[GenerateSerializer, Immutable]
public sealed record OrderView(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string BuyerId,
    [property: Id(2)] string RoomId,
    [property: Id(3)] string StreamerId,
    [property: Id(4)] string MerchantId,
    [property: Id(5)] string ProductId,
    [property: Id(6)] int Quantity,
    [property: Id(7)] long UnitPrice,
    [property: Id(8)] long Amount,
    [property: Id(9)] OrderStatus Status,
    [property: Id(10)] DateTimeOffset PlacedAt,
    [property: Id(11)] DateTimeOffset PaymentDeadline,
    [property: Id(12)] DateTimeOffset? PaidAt,
    [property: Id(13)] DateTimeOffset? ShippedAt,
    [property: Id(14)] DateTimeOffset? DeliveredAt,
    [property: Id(15)] DateTimeOffset? ConfirmedAt,
    [property: Id(16)] DateTimeOffset? SettledAt,
    [property: Id(17)] DateTimeOffset? CancelledAt,
    [property: Id(18)] CancelReason? CancelReason,
    [property: Id(19)] string? PaymentId,
    [property: Id(20)] long PaidAmount,
    [property: Id(21)] long RefundedAmount,
    [property: Id(22)] string? TrackingNumber,
    [property: Id(23)] IReadOnlyList<SplitLineView> Split,
    [property: Id(24)] IReadOnlyList<RefundView> Refunds,
    [property: Id(25)] IReadOnlyList<RiskDecisionView> RiskDecisions,
    [property: Id(26)] bool OnHold,
    [property: Id(27)] DateTimeOffset? AutoConfirmAt,
    [property: Id(28)] ShippingAddress? ShippingAddress = null,
    // Ids from 40: shipping and after-sale facts.
    [property: Id(40)] string? Carrier = null,
    [property: Id(41)] IReadOnlyList<TrackingEventView>? Tracking = null,
    [property: Id(42)] string? OpenAfterSaleCaseId = null,
    [property: Id(43)] IReadOnlyList<string>? AfterSaleCaseIds = null);

/// <summary>Carriers the platform takes logistics events from (the sandbox carrier signs its callbacks like the sandbox gateway).</summary>
public static class Carriers
{
    public const string Sandbox = "sandbox";
    public static readonly IReadOnlyList<string> All = [Sandbox, "sf", "yto", "zto", "sto", "jd", "ems"];

    public static bool IsKnown(string? code) => code is not null && All.Contains(code);
}

public enum LogisticsStatus { InTransit = 0, OutForDelivery = 1, Delivered = 2, Exception = 3 }

/// <summary>One event of a parcel as the carrier reported it (signature-checked by the front door).</summary>
[GenerateSerializer, Immutable]
public sealed record LogisticsEvent(
    [property: Id(0)] string EventId,
    [property: Id(1)] string Carrier,
    [property: Id(2)] string TrackingNumber,
    [property: Id(3)] LogisticsStatus Status,
    [property: Id(4)] DateTimeOffset OccurredAt,
    [property: Id(5)] string? Location,
    [property: Id(6)] string? Detail);

[GenerateSerializer, Immutable]
public sealed record TrackingEventView(
    [property: Id(0)] string EventId,
    [property: Id(1)] LogisticsStatus Status,
    [property: Id(2)] DateTimeOffset OccurredAt,
    [property: Id(3)] DateTimeOffset ReceivedAt,
    [property: Id(4)] string? Location,
    [property: Id(5)] string? Detail);

[GenerateSerializer, Immutable]
public sealed record PaymentStarted(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string PaymentId,
    [property: Id(2)] long Amount,
    [property: Id(3)] string Gateway,
    [property: Id(4)] DateTimeOffset CreatedAt);

/// <summary>A payment's final result as the gateway notified it (signature-checked, not yet confirmed by the provider).</summary>
[GenerateSerializer, Immutable]
public sealed record PaymentResult(
    [property: Id(0)] string PaymentId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] long Amount,
    [property: Id(3)] bool Succeeded,
    [property: Id(4)] DateTimeOffset OccurredAt,
    [property: Id(5)] string Source);

public enum PaymentApplyOutcome
{
    /// <summary>The payment paid the order: money is in escrow (or on hold).</summary>
    Applied = 0,
    /// <summary>This result was applied before (duplicate or late callback): nothing changed.</summary>
    AlreadyApplied = 1,
    /// <summary>The gateway reports the payment failed; the order still waits for payment.</summary>
    Failed = 2,
    /// <summary>The order was cancelled or expired before the money arrived: the payment is refunded in full.</summary>
    RefundedCancelledOrder = 3,
    /// <summary>Another payment already paid the order: this one is refunded in full.</summary>
    RefundedDuplicate = 4,
    /// <summary>The provider does not confirm the payment as one of this order's own attempts: nothing changed.</summary>
    UnknownPayment = 5,
    /// <summary>The result's amount is not the provider's, or the payment was not opened for the amount due: nothing changed.</summary>
    AmountMismatch = 6,
    /// <summary>The provider does not (yet) confirm the result's status: nothing changed.</summary>
    NotConfirmed = 7,
    /// <summary>
    /// The provider confirms this order's attempt captured another amount than asked: the money is not credited,
    /// it is refunded in full, and the order can still be paid.
    /// </summary>
    RefundedAmountMismatch = 8,
}

[GenerateSerializer, Immutable]
public sealed record PaymentApplied(
    [property: Id(0)] PaymentApplyOutcome Outcome,
    [property: Id(1)] OrderView? Order);

public enum RefundInitiator { Buyer = 0, Merchant = 1, Admin = 2, System = 3, AfterSaleCase = 4 }

[GenerateSerializer, Immutable]
public sealed record RefundRequest(
    [property: Id(0)] string RefundKey,
    [property: Id(1)] long Amount,
    [property: Id(2)] string Reason,
    [property: Id(3)] RefundInitiator Initiator,
    [property: Id(4)] string ActorId);

public enum ReviewDecision { Release = 0, Reject = 1 }

[GenerateSerializer, Immutable]
public sealed record ReviewResolution(
    [property: Id(0)] ReviewDecision Decision,
    [property: Id(1)] string AdminId,
    [property: Id(2)] string? Note);

/// <summary>
/// Auto-confirm deadlines of one minute (UTC), keyed <c>yyyyMMddHHmm</c>. Orders due in that minute are listed
/// here, so one reminder (the scheduler's) serves every order instead of one reminder per order.
/// </summary>
public interface IAutoConfirmBucketGrain : IGrainWithStringKey
{
    Task Schedule(string orderId, DateTimeOffset dueAt);

    /// <summary>Asks each listed order whose deadline passed to confirm itself.</summary>
    [ResponseTimeout("00:00:30")] // a full bucket is many order calls: longer than the silos' 10 s call timeout
    Task<AutoConfirmRun> RunDue();
}

[GenerateSerializer, Immutable]
public sealed record AutoConfirmRun([property: Id(0)] int Closed, [property: Id(1)] int Remaining);

/// <summary>The index of non-empty auto-confirm buckets, driven by one reminder a minute.</summary>
public interface IAutoConfirmSchedulerGrain : IGrainWithStringKey
{
    Task Register(string bucketKey);

    /// <summary>Runs every bucket whose minute has begun; returns how many orders were closed.</summary>
    [ResponseTimeout("00:01:00")]
    Task<int> RunDue();
}
