using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Common;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace LiveCommerce.Grains.Analytics;

/// <summary>Reads that merge the platform shards; holds no state, so any silo can run it.</summary>
[StatelessWorker]
public sealed class AnalyticsQueryGrain(
    IOptions<AnalyticsOptions> options,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IAnalyticsQueryGrain
{
    private readonly AnalyticsOptions _options = options.Value;

    private IEnumerable<IBuyerAnalyticsShardGrain> Shards =>
        EventStreams.AllPlatformShards.Select(shard => GrainFactory.Ref<IBuyerAnalyticsShardGrain>(shard));

    public async Task<PlatformAnalyticsView> GetPlatform()
    {
        var parts = await Task.WhenAll(Shards.Select(s => s.GetPlatformPart()));
        var viewsByHour = new long[24];
        var viewsByCity = new Dictionary<string, long>();
        foreach (var (key, count) in parts.SelectMany(p => p.ViewsByHourCity))
        {
            var split = key.Split('|', 2);
            viewsByHour[int.Parse(split[0])] += count;
            viewsByCity[split[1]] = viewsByCity.GetValueOrDefault(split[1]) + count;
        }
        var cells = parts.SelectMany(p => p.Cells).GroupBy(c => (c.Band, c.Hour, c.City))
            .Select(g => new ResponseCell(g.Key.Band, g.Key.Hour, g.Key.City, g.Sum(c => c.Placed), g.Sum(c => c.Paid), g.Sum(c => c.Gmv)))
            .OrderBy(c => c.Band).ThenBy(c => c.Hour).ThenBy(c => c.City, StringComparer.Ordinal).ToList();
        var confirmed = parts.SelectMany(p => p.Confirmed).ToList();

        Funnel Sum(IEnumerable<ResponseCell> slice, IEnumerable<ResponseCell> confirmedSlice) => new()
        {
            Placed = slice.Sum(c => c.Placed), Paid = slice.Sum(c => c.Paid), Gmv = slice.Sum(c => c.Gmv),
            Confirmed = confirmedSlice.Sum(c => c.Placed),
        };
        var byHour = Enumerable.Range(0, 24).ToDictionary(h => h, h => Sum(cells.Where(c => c.Hour == h), confirmed.Where(c => c.Hour == h)));
        var byCity = cells.Select(c => c.City).Distinct().ToDictionary(city => city, city => Sum(cells.Where(c => c.City == city), confirmed.Where(c => c.City == city)));
        var views = viewsByHour.Sum();
        var total = Sum(cells, confirmed);
        // Every platform viewer is offered every band, so at platform level a band's offer views are all views.
        var bands = PriceBands.All.Select(band =>
        {
            var f = Sum(cells.Where(c => c.Band == band), []);
            return new BandRow(band, PriceBands.Label(band), views, f.Placed, f.Paid, f.Gmv, Reports.Rate(f.Paid, views));
        }).ToList();
        return new PlatformAnalyticsView(views, total.Placed, total.Paid, total.Gmv, Reports.Rate(total.Paid, views),
            Reports.Hours(viewsByHour, byHour), Reports.Cities(viewsByCity, byCity), bands, cells);
    }

    public async Task<DormantBuyerPage> GetDormantBuyers(int offset, int limit)
    {
        var cutoff = clock.GetUtcNow().AddDays(-_options.DormantDays);
        var slices = await Task.WhenAll(Shards.Select(s => s.GetDormant(cutoff, offset + limit)));
        var page = slices.SelectMany(s => s.First).OrderBy(d => d.LastPurchaseAt).ThenBy(d => d.BuyerId, StringComparer.Ordinal)
            .Skip(offset).Take(limit).ToList();
        var buyers = await Task.WhenAll(page.Select(d => GrainFactory.Ref<IBuyerGrain>(d.BuyerId).Find()));
        var rows = page.Select((d, i) => new DormantBuyerRow(d.BuyerId, buyers[i]?.City ?? d.City, d.LastPurchaseAt, d.PaidOrders, d.TotalPaid,
            buyers[i]?.Following ?? [])).ToList();
        return new DormantBuyerPage(rows, slices.Sum(s => s.Total), offset, limit, cutoff, _options.DormantDays);
    }

    public async Task<LifetimeValueView> GetLifetimeValue(string buyerId, int? weeks)
    {
        var horizonWeeks = weeks ?? _options.LifetimeHorizonWeeks;
        if (horizonWeeks is < 1 or > 520) throw DomainException.Invalid("weeks", "weeks must be between 1 and 520.");
        _ = await GrainFactory.Ref<IBuyerGrain>(buyerId).Find() ?? throw DomainException.NotFound("buyer", buyerId);
        return await GrainFactory.Ref<IBuyerAnalyticsShardGrain>(EventStreams.PlatformShard(buyerId)).GetLifetimeValue(buyerId, horizonWeeks);
    }
}
