using LiveCommerce.Grains.Common;
using LiveCommerce.Contracts.Payments;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Grains.Payments.Gateway;

/// <summary>
/// One payment at the sandbox provider. An open payment lives in memory (like a checkout session: if the
/// provider's node dies before the payer finishes, no money moved); once final it is written to the provider's
/// store, and only then are callbacks sent. Callbacks can be duplicated, delayed, out of order or dropped.
/// </summary>
public sealed class SandboxPaymentGrain(
    ISandboxStore store,
    IPaymentCallbackSender sender,
    IOptions<SandboxGatewayOptions> options,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<SandboxPaymentGrain> logger) : Grain, ISandboxPaymentGrain
{
    private readonly SandboxGatewayOptions _options = options.Value;
    private SandboxPaymentView? _payment;
    private int _callbacksSent;

    private string PaymentId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _payment = await store.GetAsync(PaymentId, cancellationToken);

    public Task<SandboxPaymentView> Create(string orderId, long amount)
    {
        if (amount <= 0) throw DomainException.Invalid("amount", "amount must be positive.");
        if (_payment is not null)
        {
            if (_payment.OrderId == orderId && _payment.Amount == amount) return Task.FromResult(View());
            throw DomainException.Conflict("payment.exists", $"Payment '{PaymentId}' exists for another order or amount.");
        }
        _payment = new SandboxPaymentView(PaymentId, orderId, amount, 0, SandboxPaymentStatus.Processing, clock.GetUtcNow(), null, [], 0);
        if (_options.AutoComplete)
        {
            var succeed = Random.Shared.NextDouble() >= _options.FailureRate;
            this.RegisterGrainTimer(() => CompleteAsync(succeed, null),
                new GrainTimerCreationOptions(_options.CompletionDelay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
        }
        return Task.FromResult(View());
    }

    public Task<SandboxPaymentView?> Find() => Task.FromResult(_payment is null ? null : View());

    public async Task<SandboxPaymentView> Complete(bool succeed, long? amountCaptured)
    {
        if (_payment is null) throw DomainException.NotFound("payment", PaymentId);
        await CompleteAsync(succeed, amountCaptured);
        return View();
    }

    public async Task<SandboxRefundView> Refund(string refundId, long amount)
    {
        if (_payment is null) throw DomainException.NotFound("payment", PaymentId);
        var existing = _payment.Refunds.FirstOrDefault(r => r.RefundId == refundId);
        if (existing is not null) return existing;
        if (_payment.Status != SandboxPaymentStatus.Succeeded)
            throw DomainException.Conflict("payment.not_refundable", "Only a succeeded payment can be refunded.", _payment.Status.ToString());
        if (amount <= 0) throw DomainException.Invalid("amount", "amount must be positive.");
        var refunded = _payment.Refunds.Sum(r => r.Amount);
        if (refunded + amount > _payment.AmountCaptured)
            throw DomainException.Conflict("payment.refund_exceeds_capture", $"Only {_payment.AmountCaptured - refunded} fen can still be refunded.");

        var refund = new SandboxRefundView(refundId, PaymentId, amount, clock.GetUtcNow());
        await store.AddRefundAsync(refund);
        _payment = _payment with { Refunds = [.. _payment.Refunds, refund] };
        return refund;
    }

    private async Task CompleteAsync(bool succeed, long? amountCaptured)
    {
        if (_payment is null || _payment.Status != SandboxPaymentStatus.Processing) return;
        var completed = _payment with
        {
            Status = succeed ? SandboxPaymentStatus.Succeeded : SandboxPaymentStatus.Failed,
            AmountCaptured = succeed ? amountCaptured ?? _payment.Amount : 0,
            CompletedAt = clock.GetUtcNow(),
        };
        await store.SaveCompletedAsync(completed); // the provider's record first: money never moves unrecorded
        _payment = completed;
        ScheduleCallbacks();
    }

    private void ScheduleCallbacks()
    {
        var p = _payment!;
        if (Random.Shared.NextDouble() < _options.DropRate)
        {
            logger.LogInformation("Sandbox drops the callback of payment {PaymentId}", PaymentId);
            return;
        }
        var final = new PaymentCallback($"{PaymentId}:final", p.Status == SandboxPaymentStatus.Succeeded ? PaymentCallback.Succeeded : PaymentCallback.Failed,
            PaymentId, p.OrderId, p.AmountCaptured, p.CompletedAt!.Value);
        Deliver(final, ExtraDelay());
        if (Random.Shared.NextDouble() < _options.DuplicateRate) Deliver(final, ExtraDelay() + TimeSpan.FromMilliseconds(50));
        if (Random.Shared.NextDouble() < _options.OutOfOrderRate)
            Deliver(new PaymentCallback($"{PaymentId}:processing", PaymentCallback.Processing, PaymentId, p.OrderId, p.Amount, p.CreatedAt),
                ExtraDelay() + TimeSpan.FromMilliseconds(100));
    }

    private TimeSpan ExtraDelay() =>
        _options.MaxExtraDelay <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * _options.MaxExtraDelay.TotalMilliseconds);

    private void Deliver(PaymentCallback callback, TimeSpan delay)
    {
        var attempt = 0;
        IGrainTimer? timer = null;
        timer = this.RegisterGrainTimer(async () =>
        {
            attempt++;
            if (await sender.SendAsync(callback))
            {
                _callbacksSent++;
                timer!.Dispose();
                return;
            }
            if (attempt >= _options.DeliveryAttempts)
            {
                logger.LogWarning("Sandbox gave up delivering callback {EventId} after {Attempts} attempts", callback.EventId, attempt);
                timer!.Dispose();
                return;
            }
            timer!.Change(TimeSpan.FromMilliseconds(200 * Math.Pow(2, attempt)), Timeout.InfiniteTimeSpan);
        }, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { KeepAlive = true, Interleave = true });
    }

    private SandboxPaymentView View() => _payment! with { CallbacksSent = _callbacksSent };
}
