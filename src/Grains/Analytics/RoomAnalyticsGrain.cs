using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Grains.Analytics;

[GenerateSerializer]
public sealed class RoomAnalyticsState
{
    [Id(0)] public string? StreamerId { get; set; }
    [Id(1)] public string? City { get; set; }
    [Id(2)] public ViewCounters Views { get; set; } = new();
    [Id(3)] public OrderCounters Orders { get; set; } = new();
    [Id(4)] public RecentKeys Recent { get; set; } = new();
    [Id(5)] public DateTimeOffset? RebuiltAt { get; set; }
}

/// <summary>Analytics of one room, fed by the room's event stream (key: room id).</summary>
[ImplicitStreamSubscription(EventStreams.Rooms)]
public sealed class RoomAnalyticsGrain(
    [PersistentState("roomAnalytics", StorageNames.Analytics)] IPersistentState<RoomAnalyticsState> state,
    IOptions<AnalyticsOptions> options,
    BusinessCalendar calendar,
    ILogger<RoomAnalyticsGrain> logger) : AnalyticsGrainBase<RoomAnalyticsState>(state, options, logger), IRoomAnalyticsGrain
{
    /// <summary>First visits not yet forwarded to the platform table ("hour|city" → count); lost with the activation.</summary>
    private readonly Dictionary<string, long> _pendingViews = [];

    private string RoomId => this.GetPrimaryKeyString();

    protected override bool Apply(DomainEvent item)
    {
        switch (item)
        {
            case ViewerJoined v when v.FirstVisit && S.Recent.Add(RecentKeys.Of(v)):
                S.StreamerId ??= v.StreamerId;
                S.City ??= v.RoomCity;
                S.Views.Apply(v, calendar, byMinute: true);
                var key = $"{calendar.HourOf(v.At)}|{ViewCounters.CityKey(v.ViewerCity)}";
                _pendingViews[key] = _pendingViews.GetValueOrDefault(key) + 1;
                return true;
            case OrderEvent o when S.Recent.Add(RecentKeys.Of(o)):
                S.StreamerId ??= o.StreamerId;
                S.City ??= o.RoomCity;
                S.Orders.Apply(o, calendar);
                return true;
            default:
                return false;
        }
    }

    protected override async Task BeforeFlushAsync()
    {
        if (_pendingViews.Count == 0) return;
        var delta = new ViewDelta(new Dictionary<string, long>(_pendingViews));
        _pendingViews.Clear();
        try
        {
            await GrainFactory.Ref<IBuyerAnalyticsShardGrain>(EventStreams.PlatformShard(RoomId)).AddViews(delta);
        }
        catch
        {
            foreach (var (k, n) in delta.ByHourCity) _pendingViews[k] = _pendingViews.GetValueOrDefault(k) + n;
            throw;
        }
    }

    public Task<RoomAnalyticsView> GetReport() =>
        Task.FromResult(Reports.Room(RoomId, S.StreamerId, S.City, S.Views, S.Orders, S.RebuiltAt));

    public async Task Rebuild(RebuildBatch batch)
    {
        S.Orders = new OrderCounters();
        S.Recent.Clear();
        foreach (var e in batch.Events)
        {
            if (!S.Recent.Add(RecentKeys.Of(e))) continue;
            S.StreamerId ??= e.StreamerId;
            S.City ??= e.RoomCity;
            S.Orders.Apply(e, calendar);
        }
        if (batch.DurableRoomViews.TryGetValue(RoomId, out var durable) && durable > S.Views.All)
            S.Views.Unattributed += durable - S.Views.All;
        S.RebuiltAt = batch.At;
        await WriteNowAsync();
    }
}
