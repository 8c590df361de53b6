using System.Globalization;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace LiveCommerce.Grains.Orders;

public static class AutoConfirmBuckets
{
    public const string SchedulerKey = "auto-confirm";
    private const string Format = "yyyyMMddHHmm";

    public static string KeyFor(DateTimeOffset dueAt) => dueAt.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public static DateTimeOffset StartOf(string key) =>
        new(DateTime.SpecifyKind(DateTime.ParseExact(key, Format, CultureInfo.InvariantCulture), DateTimeKind.Utc));
}

[GenerateSerializer]
public sealed class AutoConfirmBucketState
{
    [Id(0)] public Dictionary<string, DateTimeOffset> Due { get; set; } = [];
    [Id(1)] public bool Registered { get; set; }
}

/// <summary>Reentrant with coalesced writes: every order shipped or delivered in the same minute lands here.</summary>
[Reentrant]
public sealed class AutoConfirmBucketGrain(
    [PersistentState("autoConfirmBucket", StorageNames.Orders)] IPersistentState<AutoConfirmBucketState> persisted,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    DeepCopier copier,
    ILogger<AutoConfirmBucketGrain> logger) : Grain, IAutoConfirmBucketGrain
{
    private CoalescingWriter _writer = null!;
    private AutoConfirmBucketState _state = null!;
    private bool _running;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _state = persisted.State;
        _writer = new CoalescingWriter(() => persisted.WriteSnapshotAsync(_state, copier), _ => DeactivateOnIdle());
        return Task.CompletedTask;
    }

    public async Task Schedule(string orderId, DateTimeOffset dueAt)
    {
        if (_state.Due.TryGetValue(orderId, out var existing) && existing == dueAt) return;
        _state.Due[orderId] = dueAt;
        if (!_state.Registered)
        {
            await GrainFactory.Ref<IAutoConfirmSchedulerGrain>(AutoConfirmBuckets.SchedulerKey).Register(this.GetPrimaryKeyString());
            _state.Registered = true;
        }
        await _writer.WriteAsync();
    }

    public async Task<AutoConfirmRun> RunDue()
    {
        if (_running) return new AutoConfirmRun(0, _state.Due.Count);
        _running = true;
        try
        {
            var now = clock.GetUtcNow();
            var closed = 0;
            foreach (var chunk in _state.Due.Where(d => d.Value <= now).Select(d => (d.Key, d.Value)).ToList().Chunk(64))
            {
                var results = await Task.WhenAll(chunk.Select(async entry =>
                {
                    try
                    {
                        var order = await GrainFactory.Ref<IOrderGrain>(entry.Key).AutoConfirmIfDue();
                        // Done when the order moved on, or its deadline moved to another bucket (delivered after shipping).
                        var done = order.Status is not (OrderStatus.Shipped or OrderStatus.Delivered) || order.AutoConfirmAt != entry.Value;
                        return (entry.Key, done);
                    }
                    catch (Exception e)
                    {
                        logger.LogWarning(e, "Auto-confirm of order {OrderId} failed; will retry", entry.Key);
                        return (entry.Key, false);
                    }
                }));
                foreach (var (orderId, done) in results)
                    if (done && _state.Due.Remove(orderId)) closed++;
            }
            if (_state.Due.Count == 0) _state.Registered = false; // the scheduler drops this bucket from its index
            if (closed > 0) await _writer.WriteAsync();
            return new AutoConfirmRun(closed, _state.Due.Count);
        }
        finally
        {
            _running = false;
        }
    }
}

[GenerateSerializer]
public sealed class AutoConfirmSchedulerState
{
    [Id(0)] public SortedSet<string> Buckets { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One reminder a minute runs the buckets whose minute has begun.</summary>
public sealed class AutoConfirmSchedulerGrain(
    [PersistentState("autoConfirmScheduler", StorageNames.Orders)] IPersistentState<AutoConfirmSchedulerState> persisted,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IAutoConfirmSchedulerGrain, IRemindable
{
    private const string Tick = "auto-confirm-tick";

    public async Task Register(string bucketKey)
    {
        if (!persisted.State.Buckets.Add(bucketKey)) return;
        await persisted.WriteStateAsync();
        if (persisted.State.Buckets.Count == 1) await this.RegisterOrUpdateReminder(Tick, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    public async Task<int> RunDue()
    {
        var now = clock.GetUtcNow();
        var closed = 0;
        var emptied = false;
        foreach (var key in persisted.State.Buckets.Where(k => AutoConfirmBuckets.StartOf(k) <= now).ToList())
        {
            var run = await GrainFactory.Ref<IAutoConfirmBucketGrain>(key).RunDue();
            closed += run.Closed;
            if (run.Remaining == 0) emptied |= persisted.State.Buckets.Remove(key);
        }
        if (emptied) await persisted.WriteStateAsync();
        return closed;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == Tick) await RunDue();
    }
}
