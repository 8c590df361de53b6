using LiveCommerce.Contracts.Payments;

namespace LiveCommerce.Grains.Payments.Gateway;

/// <summary>The <see cref="IPaymentGateway"/> backed by the sandbox provider's grains and store.</summary>
public sealed class SandboxGateway(IGrainFactory grains, ISandboxStore store) : IPaymentGateway
{
    public string Name => "sandbox";

    /// <summary>The sandbox's payment id is its reference: one payment grain per reference makes the call idempotent.</summary>
    public async Task<GatewayPayment> CreatePayment(string reference, string orderId, long amount) =>
        Map(await grains.Ref<ISandboxPaymentGrain>(PaymentIdPrefix + reference).Create(orderId, amount));

    /// <summary>The sandbox names a payment "pay-" + the merchant's reference; the reference is its own record of it.</summary>
    private const string PaymentIdPrefix = "pay-";

    public async Task<GatewayRefund> Refund(string paymentId, string refundId, long amount)
    {
        var refund = await grains.Ref<ISandboxPaymentGrain>(paymentId).Refund(refundId, amount);
        return new GatewayRefund(refund.RefundId, refund.PaymentId, refund.Amount, refund.At);
    }

    public async Task<GatewayPayment?> ConfirmPayment(string paymentId)
    {
        // Only ids the sandbox could have issued: anything else is unknown without activating a payment grain.
        if (!paymentId.StartsWith(PaymentIdPrefix, StringComparison.Ordinal) || !Ids.IsValid(paymentId)) return null;
        var payment = await grains.Ref<ISandboxPaymentGrain>(paymentId).Find();
        return payment is null ? null : Map(payment);
    }

    public async Task<IReadOnlyList<GatewayPayment>> ListCompleted(DateTimeOffset from, DateTimeOffset to) =>
        (await store.ListCompletedAsync(from, to)).Select(Map).ToList();

    private static GatewayPayment Map(SandboxPaymentView p) =>
        new(p.PaymentId, p.PaymentId[PaymentIdPrefix.Length..], p.OrderId, p.Amount, p.AmountCaptured, p.Status switch
        {
            SandboxPaymentStatus.Succeeded => GatewayPaymentStatus.Succeeded,
            SandboxPaymentStatus.Failed => GatewayPaymentStatus.Failed,
            _ => GatewayPaymentStatus.Processing,
        }, p.CreatedAt, p.CompletedAt, p.Refunds.Sum(r => r.Amount));
}
