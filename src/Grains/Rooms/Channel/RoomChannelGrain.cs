using LiveCommerce.Contracts.Rooms;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Utilities;

namespace LiveCommerce.Grains.Rooms.Channel;

/// <summary>Room channel settings (<c>LiveCommerce:RoomChannel</c>).</summary>
public sealed class RoomChannelSettings
{
    public const string Section = "LiveCommerce:RoomChannel";

    /// <summary>How often a room sends its changes to its channel (one batch per tick, only when something changed).</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Comments pushed to viewers per room per second at most (all are counted; the rest are not pushed).</summary>
    public int CommentsPerSecond { get; set; } = 20;

    /// <summary>Order tickers per tick at most.</summary>
    public int TickersPerTick { get; set; } = 10;

    /// <summary>Ticks kept for viewers who reconnect (at 4 ticks a second, about a minute).</summary>
    public int ReplayTicks { get; set; } = 256;

    /// <summary>Comments in a snapshot.</summary>
    public int SnapshotComments { get; set; } = 30;

    /// <summary>A front door's subscription lapses unless refreshed within this time (front doors refresh at a third of it).</summary>
    public TimeSpan SubscriptionExpiry { get; set; } = TimeSpan.FromSeconds(90);
}

/// <summary>
/// A room's audience channel. Reentrant: it awaits nothing while applying a batch, and snapshot and resume reads
/// interleave with everything. Holds no durable state: after a move it asks the room for a reset, and its sequence
/// numbers restart above the old ones (<see cref="SequenceEpoch"/>), so old event ids resume with a fresh snapshot.
/// </summary>
[Reentrant]
public sealed class RoomChannelGrain(IOptions<RoomChannelSettings> settings, ILogger<RoomChannelGrain> logger) : Grain, IRoomChannelGrain
{
    private readonly RoomChannelSettings _settings = settings.Value;
    private ObserverManager<IRoomChannelObserver> _observers = null!;
    private RoomChannelState _state = null!;
    private ReplayBuffer _replay = null!;
    private long _sequence;
    private long? _resetAskedAt;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private string RoomId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _observers = new ObserverManager<IRoomChannelObserver>(_settings.SubscriptionExpiry, logger);
        _state = new RoomChannelState(RoomId, _settings.SnapshotComments);
        _replay = new ReplayBuffer(_settings.ReplayTicks);
        _sequence = SequenceEpoch.Next();
        // No ask for a reset yet: an activation started by the room's first batch gets one anyway; the first
        // batch that is not a reset, or the first viewer, asks.
        return Task.CompletedTask;
    }

    public Task Publish(RoomChannelBatch batch)
    {
        if (batch.RoomId != RoomId) return Task.CompletedTask;
        var deltas = _state.Apply(batch);
        if (_state.NeedsReset)
        {
            if (_ready.Task.IsCompleted) _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
            AskForReset();
        }
        else _ready.TrySetResult();
        if (deltas.Count == 0) return Task.CompletedTask;
        var tick = new RoomChannelTick(++_sequence, deltas, batch.At);
        _replay.Add(tick);
        // One one-way message per subscribed front door, however many viewers each has.
        _observers.Notify(o => o.OnTick(tick));
        return Task.CompletedTask;
    }

    public Task Subscribe(IRoomChannelObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IRoomChannelObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task<RoomChannelSnapshot> GetSnapshot()
    {
        await ReadyAsync();
        return _state.Snapshot(_sequence);
    }

    public async Task<RoomChannelCatchUp> GetSince(long afterSequence)
    {
        await ReadyAsync();
        if (afterSequence == _sequence) return new RoomChannelCatchUp([], null);
        return _replay.TryGetSince(afterSequence, out var ticks)
            ? new RoomChannelCatchUp(ticks, null)
            : new RoomChannelCatchUp(null, _state.Snapshot(_sequence));
    }

    /// <summary>A fresh activation has nothing to show until the room's reset arrives (next room tick); waits for it, briefly.</summary>
    private async Task ReadyAsync()
    {
        if (!_state.NeedsReset) return;
        var deadline = Environment.TickCount64 + (long)ReadyWait.TotalMilliseconds;
        while (_state.NeedsReset && Environment.TickCount64 < deadline)
        {
            AskForReset(); // again each second: an ask can reach a room activation that is just going away
            await Task.WhenAny(_ready.Task, Task.Delay(TimeSpan.FromSeconds(1)));
        }
        if (_state.NeedsReset) throw new TimeoutException($"Room channel '{RoomId}' has no state from its room yet.");
    }

    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(5);

    private void AskForReset()
    {
        // Asked again after a while: a one-way message can be lost when the room's silo goes away.
        var now = Environment.TickCount64;
        if (now - _resetAskedAt < 1000) return; // null (never asked) compares false
        _resetAskedAt = now;
        // One-way: the room answers with a reset batch at its next tick.
        GrainFactory.Ref<ILiveRoomGrain>(RoomId).ResendToChannel().Ignore();
    }
}
