namespace LiveCommerce.Contracts.Payments;

public enum SandboxPaymentStatus { Processing = 0, Succeeded = 1, Failed = 2 }

/// <summary>
/// The sandbox payment provider's own record of one payment, and the sender of its callbacks. It behaves like a
/// third-party provider: asynchronous, signed callbacks that can arrive twice, late, out of order, or never.
/// </summary>
public interface ISandboxPaymentGrain : IGrainWithStringKey
{
    Task<SandboxPaymentView> Create(string orderId, long amount);

    [Orleans.Concurrency.ReadOnly]
    Task<SandboxPaymentView?> Find();

    /// <summary>The payer finishes (or abandons) the payment: the final state is set and the callback scheduled.</summary>
    Task<SandboxPaymentView> Complete(bool succeed, long? amountCaptured);

    /// <summary>Refunds part of a succeeded payment. Idempotent by refund id.</summary>
    Task<SandboxRefundView> Refund(string refundId, long amount);
}

[GenerateSerializer, Immutable]
public sealed record SandboxRefundView(
    [property: Id(0)] string RefundId,
    [property: Id(1)] string PaymentId,
    [property: Id(2)] long Amount,
    [property: Id(3)] DateTimeOffset At);

[GenerateSerializer, Immutable]
public sealed record SandboxPaymentView(
    [property: Id(0)] string PaymentId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] long Amount,
    [property: Id(3)] long AmountCaptured,
    [property: Id(4)] SandboxPaymentStatus Status,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] DateTimeOffset? CompletedAt,
    [property: Id(7)] IReadOnlyList<SandboxRefundView> Refunds,
    [property: Id(8)] int CallbacksSent);
