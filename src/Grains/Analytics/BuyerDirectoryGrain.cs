using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace LiveCommerce.Grains.Analytics;

[GenerateSerializer]
public sealed class BuyerDirectoryState
{
    /// <summary>Buyer ids of this shard, sorted (ordinal), so pages are stable.</summary>
    [Id(0)] public List<string> BuyerIds { get; set; } = [];
}

/// <summary>
/// One shard of the durable buyer directory. A buyer is added (idempotently) when it registers, before its
/// registration is written, so every registered buyer is listed. Reentrant with coalesced writes: a burst of
/// registrations shares storage round trips.
/// </summary>
[Reentrant]
public sealed class BuyerDirectoryGrain(
    [PersistentState("buyerDirectory", StorageNames.Analytics)] IPersistentState<BuyerDirectoryState> state,
    DeepCopier copier) : Grain, IBuyerDirectoryGrain
{
    private BuyerDirectoryState _live = null!;
    private CoalescingWriter _writer = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _live = state.State;
        // A failed write leaves memory ahead of storage: reload from storage so a retry writes again.
        _writer = new CoalescingWriter(() => state.WriteSnapshotAsync(_live, copier), _ => this.DeactivateOnIdle());
        return Task.CompletedTask;
    }

    public async Task Add(string buyerId)
    {
        var index = _live.BuyerIds.BinarySearch(buyerId, StringComparer.Ordinal);
        if (index >= 0) return;
        _live.BuyerIds.Insert(~index, buyerId);
        await _writer.WriteAsync();
    }

    public Task<BuyerDirectoryPage> List(int offset, int limit) =>
        Task.FromResult(new BuyerDirectoryPage(_live.BuyerIds.Skip(offset).Take(limit).ToList(), _live.BuyerIds.Count));
}
