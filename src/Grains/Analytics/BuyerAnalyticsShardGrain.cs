using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Grains.Analytics;

[GenerateSerializer]
public sealed class BuyerShardState
{
    [Id(0)] public BuyerLedger Ledger { get; set; } = new();
    /// <summary>First visits of rooms hashed to this shard, "hour|city" → count (forwarded by room analytics).</summary>
    [Id(1)] public Dictionary<string, long> ViewsByHourCity { get; set; } = [];
    [Id(2)] public DateTimeOffset? RebuiltAt { get; set; }
}

/// <summary>
/// Per-buyer analytics of one platform shard, fed by the platform stream of that shard (key: <c>shard-N</c>, by
/// buyer): lifetime value, dormancy, repurchase and returns per streamer and merchant, and the shard's part of the
/// price–time–region table.
/// </summary>
[ImplicitStreamSubscription(EventStreams.Platform)]
public sealed class BuyerAnalyticsShardGrain(
    [PersistentState("buyerAnalyticsShard", StorageNames.Analytics)] IPersistentState<BuyerShardState> state,
    IOptions<AnalyticsOptions> options,
    BusinessCalendar calendar,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<BuyerAnalyticsShardGrain> logger) : AnalyticsGrainBase<BuyerShardState>(state, options, logger), IBuyerAnalyticsShardGrain
{
    /// <summary>The model fitted on this shard's buyers; refitted when the number of buyers with purchases moves by 10%.</summary>
    private (BgNbdParameters BgNbd, GammaGammaParameters GammaGamma, int FittedOn, bool Defaults)? _model;

    protected override bool Apply(DomainEvent item)
    {
        if (item is not OrderEvent o) return false;
        S.Ledger.Apply(o, calendar, Options.RepurchaseWindow, Options.OrdersPerBuyer);
        return true;
    }

    public Task<RetentionCounts> GetRetention(RetentionScope scope, string id) => Task.FromResult(S.Ledger.RetentionOf(scope, id));

    public Task<PlatformPart> GetPlatformPart() => Task.FromResult(new PlatformPart(
        new Dictionary<string, long>(S.ViewsByHourCity),
        S.Ledger.CellRows(c => (c.Placed, c.Paid, c.Gmv)).ToList(),
        S.Ledger.CellRows(c => (c.Confirmed, 0, 0)).ToList()));

    public Task AddViews(ViewDelta delta)
    {
        foreach (var (key, count) in delta.ByHourCity) S.ViewsByHourCity[key] = S.ViewsByHourCity.GetValueOrDefault(key) + count;
        MarkDirty();
        return Task.CompletedTask;
    }

    public Task<DormantSlice> GetDormant(DateTimeOffset cutoff, int take)
    {
        var all = S.Ledger.Dormant(cutoff).ToList();
        return Task.FromResult(new DormantSlice(all.Take(take).ToList(), all.Count));
    }

    public Task<LifetimeValueView> GetLifetimeValue(string buyerId, int horizonWeeks)
    {
        var now = clock.GetUtcNow();
        var model = Model(now);
        var parameters = new LifetimeModelParameters(model.BgNbd.R, model.BgNbd.Alpha, model.BgNbd.A, model.BgNbd.B,
            model.GammaGamma.P, model.GammaGamma.Q, model.GammaGamma.Gamma, model.FittedOn, model.Defaults);
        const string name = "BG/NBD + Gamma-Gamma";
        if (!S.Ledger.Buyers.TryGetValue(buyerId, out var buyer) || buyer.PaidOrders == 0 || buyer.FirstPaidAt is null)
            return Task.FromResult(new LifetimeValueView(buyerId, 0, 0, buyer?.RefundedTotal ?? 0, null, null, horizonWeeks, 0, 0, 0, 0, name, parameters));

        var o = Observation(buyer, now);
        var expected = LifetimeValueModel.ExpectedPurchases(model.BgNbd, o, horizonWeeks);
        var value = LifetimeValueModel.ExpectedOrderValue(model.GammaGamma, o) * 100; // yuan → fen
        return Task.FromResult(new LifetimeValueView(buyerId, buyer.PaidOrders, buyer.PaidTotal, buyer.RefundedTotal, buyer.FirstPaidAt,
            buyer.LastPaidAt, horizonWeeks, Math.Round(expected, 4), Math.Round(LifetimeValueModel.ProbabilityAlive(model.BgNbd, o), 4),
            Math.Round(value, 2), (long)Math.Round(expected * value), name, parameters));
    }

    private static RfmObservation Observation(BuyerRecord b, DateTimeOffset now) =>
        RfmObservation.From(b.FirstPaidAt!.Value, b.LastPaidAt!.Value, now, b.PaidOrders,
            Math.Max(0, b.PaidTotal - b.RefundedTotal) / 100.0 / b.PaidOrders);

    private (BgNbdParameters BgNbd, GammaGammaParameters GammaGamma, int FittedOn, bool Defaults) Model(DateTimeOffset now)
    {
        var data = S.Ledger.Buyers.Values.Where(b => b.PaidOrders > 0 && b.FirstPaidAt is not null).Select(b => Observation(b, now)).ToList();
        if (_model is { } m && Math.Abs(data.Count - m.FittedOn) <= m.FittedOn / 10) return m;
        _model = data.Count < Options.LifetimeMinimumBuyers
            ? (LifetimeValueModel.DefaultBgNbd, LifetimeValueModel.DefaultGammaGamma, data.Count, true)
            : (LifetimeValueModel.FitBgNbd(data), LifetimeValueModel.FitGammaGamma(data), data.Count, false);
        return _model.Value;
    }

    public async Task Rebuild(RebuildBatch batch)
    {
        S.Ledger = new BuyerLedger();
        foreach (var e in batch.Events) S.Ledger.Apply(e, calendar, Options.RepurchaseWindow, Options.OrdersPerBuyer);
        S.RebuiltAt = batch.At;
        _model = null;
        await WriteNowAsync();
    }
}
