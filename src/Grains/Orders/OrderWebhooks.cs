using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Platform.Webhooks;

namespace LiveCommerce.Grains.Orders;

/// <summary>The order's public facts every order webhook carries (no buyer id, address or phone).</summary>
public sealed record OrderFacts(string OrderId, string RoomId, string ProductId, int Quantity, long Amount, long PaidAmount,
    long RefundedAmount, OrderStatus Status);

/// <summary>What an app learns of an order through a webhook (one subtype per event type).</summary>
public abstract record OrderWebhook(OrderFacts Order) : WebhookPayload;

public sealed record OrderPaidWebhook(OrderFacts Order, string PaymentId, DateTimeOffset PaidAt, bool OnHold) : OrderWebhook(Order)
{
    public override string Type => WebhookEventTypes.OrderPaid;
}

public sealed record OrderShippedWebhook(OrderFacts Order, string? Carrier, string? TrackingNumber, DateTimeOffset ShippedAt) : OrderWebhook(Order)
{
    public override string Type => WebhookEventTypes.OrderShipped;
}

public sealed record OrderDeliveredWebhook(OrderFacts Order, DateTimeOffset DeliveredAt) : OrderWebhook(Order)
{
    public override string Type => WebhookEventTypes.OrderDelivered;
}

public sealed record OrderConfirmedWebhook(OrderFacts Order, DateTimeOffset ConfirmedAt) : OrderWebhook(Order)
{
    public override string Type => WebhookEventTypes.OrderConfirmed;
}

public sealed record OrderRefundedWebhook(OrderFacts Order, string RefundId, long RefundAmount, DateTimeOffset RefundedAt) : OrderWebhook(Order)
{
    public override string Type => WebhookEventTypes.OrderRefunded;
}

/// <summary>The buyer opened an after-sale case the order admitted (the buyer's words and evidence stay out).</summary>
public sealed record AfterSaleOpenedWebhook(OrderFacts Order, string CaseId, AfterSaleKind Kind, long RequestedAmount, DateTimeOffset OpenedAt) : OrderWebhook(Order)
{
    public override string Type => WebhookEventTypes.AfterSaleOpened;
}

/// <summary>The case closed on the order, refunding <see cref="RefundAmount"/> (0 when refused).</summary>
public sealed record AfterSaleClosedWebhook(OrderFacts Order, string CaseId, long RefundAmount, DateTimeOffset ClosedAt) : OrderWebhook(Order)
{
    public override string Type => WebhookEventTypes.AfterSaleClosed;
}

/// <summary>An admin released or rejected the money risk control held (who decided stays internal).</summary>
public sealed record RiskReviewDecidedWebhook(OrderFacts Order, ReviewDecision Decision, DateTimeOffset DecidedAt) : OrderWebhook(Order)
{
    public override string Type => WebhookEventTypes.RiskReviewDecided;
}
