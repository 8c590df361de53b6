using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Grains.Orders;

/// <summary>
/// Owns one <see cref="AfterSaleCase"/>: loads it, persists every step before answering, carries a closing to the
/// order (persisted first as <see cref="AfterSaleCaseState.PendingSettlement"/>, retried until the order has it; the
/// order is idempotent by case id) and publishes each step. A durable reminder acts on the case's deadline.
/// </summary>
public sealed class AfterSaleCaseGrain(
    [PersistentState("afterSaleCase", StorageNames.Orders)] IPersistentState<AfterSaleCaseState> persisted,
    IOptions<AfterSalePolicy> policy,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<AfterSaleCaseGrain> logger) : Grain, IAfterSaleCaseGrain, IRemindable, IIncomingGrainCallFilter
{
    private const string DeadlineReminder = "after-sale-deadline";
    private AfterSaleCase? _case;
    private AfterSaleCase Case => _case ??= new AfterSaleCase(this.GetPrimaryKeyString(), persisted.State, policy.Value);

    /// <summary>A call that failed after changing memory (a write or the order call) drops the activation: the next call starts from what is durable.</summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception e) when (e is not DomainException)
        {
            logger.LogWarning(e, "After-sale case {CaseId}: {Method} failed; the activation is dropped", this.GetPrimaryKeyString(), context.ImplementationMethod.Name);
            DeactivateOnIdle();
            throw;
        }
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A closing persisted but not carried to the order (a crash in between) is carried now, or by the reminder.
        if (persisted.State.PendingSettlement is null) return;
        try { await SettleAsync(); }
        catch (Exception e) when (e is not DomainException) { logger.LogWarning(e, "After-sale case {CaseId}: closing not carried to the order yet", this.GetPrimaryKeyString()); }
    }

    public async Task<AfterSaleCaseView> Open(AfterSaleOpening opening)
    {
        if (!Case.Open(opening)) return Case.View();
        await CommitAsync();
        return Case.View();
    }

    public Task<AfterSaleCaseView> Get() => Task.FromResult(Case.View());

    public Task<AfterSaleCaseView> Approve(string merchantId) => StepAsync(now => Case.Approve(merchantId, now));
    public Task<AfterSaleCaseView> Reject(string merchantId, string reason) => StepAsync(now => Case.Reject(merchantId, reason, now));
    public Task<AfterSaleCaseView> OfferPartial(string merchantId, long amount) => StepAsync(now => Case.OfferPartial(merchantId, amount, now));
    public Task<AfterSaleCaseView> AcceptOffer(string buyerId) => StepAsync(now => Case.AcceptOffer(buyerId, now));
    public Task<AfterSaleCaseView> Withdraw(string buyerId) => StepAsync(now => Case.Withdraw(buyerId, now));
    public Task<AfterSaleCaseView> ShipReturn(string buyerId, string carrier, string trackingNumber) =>
        StepAsync(now => Case.ShipReturn(buyerId, carrier, trackingNumber, now));
    public Task<AfterSaleCaseView> ConfirmReturn(string merchantId) => StepAsync(now => Case.ConfirmReturn(merchantId, now));
    public Task<AfterSaleCaseView> Escalate(string buyerId) => StepAsync(now => Case.Escalate(buyerId, now));
    public Task<AfterSaleCaseView> Arbitrate(Arbitration decision) => StepAsync(now => Case.Arbitrate(decision, now));

    public async Task<AfterSaleCaseView> ApplyReturnLogistics(LogisticsEvent logisticsEvent)
    {
        if (Case.ReturnLogistics(logisticsEvent, clock.GetUtcNow())) await CommitAsync();
        return Case.View();
    }

    public async Task<AfterSaleCaseView> RunDeadline()
    {
        Case.RequireExists();
        if (Case.RunDeadline(clock.GetUtcNow())) await CommitAsync();
        return Case.View();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != DeadlineReminder) return;
        if (!persisted.State.Exists || AfterSaleCase.IsFinal(persisted.State.Status) && persisted.State.PendingSettlement is null)
        {
            await UnregisterDeadlineAsync();
            return;
        }
        if (persisted.State.PendingSettlement is not null) await SettleAsync();
        else await RunDeadline();
    }

    private async Task<AfterSaleCaseView> StepAsync(Action<DateTimeOffset> step)
    {
        var steps = persisted.State.Timeline.Count;
        step(clock.GetUtcNow());
        // A repeat of the last step saves nothing, but finishes what the first may not have (its answer was lost:
        // perhaps before the reminder was registered or the refund carried to the order). Every part is idempotent.
        if (persisted.State.Timeline.Count == steps) await FollowUpAsync();
        else await CommitAsync();
        return Case.View();
    }

    /// <summary>Persists the step, carries a closing to the order, keeps the deadline reminder in step, publishes.</summary>
    private async Task CommitAsync()
    {
        await persisted.WriteStateAsync();
        await FollowUpAsync();
    }

    private async Task FollowUpAsync()
    {
        if (persisted.State.PendingSettlement is not null)
        {
            // The reminder is the retry if the order cannot be reached now; it is dropped once the order has the closing.
            await this.RegisterOrUpdateReminder(DeadlineReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5));
            try
            {
                await SettleAsync();
            }
            catch (Exception e) when (e is not DomainException)
            {
                // The step is durable and the reminder carries the closing to the order (its refund is keyed by this
                // case): the caller is told the step was taken, with the refund still pending, rather than an error
                // for a step a repeat would now refuse (a silo stopping under the order call, in a rolling restart).
                logger.LogWarning(e, "After-sale case {CaseId}: closing not carried to the order yet; the reminder retries", this.GetPrimaryKeyString());
                DeactivateOnIdle(); // memory may hold a settlement whose write failed
                await PublishAsync();
                return;
            }
        }
        else await PublishAsync();
        await KeepDeadlineAsync();
    }

    private async Task SettleAsync()
    {
        var s = persisted.State;
        var settlement = s.PendingSettlement!;
        var settled = await GrainFactory.Ref<IOrderGrain>(s.Opening!.OrderId).SettleAfterSale(this.GetPrimaryKeyString(), settlement.Amount, settlement.Reason);
        Case.Settled(settled.Refunded);
        await persisted.WriteStateAsync();
        await PublishAsync();
    }

    private async Task KeepDeadlineAsync()
    {
        var s = persisted.State;
        if (s.Deadline is { } due)
        {
            // Reminders run on real time; the tick asks the business clock whether the deadline passed.
            var wait = due - clock.GetUtcNow();
            await this.RegisterOrUpdateReminder(DeadlineReminder, wait < TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : wait, TimeSpan.FromHours(1));
        }
        else if (AfterSaleCase.IsFinal(s.Status) && s.PendingSettlement is null) await UnregisterDeadlineAsync();
    }

    private async Task UnregisterDeadlineAsync()
    {
        if (await this.GetReminder(DeadlineReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    private Task PublishAsync()
    {
        var e = Case.Changed(clock.GetUtcNow());
        return this.PublishAsync(logger, e,
            (EventStreams.Merchants, e.MerchantId),
            (EventStreams.Streamers, e.StreamerId),
            (EventStreams.Platform, EventStreams.PlatformShard(e.BuyerId)));
    }
}
