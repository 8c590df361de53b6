using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Grains.Analytics;

[GenerateSerializer]
public sealed class MerchantAnalyticsState
{
    [Id(0)] public OrderCounters Orders { get; set; } = new();
    /// <summary>Rooms that sold the merchant's products, with the last order event seen from each.</summary>
    [Id(1)] public Dictionary<string, DateTimeOffset> Rooms { get; set; } = [];
    [Id(2)] public RecentKeys Recent { get; set; } = new();
    [Id(3)] public DateTimeOffset? RebuiltAt { get; set; }
    /// <summary>By reason; kept by a rebuild (which replays orders only).</summary>
    [Id(4)] public AfterSaleCounters AfterSale { get; set; } = new();
}

/// <summary>
/// Analytics of one merchant's products, fed by the merchant's event stream (key: merchant id). The merchant
/// stream carries no viewer events, so views are read at report time from the rooms that sold its products.
/// </summary>
[ImplicitStreamSubscription(EventStreams.Merchants)]
public sealed class MerchantAnalyticsGrain(
    [PersistentState("merchantAnalytics", StorageNames.Analytics)] IPersistentState<MerchantAnalyticsState> state,
    IOptions<AnalyticsOptions> options,
    BusinessCalendar calendar,
    ILogger<MerchantAnalyticsGrain> logger) : AnalyticsGrainBase<MerchantAnalyticsState>(state, options, logger), IMerchantAnalyticsGrain
{
    private string MerchantId => this.GetPrimaryKeyString();

    protected override bool Apply(DomainEvent item)
    {
        if (item is AfterSaleCaseChanged c && S.Recent.Add(RecentKeys.Of(c)))
        {
            S.AfterSale.Apply(c);
            return true;
        }
        if (item is not OrderEvent o || !S.Recent.Add(RecentKeys.Of(o))) return false;
        ApplyOrder(o);
        return true;
    }

    private void ApplyOrder(OrderEvent o)
    {
        S.Orders.Apply(o, calendar);
        if (!S.Rooms.TryGetValue(o.RoomId, out var last) || o.At > last) S.Rooms[o.RoomId] = o.At;
        if (S.Rooms.Count > Options.RoomsPerOwner) S.Rooms.Remove(S.Rooms.MinBy(r => r.Value).Key);
    }

    public async Task<MerchantAnalyticsView> GetReport()
    {
        var roomIds = S.Rooms.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Key).ToList();
        var rooms = await Task.WhenAll(roomIds.Select(id => GrainFactory.Ref<IRoomAnalyticsGrain>(id).GetReport()));
        var retention = await RetentionReader.ReadAsync(GrainFactory, RetentionScope.Merchant, MerchantId);
        return Reports.Merchant(MerchantId, S.Orders, rooms, Reports.Retention(retention, Options.RepurchaseWindow))
            with { AfterSale = S.AfterSale.Rows(S.Orders.Total.Paid) };
    }

    public async Task Rebuild(RebuildBatch batch)
    {
        S.Orders = new OrderCounters();
        S.Recent.Clear();
        foreach (var e in batch.Events)
            if (S.Recent.Add(RecentKeys.Of(e))) ApplyOrder(e);
        S.RebuiltAt = batch.At;
        await WriteNowAsync();
    }
}
