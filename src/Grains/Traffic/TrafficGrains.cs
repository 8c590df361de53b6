using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Contracts.Traffic;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Orleans.Concurrency;

namespace LiveCommerce.Grains.Traffic;

[GenerateSerializer]
public sealed class RankingConfigState
{
    [Id(0)] public RankingConfig? Current { get; set; }
    [Id(1)] public List<RankingConfigChange> Changes { get; set; } = [];
    /// <summary>Webhook events written with the change that caused them, until the webhook log has them.</summary>
    [Id(2)] public List<Contracts.Platform.WebhookEvent> WebhookOutbox { get; set; } = [];
}

/// <summary>
/// The ranking configuration: versioned; each change is logged with the top of each pool before and after, and owes
/// the webhook log a platform-wide <c>ranking.config_changed</c> event, kept in this grain's state (an outbox written
/// with the change) until appended. A reminder, registered before the write, retries the append wherever the grain
/// lands if the silo dies in between; changes are rare, so it costs a reminder write per change.
/// </summary>
[Reentrant]
public sealed class RankingConfigGrain(
    [PersistentState("rankingConfig", StorageNames.Traffic)] IPersistentState<RankingConfigState> persisted,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    Platform.Webhooks.WebhookEventLog webhookLog,
    ILogger<RankingConfigGrain> logger) : Grain, IRankingConfigGrain, IRemindable
{
    public const int ChangesKept = 200;
    private const string OutboxReminder = "webhook-outbox";
    private bool _changing;
    // The grain is reentrant: a change's state write and the outbox reminder's must not overlap.
    private readonly SemaphoreSlim _stateGate = new(1, 1);

    private RankingConfig Current => persisted.State.Current ?? RankingConfig.Default;

    public Task<RankingConfig> Get() => Task.FromResult(Current);

    public async Task<RankingConfig> Change(RankingConfig proposed, string changedBy)
    {
        Validate(proposed);
        if (_changing) throw DomainException.Conflict("ranking.busy", "Another ranking change is being saved; retry.");
        _changing = true;
        try
        {
            var old = Current;
            if (NextVersion(old, proposed) is not { } next) return old;
            var pool = GrainFactory.Ref<ITrafficPoolGrain>(TrafficPool.Key);
            var tradeBefore = await pool.Top(PoolKind.Trade, 10, old);
            var contentBefore = await pool.Top(PoolKind.Content, 10, old);
            var tradeAfter = await pool.Top(PoolKind.Trade, 10, next);
            var contentAfter = await pool.Top(PoolKind.Content, 10, next);
            var at = clock.GetUtcNow();
            await _stateGate.WaitAsync();
            try
            {
                await this.RegisterOrUpdateReminder(OutboxReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
                persisted.State.Current = next;
                persisted.State.Changes.Add(new RankingConfigChange(next.Version, changedBy, at, old, next, tradeBefore, tradeAfter, contentBefore, contentAfter));
                if (persisted.State.Changes.Count > ChangesKept) persisted.State.Changes.RemoveAt(0);
                persisted.State.WebhookOutbox.Add(RankingWebhooks.Changed(this.GetPrimaryKeyString(), old, next, at));
                try
                {
                    await persisted.WriteStateAsync();
                }
                catch
                {
                    // Memory now holds a change (and an event) that was not saved: reload it while the gate still keeps
                    // the reminder out (a second change is refused by _changing), and if even that fails, drop the activation.
                    try { await persisted.ReadStateAsync(); }
                    catch { DeactivateOnIdle(); }
                    throw;
                }
                // The change is saved: a failed append is the reminder's to retry, not the caller's problem.
                await DeliverOutboxAsync();
            }
            finally
            {
                _stateGate.Release();
            }
            return next;
        }
        finally
        {
            _changing = false;
        }
    }

    /// <summary>
    /// Optimistic concurrency: a change names the version it was made from; a stale one is 409 <c>ranking.stale</c>
    /// (currentState: the current version), and one that changes nothing creates no version (null).
    /// </summary>
    public static RankingConfig? NextVersion(RankingConfig current, RankingConfig proposed)
    {
        if (proposed.Version != current.Version)
            throw DomainException.Conflict("ranking.stale", $"The configuration is at version {current.Version}, not {proposed.Version}; reload and retry.",
                current.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return proposed == current ? null : proposed with { Version = current.Version + 1 };
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != OutboxReminder) return;
        await _stateGate.WaitAsync();
        try
        {
            await DeliverOutboxAsync();
        }
        finally
        {
            _stateGate.Release();
        }
    }

    /// <summary>
    /// With the state gate held: appends the owed events (idempotent by event id), empties the outbox and drops the
    /// reminder. A failure leaves both for the reminder's next tick.
    /// </summary>
    private async Task DeliverOutboxAsync()
    {
        try
        {
            var owed = persisted.State.WebhookOutbox.ToList();
            foreach (var e in owed) await webhookLog.AppendAsync(e);
            if (owed.Count > 0)
            {
                persisted.State.WebhookOutbox.Clear();
                await persisted.WriteStateAsync();
            }
            if (await this.GetReminder(OutboxReminder) is { } reminder) await this.UnregisterReminder(reminder);
        }
        catch (Exception e)
        {
            // The reminder is still registered; a fresh activation reloads the persisted outbox and retries.
            logger.LogWarning(e, "Ranking config: appending its webhook event failed; the reminder retries");
            DeactivateOnIdle();
        }
    }

    public Task<IReadOnlyList<RankingConfigChange>> Changes(int limit) =>
        Task.FromResult<IReadOnlyList<RankingConfigChange>>(persisted.State.Changes.AsEnumerable().Reverse().Take(limit).ToList());

    public static void Validate(RankingConfig c)
    {
        static void Percent(int value, string field)
        {
            if (value is < 0 or > 100) throw DomainException.Invalid(field, $"{field} is a percentage (0..100).");
        }
        foreach (var (value, field) in new[] { (c.InteractionWeight, "interactionWeight"), (c.ReturnWeight, "returnWeight"), (c.RepurchaseWeight, "repurchaseWeight"),
                     (c.SameCityWeight, "sameCityWeight"), (c.FanCircleWeight, "fanCircleWeight"), (c.TradeTrustWeight, "tradeTrustWeight"),
                     (c.TradeConversionWeight, "tradeConversionWeight"), (c.ContentInteractionWeight, "contentInteractionWeight"),
                     (c.ContentFreshnessWeight, "contentFreshnessWeight"), (c.SameCityColdStartBoost, "sameCityColdStartBoost") })
            Percent(value, field);
        if (c.InteractionWeight + c.ReturnWeight + c.RepurchaseWeight + c.SameCityWeight + c.FanCircleWeight != 100)
            throw DomainException.Invalid("interactionWeight", "The five trust weights must add up to 100.");
        if (c.TradeTrustWeight + c.TradeConversionWeight != 100)
            throw DomainException.Invalid("tradeTrustWeight", "tradeTrustWeight and tradeConversionWeight must add up to 100.");
        if (c.ContentInteractionWeight + c.ContentFreshnessWeight != 100)
            throw DomainException.Invalid("contentInteractionWeight", "contentInteractionWeight and contentFreshnessWeight must add up to 100.");
        if (c.ContentSharePercent is < 30 or > 40)
            throw DomainException.Invalid("contentSharePercent", "contentSharePercent must be between 30 and 40.");
        if (c.FreshnessHalfLifeMinutes is < 1 or > 24 * 60) throw DomainException.Invalid("freshnessHalfLifeMinutes", "freshnessHalfLifeMinutes must be 1..1440.");
        if (c.ColdStartMinutes is < 0 or > 24 * 60) throw DomainException.Invalid("coldStartMinutes", "coldStartMinutes must be 0..1440.");
        if (c.ColdStartMaxViewers < 0) throw DomainException.Invalid("coldStartMaxViewers", "coldStartMaxViewers must not be negative.");
    }
}

public static class TrafficPool
{
    public const string Key = "live";
}

/// <summary>
/// The live-room pool: memory only (rooms report every few seconds while live, so a restarted pool is full again
/// within one report interval). Keeps each room's latest facts and a recent window, the trust snapshots of their
/// streamers (refreshed every 30 s), and the two rankings, cached for two seconds so feed requests never rank all rooms.
/// Cache ages are real time (<see cref="Environment.TickCount64"/>); ranking uses the business clock.
/// </summary>
[Reentrant]
public sealed class TrafficPoolGrain(
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<TrafficSettings> settings,
    ILogger<TrafficPoolGrain> logger) : Grain, ITrafficPoolGrain
{
    public static readonly TimeSpan RecentWindow = TimeSpan.FromMinutes(1);
    private const int RankedKept = 200;

    private readonly Dictionary<string, RoomFacts> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (StreamerTrustSnapshot Snapshot, long ReadAtMs)> _streamers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _refreshing = new(StringComparer.Ordinal);
    private readonly Dictionary<PoolKind, (long Version, long AtMs, List<PoolEntryView> Ranked)> _cache = [];

    private static long NowMs => Environment.TickCount64;

    public async Task Report(RoomReport report)
    {
        if (!report.Live)
        {
            _rooms.Remove(report.RoomId);
            return;
        }
        if (!_rooms.TryGetValue(report.RoomId, out var facts)) _rooms[report.RoomId] = facts = new RoomFacts();
        facts.Add(report, RecentWindow);
        if (!_streamers.TryGetValue(report.StreamerId, out var known) || NowMs - known.ReadAtMs > settings.Value.SnapshotRefresh.TotalMilliseconds)
            await RefreshStreamerAsync(report.StreamerId);
    }

    public async Task<IReadOnlyList<PoolEntryView>> Top(PoolKind pool, int limit, RankingConfig? config)
    {
        config ??= await GrainFactory.Ref<IRankingConfigGrain>("default").Get();
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(pool, out var cached) && cached.Version == config.Version && NowMs - cached.AtMs < settings.Value.RankingCache.TotalMilliseconds
            && cached.Ranked.Count >= Math.Min(limit, _rooms.Count))
            return cached.Ranked.Take(limit).ToList();
        var ranked = _rooms.Values.Select(room => Rank(room, pool, config, now))
            .OrderByDescending(e => e.Score).ThenBy(e => e.RoomId, StringComparer.Ordinal)
            .Take(Math.Max(limit, RankedKept)).ToList();
        _cache[pool] = (config.Version, NowMs, ranked);
        return ranked.Take(limit).ToList();
    }

    public async Task<IReadOnlyList<PoolEntryView>> RoomsOf(IReadOnlyList<string> streamerIds)
    {
        var config = await GrainFactory.Ref<IRankingConfigGrain>("default").Get();
        var wanted = streamerIds.ToHashSet(StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        return _rooms.Values.Where(r => wanted.Contains(r.Latest.StreamerId)).Select(r => Rank(r, PoolKind.Trade, config, now)).ToList();
    }

    public Task<IReadOnlyDictionary<string, StreamerTrustSnapshot>> Snapshots(IReadOnlyList<string> streamerIds) =>
        Task.FromResult<IReadOnlyDictionary<string, StreamerTrustSnapshot>>(streamerIds.Distinct()
            .Where(_streamers.ContainsKey).ToDictionary(id => id, id => _streamers[id].Snapshot));

    private PoolEntryView Rank(RoomFacts room, PoolKind pool, RankingConfig config, DateTimeOffset now)
    {
        var r = room.Latest;
        var (score, breakdown) = pool == PoolKind.Trade
            ? PoolRanking.Trade(room, _streamers.TryGetValue(r.StreamerId, out var s) ? s.Snapshot.BasePart : 0, config)
            : PoolRanking.Content(room, now, config);
        return new PoolEntryView(r.RoomId, r.StreamerId, r.Title, r.City, pool, score, breakdown, r.UniqueViewers, r.StartedAt);
    }

    private async Task RefreshStreamerAsync(string streamerId)
    {
        if (!_refreshing.Add(streamerId)) return;
        try
        {
            var snapshot = await GrainFactory.Ref<IStreamerGrain>(streamerId).GetTrustSnapshot();
            _streamers[streamerId] = (snapshot, NowMs);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not read the trust of streamer {StreamerId}", streamerId);
        }
        finally
        {
            _refreshing.Remove(streamerId);
        }
    }
}

/// <summary>Builds feeds; stateless, so every silo runs its own copies close to the callers.</summary>
[StatelessWorker]
public sealed class FeedGrain([FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IFeedGrain
{
    public const int Candidates = 100;

    public async Task<FeedView> Build(string buyerId, int size)
    {
        if (size is < 1 or > 100) throw DomainException.Invalid("size", "size must be between 1 and 100.");
        var buyer = await GrainFactory.Ref<IBuyerGrain>(buyerId).Get();
        var config = await GrainFactory.Ref<IRankingConfigGrain>("default").Get();
        var pool = GrainFactory.Ref<ITrafficPoolGrain>(TrafficPool.Key);
        var followedTask = pool.RoomsOf(buyer.Following);
        var tradeTask = pool.Top(PoolKind.Trade, Candidates, config);
        var contentTask = pool.Top(PoolKind.Content, Candidates, config);
        var followed = await followedTask;
        var trade = await tradeTask;
        var content = await contentTask;
        var snapshots = await pool.Snapshots(trade.Select(e => e.StreamerId).ToList());

        FeedComposer.Candidate C(PoolEntryView e) => new(e, new RoomReport(e.RoomId, e.StreamerId, e.Title, e.City, true, e.StartedAt, e.UniqueViewers, 0, 0, clock.GetUtcNow()));
        var entries = FeedComposer.Compose(size, buyer.City, buyer.Following.ToHashSet(StringComparer.Ordinal),
            followed.Select(C).ToList(), trade.Select(C).ToList(), content.Select(C).ToList(), snapshots, config, clock.GetUtcNow());
        return new FeedView(buyerId, entries, config.ContentSharePercent, config.Version);
    }
}
