using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Grains.Analytics;

[GenerateSerializer]
public sealed class RoomSummary
{
    [Id(0)] public long Views { get; set; }
    [Id(1)] public long Placed { get; set; }
    [Id(2)] public long Paid { get; set; }
    [Id(3)] public long Gmv { get; set; }
    [Id(4)] public DateTimeOffset LastAt { get; set; }
}

[GenerateSerializer]
public sealed class StreamerAnalyticsState
{
    [Id(0)] public ViewCounters Views { get; set; } = new();
    [Id(1)] public Funnel Orders { get; set; } = new();
    [Id(2)] public Dictionary<string, RoomSummary> Rooms { get; set; } = [];
    [Id(3)] public RecentKeys Recent { get; set; } = new();
    [Id(4)] public DateTimeOffset? RebuiltAt { get; set; }
    /// <summary>By reason; kept by a rebuild (which replays orders only).</summary>
    [Id(5)] public AfterSaleCounters AfterSale { get; set; } = new();
}

/// <summary>Analytics of one streamer over all its rooms, fed by the streamer's event stream (key: streamer id).</summary>
[ImplicitStreamSubscription(EventStreams.Streamers)]
public sealed class StreamerAnalyticsGrain(
    [PersistentState("streamerAnalytics", StorageNames.Analytics)] IPersistentState<StreamerAnalyticsState> state,
    IOptions<AnalyticsOptions> options,
    BusinessCalendar calendar,
    ILogger<StreamerAnalyticsGrain> logger) : AnalyticsGrainBase<StreamerAnalyticsState>(state, options, logger), IStreamerAnalyticsGrain
{
    private string StreamerId => this.GetPrimaryKeyString();

    protected override bool Apply(DomainEvent item)
    {
        switch (item)
        {
            case ViewerJoined v when v.FirstVisit && S.Recent.Add(RecentKeys.Of(v)):
                S.Views.Apply(v, calendar, byMinute: false);
                Room(v.RoomId, v.At).Views++;
                return true;
            case OrderEvent o when S.Recent.Add(RecentKeys.Of(o)):
                ApplyOrder(o);
                return true;
            case AfterSaleCaseChanged c when S.Recent.Add(RecentKeys.Of(c)):
                S.AfterSale.Apply(c);
                return true;
            default:
                return false;
        }
    }

    private void ApplyOrder(OrderEvent o)
    {
        S.Orders.Apply(o);
        var room = Room(o.RoomId, o.At);
        if (o.Kind == OrderEventKind.Placed) room.Placed++;
        if (o.Kind == OrderEventKind.Paid)
        {
            room.Paid++;
            room.Gmv = checked(room.Gmv + o.Amount);
        }
    }

    private RoomSummary Room(string roomId, DateTimeOffset at)
    {
        if (!S.Rooms.TryGetValue(roomId, out var room))
        {
            S.Rooms[roomId] = room = new RoomSummary();
            if (S.Rooms.Count > Options.RoomsPerOwner)
                S.Rooms.Remove(S.Rooms.Where(r => r.Key != roomId).MinBy(r => r.Value.LastAt).Key);
        }
        if (at > room.LastAt) room.LastAt = at;
        return room;
    }

    public async Task<StreamerAnalyticsView> GetReport()
    {
        var retention = await RetentionReader.ReadAsync(GrainFactory, RetentionScope.Streamer, StreamerId);
        var views = S.Views.All;
        var t = S.Orders;
        var rooms = S.Rooms.OrderByDescending(r => r.Value.LastAt).ThenBy(r => r.Key, StringComparer.Ordinal)
            .Select(r => new RoomSummaryRow(r.Key, r.Value.Views, r.Value.Paid, r.Value.Gmv, Reports.Gpm(r.Value.Gmv, r.Value.Views))).ToList();
        return new StreamerAnalyticsView(StreamerId, views, t.Gmv, t.RefundedAmount, t.Gmv - t.RefundedAmount, Reports.Gpm(t.Gmv, views),
            Math.Round(Reports.Gpm(t.Gmv, views) / 100, 4), Reports.Funnel(views, t), Reports.Retention(retention, Options.RepurchaseWindow), rooms,
            S.AfterSale.Rows(t.Paid));
    }

    public async Task Rebuild(RebuildBatch batch)
    {
        S.Orders = new Funnel();
        S.Recent.Clear();
        foreach (var room in S.Rooms.Values) (room.Placed, room.Paid, room.Gmv) = (0, 0, 0);
        foreach (var e in batch.Events)
            if (S.Recent.Add(RecentKeys.Of(e))) ApplyOrder(e);
        foreach (var (roomId, durable) in batch.DurableRoomViews)
        {
            var room = Room(roomId, DateTimeOffset.MinValue);
            if (durable <= room.Views) continue;
            S.Views.Unattributed += durable - room.Views;
            room.Views = durable;
        }
        S.RebuiltAt = batch.At;
        await WriteNowAsync();
    }
}

/// <summary>Sums a streamer's or merchant's retention counters over the platform shards.</summary>
public static class RetentionReader
{
    public static async Task<RetentionCounts> ReadAsync(IGrainFactory grains, RetentionScope scope, string id)
    {
        var parts = await Task.WhenAll(EventStreams.AllPlatformShards
            .Select(shard => grains.Ref<IBuyerAnalyticsShardGrain>(shard).GetRetention(scope, id)));
        return new RetentionCounts(parts.Sum(p => p.Buyers), parts.Sum(p => p.Repurchasers), parts.Sum(p => p.Delivered), parts.Sum(p => p.Returned));
    }
}
