using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using LiveCommerce.Contracts;
using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Api.Rooms;

/// <summary>Front-door fan-out settings (<c>LiveCommerce:RoomFeeds</c>).</summary>
public sealed class RoomFeedOptions
{
    public const string Section = "LiveCommerce:RoomFeeds";

    /// <summary>Ticks a connection may have queued; a viewer further behind is dropped (it reconnects and resumes).</summary>
    public int QueueCapacity { get; set; } = 64;

    /// <summary>A room's viewers get a heartbeat when its channel has sent nothing for this long (at most twice this between events).</summary>
    public TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a front door renews its subscription (the channel forgets a subscriber after 90 s; a moved channel learns it here).</summary>
    public TimeSpan Refresh { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Concurrent viewer connections per front door at most.</summary>
    public int MaxConnections { get; set; } = 50_000;
}

/// <summary>Where a front door's fan-out time goes, readable live with dotnet-counters (meter LiveCommerce).</summary>
public static class FeedMetrics
{
    /// <summary>From a tick's arrival at the front door to its write on a viewer's connection (queueing, thread pool, socket); sampled.</summary>
    public static readonly Histogram<double> WriteLag = LiveCommerce.Grains.Hosting.Telemetry.Meter.CreateHistogram<double>(
        "livecommerce.viewers.write_lag", "ms", "From a tick's arrival at the front door to its write on a viewer's connection");

    /// <summary>How long one tick takes to be offered to every local queue of its room.</summary>
    public static readonly Histogram<double> FanOut = LiveCommerce.Grains.Hosting.Telemetry.Meter.CreateHistogram<double>(
        "livecommerce.viewers.fan_out", "ms", "Time to offer one tick to every local viewer queue of its room");

    /// <summary>From the room handing a tick to its channel to the tick's arrival at this front door (the cluster's part of a viewer's wait).</summary>
    public static readonly Histogram<double> ArrivalLag = LiveCommerce.Grains.Hosting.Telemetry.Meter.CreateHistogram<double>(
        "livecommerce.viewers.arrival_lag", "ms", "From the room handing a tick to its channel to its arrival at the front door");

    public static readonly Counter<long> Evicted = LiveCommerce.Grains.Hosting.Telemetry.Meter.CreateCounter<long>(
        "livecommerce.viewers.evicted", description: "Viewers dropped because their send queue was full");
}

/// <summary>
/// The front door's room subscriptions: one channel observer per room with local viewers, whatever their number.
/// Each tick arrives once and is offered to every local connection's bounded queue.
/// </summary>
public sealed class RoomFeeds(IGrainFactory grains, Microsoft.Extensions.Options.IOptions<RoomFeedOptions> options, ILogger<RoomFeeds> logger,
    Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>? json = null) : IDisposable
{
    /// <summary>The front door's JSON settings: what every event's data is written with.</summary>
    public JsonSerializerOptions Json { get; } = json?.Value.SerializerOptions ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, RoomFeed> _feeds = new(StringComparer.Ordinal);
    private int _connections;

    public RoomFeedOptions Options => options.Value;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Registers a viewer before its snapshot is read, so no tick after the snapshot can be missed. Null when full.</summary>
    public ViewerConnection? Connect(string roomId)
    {
        RoomFeed feed;
        ViewerConnection connection;
        lock (_gate)
        {
            if (_connections >= options.Value.MaxConnections) return null;
            if (!_feeds.TryGetValue(roomId, out feed!))
            {
                feed = new RoomFeed(roomId, grains, options.Value.Refresh, logger, Json, heartbeat: options.Value.Heartbeat);
                _feeds[roomId] = feed;
                feed.Start();
            }
            connection = new ViewerConnection(feed, options.Value.QueueCapacity);
            feed.Add(connection);
            _connections++;
        }
        return connection;
    }

    public void Disconnect(ViewerConnection connection)
    {
        lock (_gate)
        {
            if (!connection.Feed.Remove(connection)) return;
            _connections--;
            if (connection.Feed.Count > 0) return;
            _feeds.Remove(connection.Feed.RoomId);
        }
        connection.Feed.Stop();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var feed in _feeds.Values) feed.Stop();
            _feeds.Clear();
        }
    }
}

/// <summary>One room's subscription on this front door: the channel's observer and the local connections.</summary>
public sealed class RoomFeed : IRoomChannelObserver
{
    private readonly IGrainFactory _grains;
    private readonly TimeSpan _refresh;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    // Joins and leaves change the set; a tick reads an array rebuilt at most once per tick when the set changed. (A
    // copy per join made a crowd of 10,000 joining a hot room copy arrays quadratically, on the large object heap.)
    private readonly HashSet<ViewerConnection> _members = [];
    private ViewerConnection[] _connections = [];
    private bool _changed;
    private readonly CancellationTokenSource _stop = new();
    private IRoomChannelObserver? _reference;
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Viewers joining or resuming together share one channel read.
    private readonly ConcurrentDictionary<long, Lazy<Task<RoomChannelCatchUp>>> _catchUps = new();
    private (long At, Task<RoomChannelSnapshot> Snapshot)? _snapshot;

