using LiveCommerce.Contracts.Risk;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Grains.Risk;

/// <summary>
/// Sends a silo's order counts to the room, merchant and product counters in batches: orders that arrive while a
/// count for the same scope is in flight are counted together by the next call, and each of them gets that call's
/// answer (the scope's activity with all of them counted). A lone order is one call, as before; a hot room's
/// placements cost a few calls per batch instead of three per order. An order therefore sees a count that includes
/// the orders placed at the same moment, which is the count it would see had they arrived a moment earlier.
/// </summary>
public sealed class ScopeCountBatcher
{
    public readonly record struct Request(string Scope, bool CountTowardsNight, string OrderId, DateTimeOffset At);

    private readonly BatchingLookup<Request, ScopeActivity> _lookup;

    public ScopeCountBatcher(IGrainFactory grains) =>
        _lookup = new BatchingLookup<Request, ScopeActivity>((requests, _) => CountAsync(grains, requests), maxInFlight: 4, maxBatch: 1024);

    public async Task<ScopeActivity> RecordOrder(string scope, string orderId, DateTimeOffset at, bool countTowardsNight) =>
        await _lookup.FindAsync(new Request(scope, countTowardsNight, orderId, at))
        ?? throw new InvalidOperationException($"scope counter {scope} gave no answer");

    private static async Task<IReadOnlyDictionary<Request, ScopeActivity>> CountAsync(IGrainFactory grains, IReadOnlyList<Request> requests)
    {
        // One call per scope and flag; a batch straddling an hour boundary is counted in the later hour.
        var groups = requests.GroupBy(r => (r.Scope, r.CountTowardsNight)).ToList();
        var answers = await Task.WhenAll(groups.Select(g =>
            grains.GetGrain<IScopeCounterGrain>(g.Key.Scope).RecordOrders(g.Max(r => r.At), g.Key.CountTowardsNight, g.Count())));
        var result = new Dictionary<Request, ScopeActivity>(requests.Count);
        for (var i = 0; i < groups.Count; i++)
            foreach (var request in groups[i]) result[request] = answers[i];
        return result;
    }
}
