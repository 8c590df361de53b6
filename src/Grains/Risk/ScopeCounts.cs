using System.Collections.Concurrent;
using System.Diagnostics;
using LiveCommerce.Contracts.Risk;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Grains.Risk;

/// <summary>How a silo keeps its view of the room, merchant and product counters (<c>LiveCommerce:Risk:Counting</c>).</summary>
public sealed class RiskCountingOptions
{
    public const string Section = "LiveCommerce:Risk:Counting";

    /// <summary>
    /// How often a silo sends the night orders it counted to each scope's counter grain and refreshes its copy of the
    /// scope's activity. Orders placed on other silos reach this silo's answers within about this long. Zero: every
    /// order waits for a counter call of its own (batched with the orders that arrive meanwhile), exact across silos.
    /// </summary>
    public TimeSpan ScopeSyncInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>
/// A silo's view of the scope counters used by the night-surge and refund-spike rules: orders are counted locally and
/// sent to the counter grain once per <see cref="RiskCountingOptions.ScopeSyncInterval"/> (one call per scope for all
/// the orders in between), and answers come from the last activity the grain returned plus what this silo counted
/// since. Both rules judge hours and days, so a count from another silo arriving a fraction of a second later does not
/// change what they catch; it removes three counter calls from every order placed in the night window (two reads for
/// the refund rule at other hours). An answer is never older than four intervals: a caller that finds it older, or of
/// another hour, waits for a fresh one.
/// </summary>
public sealed class ScopeCounts : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Func<string, IScopeCounterGrain> _counter;
    private readonly TimeSpan _interval;
    private readonly long _refreshAfterTicks, _maxAgeTicks;
    private readonly ILogger<ScopeCounts> _logger;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _calls;

    public static readonly TimeSpan ForgetIdle = TimeSpan.FromMinutes(2);
    private const int SweepEvery = 4096;

    public ScopeCounts(IGrainFactory grains, IOptions<RiskCountingOptions> options, ILogger<ScopeCounts> logger)
        : this(scope => grains.Ref<IScopeCounterGrain>(scope), options.Value.ScopeSyncInterval, logger) { }

