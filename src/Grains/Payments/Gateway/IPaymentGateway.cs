namespace LiveCommerce.Grains.Payments.Gateway;

/// <summary>
/// A payment provider as the order sees it. Creating a payment returns its id at once; the result arrives later
/// as a signed callback to the front door (and is also visible to reconciliation through <see cref="ListCompleted"/>).
/// </summary>
public interface IPaymentGateway
{
    string Name { get; }

    /// <summary>
    /// Opens a payment under the merchant's own reference for it (an order's n-th payment attempt). Idempotent by
    /// reference, as real providers are with the merchant's trade number: asking again returns the same payment,
    /// so the order does not have to write the attempt down before the payer pays.
    /// </summary>
    Task<GatewayPayment> CreatePayment(string reference, string orderId, long amount);

    /// <summary>Refunds part of a succeeded payment; idempotent by <paramref name="refundId"/>.</summary>
    Task<GatewayRefund> Refund(string paymentId, string refundId, long amount);

    Task<GatewayPayment?> GetPayment(string paymentId);

    /// <summary>Payments that reached a final state (succeeded or failed) in [from, to), from the provider's records.</summary>
    Task<IReadOnlyList<GatewayPayment>> ListCompleted(DateTimeOffset from, DateTimeOffset to);
}

public enum GatewayPaymentStatus { Processing, Succeeded, Failed }

public sealed record GatewayPayment(string PaymentId, string OrderId, long Amount, long AmountCaptured, GatewayPaymentStatus Status,
    DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, long Refunded);

public sealed record GatewayRefund(string RefundId, string PaymentId, long Amount, DateTimeOffset At);
