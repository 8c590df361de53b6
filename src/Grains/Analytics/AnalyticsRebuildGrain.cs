using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Grains.Analytics;

/// <summary>
/// Rebuilds every order-derived aggregate from durable state: buyer directory → each buyer's order list →
/// each order → the events its state implies → replayed into fresh counters of every room, streamer, merchant
/// and platform shard, which replace the old ones. Not reentrant, so runs are serialized; a run is idempotent
/// (it replaces, never adds), so running it twice gives the same answers.
/// </summary>
public sealed class AnalyticsRebuildGrain(
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<AnalyticsRebuildGrain> logger) : Grain, IAnalyticsRebuildGrain
{
    private const int Parallelism = 32;
    private const int PageSize = 500;

    public async Task<RebuildResult> Run()
    {
        var runId = Guid.NewGuid().ToString("N");
        var started = clock.GetUtcNow();

        var buyerIds = new List<string>();
        foreach (var shard in BuyerDirectory.AllShards)
        {
            var directory = GrainFactory.Ref<IBuyerDirectoryGrain>(shard);
            for (var offset = 0; ; offset += PageSize)
            {
                var page = await directory.List(offset, PageSize);
                buyerIds.AddRange(page.BuyerIds);
                if (page.BuyerIds.Count < PageSize) break;
            }
        }

        var orders = new List<(OrderView Order, string? City)>();
        foreach (var chunk in buyerIds.Chunk(Parallelism))
        {
            var results = await Task.WhenAll(chunk.Select(ReadBuyerAsync));
            foreach (var r in results) orders.AddRange(r);
        }

        var roomIds = orders.Select(o => o.Order.RoomId).Distinct().ToList();
        var rooms = new Dictionary<string, RoomView?>();
        foreach (var chunk in roomIds.Chunk(Parallelism))
        {
            var views = await Task.WhenAll(chunk.Select(ReadRoomAsync));
            for (var i = 0; i < chunk.Length; i++) rooms[chunk[i]] = views[i];
        }

        var events = orders.SelectMany(o => OrderReplay.EventsOf(o.Order, o.City, rooms[o.Order.RoomId]?.City))
            .OrderBy(e => e.At).ThenBy(e => e.OrderId, StringComparer.Ordinal).ToList();
        var durableViews = rooms.Where(r => r.Value is not null).ToDictionary(r => r.Key, r => r.Value!.UniqueViewers);
        var at = clock.GetUtcNow();

        RebuildBatch Batch(IEnumerable<OrderEvent> slice, IReadOnlyDictionary<string, long>? views = null) =>
            new(runId, slice.ToList(), views ?? new Dictionary<string, long>(), at);

        var tasks = new List<Task>();
        foreach (var g in events.GroupBy(e => e.RoomId))
            tasks.Add(GrainFactory.Ref<IRoomAnalyticsGrain>(g.Key).Rebuild(Batch(g,
                durableViews.TryGetValue(g.Key, out var v) ? new Dictionary<string, long> { [g.Key] = v } : null)));
        var streamers = events.GroupBy(e => e.StreamerId).ToList();
        foreach (var g in streamers)
        {
            var own = g.Select(e => e.RoomId).Distinct().Where(durableViews.ContainsKey).ToDictionary(r => r, r => durableViews[r]);
            tasks.Add(GrainFactory.Ref<IStreamerAnalyticsGrain>(g.Key).Rebuild(Batch(g, own)));
        }
        var merchants = events.GroupBy(e => e.MerchantId).ToList();
        foreach (var g in merchants)
            tasks.Add(GrainFactory.Ref<IMerchantAnalyticsGrain>(g.Key).Rebuild(Batch(g)));
        // Every shard is rebuilt, even one with no orders: the directory lists every buyer, so it is complete.
        var byShard = events.ToLookup(e => EventStreams.PlatformShard(e.BuyerId));
        foreach (var shard in EventStreams.AllPlatformShards)
            tasks.Add(GrainFactory.Ref<IBuyerAnalyticsShardGrain>(shard).Rebuild(Batch(byShard[shard])));
        await Task.WhenAll(tasks);

        var result = new RebuildResult(runId, buyerIds.Count, orders.Count, rooms.Count, streamers.Count, merchants.Count, started, clock.GetUtcNow());
        logger.LogInformation("Analytics rebuild {RunId}: {Buyers} buyers, {Orders} orders, {Rooms} rooms", runId, result.Buyers, result.Orders, result.Rooms);
        return result;
    }

    private async Task<List<(OrderView, string?)>> ReadBuyerAsync(string buyerId)
    {
        var buyerGrain = GrainFactory.Ref<IBuyerGrain>(buyerId);
        var buyer = await buyerGrain.Find();
        if (buyer is null) return [];
        var ids = new List<string>();
        for (var offset = 0; ; offset += 100)
        {
            var page = await buyerGrain.ListOrders(offset, 100);
            ids.AddRange(page.Items.Select(i => i.OrderId));
            if (page.Items.Count < 100) break;
        }
        var views = await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                return await GrainFactory.Ref<IOrderGrain>(id).Get();
            }
            catch (DomainException e) when (e.Kind == ErrorKind.NotFound)
            {
                return null;
            }
        }));
        return views.Where(v => v is not null).Select(v => (v!, (string?)buyer.City)).ToList();
    }

    private async Task<RoomView?> ReadRoomAsync(string roomId)
    {
        try
        {
            return await GrainFactory.Ref<ILiveRoomGrain>(roomId).GetView();
        }
        catch (DomainException)
        {
            return null;
        }
    }
}
