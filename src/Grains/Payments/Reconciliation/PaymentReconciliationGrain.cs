using LiveCommerce.Grains.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Payments.Gateway;

namespace LiveCommerce.Grains.Payments.Reconciliation;

[GenerateSerializer]
public sealed class ReconciliationState
{
    [Id(0)] public DateTimeOffset? Checkpoint { get; set; }
    [Id(1)] public int Runs { get; set; }
    [Id(2)] public long Checked { get; set; }
    [Id(3)] public long Repaired { get; set; }
    [Id(4)] public long Unresolved { get; set; }
    [Id(5)] public Dictionary<string, long> RepairsByKind { get; set; } = [];
    [Id(6)] public List<ReconciliationAction> RecentActions { get; set; } = [];
    [Id(7)] public long Unmatched { get; set; }
    [Id(8)] public List<UnmatchedPayment> RecentUnmatched { get; set; } = [];
}

public sealed class PaymentReconciliationGrain(
    [PersistentState("paymentReconciliation", StorageNames.Accounts)] IPersistentState<ReconciliationState> persisted,
    IPaymentGateway gateway,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<PaymentReconciliationGrain> logger) : Grain, IPaymentReconciliationGrain, IRemindable
{
    /// <summary>The key of the sandbox gateway's reconciliation (one grain per gateway).</summary>
    public const string GatewayKey = "sandbox";
    private const string Tick = "reconciliation";
    private const int RecentKept = 500;
    /// <summary>Completions younger than this may still be on their way into the provider's records.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        await this.RegisterOrUpdateReminder(Tick, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));

    public async Task<ReconciliationReport> RunDue()
    {
        var to = clock.GetUtcNow() - Grace;
        var from = persisted.State.Checkpoint ?? to - TimeSpan.FromHours(1);
        if (to <= from) return new ReconciliationReport(from, to, 0, 0, 0, 0, []);
        var report = await Reconcile(from, to);
        persisted.State.Checkpoint = to;
        await persisted.WriteStateAsync();
        return report;
    }

    public async Task<ReconciliationReport> Reconcile(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from) throw DomainException.Invalid("to", "to must be after from.");
        var payments = await gateway.ListCompleted(from, to);
        var actions = new List<ReconciliationAction>();
        int matched = 0, unresolved = 0;
        foreach (var chunk in payments.Chunk(64))
        {
            var outcomes = await Task.WhenAll(chunk.Select(async p => (p, outcome: await CheckAsync(p))));
            foreach (var (p, outcome) in outcomes)
            {
                var kind = outcome switch
                {
                    PaymentApplyOutcome.AlreadyApplied => null,
                    PaymentApplyOutcome.Applied => "lost_callback_applied",
                    PaymentApplyOutcome.Failed => "lost_failure_recorded",
                    PaymentApplyOutcome.RefundedCancelledOrder => "payment_for_cancelled_order_refunded",
                    PaymentApplyOutcome.RefundedDuplicate => "duplicate_payment_refunded",
                    PaymentApplyOutcome.RefundedAmountMismatch => "captured_amount_mismatch_refunded",
                    PaymentApplyOutcome.AmountMismatch => "unresolved_amount_mismatch",
                    PaymentApplyOutcome.NotConfirmed => "unresolved_not_confirmed",
                    _ => "unresolved_unknown_order",
                };
                if (kind is null) { matched++; continue; }
                if (outcome is PaymentApplyOutcome.UnknownPayment or PaymentApplyOutcome.AmountMismatch or PaymentApplyOutcome.NotConfirmed or null) unresolved++;
                actions.Add(new ReconciliationAction(clock.GetUtcNow(), p.PaymentId, p.OrderId, kind, p.AmountCaptured));
            }
        }

        var s = persisted.State;
        s.Runs++;
        s.Checked += payments.Count;
        s.Repaired += actions.Count - unresolved;
        s.Unresolved += unresolved;
        foreach (var a in actions) s.RepairsByKind[a.Kind] = s.RepairsByKind.GetValueOrDefault(a.Kind) + 1;
        s.RecentActions.AddRange(actions);
        if (s.RecentActions.Count > RecentKept) s.RecentActions.RemoveRange(0, s.RecentActions.Count - RecentKept);
        await persisted.WriteStateAsync();
        if (actions.Count > 0)
            logger.LogInformation("Reconciliation {From}..{To}: {Checked} checked, {Repaired} repaired, {Unresolved} unresolved",
                from, to, payments.Count, actions.Count - unresolved, unresolved);
        return new ReconciliationReport(from, to, payments.Count, matched, actions.Count - unresolved, unresolved, actions);
    }

    public Task<ReconciliationStatus> GetStatus()
    {
        var s = persisted.State;
        return Task.FromResult(new ReconciliationStatus(s.Checkpoint, s.Runs, s.Checked, s.Repaired, s.Unresolved,
            new Dictionary<string, long>(s.RepairsByKind), s.RecentActions.TakeLast(100).ToList(), s.Unmatched, s.RecentUnmatched.TakeLast(100).ToList()));
    }

    public async Task RecordUnmatched(UnmatchedPayment unmatched)
    {
        var s = persisted.State;
        s.Unmatched++;
        s.RecentUnmatched.Add(unmatched);
        if (s.RecentUnmatched.Count > RecentKept) s.RecentUnmatched.RemoveRange(0, s.RecentUnmatched.Count - RecentKept);
        await persisted.WriteStateAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == Tick) await RunDue();
    }

    private async Task<PaymentApplyOutcome?> CheckAsync(GatewayPayment p)
    {
        if (p.Status == GatewayPaymentStatus.Processing) return PaymentApplyOutcome.AlreadyApplied;
        try
        {
            var applied = await GrainFactory.Ref<IOrderGrain>(p.OrderId).ApplyPaymentResult(
                new PaymentResult(p.PaymentId, p.OrderId, p.AmountCaptured, p.Status == GatewayPaymentStatus.Succeeded,
                    p.CompletedAt ?? p.CreatedAt, "reconciliation"));
            return applied.Outcome;
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Reconciliation could not check payment {PaymentId} of order {OrderId}", p.PaymentId, p.OrderId);
            return null;
        }
    }
}
