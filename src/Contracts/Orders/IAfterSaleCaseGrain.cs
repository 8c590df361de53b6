using LiveCommerce.Contracts.Events;

namespace LiveCommerce.Contracts.Orders;

/// <summary>
/// One after-sale case of one order, keyed by case id (<c>{orderId}:as{n}</c>). The order admits a case (one open
/// at a time) and the case runs the dialogue: the merchant answers within a deadline, returns are shipped back and
/// received, a rejected case can go to platform arbitration. Money moves only through the order
/// (<see cref="IOrderGrain.SettleAfterSale"/>).
/// </summary>
public interface IAfterSaleCaseGrain : IGrainWithStringKey
{
    /// <summary>Creates the case as the order admitted it; the same opening again changes nothing.</summary>
    Task<AfterSaleCaseView> Open(AfterSaleOpening opening);

    [Orleans.Concurrency.ReadOnly]
    Task<AfterSaleCaseView> Get();

    Task<AfterSaleCaseView> Approve(string merchantId);
    Task<AfterSaleCaseView> Reject(string merchantId, string reason);
    Task<AfterSaleCaseView> OfferPartial(string merchantId, long amount);
    Task<AfterSaleCaseView> AcceptOffer(string buyerId);
    Task<AfterSaleCaseView> Withdraw(string buyerId);
    Task<AfterSaleCaseView> ShipReturn(string buyerId, string carrier, string trackingNumber);
    Task<AfterSaleCaseView> ConfirmReturn(string merchantId);
    Task<AfterSaleCaseView> Escalate(string buyerId);
    Task<AfterSaleCaseView> Arbitrate(Arbitration decision);

    /// <summary>Acts on a passed deadline (auto-approve, close an unshipped return, auto-confirm a return); called by the case's reminder.</summary>
    Task<AfterSaleCaseView> RunDeadline();

    /// <summary>A carrier event of the return parcel (the order forwards the ones that are not its own parcel's).</summary>
    Task<AfterSaleCaseView> ApplyReturnLogistics(LogisticsEvent logisticsEvent);
}

/// <summary>What a buyer asks for. The order checks it against the order (status, window, amount) before admitting it.</summary>
[GenerateSerializer, Immutable]
public sealed record AfterSaleRequest(
    [property: Id(0)] string BuyerId,
    [property: Id(1)] string IdempotencyKey,
    [property: Id(2)] AfterSaleKind Kind,
    [property: Id(3)] string ReasonCode,
    [property: Id(4)] string Description,
    [property: Id(5)] IReadOnlyList<string> Evidence,
    [property: Id(6)] long Amount);

/// <summary>A case the order admitted, with the order's facts the case needs (parties, goods shipped or not).</summary>
[GenerateSerializer, Immutable]
public sealed record AfterSaleOpening(
    [property: Id(0)] string CaseId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] string BuyerId,
    [property: Id(3)] string MerchantId,
    [property: Id(4)] string StreamerId,
    [property: Id(5)] string RoomId,
    [property: Id(6)] string ProductId,
    [property: Id(7)] AfterSaleRequest Request,
    [property: Id(8)] DateTimeOffset OpenedAt);

public enum ArbitrationOutcome { RefundAll = 0, RefundPart = 1, RefundNone = 2 }

[GenerateSerializer, Immutable]
public sealed record Arbitration(
    [property: Id(0)] string AdminId,
    [property: Id(1)] ArbitrationOutcome Outcome,
    [property: Id(2)] long? Amount,
    [property: Id(3)] string Note);

/// <summary>Who took a step of a case.</summary>
public enum CaseActor { Buyer = 0, Merchant = 1, Admin = 2, System = 3 }

[GenerateSerializer, Immutable]
public sealed record CaseStep(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] CaseActor Actor,
    [property: Id(2)] string ActorId,
    [property: Id(3)] string Action,
    [property: Id(4)] AfterSaleStatus Status,
    [property: Id(5)] long? Amount,
    [property: Id(6)] string? Note);

[GenerateSerializer, Immutable]
public sealed record AfterSaleCaseView(
    [property: Id(0)] string CaseId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] string BuyerId,
    [property: Id(3)] string MerchantId,
    [property: Id(4)] AfterSaleKind Kind,
    [property: Id(5)] AfterSaleStatus Status,
    [property: Id(6)] string ReasonCode,
    [property: Id(7)] string Description,
    [property: Id(8)] IReadOnlyList<string> Evidence,
    [property: Id(9)] long AmountRequested,
    [property: Id(10)] long? AmountOffered,
    [property: Id(11)] long AmountRefunded,
    [property: Id(12)] DateTimeOffset OpenedAt,
    [property: Id(13)] DateTimeOffset? Deadline,
    [property: Id(14)] string? ReturnCarrier,
    [property: Id(15)] string? ReturnTrackingNumber,
    [property: Id(16)] bool ArbitratedAgainstBuyer,
    [property: Id(17)] IReadOnlyList<CaseStep> Timeline);

/// <summary>What the order did when a case closed.</summary>
[GenerateSerializer, Immutable]
public sealed record AfterSaleSettled(
    [property: Id(0)] long Refunded,
    [property: Id(1)] OrderStatus OrderStatus);

/// <summary>The fixed list of reasons a buyer can give (analytics groups returns by them).</summary>
public static class AfterSaleReasons
{
    public static readonly IReadOnlyList<string> All =
    [
        "not_received", "damaged", "wrong_item", "not_as_described", "quality_issue", "missing_parts", "changed_mind", "other",
    ];

    public static bool IsKnown(string? code) => code is not null && All.Contains(code);
}
