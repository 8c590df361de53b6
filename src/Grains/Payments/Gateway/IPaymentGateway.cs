namespace LiveCommerce.Grains.Payments.Gateway;

/// <summary>
/// A payment provider as the order sees it. Creating a payment returns its id at once; the result arrives later
/// as a signed callback to the front door (and is also visible to reconciliation through <see cref="ListCompleted"/>).
/// A callback is only a notification: the order believes a result after <see cref="ConfirmPayment"/> returns the
/// provider's own record of it.
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

    /// <summary>
    /// The provider's own record of a payment (its reference, order, amounts and status), null when the provider
    /// has no such payment. A real adapter asks the provider's query API; it never echoes what a callback said.
    /// </summary>
    Task<GatewayPayment?> ConfirmPayment(string paymentId);

    /// <summary>Payments that reached a final state (succeeded or failed) in [from, to), from the provider's records.</summary>
    Task<IReadOnlyList<GatewayPayment>> ListCompleted(DateTimeOffset from, DateTimeOffset to);
}

public enum GatewayPaymentStatus { Processing, Succeeded, Failed }

/// <param name="Reference">The merchant's reference the payment was opened under (an order's <c>{orderId}-{n}</c>).</param>
/// <param name="Amount">The amount asked for when the payment was opened.</param>
/// <param name="AmountCaptured">The amount the payer actually paid (0 unless succeeded).</param>
public sealed record GatewayPayment(string PaymentId, string Reference, string OrderId, long Amount, long AmountCaptured, GatewayPaymentStatus Status,
    DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, long Refunded);

public sealed record GatewayRefund(string RefundId, string PaymentId, long Amount, DateTimeOffset At);
