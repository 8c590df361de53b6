using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Contracts.Traffic;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Traffic;
using Orleans.Concurrency;
using Orleans.Serialization;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace LiveCommerce.Grains.Rooms;

[GenerateSerializer]
public sealed class StreamerState
{
    [Id(0)] public bool Created { get; set; }
    [Id(1)] public string DisplayName { get; set; } = "";
    [Id(2)] public string HomeCity { get; set; } = "";
    [Id(3)] public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Fans and the city each lives in (for the fan-circle part of trust).</summary>
    [Id(4)] public Dictionary<string, string> Fans { get; set; } = [];
    [Id(5)] public TrustStatistics Trust { get; set; } = new();
    [Id(6)] public List<TrustHistoryEntry> TrustHistory { get; set; } = [];
}

/// <summary>
/// A streamer: profile, fans, and the trust score computed from the events of its rooms (its own stream,
/// <c>streamer-events</c>, by implicit subscription). Event counts are persisted by a flush timer, not per event:
/// a crash loses at most one flush interval of them, and they can be rebuilt from durable orders.
/// </summary>
[Reentrant]
[ImplicitStreamSubscription(EventStreams.Streamers)]
public sealed class StreamerGrain(
    [PersistentState("streamer", StorageNames.Rooms)] IPersistentState<StreamerState> state,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    DeepCopier copier,
    ILogger<StreamerGrain> logger) : Grain, IStreamerGrain, IStreamSubscriptionObserver
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(10);
    public const int HistoryKept = 500;
    private StreamerState _live = null!;
    private bool _dirty;
    private CoalescingWriter _writer = null!;

    private string StreamerId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _live = state.State;
        _writer = new CoalescingWriter(() => state.WriteSnapshotAsync(_live, copier), _ => DeactivateOnIdle());
        this.RegisterGrainTimer(_ => FlushAsync(), new GrainTimerCreationOptions(FlushInterval, FlushInterval) { Interleave = true });
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => FlushAsync();

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<DomainEvent>().ResumeAsync(OnEventAsync);

    private async Task OnEventAsync(DomainEvent item, StreamSequenceToken? token)
    {
        if (!_live.Created) return;
        var stats = _live.Trust;
        switch (item)
        {
            case ViewerJoined { FirstVisit: true } joined: stats.ViewerArrived(joined.At); break;
            case RoomInteractions batch when batch.DistinctInteractors > 0: stats.NewInteractors(batch.DistinctInteractors, batch.To); break;
            case OrderEvent { Kind: OrderEventKind.Paid } paid: stats.Paid(paid.BuyerId, paid.At); break;
            case OrderEvent { Kind: OrderEventKind.Delivered } delivered: stats.Delivered(delivered.At); break;
            case OrderEvent { Kind: OrderEventKind.Refunded, AfterDelivery: true } returned: stats.Returned(returned.OrderId, returned.At); break;
            default: return;
        }
        _dirty = true;
        await RecordHistoryIfMovedAsync();
    }

    public async Task<StreamerProfile> CreateProfile(CreateStreamerProfile command)
    {
        var name = Text.Require(command.DisplayName, "displayName", 100);
        var city = Text.Require(command.HomeCity, "homeCity", 50);
        if (_live.Created)
        {
            if (_live.DisplayName == name && _live.HomeCity == city) return View();
            throw DomainException.Conflict("streamer.exists", $"Streamer '{StreamerId}' already has a different profile.");
        }
        _live.Created = true;
        _live.DisplayName = name;
        _live.HomeCity = city;
        _live.CreatedAt = clock.GetUtcNow();
        await _writer.WriteAsync();
        return View();
    }

    public Task<StreamerProfile> GetProfile()
    {
        RequireCreated();
        return Task.FromResult(View());
    }

    public async Task<long> AddFan(string buyerId, string city)
    {
        RequireCreated();
        if (_live.Fans.TryGetValue(buyerId, out var known) && known == city) return _live.Fans.Count;
        _live.Fans[buyerId] = city;
        await _writer.WriteAsync();
        await this.PublishAsync(logger, new FollowChanged(StreamerId, buyerId, true, clock.GetUtcNow()), (EventStreams.Streamers, StreamerId));
        return _live.Fans.Count;
    }

    public async Task<long> RemoveFan(string buyerId)
    {
        RequireCreated();
        if (!_live.Fans.Remove(buyerId)) return _live.Fans.Count;
        await _writer.WriteAsync();
        await this.PublishAsync(logger, new FollowChanged(StreamerId, buyerId, false, clock.GetUtcNow()), (EventStreams.Streamers, StreamerId));
        return _live.Fans.Count;
    }

    public async Task<TrustScoreView> GetTrustScore(string? viewerId)
    {
        RequireCreated();
        var config = await GrainFactory.Ref<IRankingConfigGrain>("default").Get();
        ViewerFacts? viewer = null;
        if (viewerId is not null)
        {
            var buyer = await GrainFactory.Ref<IBuyerGrain>(viewerId).Get();
            viewer = new ViewerFacts(viewerId, buyer.City, _live.Fans.ContainsKey(viewerId));
        }
        var now = clock.GetUtcNow();
        return TrustScoreCalculator.Compute(StreamerId, _live.Trust.Totals(now), _live.HomeCity, _live.Fans.Count,
            viewer is null ? NoFans : FansByCity(), viewer, config, now);
    }

    public Task<IReadOnlyList<TrustHistoryEntry>> GetTrustHistory(int limit)
    {
        RequireCreated();
        return Task.FromResult<IReadOnlyList<TrustHistoryEntry>>(_live.TrustHistory.AsEnumerable().Reverse().Take(limit).ToList());
    }

    public async Task<StreamerTrustSnapshot> GetTrustSnapshot()
    {
        RequireCreated();
        var score = await GetTrustScore(null);
        return new StreamerTrustSnapshot(StreamerId, _live.HomeCity, score.BasePart, _live.Fans.Count, FansByCity(), score.ConfigVersion);
    }

    /// <summary>Keeps a history entry whenever the base score moved by half a point or the weights changed.</summary>
    private async Task RecordHistoryIfMovedAsync()
    {
        var score = await GetTrustScore(null);
        var last = _live.TrustHistory.LastOrDefault();
        var moved = last is null || Math.Abs(last.BasePart - score.BasePart) >= 0.5 || score.ConfigVersion != last.ConfigVersion;
        if (!moved) return;
        var c = score.Components;
        _live.TrustHistory.Add(new TrustHistoryEntry(score.ComputedAt, score.BasePart, c[0].Value, 1 - c[1].Value, c[2].Value, score.ConfigVersion));
        if (_live.TrustHistory.Count > HistoryKept) _live.TrustHistory.RemoveAt(0);
    }

    // The base score (no viewer) reads no fan cities; it is computed on every streamer event.
    private static readonly IReadOnlyDictionary<string, long> NoFans = new Dictionary<string, long>();

    private IReadOnlyDictionary<string, long> FansByCity() =>
        _live.Fans.Values.GroupBy(c => c, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.OrdinalIgnoreCase);

    private async Task FlushAsync()
    {
        if (!_dirty) return;
        _dirty = false;
        _live.Trust.Prune(clock.GetUtcNow());
        try { await _writer.WriteAsync(); }
        catch (Exception e)
        {
            _dirty = true;
            logger.LogWarning(e, "Could not persist the trust statistics of streamer {StreamerId}", StreamerId);
        }
    }

    private void RequireCreated()
    {
        if (!_live.Created) throw DomainException.NotFound("streamer", StreamerId);
    }

    private StreamerProfile View() => new(StreamerId, _live.DisplayName, _live.HomeCity, _live.CreatedAt, _live.Fans.Count);
}
