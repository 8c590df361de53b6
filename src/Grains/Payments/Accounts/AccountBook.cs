using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Grains.Payments.Accounts;

/// <summary>
/// A settlement account: balances, cycle, and the shares not yet settled. Persisted by the settlement store (a
/// balances row and one row per open share, written in one transaction with the ledger lines), not as a grain
/// state blob: the open shares of a platform account are every unsettled order, and must not be rewritten whole.
/// </summary>
public sealed class AccountState
{
    public bool Exists { get; set; }
    public int CycleDays { get; set; }
    public long Pending { get; set; }
    public long OnHold { get; set; }
    public long Available { get; set; }
    public long PaidOut { get; set; }
    public long TotalCredited { get; set; }
    public long TotalReversed { get; set; }
    /// <summary>Shares not yet settled, by order id. Settled or fully refunded shares leave this map.</summary>
    public Dictionary<string, OpenShare> Open { get; set; } = [];
    public int BatchSequence { get; set; }
    /// <summary>Payouts of the last 90 days by payout id (the Idempotency-Key), for replays.</summary>
    public Dictionary<string, PayoutRecord> RecentPayouts { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public int Anomalies { get; set; }

    /// <summary>
    /// The balances row's version: each save expects the version it loaded and writes the next, so a second activation
    /// of the account (possible while a silo hands its grains over) cannot overwrite the other's balances.
    /// </summary>
    public long Version { get; set; }

    /// <summary>Order ids whose open share changed or closed since the last save.</summary>
    public HashSet<string> Changed { get; } = new(StringComparer.Ordinal);

    /// <summary>The balances without the open shares (what the balances row holds).</summary>
    public AccountState CopyBalances() => new()
    {
        Exists = Exists, CycleDays = CycleDays, Pending = Pending, OnHold = OnHold, Available = Available, PaidOut = PaidOut,
        TotalCredited = TotalCredited, TotalReversed = TotalReversed, BatchSequence = BatchSequence,
        RecentPayouts = new Dictionary<string, PayoutRecord>(RecentPayouts), CreatedAt = CreatedAt, Anomalies = Anomalies,
        Version = Version,
    };
}

/// <summary>One order's share at this account while it is not settled.</summary>
public sealed class OpenShare
{
    public string OrderId { get; set; } = "";
    public long Share { get; set; }
    public int BasisPoints { get; set; }
    public long Pending { get; set; }
    public long OnHold { get; set; }
    public long Refunded { get; set; }
    public DateTimeOffset? ConfirmedAt { get; set; }
    public DateTimeOffset? SettleAt { get; set; }
    public int LastSequence { get; set; }

    public OpenShare Copy() => (OpenShare)MemberwiseClone();
}

/// <summary>
/// A payout as remembered for idempotency and its receipt: when, how much, and the available and paid-out balances
/// right after it. Amount is null for records written before amounts were kept, the balances for those written
/// before receipts were answered.
/// </summary>
public sealed record PayoutRecord(DateTimeOffset At, long? Amount, long? AvailableAfter = null, long? PaidOutAfter = null);

/// <summary>A line for the append-only ledger.</summary>
public sealed record LedgerLine(string EntryId, string AccountId, string? OrderId, string Kind, long Amount, DateTimeOffset At, string? BatchId);

/// <summary>A settlement batch for the append-only ledger.</summary>
public sealed record SettlementBatch(string BatchId, string AccountId, DateOnly BusinessDate, DateTimeOffset CreatedAt, IReadOnlyList<SettlementLineView> Lines)
{
    public long Total => Lines.Sum(l => l.Amount);
}

/// <summary>What applying a posting did.</summary>
public enum PostingEffect { Applied, Duplicate, NeedsLedgerCheck, Anomaly }

/// <summary>
/// The money rules of a settlement account, as plain code: buckets (pending, on hold, available, paid out), the
/// moves between them, and settlement. Every move keeps
/// <c>pending + on hold + available + paid out = credited − reversed</c>.
/// </summary>
public sealed class AccountBook(string accountId, AccountState state, BusinessCalendar calendar)
{
    public AccountState State => state;

