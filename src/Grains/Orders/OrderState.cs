using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;

namespace LiveCommerce.Grains.Orders;

[GenerateSerializer]
public sealed class OrderState
{
    [Id(0)] public bool Exists { get; set; }
    [Id(1)] public string BuyerId { get; set; } = "";
    [Id(2)] public string? BuyerCity { get; set; }
    [Id(3)] public string RoomId { get; set; } = "";
    [Id(4)] public string? RoomCity { get; set; }
    [Id(5)] public string StreamerId { get; set; } = "";
    [Id(6)] public string MerchantId { get; set; } = "";
    [Id(7)] public string ProductId { get; set; } = "";
    [Id(8)] public string? Category { get; set; }
    [Id(9)] public int Quantity { get; set; }
    [Id(10)] public long UnitPrice { get; set; }
    [Id(11)] public long ListPrice { get; set; }
    [Id(12)] public long Amount { get; set; }
    [Id(13)] public string IdempotencyKey { get; set; } = "";
    [Id(14)] public string ClientIp { get; set; } = "";
    [Id(15)] public string? DeviceId { get; set; }
    [Id(16)] public OrderStatus Status { get; set; }
    [Id(17)] public DateTimeOffset PlacedAt { get; set; }
    [Id(18)] public DateTimeOffset PaymentDeadline { get; set; }
    [Id(19)] public DateTimeOffset? PaidAt { get; set; }
    [Id(20)] public DateTimeOffset? ShippedAt { get; set; }
    [Id(21)] public DateTimeOffset? DeliveredAt { get; set; }
    [Id(22)] public DateTimeOffset? ConfirmedAt { get; set; }
    [Id(23)] public DateTimeOffset? SettledAt { get; set; }
    [Id(24)] public DateTimeOffset? CancelledAt { get; set; }
    [Id(25)] public CancelReason? CancelReason { get; set; }
    [Id(26)] public string? TrackingNumber { get; set; }
    [Id(27)] public DateTimeOffset? AutoConfirmAt { get; set; }
    [Id(28)] public List<PaymentAttempt> Payments { get; set; } = [];
    /// <summary>The payment that paid the order; any other succeeded payment is refunded in full.</summary>
    [Id(29)] public string? PaidPaymentId { get; set; }
    [Id(30)] public long PaidAmount { get; set; }
    [Id(31)] public SplitPlan? Plan { get; set; }
    [Id(32)] public List<SplitLine> Lines { get; set; } = [];
    [Id(33)] public List<OrderRefund> Refunds { get; set; } = [];
    [Id(34)] public long RefundedAmount { get; set; }
    [Id(35)] public List<RiskDecisionView> RiskDecisions { get; set; } = [];
    [Id(36)] public bool OnHold { get; set; }
    /// <summary>The outbox as the previous version wrote it; moved to <see cref="Outbox"/> when the order loads.</summary>
    [Id(37)] public List<OutboxItem> LegacyOutbox { get; set; } = [];
    [Id(38)] public int OutboxSequence { get; set; }
    /// <summary>Money of payments that arrived for a cancelled or already-paid order, refunded in full.</summary>
    [Id(39)] public long ExtraPaymentsRefunded { get; set; }
    // Facts kept from placement for the payment-stage risk check.
    [Id(40)] public long ReferencePrice { get; set; }
    [Id(41)] public DateTimeOffset BuyerRegisteredAt { get; set; }
    [Id(42)] public int BuyerPreviousOrders { get; set; }
    [Id(43)] public ShippingAddress? ShippingAddress { get; set; }
    // Ids from 60: the typed outbox, shipping and after-sale.
    /// <summary>Calls to other grains and the gateway that must happen because of a state change already persisted.</summary>
    [Id(60)] public List<OrderMessage> Outbox { get; set; } = [];
    [Id(61)] public string? Carrier { get; set; }
    [Id(62)] public List<TrackingEntry> Tracking { get; set; } = [];
    /// <summary>The after-sale case open now, if any: at most one at a time.</summary>
    [Id(63)] public string? OpenCaseId { get; set; }
    /// <summary>Every case this order admitted, by the Idempotency-Key that opened it.</summary>
    [Id(64)] public Dictionary<string, string> CasesByKey { get; set; } = [];
    /// <summary>Webhook events this order owed so far: the per-resource sequence of its events.</summary>
    [Id(65)] public int WebhookSequence { get; set; }
}