    public ScopeCounts(Func<string, IScopeCounterGrain> counter, TimeSpan interval, ILogger<ScopeCounts> logger)
    {
        if (interval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), "The sync interval must not be negative.");
        _counter = counter;
        _interval = interval;
        _refreshAfterTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        _maxAgeTicks = _refreshAfterTicks * 4;
        _logger = logger;
    }

    /// <summary>Scopes this silo currently remembers (for tests and metrics).</summary>
    public int Tracked => _entries.Count;

    /// <summary>
    /// Counts an order in the scope when <paramref name="countTowardsNight"/> and answers the scope's activity with it
    /// counted; with <c>false</c> it only reads.
    /// </summary>
    public async Task<ScopeActivity> RecordOrder(string scope, DateTimeOffset at, bool countTowardsNight)
    {
        if (Interlocked.Increment(ref _calls) % SweepEvery == 0) Sweep();
        var e = _entries.GetOrAdd(scope, _ => new Entry());
        var hour = HourlyCounts.HourOf(at);
        long answerFrom;
        while (true)
        {
            Task wait;
            lock (e)
            {
                // Counts of an earlier hour go out before this hour's are added, so each lands in its own hour.
                if (!countTowardsNight || e.Pending == 0 || e.PendingHour == hour)
                {
                    if (countTowardsNight)
                    {
                        e.Pending++;
                        e.PendingHour = hour;
                        if (at > e.PendingAt) e.PendingAt = at;
                        ScheduleFlush(scope, e);
                    }
                    // In exact mode only a sync that starts from now on may answer (it carries this order's count).
                    answerFrom = e.Started + 1;
                    break;
                }
                wait = StartSync(scope, e, at);
            }
            await wait;
        }

        while (true)
        {
            Task wait;
            lock (e)
            {
                e.LastUsed = Stopwatch.GetTimestamp();
                if (e.Snapshot is { } snapshot && e.SnapshotHour == hour)
                {
                    var age = e.LastUsed - e.FetchedAt;
                    if (e.SnapshotGeneration >= answerFrom || (_refreshAfterTicks > 0 && age <= _maxAgeTicks))
                    {
                        // Refresh ahead: the next caller gets a newer copy without anyone waiting for it.
                        if (_refreshAfterTicks > 0 && age > _refreshAfterTicks && e.Sync is null) _ = LogFailureAsync(scope, StartSync(scope, e, at));
                        var counted = (e.InFlightHour == hour ? e.InFlight : 0) + (e.PendingHour == hour ? e.Pending : 0);
                        return snapshot with { OrdersThisHour = snapshot.OrdersThisHour + counted };
                    }
                }
                wait = StartSync(scope, e, at);
            }
            await wait;
        }
    }

    /// <summary>Reads the scope's activity (payment stage, refund-spike rule).</summary>
    public Task<ScopeActivity> Read(string scope, DateTimeOffset at) => RecordOrder(scope, at, countTowardsNight: false);

    /// <summary>Paid and refunded orders go to the grain at once; this silo's copy is refreshed before its next answer.</summary>
    public async Task RecordPaid(string scope, string orderId, DateTimeOffset at)
    {
        await _counter(scope).RecordPaid(orderId, at);
        Forget(scope);
    }

    public async Task RecordRefunded(string scope, string orderId, DateTimeOffset at)
    {
        await _counter(scope).RecordRefunded(orderId, at);
        Forget(scope);
    }

    /// <summary>Sends every count still held by this silo (shutdown; tests).</summary>
    public async Task FlushAsync()
    {
        foreach (var (scope, e) in _entries)
            // Twice at most: a sync already in flight does not carry the counts that arrived after it started.
            for (var attempt = 0; attempt < 2; attempt++)
            {
                Task wait;
                lock (e)
                {
                    if (e.Pending == 0 && e.Sync is null) break;
                    wait = StartSync(scope, e, e.PendingAt);
                }
                await LogFailureAsync(scope, wait);
            }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        // Stopped before grains deactivate: the counts reach the counter grains, which persist them as they deactivate.
        lifecycle.Subscribe(nameof(ScopeCounts), ServiceLifecycleStage.Active, _ => Task.CompletedTask, _ => FlushAsync());

    private void Forget(string scope)
    {
        if (_entries.TryGetValue(scope, out var e))
            lock (e) e.FetchedAt = long.MinValue / 2;
    }

    /// <summary>Under the entry's lock: the running sync, or a new one carrying the pending counts.</summary>
    private Task StartSync(string scope, Entry e, DateTimeOffset at)
    {
        if (e.Sync is { } running) return running;
        var orders = e.Pending;
        var countAt = orders > 0 ? e.PendingAt : at;
        e.InFlight = orders;
        e.InFlightHour = e.PendingHour;
        e.Pending = 0;
        var generation = ++e.Started;
        // Off the caller's scheduler: a grain's turn must not carry other grains' counter calls.
        return e.Sync = Task.Run(() => SyncAsync(scope, e, orders, countAt, generation));
    }

    private async Task SyncAsync(string scope, Entry e, int orders, DateTimeOffset at, long generation)
    {
        try
        {
            // A refresh with nothing to send is a read, which the counter interleaves with its other calls.
            var counter = _counter(scope);
            var activity = orders > 0 ? await counter.RecordOrders(at, true, orders) : await counter.Read(at);
            lock (e)
            {
                e.Snapshot = activity;
                e.SnapshotHour = HourlyCounts.HourOf(at);
                e.SnapshotGeneration = generation;
                e.FetchedAt = Stopwatch.GetTimestamp();
                e.InFlight = 0;
                e.Sync = null;
                if (e.Pending > 0) ScheduleFlush(scope, e);
            }
        }
        catch
        {
            lock (e)
            {
                // Not lost: the counts go out with the next sync (in the later hour if the hour has turned meanwhile).
                if (e.Pending == 0) e.PendingHour = e.InFlightHour;
                e.Pending += e.InFlight;
                if (at > e.PendingAt) e.PendingAt = at;
                e.InFlight = 0;
                e.Sync = null;
                if (e.Pending > 0) ScheduleFlush(scope, e);
            }
            throw;
        }
    }

    private void ScheduleFlush(string scope, Entry e)
    {
        if (e.FlushScheduled || _refreshAfterTicks == 0) return;
        e.FlushScheduled = true;
        _ = FlushLaterAsync(scope, e);
    }

    private async Task FlushLaterAsync(string scope, Entry e)
    {
        await Task.Delay(_interval);
        Task? sync;
        lock (e)
        {
            e.FlushScheduled = false;
            // A sync in flight reschedules the flush when it ends, for the counts that arrived meanwhile.
            sync = e.Pending > 0 && e.Sync is null ? StartSync(scope, e, e.PendingAt) : null;
        }
        if (sync is not null) await LogFailureAsync(scope, sync);
    }

    /// <summary>For syncs nobody waits on: a failure is logged (its counts stay pending for the next sync).</summary>
    private async Task LogFailureAsync(string scope, Task sync)
    {
        try { await sync; }
        catch (Exception ex) { _logger.LogWarning(ex, "Could not sync the risk counts of {Scope}; the next sync retries", scope); }
    }

    private void Sweep()
    {
        var idleSince = Stopwatch.GetTimestamp() - (long)(ForgetIdle.TotalSeconds * Stopwatch.Frequency);
        foreach (var (scope, e) in _entries)
            lock (e)
                if (e.LastUsed < idleSince && e.Pending == 0 && e.Sync is null && !e.FlushScheduled)
                    _entries.TryRemove(new KeyValuePair<string, Entry>(scope, e));
    }

    private sealed class Entry
    {
        public ScopeActivity? Snapshot;
        public long SnapshotHour, SnapshotGeneration, FetchedAt, LastUsed = Stopwatch.GetTimestamp();
        public int Pending, InFlight;
        public long PendingHour, InFlightHour;
        public DateTimeOffset PendingAt;
        public long Started;
        public Task? Sync;
        public bool FlushScheduled;
    }
}