    private readonly JsonSerializerOptions _json;

    public RoomFeed(string roomId, IGrainFactory grains, TimeSpan refresh, ILogger logger, JsonSerializerOptions? json = null, TimeSpan? holdFor = null,
        TimeSpan? heartbeat = null)
    {
        _heartbeat = heartbeat ?? TimeSpan.FromSeconds(15);
        _holdFor = holdFor ?? TimeSpan.FromMilliseconds(200);
        _json = json ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
        RoomId = roomId;
        _grains = grains;
        _refresh = refresh;
        _logger = logger;
    }

    public string RoomId { get; }
    public int Count { get { lock (_gate) return _members.Count; } }
    public long TicksReceived;

    /// <summary>Completes once the channel has this front door's first subscription.</summary>
    public Task Subscribed => _subscribed.Task;

    private IRoomChannelGrain Channel => _grains.Ref<IRoomChannelGrain>(RoomId);

    public void Start()
    {
        _reference = _grains.CreateObjectReference<IRoomChannelObserver>(this);
        _beat = new Timer(_ => BeatIfQuiet(), null, _heartbeat, _heartbeat);
        _ = KeepSubscribedAsync(_stop.Token);
    }

    public void Stop()
    {
        _stop.Cancel();
        _release?.Dispose();
        _beat?.Dispose();
        if (_reference is { } reference)
        {
            Channel.Unsubscribe(reference).Ignore();
            _grains.DeleteObjectReference<IRoomChannelObserver>(reference);
        }
    }

    /// <summary>Subscribes now and renews periodically: a channel that moved (silo restart) has no subscribers until renewed.</summary>
    private async Task KeepSubscribedAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Channel.Subscribe(_reference!);
                _subscribed.TrySetResult();
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                _logger.LogWarning(e, "Could not subscribe to the channel of room {RoomId}; retrying", RoomId);
                try { await Task.Delay(TimeSpan.FromSeconds(1), stop); } catch (OperationCanceledException) { return; }
                continue;
            }
            try { await Task.Delay(_refresh, stop); } catch (OperationCanceledException) { return; }
        }
    }

    public void Add(ViewerConnection connection)
    {
        lock (_gate) _changed |= _members.Add(connection);
    }

    public bool Remove(ViewerConnection connection)
    {
        lock (_gate)
        {
            if (!_members.Remove(connection)) return false;
            _changed = true;
            return true;
        }
    }

    private ViewerConnection[] Current()
    {
        lock (_gate)
        {
            if (_changed) { _connections = [.. _members]; _changed = false; }
            return _connections;
        }
    }

    // Ticks in channel order. Observer calls are not ordered (a client reaches the cluster through several gateways,
    // and each call runs on the thread pool), and a tick offered ahead of its predecessor looked like a gap to every
    // connection of the room, each then catching up from the grain (profiled: the front door's hottest path under load).
    private readonly SortedDictionary<long, FeedTick> _held = [];
    private long _lastOffered;
    private Timer? _release;
    private const int MaxHeld = 4;
    private readonly TimeSpan _holdFor;
    // Recent ticks by sequence: a catch-up replays the ticks already serialized for this room, not fresh copies.
    private readonly FeedTick?[] _recent = new FeedTick?[64];

    /// <summary>One call per tick per front door; offered in sequence to each local queue without waiting for any, serialized once for all.</summary>
    public Task OnTick(RoomChannelTick tick)
    {
        Interlocked.Increment(ref TicksReceived);
        // One tick per room per front door: cheap to measure every time.
        FeedMetrics.ArrivalLag.Record((DateTimeOffset.UtcNow - tick.At).TotalMilliseconds);
        var shared = Prepare(tick);
        lock (_held)
        {
            if (tick.Sequence <= _lastOffered) return Task.CompletedTask; // a duplicate, or overtaken by a release
            if (_lastOffered != 0 && tick.Sequence != _lastOffered + 1)
            {
                // Held briefly for the tick before it; a new channel activation (a jump) or a lost tick is let through
                // after MaxHeld more ticks or the hold time, and each connection then catches up.
                _held[tick.Sequence] = shared;
                if (_held.Count <= MaxHeld)
                {
                    (_release ??= new Timer(_ => ReleaseHeld(), null, Timeout.Infinite, Timeout.Infinite)).Change(_holdFor, Timeout.InfiniteTimeSpan);
                    return Task.CompletedTask;
                }
                ReleaseHeldLocked();
                return Task.CompletedTask;
            }
            OfferLocked(shared);
            while (_held.Remove(_lastOffered + 1, out var next)) OfferLocked(next);
        }
        return Task.CompletedTask;
    }

    private void ReleaseHeld()
    {
        lock (_held) ReleaseHeldLocked();
    }

    private void ReleaseHeldLocked()
    {
        foreach (var tick in _held.Values) OfferLocked(tick);
        _held.Clear();
    }

    // Heartbeats come from one timer per room, not one per connection: every connection of a room gets the same ticks,
    // so the room's silence is each connection's. (A timer per connection, or a cancellable wait for the next tick,
    // cost a timer-queue lock or a registration per viewer per tick: profiled.)
    private readonly TimeSpan _heartbeat;
    private Timer? _beat;
    private bool _offeredSinceBeat;

    /// <summary>Offers every connection a heartbeat when no tick was offered since the last call (the timer calls it every heartbeat interval).</summary>
    public void BeatIfQuiet()
    {
        lock (_held)
        {
            var quiet = !_offeredSinceBeat;
            _offeredSinceBeat = false;
            if (!quiet) return;
        }
        foreach (var connection in Current()) connection.OfferHeartbeat();
    }

    private void OfferLocked(FeedTick tick)
    {
        _offeredSinceBeat = true;
        _lastOffered = tick.Sequence;
        foreach (var connection in Current()) connection.Offer(tick);
        FeedMetrics.FanOut.Record(Stopwatch.GetElapsedTime(tick.ArrivedAt).TotalMilliseconds);
    }

    /// <summary>The shared form of a tick: the one this feed already made for that sequence, or a new one.</summary>
    public FeedTick Prepare(RoomChannelTick tick)
    {
        var slot = (int)(tick.Sequence & (_recent.Length - 1));
        if (Volatile.Read(ref _recent[slot]) is { } known && known.Sequence == tick.Sequence) return known;
        var made = new FeedTick(tick, _json);
        Volatile.Write(ref _recent[slot], made);
        return made;
    }

    /// <summary>The channel's snapshot, shared by viewers connecting within the same quarter second.</summary>
    public Task<RoomChannelSnapshot> SnapshotAsync()
    {
        var now = Environment.TickCount64;
        lock (_gate)
        {
            if (_snapshot is { } cached && now - cached.At < 250 && !cached.Snapshot.IsFaulted) return cached.Snapshot;
            var task = Channel.GetSnapshot();
            _snapshot = (now, task);
            return task;
        }
    }

    /// <summary>The ticks after <paramref name="afterSequence"/> or a fresh snapshot; viewers behind by the same amount share one read.</summary>
    public async Task<RoomChannelCatchUp> CatchUpAsync(long afterSequence)
    {
        if (_catchUps.Count > 32) _catchUps.Clear();
        var lazy = _catchUps.GetOrAdd(afterSequence, after => new Lazy<Task<RoomChannelCatchUp>>(() => Channel.GetSince(after)));
        try
        {
            return await lazy.Value;
        }
        finally
        {
            // Shared only while in flight: a later catch-up from the same point must see newer ticks.
            _catchUps.TryRemove(new KeyValuePair<long, Lazy<Task<RoomChannelCatchUp>>>(afterSequence, lazy));
        }
    }
}

