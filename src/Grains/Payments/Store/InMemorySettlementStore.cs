using System.Collections.Concurrent;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Accounts;

namespace LiveCommerce.Grains.Payments.Store;

/// <summary>
/// The embedded profile's settlement store: process memory, shared by every silo in the process (an in-process test
/// cluster has several), and gone when the process stops, like the rest of the embedded profile's storage.
/// </summary>
public sealed class InMemorySettlementStore(Platform.Webhooks.IWebhookStore webhooks) : ISettlementStore
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

    public async Task SaveAsync(AccountSave save, CancellationToken cancellationToken = default)
    {
        var entry = _accounts.GetOrAdd(save.AccountId, _ => (new AccountState(), new Dictionary<string, OpenShare>()));
        lock (entry.Open)
        {
            // The same check as the database's: a save from an activation that loaded an older version changes nothing.
            var stored = _accounts[save.AccountId].Balances.Version;
            if (stored != save.Balances.Version) throw SettlementConflict.Of(save.AccountId, save.Balances.Version, stored);
            foreach (var line in save.Lines) _lines.TryAdd(line.EntryId, line);
            foreach (var batch in save.Batches) _batches[batch.BatchId] = batch;
            foreach (var closed in save.ClosedShares) entry.Open.Remove(closed);
            foreach (var share in save.ChangedShares) entry.Open[share.OrderId] = share.Copy();
            var balances = save.Balances.CopyBalances();
            balances.Version++;
            _accounts[save.AccountId] = (balances, entry.Open);
        }
        // The webhook log is process memory too: nothing between these writes can fail, so they stand or fall together.
        await webhooks.AppendAsync(save.Events, cancellationToken);
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
            .Select(ViewOf).ToList();
        return Task.FromResult(result);
    }

    public Task<bool> AccountExistsAsync(string accountId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_accounts.ContainsKey(accountId));

    public Task<IReadOnlyList<string>> GetCreditedOrdersAsync(string accountId, DateTimeOffset before, string? afterOrderId, bool fromInclusive, int limit,
        CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> result = _lines.Values
            .Where(l => l.AccountId == accountId && l.OrderId is not null && l.Kind is "credit_pending" or "credit_on_hold" && l.At < before)
            .Select(l => l.OrderId!)
            .Where(o => afterOrderId is null || (fromInclusive ? string.CompareOrdinal(o, afterOrderId) >= 0 : string.CompareOrdinal(o, afterOrderId) > 0))
            .Distinct().Order(StringComparer.Ordinal).Take(limit).ToList();
        return Task.FromResult(result);
    }

    public Task<IReadOnlyList<LedgerLineView>> GetOrderLinesAsync(IReadOnlyList<string> orderIds, DateTimeOffset from, DateTimeOffset to,
        IReadOnlyList<string> kinds, LinePosition? after, int limit, CancellationToken cancellationToken = default)
    {
        var orders = orderIds.ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<LedgerLineView> result = _lines.Values
            .Where(l => l.OrderId is not null && orders.Contains(l.OrderId) && l.At >= from && l.At < to && kinds.Contains(l.Kind))
            .Where(l => after is null || Compare(l.OrderId!, l.At, l.EntryId, after) > 0)
            .OrderBy(l => l.OrderId, StringComparer.Ordinal).ThenBy(l => l.At).ThenBy(l => l.EntryId, StringComparer.Ordinal)
            .Take(limit).Select(ViewOf).ToList();
        return Task.FromResult(result);
    }

    public Task<IReadOnlyList<LedgerLineView>> GetAccountLinesAsync(string accountId, string kind, DateTimeOffset from, DateTimeOffset to, LinePosition? after,
        int limit, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<LedgerLineView> result = _lines.Values
            .Where(l => l.AccountId == accountId && l.OrderId is null && l.Kind == kind && l.At >= from && l.At < to)
            .Where(l => after is null || l.At > after.At || (l.At == after.At && string.CompareOrdinal(l.EntryId, after.EntryId) > 0))
            .OrderBy(l => l.At).ThenBy(l => l.EntryId, StringComparer.Ordinal)
            .Take(limit).Select(ViewOf).ToList();
        return Task.FromResult(result);
    }

    private static int Compare(string orderId, DateTimeOffset at, string entryId, LinePosition after)
    {
        var byOrder = string.CompareOrdinal(orderId, after.OrderId);
        if (byOrder != 0) return byOrder;
        var byTime = at.CompareTo(after.At);
        return byTime != 0 ? byTime : string.CompareOrdinal(entryId, after.EntryId);
    }

    private static LedgerLineView ViewOf(LedgerLine l) => new(l.EntryId, l.AccountId, l.OrderId, l.Kind, l.Amount, l.At, l.BatchId);

    private static SettlementBatchView View(SettlementBatch b, bool withLines) =>
        new(b.BatchId, b.AccountId, b.BusinessDate, b.CreatedAt, b.Total, b.Lines.Count, withLines ? b.Lines : []);
}
