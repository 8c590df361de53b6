namespace LiveCommerce.Grains.Payments.Gateway;

/// <summary>
/// A payment provider as the order sees it. Creating a payment returns its id at once; the result arrives later
/// as a signed callback to the front door (and is also visible to reconciliation through <see cref="ListCompleted"/>).
/// </summary>
public interface IPaymentGateway
{
    string Name { get; }

    Task<GatewayPayment> CreatePayment(string orderId, long amount);

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
