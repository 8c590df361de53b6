using LiveCommerce.Contracts.Platform;

namespace LiveCommerce.Grains.Platform.Webhooks;

/// <summary>An event of the log with its position; <see cref="Settled"/>: no event with a smaller position can still appear.</summary>
public sealed record LoggedEvent(WebhookEvent Event, long Position, bool Settled);

/// <summary>A delivery due now, with the attempts made so far (in all, and since it was last queued).</summary>
public sealed record DueDelivery(WebhookEvent Event, int Attempts, int RoundAttempts);

/// <summary>One attempt's outcome and what it makes of the delivery.</summary>
public sealed record AttemptResult(string EventId, int Attempt, DateTimeOffset At, int? StatusCode, string? Error, long LatencyMs,
    WebhookDeliveryStatus Status, DateTimeOffset? NextAttemptAt);

/// <summary>
/// The webhook event log and every app's deliveries and attempts (deploy/postgres/150-webhooks.sql in the postgres
/// profile, process memory in the embedded one).
/// </summary>
public interface IWebhookStore
{
    /// <summary>Appends the events in one write; an event id already in the log is skipped.</summary>
    Task AppendAsync(IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken = default);

    /// <summary>The log's last position (0 when empty).</summary>
    Task<long> HeadAsync(CancellationToken cancellationToken = default);

    /// <summary>Events of <paramref name="merchantIds"/> with one of <paramref name="types"/> after position <paramref name="after"/>, ascending.</summary>
    Task<IReadOnlyList<LoggedEvent>> ReadAsync(IReadOnlyCollection<string> merchantIds, IReadOnlyCollection<string> types, long after, int limit,
        CancellationToken cancellationToken = default);

    /// <summary>Creates a pending delivery per event for the app, due at <paramref name="due"/>; existing ones are kept as they are.</summary>
    Task EnqueueAsync(string appId, IReadOnlyList<LoggedEvent> events, DateTimeOffset due, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pending deliveries due at <paramref name="now"/> whose resource has no pending delivery of a smaller sequence
    /// (per-resource order), earliest due first.
    /// </summary>
    Task<IReadOnlyList<DueDelivery>> DueAsync(string appId, DateTimeOffset now, int limit, CancellationToken cancellationToken = default);

    /// <summary>Records the attempts and the deliveries' new status in one write.</summary>
    Task RecordAsync(string appId, IReadOnlyList<AttemptResult> results, CancellationToken cancellationToken = default);

    /// <summary>The earliest next attempt of the app's pending deliveries that no earlier event of their resource holds back, or null.</summary>
    Task<DateTimeOffset?> NextDueAsync(string appId, CancellationToken cancellationToken = default);

    /// <summary>The app's deliveries after log position <paramref name="after"/>, ascending.</summary>
    Task<IReadOnlyList<WebhookDeliveryView>> ListAsync(string appId, WebhookDeliveryStatus? status, long after, int limit,
        CancellationToken cancellationToken = default);

    /// <summary>The attempts of one delivery, newest first.</summary>
    Task<IReadOnlyList<WebhookAttemptView>> AttemptsAsync(string appId, string eventId, int limit, CancellationToken cancellationToken = default);

    /// <summary>Makes the chosen deliveries pending and due at <paramref name="now"/>, restarting their back-off; returns how many.</summary>
    Task<int> RequeueAsync(string appId, WebhookReplay replay, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention: deletes up to <paramref name="limit"/> of the oldest events that occurred before <paramref name="before"/>
    /// and have no pending delivery, with all their deliveries and attempts; returns how many events.
    /// </summary>
    Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default);
}

public sealed class InMemoryWebhookStore : IWebhookStore
{
    private sealed class Delivery
    {
        public required LoggedEvent Logged { get; init; }
        public WebhookDeliveryStatus Status { get; set; }
        public int Attempts { get; set; }
        public int RoundAttempts { get; set; }
        public DateTimeOffset? NextAttemptAt { get; set; }
        public AttemptResult? Last { get; set; }
        public List<AttemptResult> History { get; } = [];

        public WebhookDeliveryView View()
        {
            var e = Logged.Event;
            return new(e.EventId, e.Type, e.MerchantId, e.ResourceId, e.ResourceSeq, e.OccurredAt, Logged.Position, Status, Attempts,
                NextAttemptAt, Last?.At, Last?.StatusCode, Last?.Error, Last?.LatencyMs);
        }
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<string, LoggedEvent> _byId = [];
    // Ascending positions; retention removes events, so a position is not an index.
    private readonly List<LoggedEvent> _log = [];
    private long _head;
    private readonly Dictionary<string, SortedDictionary<long, Delivery>> _deliveries = [];

    public Task AppendAsync(IReadOnlyList<WebhookEvent> events, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            foreach (var e in events)
            {
                if (_byId.ContainsKey(e.EventId)) continue;
                var logged = new LoggedEvent(e, ++_head, Settled: true);
                _log.Add(logged);
                _byId[e.EventId] = logged;
            }
        }
        return Task.CompletedTask;
    }

    public Task<long> HeadAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult(_head);
    }

