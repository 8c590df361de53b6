using LiveCommerce.Contracts.Risk;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace LiveCommerce.Grains.Risk;

public static class SourceCounters
{
    public const int Buckets = 1024;

    public static string KeyFor(string kind, string source) =>
        $"{kind}#{(uint)LiveCommerce.Contracts.Events.EventStreams.StableHash(source) % Buckets}";
}

/// <summary>
/// Sliding windows of the sources (IPs or devices) that hash to one bucket. Memory only (the windows are minutes
/// long); sources idle longer than <see cref="SourceWindows.KeepIdle"/> are dropped, and an idle bucket deactivates
/// with all of them.
/// </summary>
public sealed class SourceCounterGrain : Grain, ISourceCounterGrain
{
    private readonly SourceWindows _windows = new();

    public Task<SourceActivity> RecordAttempt(string source, string buyerId, DateTimeOffset at, TimeSpan distinctWindow)
    {
        var (lastMinute, distinct) = _windows.Record(source, buyerId, at, distinctWindow);
        return Task.FromResult(new SourceActivity(lastMinute, distinct));
    }
}

/// <summary>The windows of many sources, with idle ones dropped as calls come in.</summary>
public sealed class SourceWindows
{
    public static readonly TimeSpan KeepIdle = TimeSpan.FromMinutes(30);
    public const int PruneEvery = 1000;
    private readonly Dictionary<string, (SlidingWindow Window, DateTimeOffset LastSeen)> _sources = new(StringComparer.Ordinal);
    private int _callsSincePrune;

    public int Tracked => _sources.Count;

    public (int LastMinute, int DistinctBuyers) Record(string source, string buyerId, DateTimeOffset at, TimeSpan distinctWindow)
    {
        var window = _sources.TryGetValue(source, out var entry) ? entry.Window : new SlidingWindow();
        var result = window.Record(buyerId, at, distinctWindow);
        _sources[source] = (window, at);
        if (++_callsSincePrune >= PruneEvery) Prune(at);
        return result;
    }

    public void Prune(DateTimeOffset now)
    {
        _callsSincePrune = 0;
        foreach (var idle in _sources.Where(s => s.Value.LastSeen < now - KeepIdle).Select(s => s.Key).ToList()) _sources.Remove(idle);
    }
}

[GenerateSerializer]
public sealed class ScopeCounterState
{
    [Id(0)] public HourlyCounts Counts { get; set; } = new();
}

/// <summary>
/// Hourly counts of a room, merchant or product. Reentrant; counts are persisted by a flush timer, not per order
/// (a crash loses at most one flush interval of counts), so the baselines survive restarts without a write per order.
/// </summary>
[Reentrant]
public sealed class ScopeCounterGrain(
    [PersistentState("riskScopeCounter", StorageNames.Risk)] IPersistentState<ScopeCounterState> persisted,
    DeepCopier copier,
    ILogger<ScopeCounterGrain> logger) : Grain, IScopeCounterGrain
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(10);
    private HourlyCounts _counts = null!;
    private bool _dirty;
    // Another activation wrote the counts since this one loaded them (a silo handing its grains over): this one's
    // writes can never succeed again, so it leaves and the next activation loads the other's.
    private bool _superseded;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _counts = persisted.State.Counts;
        this.RegisterGrainTimer(_ => FlushAsync(), new GrainTimerCreationOptions(FlushInterval, FlushInterval) { Interleave = true });
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _superseded ? Task.CompletedTask : FlushAsync();

    public Task<ScopeActivity> RecordOrders(DateTimeOffset at, bool countTowardsNight, int orders)
    {
        if (orders < 0) throw DomainException.Invalid("orders", "orders must not be negative.");
        if (countTowardsNight && orders > 0)
        {
            _counts.At(at).Orders += orders;
            _dirty = true;
        }
        return Read(at);
    }

    public Task<ScopeActivity> Read(DateTimeOffset at)
    {
        var (paid, refunded) = _counts.Last24Hours(at);
        return Task.FromResult(new ScopeActivity(this.GetPrimaryKeyString(), _counts.Orders(HourlyCounts.HourOf(at)), _counts.BaselineTimes7(at), paid, refunded));
    }

    public Task RecordPaid(string orderId, DateTimeOffset at)
    {
        _counts.At(at).Paid++;
        _dirty = true;
        return Task.CompletedTask;
    }

    public Task RecordRefunded(string orderId, DateTimeOffset at)
    {
        _counts.At(at).Refunded++;
        _dirty = true;
        return Task.CompletedTask;
    }

    public async Task SeedOrders(DateTimeOffset hour, long orders)
    {
        if (orders < 0) throw DomainException.Invalid("orders", "orders must not be negative.");
        _counts.At(hour).Orders += orders;
        _dirty = true;
        await FlushAsync();
    }

    private async Task FlushAsync()
    {
        if (!_dirty) return;
        _dirty = false;
        try
        {
            persisted.State = copier.Copy(new ScopeCounterState { Counts = _counts });
            await persisted.WriteStateAsync();
        }
        catch (Orleans.Storage.InconsistentStateException e)
        {
            // What this activation counted since its last write is lost, as in a crash.
            _superseded = true;
            logger.LogWarning(e, "Risk counters of {Scope} were written by another activation; deactivating to load them", this.GetPrimaryKeyString());
            DeactivateOnIdle();
        }
        catch (Exception e)
        {
            _dirty = true;
            logger.LogWarning(e, "Could not persist risk counters of {Scope}", this.GetPrimaryKeyString());
        }
    }
}
