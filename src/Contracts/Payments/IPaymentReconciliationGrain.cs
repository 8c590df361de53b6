namespace LiveCommerce.Contracts.Payments;

/// <summary>
/// Compares the payment provider's records with the orders and repairs every mismatch (a lost callback, a payment
/// for an order cancelled meanwhile, a second payment for an order already paid), recording what it did.
/// Keyed by gateway name. Runs on a reminder over windows it has not checked yet, or on demand over any window.
/// </summary>
public interface IPaymentReconciliationGrain : IGrainWithStringKey
{
    Task<ReconciliationReport> Reconcile(DateTimeOffset from, DateTimeOffset to);

    /// <summary>Checks everything completed since the last checkpoint (up to a minute ago).</summary>
    [ResponseTimeout("00:01:00")] // a window of payments, each checked against its order: longer than the silos' 10 s call timeout
    Task<ReconciliationReport> RunDue();

    [Orleans.Concurrency.ReadOnly]
    Task<ReconciliationStatus> GetStatus();

    /// <summary>
    /// Records a payment notification the order did not believe (unknown attempt, amount or status the provider does
    /// not confirm), for operators to follow up; persisted before it returns.
    /// </summary>
    Task RecordUnmatched(UnmatchedPayment unmatched);
}

/// <summary>A payment notification that moved no money because the provider's record did not back it.</summary>
[GenerateSerializer, Immutable]
public sealed record UnmatchedPayment(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string Source,
    [property: Id(2)] string PaymentId,
    [property: Id(3)] string OrderId,
    [property: Id(4)] long Amount,
    [property: Id(5)] bool Succeeded,
    [property: Id(6)] string Reason);

[GenerateSerializer, Immutable]
public sealed record ReconciliationAction(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string PaymentId,
    [property: Id(2)] string OrderId,
    [property: Id(3)] string Kind,
    [property: Id(4)] long Amount);

[GenerateSerializer, Immutable]
public sealed record ReconciliationReport(
    [property: Id(0)] DateTimeOffset From,
    [property: Id(1)] DateTimeOffset To,
    [property: Id(2)] int Checked,
    [property: Id(3)] int Matched,
    [property: Id(4)] int Repaired,
    [property: Id(5)] int Unresolved,
    [property: Id(6)] IReadOnlyList<ReconciliationAction> Actions);

[GenerateSerializer, Immutable]
public sealed record ReconciliationStatus(
    [property: Id(0)] DateTimeOffset? Checkpoint,
    [property: Id(1)] int Runs,
    [property: Id(2)] long Checked,
    [property: Id(3)] long Repaired,
    [property: Id(4)] long Unresolved,
    [property: Id(5)] IReadOnlyDictionary<string, long> RepairsByKind,
    [property: Id(6)] IReadOnlyList<ReconciliationAction> RecentActions,
    [property: Id(7)] long Unmatched,
    [property: Id(8)] IReadOnlyList<UnmatchedPayment> RecentUnmatched);
