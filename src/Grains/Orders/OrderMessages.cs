using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Platform;

namespace LiveCommerce.Grains.Orders;

/// <summary>
/// A call the order owes another grain or the gateway because of a state change already persisted (the outbox).
/// Messages of one <see cref="Channel"/> are delivered in order, each retried until acknowledged; every receiver is
/// idempotent. <see cref="Seq"/> is given when the message is enqueued.
/// </summary>
[GenerateSerializer]
public abstract record OrderMessage
{
    [Id(0)] public int Seq { get; init; }

    public abstract string Channel { get; }
}

/// <summary>A posting to one party's settlement account (deduplicated there by its posting id).</summary>
[GenerateSerializer]
public sealed record PostToAccount([property: Id(0)] string AccountId, [property: Id(1)] AccountPosting Posting) : OrderMessage
{
    public override string Channel => "account:" + AccountId;
}

[GenerateSerializer]
public sealed record CommitRoomSale([property: Id(0)] long Amount) : OrderMessage
{
    public override string Channel => "room";
}

[GenerateSerializer]
public sealed record ReleaseRoomStock : OrderMessage
{
    public override string Channel => "room";
}

/// <summary>Sold units go back on the shelf: only for goods that never left the merchant.</summary>
[GenerateSerializer]
public sealed record ReturnSoldStock([property: Id(0)] long Amount) : OrderMessage
{
    public override string Channel => "room";
}

[GenerateSerializer]
public sealed record RecordBuyerPurchase([property: Id(0)] long Amount, [property: Id(1)] DateTimeOffset At) : OrderMessage
{
    public override string Channel => "buyer";
}

[GenerateSerializer]
public sealed record RefundAtGateway([property: Id(0)] string PaymentId, [property: Id(1)] string RefundId, [property: Id(2)] long Amount) : OrderMessage
{
    public override string Channel => "gateway";
}

[GenerateSerializer]
public sealed record ScheduleAutoConfirm([property: Id(0)] DateTimeOffset At) : OrderMessage
{
    public override string Channel => "scheduler";
}

[GenerateSerializer]
public sealed record AddToReviewQueue([property: Id(0)] long Amount, [property: Id(1)] DateTimeOffset At) : OrderMessage
{
    public override string Channel => "review";
}

[GenerateSerializer]
public sealed record MarkReviewDecided([property: Id(0)] ReviewDecision Decision, [property: Id(1)] string AdminId, [property: Id(2)] DateTimeOffset At) : OrderMessage
{
    public override string Channel => "review";
}

[GenerateSerializer]
public sealed record CountPaidForRisk([property: Id(0)] DateTimeOffset At) : OrderMessage
{
    public override string Channel => "risk";
}

[GenerateSerializer]
public sealed record CountRefundedForRisk([property: Id(0)] DateTimeOffset At) : OrderMessage
{
    public override string Channel => "risk";
}

/// <summary>Opens the after-sale case the order just admitted (the case grain's Open is idempotent).</summary>
[GenerateSerializer]
public sealed record OpenAfterSaleCase([property: Id(0)] AfterSaleOpening Opening) : OrderMessage
{
    public override string Channel => "after-sale";
}

/// <summary>Appends a webhook event to the durable event log (idempotent by event id).</summary>
[GenerateSerializer]
public sealed record RecordWebhookEvent([property: Id(0)] WebhookEvent Event) : OrderMessage
{
    public override string Channel => "webhooks";
}

public static class LegacyOutbox
{
    /// <summary>
    /// Reads an outbox item persisted before the outbox was typed (<see cref="OrderState.LegacyOutbox"/>), so an order
    /// written by the previous version still delivers what it owes. The only place the old note string is parsed.
    /// </summary>
    public static OrderMessage ToMessage(this OutboxItem item)
    {
        OrderMessage message = item.Kind switch
        {
            OutboxKind.AccountPosting => new PostToAccount(item.AccountId!, item.Posting!),
            OutboxKind.RoomCommit => new CommitRoomSale(item.Amount),
            OutboxKind.RoomRelease => new ReleaseRoomStock(),
            OutboxKind.RoomReturnSold => new ReturnSoldStock(item.Amount),
            OutboxKind.BuyerRecordPurchase => new RecordBuyerPurchase(item.Amount, item.At!.Value),
            OutboxKind.GatewayRefund => new RefundAtGateway(item.PaymentId!, item.RefundId!, item.Amount),
            OutboxKind.ScheduleAutoConfirm => new ScheduleAutoConfirm(item.At!.Value),
            OutboxKind.ReviewQueueAdd => new AddToReviewQueue(item.Amount, item.At!.Value),
            OutboxKind.ReviewQueueDecided => new MarkReviewDecided(Enum.Parse<ReviewDecision>(item.Note!.Split('|')[0]), item.Note.Split('|')[1], item.At!.Value),
            OutboxKind.RiskCountPaid => new CountPaidForRisk(item.At!.Value),
            OutboxKind.RiskCountRefunded => new CountRefundedForRisk(item.At!.Value),
            _ => throw new ArgumentOutOfRangeException(nameof(item), item.Kind, null),
        };
        return message with { Seq = item.Id };
    }
}