/// <summary>
/// One viewer's connection: a bounded queue of ticks. The fan-out never waits for it; when it is full the viewer
/// is dropped (the queue completes, the response ends, the browser reconnects with its last event id).
/// </summary>
public sealed class ViewerConnection(RoomFeed feed, int capacity)
{
    private readonly Channel<FeedTick> _queue = System.Threading.Channels.Channel.CreateBounded<FeedTick>(
        new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });

    public RoomFeed Feed { get; } = feed;
    public bool Evicted { get; private set; }
    /// <summary>Spreads sampled measurements over connections (a different tick for each).</summary>
    public int Salt { get; } = Random.Shared.Next(32);
    public ChannelReader<FeedTick> Ticks => _queue.Reader;

    public void Offer(FeedTick tick)
    {
        if (_queue.Writer.TryWrite(tick) || Evicted) return;
        Evicted = true;
        FeedMetrics.Evicted.Add(1);
        _queue.Writer.TryComplete();
    }

    /// <summary>Queues a heartbeat unless the queue is full (then the viewer has ticks to read and needs none).</summary>
    public void OfferHeartbeat() => _queue.Writer.TryWrite(FeedTick.Heartbeat);

    /// <summary>Ends the queue: the viewer went away, and its stream stops once it has read what is queued.</summary>
    public void Close() => _queue.Writer.TryComplete();
}

/// <summary>A tick as a front door sends it: its JSON and its event are written once, by the first connection that needs them, and shared.</summary>
public sealed class FeedTick(RoomChannelTick tick, JsonSerializerOptions json)
{
    private string? _json;

    /// <summary>Not a tick: the room was quiet, and its viewers are told the connection is alive (sequence 0, no deltas).</summary>
    public static readonly FeedTick Heartbeat = new(new RoomChannelTick(0, [], DateTimeOffset.UnixEpoch), JsonSerializerOptions.Default);

    public bool IsHeartbeat => ReferenceEquals(this, Heartbeat);
    public RoomChannelTick Tick => tick;
    public long ArrivedAt { get; } = Stopwatch.GetTimestamp();
    public long Sequence => tick.Sequence;

    private byte[]? _event;

    // A race between two writers serializes twice and keeps either: the same text.
    public string Json => _json ??= JsonSerializer.Serialize(tick, json);

    /// <summary>The 'delta' event in the wire format (its id is the sequence), formatted once and written to every viewer.</summary>
    public ReadOnlyMemory<byte> Event => _event ??= RoomEventStream.Format(
        new System.Net.ServerSentEvents.SseItem<string>(Json, "delta") { EventId = Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture) });
}

