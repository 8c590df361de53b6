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

    Task SaveAsync(AccountSave save, CancellationToken cancellationToken = default);

    Task<bool> ContainsEntryAsync(string entryId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SettlementBatchView>> GetBatchesAsync(string accountId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default);

    Task<SettlementBatchView?> GetBatchAsync(string accountId, string batchId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<LedgerLineView>> GetLinesAsync(string accountId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}

/// <summary>What one flush of an account writes: its balances, the shares that changed (or closed), new ledger lines and batches.</summary>
public sealed record AccountSave(
    string AccountId,
    AccountState Balances,
    IReadOnlyList<OpenShare> ChangedShares,
    IReadOnlyList<string> ClosedShares,
    IReadOnlyList<LedgerLine> Lines,
    IReadOnlyList<SettlementBatch> Batches);