    /// <summary>
    /// Applies a posting. A posting for an order with an open share is deduplicated by its sequence. A posting for an
    /// order with no open share is either new (a credit, or a refund after settlement: a clawback) or a retry of one
    /// applied before the share closed; the caller tells which with <paramref name="knownToLedger"/> (null: not
    /// checked yet, in which case non-credit postings ask for the check).
    /// </summary>
    public PostingEffect Apply(AccountPosting posting, bool? knownToLedger, List<LedgerLine> ledger)
    {
        if (posting.Amount < 0) throw new ArgumentOutOfRangeException(nameof(posting), "posting amounts are never negative");
        // Arithmetic below is checked: a balance that would overflow throws instead of wrapping.
        state.Exists = true;
        if (state.Open.TryGetValue(posting.OrderId, out var share))
        {
            if (posting.Sequence <= share.LastSequence) return PostingEffect.Duplicate;
            share.LastSequence = posting.Sequence;
            state.Changed.Add(posting.OrderId);
            return ApplyToOpen(share, posting, ledger);
        }

        if (knownToLedger is null) return posting.Kind is PostingKind.CreditPending or PostingKind.CreditOnHold
            ? ApplyNewCredit(posting, ledger)
            : PostingEffect.NeedsLedgerCheck;
        if (knownToLedger.Value) return PostingEffect.Duplicate;

        switch (posting.Kind)
        {
            case PostingKind.CreditPending or PostingKind.CreditOnHold:
                return ApplyNewCredit(posting, ledger);
            case PostingKind.Refund:
                // The share was settled (it left the open map): claw the refund back from the available balance.
                state.Available = checked(state.Available - posting.Amount);
                state.TotalReversed = checked(state.TotalReversed + posting.Amount);
                ledger.Add(Line(posting, "clawback", -posting.Amount));
                return PostingEffect.Applied;
            default:
                // A release or confirm for a share this account no longer holds: nothing to move, keep a trace.
                state.Anomalies++;
                ledger.Add(Line(posting, "anomaly:" + posting.Kind, 0));
                return PostingEffect.Anomaly;
        }
    }

    private PostingEffect ApplyNewCredit(AccountPosting posting, List<LedgerLine> ledger)
    {
        var onHold = posting.Kind == PostingKind.CreditOnHold;
        // Totals first: a credit that would overflow a balance throws before anything changes.
        var credited = checked(state.TotalCredited + posting.Amount);
        var bucket = checked((onHold ? state.OnHold : state.Pending) + posting.Amount);
        state.Changed.Add(posting.OrderId);
        state.Open[posting.OrderId] = new OpenShare
        {
            OrderId = posting.OrderId,
            Share = posting.Amount,
            BasisPoints = posting.BasisPoints,
            Pending = onHold ? 0 : posting.Amount,
            OnHold = onHold ? posting.Amount : 0,
            LastSequence = posting.Sequence,
        };
        if (onHold) state.OnHold = bucket; else state.Pending = bucket;
        state.TotalCredited = credited;
        ledger.Add(Line(posting, onHold ? "credit_on_hold" : "credit_pending", posting.Amount));
        return PostingEffect.Applied;
    }

    private PostingEffect ApplyToOpen(OpenShare share, AccountPosting posting, List<LedgerLine> ledger)
    {
        switch (posting.Kind)
        {
            case PostingKind.CreditPending or PostingKind.CreditOnHold:
                state.Anomalies++;
                ledger.Add(Line(posting, "anomaly:second_credit", 0));
                return PostingEffect.Anomaly;

            case PostingKind.ReleaseHold:
                var released = share.OnHold;
                share.Pending = checked(share.Pending + released);
                share.OnHold = 0;
                state.OnHold = checked(state.OnHold - released);
                state.Pending = checked(state.Pending + released);
                ledger.Add(Line(posting, "release_hold", released));
                return PostingEffect.Applied;

            case PostingKind.Confirm:
                share.ConfirmedAt ??= posting.At;
                share.SettleAt ??= calendar.SettleAt(posting.At, state.CycleDays);
                ledger.Add(Line(posting, "confirm", 0));
                return PostingEffect.Applied;

            case PostingKind.Refund:
                var amount = posting.Amount;
                var fromHold = Math.Min(amount, share.OnHold);
                var fromPending = Math.Min(amount - fromHold, share.Pending);
                var clawback = amount - fromHold - fromPending; // only if the order asks for more than this account holds for it
                share.OnHold = checked(share.OnHold - fromHold);
                share.Pending = checked(share.Pending - fromPending);
                share.Refunded = checked(share.Refunded + amount);
                state.OnHold = checked(state.OnHold - fromHold);
                state.Pending = checked(state.Pending - fromPending);
                state.Available = checked(state.Available - clawback);
                state.TotalReversed = checked(state.TotalReversed + amount);
                ledger.Add(Line(posting, "refund", -amount));
                if (share.Pending == 0 && share.OnHold == 0) state.Open.Remove(share.OrderId);
                return PostingEffect.Applied;

            default:
                throw new ArgumentOutOfRangeException(nameof(posting), posting.Kind, "unknown posting kind");
        }
    }

