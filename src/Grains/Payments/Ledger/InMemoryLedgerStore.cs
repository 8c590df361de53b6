using System.Collections.Concurrent;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Grains.Payments.Accounts;

namespace LiveCommerce.Grains.Payments.Ledger;

/// <summary>
/// The embedded profile's ledger: process memory, shared by every silo in the process (an in-process test cluster
/// has several), and gone when the process stops, like the rest of the embedded profile's storage.
/// </summary>
public sealed class InMemoryLedgerStore : ILedgerStore
{
    private readonly ConcurrentDictionary<string, LedgerLine> _lines = new();
    private readonly ConcurrentDictionary<string, SettlementBatch> _batches = new();

    public Task AppendAsync(IReadOnlyList<LedgerLine> lines, IReadOnlyList<SettlementBatch> batches, CancellationToken cancellationToken = default)
    {
        foreach (var line in lines) _lines.TryAdd(line.EntryId, line);
        foreach (var batch in batches) _batches[batch.BatchId] = batch;
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
