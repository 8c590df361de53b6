using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Gateway;

namespace LiveCommerce.Tests.Support;

/// <summary>Delivers sandbox callbacks to the order grain, as the front door does once the signature checks out.</summary>
public sealed class DirectCallbackSender(IGrainFactory grains) : IPaymentCallbackSender
{
    public static int Delivered;

    public async Task<bool> SendAsync(PaymentCallback callback, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Delivered);
        if (callback.Type == PaymentCallback.Processing) return true;
        await grains.GetGrain<IOrderGrain>(callback.OrderId).ApplyPaymentResult(new PaymentResult(
            callback.PaymentId, callback.OrderId, callback.Amount, callback.Type == PaymentCallback.Succeeded, callback.OccurredAt, "test-callback"));
        return true;
    }
}