    /// <summary>
    /// Moves every confirmed, released share whose settlement time is at or before <paramref name="cutoff"/> from
    /// pending to available, as one batch. Returns null when nothing is due.
    /// </summary>
    public SettlementBatch? Settle(DateTimeOffset cutoff, List<LedgerLine> ledger)
    {
        var due = state.Open.Values
            .Where(s => s.SettleAt is { } at && at <= cutoff && s.OnHold == 0)
            .OrderBy(s => s.SettleAt).ThenBy(s => s.OrderId, StringComparer.Ordinal)
            .ToList();
        if (due.Count == 0) return null;

        var date = calendar.DateOf(cutoff);
        var batchId = $"b-{accountId}-{date:yyyyMMdd}-{state.BatchSequence + 1}";
        var lines = new List<SettlementLineView>();
        foreach (var share in due)
        {
            state.Open.Remove(share.OrderId);
            state.Changed.Add(share.OrderId);
            if (share.Pending == 0) continue;
            state.Pending = checked(state.Pending - share.Pending);
            state.Available = checked(state.Available + share.Pending);
            lines.Add(new SettlementLineView(share.OrderId, share.Share, share.BasisPoints, share.Refunded, share.Pending));
            ledger.Add(new LedgerLine($"{batchId}:{share.OrderId}", accountId, share.OrderId, "settle", share.Pending, cutoff, batchId));
        }
        if (lines.Count == 0) return null;
        state.BatchSequence++;
        return new SettlementBatch(batchId, accountId, date, cutoff, lines);
    }

    /// <summary>
    /// Pays out available money and answers its receipt. A payout id already applied for the same amount pays nothing
    /// and answers the original receipt (<see cref="PayoutReceipt.Replayed"/>); the same id with another amount is a
    /// conflict (the caller must not believe a payout that did not happen).
    /// </summary>
    public PayoutReceipt Payout(string payoutId, long amount, DateTimeOffset at, List<LedgerLine> ledger)
    {
        foreach (var old in state.RecentPayouts.Where(p => p.Value.At < at.AddDays(-90)).Select(p => p.Key).ToList())
            state.RecentPayouts.Remove(old);
        if (state.RecentPayouts.TryGetValue(payoutId, out var done))
        {
            // A record from before amounts were kept cannot tell another amount apart: the request's is taken as the original's.
            if (done.Amount is null || done.Amount == amount) return Receipt(payoutId, done, amount, replayed: true);
            throw DomainException.Conflict("idempotency.key_reused", $"This payout key was already used for {done.Amount} fen.");
        }
        if (amount <= 0) throw DomainException.Invalid("amount", "amount must be positive.");
        if (amount > state.Available)
            throw DomainException.Conflict("account.insufficient_funds", $"Only {state.Available} fen are available.");
        state.Available = checked(state.Available - amount);
        state.PaidOut = checked(state.PaidOut + amount);
        var record = new PayoutRecord(at, amount, state.Available, state.PaidOut);
        state.RecentPayouts[payoutId] = record;
        ledger.Add(new LedgerLine(PayoutEntryId(accountId, payoutId), accountId, null, "payout", -amount, at, null));
        return Receipt(payoutId, record, amount, replayed: false);
    }

    private PayoutReceipt Receipt(string payoutId, PayoutRecord record, long requested, bool replayed) =>
        new(payoutId, accountId, record.Amount ?? requested, PayoutEntryId(accountId, payoutId), record.At,
            record.AvailableAfter, record.PaidOutAfter) { Replayed = replayed };

    /// <summary>The ledger entry of a payout (its receipt).</summary>
    public static string PayoutEntryId(string accountId, string payoutId) => $"payout:{accountId}:{payoutId}";

    /// <summary>The earliest settlement time among confirmed, released shares.</summary>
    public DateTimeOffset? NextSettlementAt() =>
        state.Open.Values.Where(s => s.SettleAt is not null && s.OnHold == 0).Select(s => s.SettleAt).Min();

    public AccountBalance Balance() =>
        new(accountId, state.Pending, state.OnHold, state.Available, state.PaidOut, state.CycleDays, state.Open.Count,
            NextSettlementAt(), state.TotalCredited, state.TotalReversed, state.BatchSequence);

    private LedgerLine Line(AccountPosting posting, string kind, long amount) =>
        new(posting.PostingId, accountId, posting.OrderId, kind, amount, posting.At, null);
}