    public Task<IReadOnlyList<LoggedEvent>> ReadAsync(IReadOnlyCollection<string> merchantIds, IReadOnlyCollection<string> types, long after, int limit,
        CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<LoggedEvent> page = _log.Skip(FirstAfter(after))
                .Where(l => merchantIds.Contains(l.Event.MerchantId) && types.Contains(l.Event.Type)).Take(limit).ToList();
            return Task.FromResult(page);
        }
    }

    /// <summary>The index of the first event with a position after <paramref name="after"/> (binary search).</summary>
    private int FirstAfter(long after)
    {
        int lo = 0, hi = _log.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_log[mid].Position <= after) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    public Task<int> PurgeAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var pending = _deliveries.Values.SelectMany(d => d.Values).Where(d => d.Status == WebhookDeliveryStatus.Pending)
                .Select(d => d.Logged.Position).ToHashSet();
            var doomed = _log.Where(l => l.Event.OccurredAt < before && !pending.Contains(l.Position)).Take(limit).Select(l => l.Position).ToHashSet();
            if (doomed.Count == 0) return Task.FromResult(0);
            foreach (var l in _log.Where(l => doomed.Contains(l.Position))) _byId.Remove(l.Event.EventId);
            _log.RemoveAll(l => doomed.Contains(l.Position));
            foreach (var app in _deliveries.Values)
                foreach (var position in doomed) app.Remove(position);
            return Task.FromResult(doomed.Count);
        }
    }

    private SortedDictionary<long, Delivery> Of(string appId) =>
        _deliveries.TryGetValue(appId, out var d) ? d : _deliveries[appId] = [];

    public Task EnqueueAsync(string appId, IReadOnlyList<LoggedEvent> events, DateTimeOffset due, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var app = Of(appId);
            foreach (var l in events)
                app.TryAdd(l.Position, new Delivery { Logged = l, Status = WebhookDeliveryStatus.Pending, NextAttemptAt = due });
        }
        return Task.CompletedTask;
    }

    /// <summary>Pending deliveries that are the lowest pending sequence of their resource (the others wait for it).</summary>
    private List<Delivery> Unblocked(string appId)
    {
        var pending = Of(appId).Values.Where(d => d.Status == WebhookDeliveryStatus.Pending).ToList();
        var first = pending.GroupBy(d => d.Logged.Event.ResourceId).ToDictionary(g => g.Key, g => g.Min(d => d.Logged.Event.ResourceSeq));
        return pending.Where(d => first[d.Logged.Event.ResourceId] == d.Logged.Event.ResourceSeq).ToList();
    }

    public Task<IReadOnlyList<DueDelivery>> DueAsync(string appId, DateTimeOffset now, int limit, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<DueDelivery> due = Unblocked(appId).Where(d => d.NextAttemptAt <= now)
                .OrderBy(d => d.NextAttemptAt).ThenBy(d => d.Logged.Position).Take(limit)
                .Select(d => new DueDelivery(d.Logged.Event, d.Attempts, d.RoundAttempts)).ToList();
            return Task.FromResult(due);
        }
    }

    public Task RecordAsync(string appId, IReadOnlyList<AttemptResult> results, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            foreach (var r in results)
            {
                if (!_byId.TryGetValue(r.EventId, out var l) || !Of(appId).TryGetValue(l.Position, out var d)) continue;
                d.Status = r.Status;
                d.Attempts++;
                d.RoundAttempts++;
                d.NextAttemptAt = r.NextAttemptAt;
                d.Last = r;
                d.History.Add(r);
            }
        }
        return Task.CompletedTask;
    }

    public Task<DateTimeOffset?> NextDueAsync(string appId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return Task.FromResult(Unblocked(appId).Min(d => d.NextAttemptAt));
    }

    public Task<IReadOnlyList<WebhookDeliveryView>> ListAsync(string appId, WebhookDeliveryStatus? status, long after, int limit,
        CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<WebhookDeliveryView> page = Of(appId).Values
                .Where(d => d.Logged.Position > after && (status is null || d.Status == status)).Take(limit).Select(d => d.View()).ToList();
            return Task.FromResult(page);
        }
    }

    public Task<IReadOnlyList<WebhookAttemptView>> AttemptsAsync(string appId, string eventId, int limit, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IReadOnlyList<WebhookAttemptView> attempts = _byId.TryGetValue(eventId, out var l) && Of(appId).TryGetValue(l.Position, out var d)
                ? d.History.OrderByDescending(a => a.Attempt).Take(limit).Select(a => new WebhookAttemptView(a.Attempt, a.At, a.StatusCode, a.Error, a.LatencyMs)).ToList()
                : [];
            return Task.FromResult(attempts);
        }
    }

    public Task<int> RequeueAsync(string appId, WebhookReplay replay, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var chosen = Of(appId).Values.Where(d => WebhookReplays.Matches(replay, d.Logged.Event)).Take(replay.Limit).ToList();
            foreach (var d in chosen)
            {
                d.Status = WebhookDeliveryStatus.Pending;
                d.RoundAttempts = 0;
                d.NextAttemptAt = now;
            }
            return Task.FromResult(chosen.Count);
        }
    }
}

public static class WebhookReplays
{
    public const int MaxLimit = 1000;

    public static bool Matches(WebhookReplay replay, WebhookEvent e) =>
        replay.EventId is { } id ? e.EventId == id : (replay.From is null || e.OccurredAt >= replay.From) && (replay.To is null || e.OccurredAt < replay.To);
}
