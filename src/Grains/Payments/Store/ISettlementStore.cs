using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Accounts;

namespace LiveCommerce.Grains.Payments.Store;

/// <summary>
/// Persistence of settlement accounts: a balances row per account, a row per open (unsettled) share, and the
/// append-only ledger (every posting, settlement and payout line) with the settlement batches. One save writes all of
/// an account's changes in one transaction, touching only the shares that changed, so an account whose open shares
/// are a day's orders (the platform's) costs a save proportional to what changed, not to what it holds. Ledger
/// appends are idempotent by entry id (and batch id), so a retried save never duplicates a line.
/// </summary>
public interface ISettlementStore
{
    /// <summary>The account with its open shares; null when it never existed.</summary>
    Task<AccountState?> LoadAccountAsync(string accountId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes one flush, expecting the balances row at <c>save.Balances.Version</c> and leaving it at the next version.
    /// Another writer's newer version is an <see cref="Orleans.Storage.InconsistentStateException"/> and nothing is written.
    /// </summary>
    Task SaveAsync(AccountSave save, CancellationToken cancellationToken = default);

    Task<bool> ContainsEntryAsync(string entryId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SettlementBatchView>> GetBatchesAsync(string accountId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default);

    Task<SettlementBatchView?> GetBatchAsync(string accountId, string batchId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<LedgerLineView>> GetLinesAsync(string accountId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    // ---- The regulatory export's walk (bounded pages; see IncomeReportGrain) ----

    Task<bool> AccountExistsAsync(string accountId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> orders that credited <paramref name="accountId"/> before <paramref name="before"/>,
    /// by order id, after <paramref name="afterOrderId"/> (or from it, when <paramref name="fromInclusive"/>).
    /// </summary>
    Task<IReadOnlyList<string>> GetCreditedOrdersAsync(string accountId, DateTimeOffset before, string? afterOrderId, bool fromInclusive, int limit,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> lines of <paramref name="kinds"/> of the given orders (every account) written in
    /// [from, to), by order id, time and entry id, after the line <paramref name="after"/>.
    /// </summary>
    Task<IReadOnlyList<LedgerLineView>> GetOrderLinesAsync(IReadOnlyList<string> orderIds, DateTimeOffset from, DateTimeOffset to,
        IReadOnlyList<string> kinds, LinePosition? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> of the account's lines of <paramref name="kind"/> in [from, to) that belong to no order, by time and entry id.</summary>
    Task<IReadOnlyList<LedgerLineView>> GetAccountLinesAsync(string accountId, string kind, DateTimeOffset from, DateTimeOffset to, LinePosition? after, int limit,
        CancellationToken cancellationToken = default);
}

/// <summary>A ledger line's place in a walk (its order, if the walk is by order; its time; its entry id).</summary>
public sealed record LinePosition(string? OrderId, DateTimeOffset At, string EntryId);

/// <summary>
/// What one flush of an account writes: its balances, the shares that changed (or closed), new ledger lines and
/// batches, and the webhook events those caused (into the webhook log, in the same transaction; an event id already
/// logged is skipped, so a retried save appends nothing twice).
/// </summary>
public sealed record AccountSave(
    string AccountId,
    AccountState Balances,
    IReadOnlyList<OpenShare> ChangedShares,
    IReadOnlyList<string> ClosedShares,
    IReadOnlyList<LedgerLine> Lines,
    IReadOnlyList<SettlementBatch> Batches,
    IReadOnlyList<LiveCommerce.Contracts.Platform.WebhookEvent> Events);

/// <summary>A save refused because the account was saved by another activation since this one loaded it.</summary>
public static class SettlementConflict
{
    public static Orleans.Storage.InconsistentStateException Of(string accountId, long expected, long stored) =>
        new($"Account {accountId} was saved by another activation (version {stored}, this one loaded {expected}); it reloads.",
            stored.ToString(System.Globalization.CultureInfo.InvariantCulture), expected.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
