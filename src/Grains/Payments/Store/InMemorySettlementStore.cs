using System.Collections.Concurrent;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Accounts;

namespace LiveCommerce.Grains.Payments.Store;

/// <summary>
/// The embedded profile's settlement store: process memory, shared by every silo in the process (an in-process test
/// cluster has several), and gone when the process stops, like the rest of the embedded profile's storage.
/// </summary>
public sealed class InMemorySettlementStore : ISettlementStore
{
    private readonly ConcurrentDictionary<string, (AccountState Balances, Dictionary<string, OpenShare> Open)> _accounts = new();
    private readonly ConcurrentDictionary<string, LedgerLine> _lines = new();
    private readonly ConcurrentDictionary<string, SettlementBatch> _batches = new();

    public Task<AccountState?> LoadAccountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        if (!_accounts.TryGetValue(accountId, out var stored)) return Task.FromResult<AccountState?>(null);
        lock (stored.Open)
        {
            var state = stored.Balances.CopyBalances();
            state.Open = stored.Open.ToDictionary(s => s.Key, s => s.Value.Copy());
            return Task.FromResult<AccountState?>(state);
        }
    }

    public Task SaveAsync(AccountSave save, CancellationToken cancellationToken = default)
    {
        var entry = _accounts.GetOrAdd(save.AccountId, _ => (new AccountState(), new Dictionary<string, OpenShare>()));
        lock (entry.Open)
        {
            foreach (var line in save.Lines) _lines.TryAdd(line.EntryId, line);
            foreach (var batch in save.Batches) _batches[batch.BatchId] = batch;
            foreach (var closed in save.ClosedShares) entry.Open.Remove(closed);
            foreach (var share in save.ChangedShares) entry.Open[share.OrderId] = share.Copy();
            _accounts[save.AccountId] = (save.Balances.CopyBalances(), entry.Open);
        }
        return Task.CompletedTask;
    }

    public Task<bool> ContainsEntryAsync(string entryId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_lines.ContainsKey(entryId));

    public Task<IReadOnlyList<SettlementBatchView>> GetBatchesAsync(string accountId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<SettlementBatchView> result = _batches.Values
            .Where(b => b.AccountId == accountId && b.BusinessDate >= from && b.BusinessDate <= to)
            .OrderBy(b => b.CreatedAt).ThenBy(b => b.BatchId, StringComparer.Ordinal)
            .Select(b => View(b, withLines: false)).ToList();
        return Task.FromResult(result);
    }

    public Task<SettlementBatchView?> GetBatchAsync(string accountId, string batchId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_batches.TryGetValue(batchId, out var b) && b.AccountId == accountId ? View(b, withLines: true) : null);

    public Task<IReadOnlyList<LedgerLineView>> GetLinesAsync(string accountId, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<LedgerLineView> result = _lines.Values
            .Where(l => l.AccountId == accountId && l.At >= from && l.At < to)
            .OrderBy(l => l.At).ThenBy(l => l.EntryId, StringComparer.Ordinal)
            .Select(l => new LedgerLineView(l.EntryId, l.AccountId, l.OrderId, l.Kind, l.Amount, l.At, l.BatchId)).ToList();
        return Task.FromResult(result);
    }

    private static SettlementBatchView View(SettlementBatch b, bool withLines) =>
        new(b.BatchId, b.AccountId, b.BusinessDate, b.CreatedAt, b.Total, b.Lines.Count, withLines ? b.Lines : []);
}
