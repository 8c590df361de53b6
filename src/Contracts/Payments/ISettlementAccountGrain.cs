namespace LiveCommerce.Contracts.Payments;

/// <summary>
/// A party's settlement account (brand/merchant, distributor, streamer, platform): its cycle and balances.
/// Balances live in the grain; the history (ledger lines, settlement batches) is append-only storage.
/// </summary>
public interface ISettlementAccountGrain : IGrainWithStringKey
{
    /// <summary>Applies an order's posting. Idempotent: an order delivers its postings to an account in order and retries the last one until acknowledged.</summary>
    Task Apply(AccountPosting posting);

    [Orleans.Concurrency.ReadOnly]
    Task<AccountBalance> GetBalance();

    /// <summary>Sets the settlement cycle (0 = T+0, N = T+N business days); applies to shares confirmed from now on.</summary>
    Task<AccountBalance> SetCycle(int cycleDays, string actorId);

    /// <summary>
    /// Changes the cycle, by an operator (0..30) or by the account's own merchant within the platform's self-service
    /// range; says which confirmed, unsettled shares it re-dates (none: a share keeps the date it was given when it
    /// was confirmed) and lists those that keep their date.
    /// </summary>
    Task<CycleChange> ChangeCycle(int cycleDays, string actorId, bool selfService);

    /// <summary>Makes every confirmed share whose settlement time has passed available, as one batch. Safe to run twice.</summary>
    Task<SettlementRunResult> RunSettlement();

    /// <summary>
    /// Pays available money out to the party's bank account and answers its receipt. Idempotent by payout id: a repeat
    /// answers the original payout's receipt and pays nothing (<see cref="PayoutReceipt.Replayed"/>).
    /// </summary>
    Task<PayoutReceipt> Payout(string payoutId, long amount, string actorId);

    Task<IReadOnlyList<SettlementBatchView>> GetBatches(DateOnly from, DateOnly to);

    Task<SettlementBatchView?> GetBatch(string batchId);

    /// <summary>Ledger lines of the business days from..to (inclusive, business time zone).</summary>
    Task<IReadOnlyList<LedgerLineView>> GetStatement(DateOnly from, DateOnly to);
}

public enum PostingKind
{
    /// <summary>A paid order's share enters escrow.</summary>
    CreditPending = 0,
    /// <summary>A paid order's share enters escrow on hold (risk review).</summary>
    CreditOnHold = 1,
    /// <summary>Risk review released the share: on hold → pending.</summary>
    ReleaseHold = 2,
    /// <summary>The order was confirmed: the share is scheduled for settlement on the account's cycle.</summary>
    Confirm = 3,
    /// <summary>
    /// A refund takes the amount back from wherever the order's money sits at this account: out of the hold or out
    /// of escrow before settlement, or clawed back from the available balance after it (which may go negative and
    /// is recovered from later settlements). The account, not the order, knows which, since it settles on its own
    /// schedule.
    /// </summary>
    Refund = 4,
}

[GenerateSerializer, Immutable]
public sealed record AccountPosting(
    [property: Id(0)] string PostingId,
    [property: Id(1)] string OrderId,
    [property: Id(2)] PostingKind Kind,
    [property: Id(3)] long Amount,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] int Sequence,
    [property: Id(6)] int BasisPoints);

[GenerateSerializer, Immutable]
public sealed record AccountBalance(
    [property: Id(0)] string AccountId,
    [property: Id(1)] long Pending,
    [property: Id(2)] long OnHold,
    [property: Id(3)] long Available,
    [property: Id(4)] long PaidOut,
    [property: Id(5)] int CycleDays,
    [property: Id(6)] int OpenOrders,
    [property: Id(7)] DateTimeOffset? NextSettlementAt,
    [property: Id(8)] long TotalCredited,
    [property: Id(9)] long TotalReversed,
    [property: Id(10)] int BatchCount);

/// <summary>
/// A payout as its caller keeps it: the payout id (the request's Idempotency-Key), the amount in fen, the receipt (the
/// ledger entry that records it, also named by the <c>payout.paid</c> webhook), when it was paid and the account's
/// available and paid-out balances right after it. A repeat of the same key answers the same receipt.
/// The after-balances are null only for a payout recorded before receipts kept them.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PayoutReceipt(
    [property: Id(0)] string PayoutId,
    [property: Id(1)] string AccountId,
    [property: Id(2)] long Amount,
    [property: Id(3)] string Receipt,
    [property: Id(4)] DateTimeOffset PaidAt,
    [property: Id(5)] long? AvailableAfter,
    [property: Id(6)] long? PaidOutAfter)
{
    /// <summary>This answer repeats an earlier payout of the same key. Said by the Idempotent-Replayed header, not the
    /// body, so a replay's body is the original's (and the type still reads back from JSON).</summary>
    [Id(7), System.Text.Json.Serialization.JsonIgnore]
    public bool Replayed { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record SettlementRunResult(
    [property: Id(0)] string? BatchId,
    [property: Id(1)] int Lines,
    [property: Id(2)] long Total);

[GenerateSerializer, Immutable]
public sealed record SettlementBatchView(
    [property: Id(0)] string BatchId,
    [property: Id(1)] string AccountId,
    [property: Id(2)] DateOnly BusinessDate,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] long Total,
    [property: Id(5)] int LineCount,
    [property: Id(6)] IReadOnlyList<SettlementLineView> Lines);

/// <summary>One order in a settlement batch: the share it credited, what was refunded from it before settlement, what settled.</summary>
[GenerateSerializer, Immutable]
public sealed record SettlementLineView(
    [property: Id(0)] string OrderId,
    [property: Id(1)] long Share,
    [property: Id(2)] int BasisPoints,
    [property: Id(3)] long RefundedBeforeSettlement,
    [property: Id(4)] long Amount);

/// <summary>A movement on the account's ledger: an order posting, a settlement, a payout.</summary>
[GenerateSerializer, Immutable]
public sealed record LedgerLineView(
    [property: Id(0)] string EntryId,
    [property: Id(1)] string AccountId,
    [property: Id(2)] string? OrderId,
    [property: Id(3)] string Kind,
    [property: Id(4)] long Amount,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] string? BatchId);

/// <summary>A confirmed, unsettled share and the time it settles.</summary>
[GenerateSerializer, Immutable]
public sealed record ShareDate([property: Id(0)] string OrderId, [property: Id(1)] long Amount, [property: Id(2)] DateTimeOffset SettleAt);

/// <summary>
/// What a cycle change did: the new cycle applies to shares confirmed from now on; <see cref="Redated"/> lists the
/// already-confirmed shares it moved (always empty: a confirmed share's date is part of what the merchant was told),
/// <see cref="KeepDates"/> the confirmed, unsettled shares that keep theirs (at most 100, <see cref="KeepDatesTotal"/> in all).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record CycleChange(
    [property: Id(0)] string AccountId,
    [property: Id(1)] int PreviousCycleDays,
    [property: Id(2)] int CycleDays,
    [property: Id(3)] IReadOnlyList<ShareDate> Redated,
    [property: Id(4)] IReadOnlyList<ShareDate> KeepDates,
    [property: Id(5)] int KeepDatesTotal);
