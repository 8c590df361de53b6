using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Accounts;

namespace LiveCommerce.Grains.Payments.Ledger;

/// <summary>
/// The append-only history of settlement accounts: every posting, settlement and payout line, and every settlement
/// batch with its lines. Balances stay in the account grains; history grows here, so an account grain's state does
/// not grow with its order count. Appends are idempotent by entry id (and batch id), so a retried flush never
/// duplicates a line.
/// </summary>
public interface ILedgerStore
{
    Task AppendAsync(IReadOnlyList<LedgerLine> lines, IReadOnlyList<SettlementBatch> batches, CancellationToken cancellationToken = default);

    Task<bool> ContainsEntryAsync(string entryId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SettlementBatchView>> GetBatchesAsync(string accountId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default);

    Task<SettlementBatchView?> GetBatchAsync(string accountId, string batchId, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<LedgerLineView>> GetLinesAsync(string accountId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}