[GenerateSerializer]
public sealed class TrackingEntry
{
    [Id(0)] public string EventId { get; set; } = "";
    [Id(1)] public LogisticsStatus Status { get; set; }
    [Id(2)] public DateTimeOffset OccurredAt { get; set; }
    [Id(3)] public DateTimeOffset ReceivedAt { get; set; }
    [Id(4)] public string? Location { get; set; }
    [Id(5)] public string? Detail { get; set; }

    public TrackingEventView View() => new(EventId, Status, OccurredAt, ReceivedAt, Location, Detail);
}

public enum AttemptStatus { Open = 0, Succeeded = 1, Failed = 2 }

[GenerateSerializer]
public sealed class PaymentAttempt
{
    [Id(0)] public string PaymentId { get; set; } = "";
    [Id(1)] public DateTimeOffset CreatedAt { get; set; }
    [Id(2)] public AttemptStatus Status { get; set; }
    [Id(3)] public long Captured { get; set; }
    [Id(4)] public bool RefundedInFull { get; set; }
}

/// <summary>A party's share of this order: the split-payment state the order owns.</summary>
[GenerateSerializer]
public sealed class SplitLine
{
    [Id(0)] public PartyRole Role { get; set; }
    [Id(1)] public string AccountId { get; set; } = "";
    [Id(2)] public int Level { get; set; }
    [Id(3)] public int BasisPoints { get; set; }
    [Id(4)] public long Amount { get; set; }
    [Id(5)] public long Refunded { get; set; }
    [Id(6)] public ShareStatus Status { get; set; }
    [Id(7)] public string? BatchId { get; set; }
    /// <summary>Sequence of the last posting sent to the account for this share (postings are deduplicated by it).</summary>
    [Id(8)] public int Sequence { get; set; }

    public long Remaining => Amount - Refunded;

    public SplitLineView View() => new(Role, AccountId, Level, BasisPoints, Amount, Refunded, Status, BatchId);
}

[GenerateSerializer]
public sealed class OrderRefund
{
    [Id(0)] public string RefundId { get; set; } = "";
    [Id(1)] public string RefundKey { get; set; } = "";
    [Id(2)] public long Amount { get; set; }
    [Id(3)] public string Reason { get; set; } = "";
    [Id(4)] public RefundInitiator Initiator { get; set; }
    [Id(5)] public string ActorId { get; set; } = "";
    [Id(6)] public DateTimeOffset At { get; set; }
    [Id(7)] public bool AfterSettlement { get; set; }
}

public enum OutboxKind
{
    AccountPosting = 0,
    RoomCommit = 1,
    RoomRelease = 2,
    RoomReturnSold = 3,
    // 4 recorded a placed order on the buyer; the stock line is that record now.
    BuyerRecordPurchase = 5,
    GatewayRefund = 6,
    ScheduleAutoConfirm = 7,
    ReviewQueueAdd = 8,
    ReviewQueueDecided = 9,
    RiskCountPaid = 10,
    RiskCountRefunded = 11,
}

/// <summary>
/// The previous version's outbox entry (read only, see <see cref="LegacyOutbox.ToMessage"/>). Items of one channel (an account, the room, the buyer, the
/// gateway) are delivered in order, each retried until acknowledged; every receiver is idempotent.
/// </summary>
[GenerateSerializer]
public sealed class OutboxItem
{
    [Id(0)] public int Id { get; set; }
    [Id(1)] public OutboxKind Kind { get; set; }
    [Id(2)] public string Channel { get; set; } = "";
    [Id(3)] public AccountPosting? Posting { get; set; }
    [Id(4)] public string? AccountId { get; set; }
    [Id(5)] public long Amount { get; set; }
    [Id(6)] public string? PaymentId { get; set; }
    [Id(7)] public string? RefundId { get; set; }
    [Id(8)] public DateTimeOffset? At { get; set; }
    [Id(9)] public string? Note { get; set; }
}
