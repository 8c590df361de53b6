namespace LiveCommerce.Contracts.Events;

/// <summary>What a buyer asks for when opening an after-sale case.</summary>
public enum AfterSaleKind
{
    /// <summary>Money back without returning goods (not shipped, or not received).</summary>
    RefundOnly = 0,
    /// <summary>Goods go back to the merchant, then the money comes back.</summary>
    ReturnAndRefund = 1,
    /// <summary>Part of the amount back, goods kept.</summary>
    PartialRefund = 2,
}

/// <summary>
/// Where an order's after-sale case stands. <see cref="None"/> means the order never had one. New states are added at
/// the end: the value is persisted and filtered on by the merchant order list.
/// </summary>
public enum AfterSaleStatus
{
    None = 0,
    /// <summary>Opened; the merchant must answer before the deadline or it is approved automatically.</summary>
    AwaitingMerchant = 1,
    /// <summary>The merchant proposed a partial amount; the buyer accepts it or escalates.</summary>
    PartialOffered = 2,
    /// <summary>Approved return: the buyer must ship the goods back before the deadline.</summary>
    AwaitingReturn = 3,
    /// <summary>The goods are on their way back; the merchant confirms receipt (or it is confirmed automatically).</summary>
    ReturnInTransit = 4,
    /// <summary>The merchant rejected; the buyer may escalate to the platform.</summary>
    Rejected = 5,
    /// <summary>Escalated: an admin decides, and the decision is final.</summary>
    InArbitration = 6,
    /// <summary>Closed with money returned (all or part).</summary>
    Refunded = 7,
    /// <summary>Closed without a refund (withdrawn, rejected and not escalated, return not shipped in time, arbitrated to none).</summary>
    Closed = 8,
}

/// <summary>
/// A step in an after-sale case, published on the merchant, streamer and platform streams like <see cref="OrderEvent"/>
/// (case opened, answered, escalated, closed). <see cref="ArbitratedAgainstBuyer"/> tells the trust score not to
/// count the case against the streamer.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AfterSaleCaseChanged(
    [property: Id(0)] string CaseId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] string BuyerId,
    [property: Id(3)] string MerchantId,
    [property: Id(4)] string StreamerId,
    [property: Id(5)] string RoomId,
    [property: Id(6)] string ProductId,
    [property: Id(7)] AfterSaleKind Kind,
    [property: Id(8)] AfterSaleStatus Status,
    [property: Id(9)] string ReasonCode,
    [property: Id(10)] long AmountRequested,
    [property: Id(11)] long AmountRefunded,
    [property: Id(12)] bool ArbitratedAgainstBuyer,
    [property: Id(13)] DateTimeOffset At) : DomainEvent;
