using LiveCommerce.Contracts.Platform;
using LiveCommerce.Grains.Common;
using LiveCommerce.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace LiveCommerce.Grains.Platform.Webhooks;

[GenerateSerializer]
public sealed class WebhookDispatcherState
{
    /// <summary>Log position up to which every event of the app's merchants has a delivery row.</summary>
    [Id(0)] public long Cursor { get; set; }
    /// <summary>Merchants that granted the app <c>webhooks</c>, with when they did: only events from then on are delivered.</summary>
    [Id(1)] public Dictionary<string, DateTimeOffset> Merchants { get; set; } = [];
    [Id(2)] public bool Started { get; set; }
    /// <summary>The scopes each granting merchant granted: an event whose type needs a scope (<see cref="WebhookEventTypes.RequiredScope"/>) goes only where it was granted.</summary>
    [Id(3)] public Dictionary<string, List<string>> MerchantScopes { get; set; } = [];
}

/// <summary>
/// One app's webhook deliveries. A round reads the log past the cursor for the granting merchants and subscribed
/// types, creates a delivery row per event (idempotent), then sends what is due: at most MaxConcurrency requests at
/// once, one event per order at a time in sequence order (the store answers only the lowest pending sequence of a
/// resource). Failures wait out the back-off schedule, then dead-letter. Woken by pokes from the event log (within a
/// second), by a timer for retries due within the minute, and by a 1-minute reminder that survives silo deaths.
/// </summary>
public sealed class WebhookDispatcherGrain(
    [PersistentState("webhookDispatcher", StorageNames.Platform)] IPersistentState<WebhookDispatcherState> state,
    IWebhookStore store,
    WebhookSender sender,
    IOptions<WebhookOptions> options,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock,
    ILogger<WebhookDispatcherGrain> logger) : Grain, IWebhookDispatcherGrain, IRemindable
{
    public const string ReminderName = "webhook-dispatch";
    public const int MaxPageSize = 200;
    /// <summary>Rounds per wake-up: each round can unblock the next event of every order it delivered.</summary>
    private const int MaxRounds = 20;
    private static readonly TimeSpan PokeDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RoundBudget = TimeSpan.FromSeconds(5);

    private readonly WebhookOptions _options = options.Value;
    private IGrainTimer? _soon;
    private long _soonAt; // Environment.TickCount64 of the armed timer
    private bool _reminderChecked;

    private string AppId => this.GetPrimaryKeyString();
    private WebhookDispatcherState S => state.State;

    public Task Poke()
    {
        RunSoon(PokeDelay);
        return Task.CompletedTask;
    }

    public async Task SetMerchantGrant(string merchantId, IReadOnlyList<string> scopes)
    {
        Ids.Require(merchantId, "merchantId");
        var granted = scopes.Contains(AppScopes.Webhooks);
        var sorted = scopes.Distinct().Order(StringComparer.Ordinal).ToList();
        if (granted == S.Merchants.ContainsKey(merchantId)
            && (!granted || (S.MerchantScopes.TryGetValue(merchantId, out var known) && known.SequenceEqual(sorted)))) return;
        // Whole microseconds: PostgreSQL keeps occurred_at to the microsecond, and an event of the same instant as the
        // grant must not compare as earlier than it. A change of the other scopes keeps the date of the webhooks grant.
        var now = clock.GetUtcNow();
        if (granted)
        {
            if (!S.Merchants.ContainsKey(merchantId)) S.Merchants[merchantId] = now.AddTicks(-(now.Ticks % 10));
            S.MerchantScopes[merchantId] = sorted;
        }
        else
        {
            S.Merchants.Remove(merchantId);
            S.MerchantScopes.Remove(merchantId);
        }
        await state.WriteStateAsync();
        if (granted) await EnsureReminderAsync();
    }

    public async Task Start()
    {
        await EnsureReminderAsync();
        RunSoon(TimeSpan.Zero);
    }

    public Task<int> RunOnce() => RunAsync();

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var target = await App.WebhookTarget();
        if (target is null && S.Merchants.Count == 0)
        {
            if (await this.GetReminder(ReminderName) is { } reminder) await this.UnregisterReminder(reminder);
            return;
        }
        await RunAsync();
    }

    public async Task<WebhookDeliveryPage> Deliveries(WebhookDeliveryStatus? status, long? after, int limit)
    {
        limit = Math.Clamp(limit, 1, MaxPageSize);
        var items = await store.ListAsync(AppId, status, after ?? 0, limit);
        return new WebhookDeliveryPage(items, items.Count == limit ? items[^1].Position : null);
    }

    public Task<IReadOnlyList<WebhookAttemptView>> Attempts(string eventId, int limit) =>
        store.AttemptsAsync(AppId, Text.Require(eventId, "eventId", 300), Math.Clamp(limit, 1, MaxPageSize));

    public async Task<int> Replay(WebhookReplay replay)
    {
        if (replay.Limit is < 1 or > WebhookReplays.MaxLimit)
            throw DomainException.Invalid("limit", $"limit must be between 1 and {WebhookReplays.MaxLimit}.");
        if (replay.EventId is null && (replay.From is null || replay.To is null))
            throw DomainException.Invalid("eventId", "Name an eventId, or a from and to time.");
        if (replay.EventId is not null && (replay.From is not null || replay.To is not null))
            throw DomainException.Invalid("eventId", "Name an eventId or a time range, not both.");
        if (replay.From >= replay.To) throw DomainException.Invalid("to", "to must be after from.");
        if (replay.To - replay.From > TimeSpan.FromDays(31)) throw DomainException.Invalid("to", "A replay covers at most 31 days.");
        if (replay.EventId is { } id) Text.Require(id, "eventId", 300);
        var count = await store.RequeueAsync(AppId, replay, clock.GetUtcNow());
        if (replay.EventId is not null && count == 0) throw DomainException.NotFound("webhook delivery", replay.EventId);
        if (count > 0) RunSoon(TimeSpan.Zero);
        return count;
    }

    private IPlatformAppGrain App => GrainFactory.Ref<IPlatformAppGrain>(AppId);

    private async Task<int> RunAsync()
    {
        var target = await App.WebhookTarget();
        if (target is null) return 0;
        if (!S.Started)
        {
            // A new subscription starts at the log's head, not at its history.
            S.Started = true;
            S.Cursor = Math.Max(S.Cursor, await store.HeadAsync());
            await state.WriteStateAsync();
        }
        var attempts = 0;
        var started = Environment.TickCount64;
        // A wake-up is kept short so calls that change grant state wait little behind it: small rounds (two waves of
        // requests at most), and no new round past RoundBudget; what is left runs on the next timer.
        var batch = Math.Clamp(_options.MaxConcurrency * 2, 1, _options.BatchSize);
        for (var round = 0; round < MaxRounds; round++)
        {
            if (Environment.TickCount64 - started > RoundBudget.TotalMilliseconds)
            {
                RunSoon(PokeDelay);
                break;
            }
            await PullAsync(target);
            var due = await store.DueAsync(AppId, clock.GetUtcNow(), batch);
            if (due.Count == 0) break;
            var results = await SendAllAsync(target, due);
            await store.RecordAsync(AppId, results);
            attempts += results.Count(r => r.Error != WebhookRevoked);
            if (!results.Any(r => r.Status == WebhookDeliveryStatus.Delivered)) break;
        }
        await ArmNextAsync();
        return attempts;
    }

    /// <summary>Creates delivery rows for new events; the cursor moves only past settled positions (see <see cref="WebhookOptions.CursorSettle"/>).</summary>
    private async Task PullAsync(WebhookTarget target)
    {
        if (S.Merchants.Count == 0) return;
        // Platform-wide events (logged once under the pseudo-merchant) reach an app from its first grant on.
        var sources = S.Merchants.Keys.Append(WebhookEventTypes.PlatformMerchantId).ToList();
        while (true)
        {
            var events = await store.ReadAsync(sources, target.EventTypes, S.Cursor, _options.BatchSize);
            var wanted = events.Where(e => GrantedSince(e.Event.MerchantId) is { } since && e.Event.OccurredAt >= since && InScope(e.Event)).ToList();
            await store.EnqueueAsync(AppId, wanted, clock.GetUtcNow());
            var settled = events.TakeWhile(e => e.Settled).LastOrDefault();
            if (settled is null || settled.Position <= S.Cursor) return;
            S.Cursor = settled.Position;
            await state.WriteStateAsync();
            if (events.Count < _options.BatchSize || !ReferenceEquals(settled, events[^1])) return;
        }
    }

    private const string WebhookRevoked = "the merchant no longer grants this app webhooks (or the scope this event type needs)";

    /// <summary>Whether the merchant granted the scope the event's type needs (platform-wide events need none).</summary>
    private bool InScope(WebhookEvent e) =>
        WebhookEventTypes.RequiredScope(e.Type) is not { } scope
        || (S.MerchantScopes.TryGetValue(e.MerchantId, out var granted) && granted.Contains(scope));

    /// <summary>Since when the app may receive the merchant's events: a platform-wide event, while any merchant grants it.</summary>
    private DateTimeOffset? GrantedSince(string merchantId) =>
        merchantId == WebhookEventTypes.PlatformMerchantId
            ? S.Merchants.Count == 0 ? null : S.Merchants.Values.Min()
            : S.Merchants.TryGetValue(merchantId, out var since) ? since : null;

    private async Task<List<AttemptResult>> SendAllAsync(WebhookTarget target, IReadOnlyList<DueDelivery> due)
    {
        var policy = _options.RetryPolicy();
        using var slots = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrency));
        var results = await Task.WhenAll(due.Select(async d =>
        {
            if (GrantedSince(d.Event.MerchantId) is null || !InScope(d.Event))
                return new AttemptResult(d.Event.EventId, d.Attempts + 1, clock.GetUtcNow(), null, WebhookRevoked, 0, WebhookDeliveryStatus.Dead, null);
            await slots.WaitAsync();
            try
            {
                var outcome = await sender.SendAsync(target, d.Event);
                var at = clock.GetUtcNow();
                var (status, next) = policy.After(outcome.Delivered, d.RoundAttempts + 1, at);
                if (status == WebhookDeliveryStatus.Dead)
                    logger.LogWarning("App {AppId}: webhook {EventId} dead-lettered after {Attempts} attempts ({Error})", AppId, d.Event.EventId, d.Attempts + 1, outcome.Error);
                return new AttemptResult(d.Event.EventId, d.Attempts + 1, at, outcome.StatusCode, outcome.Error, outcome.LatencyMs, status, next);
            }
            finally
            {
                slots.Release();
            }
        }));
        return [.. results];
    }

    /// <summary>A timer for a retry due within the minute; later ones are the reminder's.</summary>
    private async Task ArmNextAsync()
    {
        if (await store.NextDueAsync(AppId) is not { } next) return;
        var delay = next - clock.GetUtcNow();
        if (delay < TimeSpan.FromMinutes(1)) RunSoon(delay < PokeDelay ? PokeDelay : delay);
    }

    private void RunSoon(TimeSpan delay)
    {
        var at = Environment.TickCount64 + (long)delay.TotalMilliseconds;
        if (_soon is not null)
        {
            if (_soonAt <= at) return;
            _soon.Dispose();
        }
        _soonAt = at;
        _soon = this.RegisterGrainTimer(async () =>
        {
            _soon?.Dispose();
            _soon = null;
            try
            {
                await RunAsync();
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "App {AppId}: a webhook round failed; the reminder retries", AppId);
            }
        }, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan));
    }

    private async Task EnsureReminderAsync()
    {
        if (_reminderChecked) return;
        if (await this.GetReminder(ReminderName) is null)
            await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        _reminderChecked = true;
        try
        {
            // Wherever apps subscribe, the log's retention job runs too.
            await GrainFactory.Ref<IWebhookRetentionGrain>(WebhookRetentionGrain.Key).Start();
        }
        catch (Exception e)
        {
            _reminderChecked = false; // ask again next time
            logger.LogWarning(e, "App {AppId}: starting the webhook retention job failed", AppId);
        }
    }
}
