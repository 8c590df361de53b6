using LiveCommerce.Contracts.Common;

namespace LiveCommerce.Contracts.Platform;

/// <summary>The event types an app can subscribe to (Standard Webhooks <c>type</c>).</summary>
public static class WebhookEventTypes
{
    public const string OrderPaid = "order.paid";
    public const string OrderShipped = "order.shipped";
    public const string OrderDelivered = "order.delivered";
    public const string OrderConfirmed = "order.confirmed";
    public const string OrderRefunded = "order.refunded";
    public const string AfterSaleOpened = "aftersale.opened";
    public const string AfterSaleClosed = "aftersale.closed";
    public const string RiskReviewDecided = "risk.review_decided";
    /// <summary>A merchant's settlement batch moved its settled shares to the available balance.</summary>
    public const string SettlementBatchPaid = "settlement.batch_paid";
    /// <summary>Money left the merchant's available balance to the merchant (a payout).</summary>
    public const string PayoutPaid = "payout.paid";
    /// <summary>The platform's ranking (traffic distribution) configuration changed: a platform-wide event.</summary>
    public const string RankingConfigChanged = "ranking.config_changed";

    public static readonly IReadOnlyList<string> All =
    [
        OrderPaid, OrderShipped, OrderDelivered, OrderConfirmed, OrderRefunded, AfterSaleOpened, AfterSaleClosed, RiskReviewDecided,
        SettlementBatchPaid, PayoutPaid, RankingConfigChanged,
    ];

    /// <summary>
    /// The merchant id platform-wide events are logged under: every dispatcher reads it besides its granting merchants,
    /// so one row reaches every subscribed app. '*' is not allowed in ids (<see cref="Ids"/>), so no merchant can have it.
    /// </summary>
    public const string PlatformMerchantId = "*platform";

    /// <summary>
    /// The scope (besides <c>webhooks</c>) a merchant must have granted the app for it to receive events of this type:
    /// the scope its REST counterpart requires, so a webhook never tells an app what the API would refuse it. Null: none.
    /// </summary>
    public static string? RequiredScope(string type) => type switch
    {
        SettlementBatchPaid or PayoutPaid => AppScopes.SettlementRead,
        RankingConfigChanged => null,
        _ => AppScopes.OrdersRead, // order, after-sale and risk review events describe the merchant's orders
    };

    /// <summary>The types, known, distinct and sorted; at least one.</summary>
    public static IReadOnlyList<string> Require(IEnumerable<string>? types, string field)
    {
        var list = types?.ToList() ?? [];
        if (list.Count == 0) throw DomainException.Invalid(field, $"{field} must name at least one event type.");
        if (list.Count > All.Count * 2) throw DomainException.Invalid(field, $"{field} has too many entries.");
        foreach (var t in list)
            if (!All.Contains(t)) throw DomainException.Invalid(field, $"'{(t is { Length: > 40 } ? t[..40] : t)}' is not an event type; types are {string.Join(", ", All)}.");
        return list.Distinct().Order(StringComparer.Ordinal).ToList();
    }
}

/// <summary>
/// One event of the durable webhook log. <see cref="EventId"/> is derived from the resource and its sequence, so an
/// outbox item delivered twice appends the same event once. <see cref="Payload"/> is the event's JSON (public fields only).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record WebhookEvent(
    [property: Id(0)] string EventId,
    [property: Id(1)] string MerchantId,
    [property: Id(2)] string Type,
    [property: Id(3)] string ResourceId,
    [property: Id(4)] long ResourceSeq,
    [property: Id(5)] DateTimeOffset OccurredAt,
    [property: Id(6)] string Payload);

public enum WebhookDeliveryStatus
{
    Pending,
    Delivered,
    Dead,
}

/// <summary>An app's subscription as the app and admins see it (the secret is shown only when it is issued).</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookConfigView(
    [property: Id(0)] string ClientId,
    [property: Id(1)] string? Url,
    [property: Id(2)] IReadOnlyList<string> EventTypes,
    [property: Id(3)] bool HasSecret,
    [property: Id(4)] DateTimeOffset? SecretIssuedAt);

/// <summary>The subscription after a change, with the signing secret when this call issued one (shown once).</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookConfigChange(
    [property: Id(0)] WebhookConfigView Config,
    [property: Id(1)] string? Secret);

/// <summary>What the dispatcher needs to deliver: where, what, and the secrets to sign with (current, and the previous one during its grace period).</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookTarget(
    [property: Id(0)] string Url,
    [property: Id(1)] IReadOnlyList<string> EventTypes,
    [property: Id(2)] IReadOnlyList<string> Secrets);

[GenerateSerializer, Immutable]
public sealed record WebhookDeliveryView(
    [property: Id(0)] string EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] string MerchantId,
    [property: Id(3)] string ResourceId,
    [property: Id(4)] long ResourceSeq,
    [property: Id(5)] DateTimeOffset OccurredAt,
    [property: Id(6)] long Position,
    [property: Id(7)] WebhookDeliveryStatus Status,
    [property: Id(8)] int Attempts,
    [property: Id(9)] DateTimeOffset? NextAttemptAt,
    [property: Id(10)] DateTimeOffset? LastAttemptAt,
    [property: Id(11)] int? LastStatusCode,
    [property: Id(12)] string? LastError,
    [property: Id(13)] long? LastLatencyMs);

[GenerateSerializer, Immutable]
public sealed record WebhookAttemptView(
    [property: Id(0)] int Attempt,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] int? StatusCode,
    [property: Id(3)] string? Error,
    [property: Id(4)] long LatencyMs);

/// <summary>A keyset page of an app's deliveries (ascending log position); <see cref="Next"/> is the <c>after</c> of the next page.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookDeliveryPage(
    [property: Id(0)] IReadOnlyList<WebhookDeliveryView> Items,
    [property: Id(1)] long? Next);

/// <summary>Re-send one event, or the app's deliveries of events that occurred in [From, To), at most Limit of them.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookReplay(
    [property: Id(0)] string? EventId,
    [property: Id(1)] DateTimeOffset? From,
    [property: Id(2)] DateTimeOffset? To,
    [property: Id(3)] int Limit);

/// <summary>
/// Delivers one app's webhooks (key: the app's client id): reads the event log for the merchants that granted the app
/// <c>webhooks</c>, keeps a delivery per event, sends, retries with back-off, dead-letters.
/// </summary>
public interface IWebhookDispatcherGrain : IGrainWithStringKey
{
    /// <summary>New events may be in the log: deliver soon. Cheap and coalesced; never fails the caller.</summary>
    [Orleans.Concurrency.OneWay, Orleans.Concurrency.AlwaysInterleave]
    Task Poke();

    /// <summary>The scopes the merchant grants this app now (none, or without <c>webhooks</c>: no deliveries of its events).</summary>
    // Queued behind a delivery round (up to ~15 s with a slow receiver): longer than the silos' 10 s call timeout.
    [ResponseTimeout("00:00:30")]
    Task SetMerchantGrant(string merchantId, IReadOnlyList<string> scopes);

    /// <summary>
    /// The app's subscription changed: make sure the 1-minute reminder runs and deliver what is due. Interleaves (it
    /// touches no grain state), so the app grain calling it never waits behind a round that is calling the app grain.
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task Start();

    /// <summary>Reads the log and delivers what is due now; returns the number of attempts made (tests and operators).</summary>
    Task<int> RunOnce();

    // The delivery log and replays work on the store only, never on grain state: they interleave with a running round.
    [Orleans.Concurrency.AlwaysInterleave]
    Task<WebhookDeliveryPage> Deliveries(WebhookDeliveryStatus? status, long? after, int limit);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<WebhookAttemptView>> Attempts(string eventId, int limit);

    /// <summary>Makes the chosen deliveries pending again (same webhook-id, new attempts); returns how many.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<int> Replay(WebhookReplay replay);
}

/// <summary>
/// Retention of the webhook log (one grain, key <c>log</c>): an hourly reminder deletes events older than the configured
/// period (<c>LiveCommerce:Webhooks:Retention</c>, 30 days) whose deliveries are all delivered or dead, in batches.
/// </summary>
public interface IWebhookRetentionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Makes sure the hourly run is scheduled (dispatchers call it); cheap after an activation's first call. Interleaves,
    /// so a dispatcher (and the merchant's grant waiting on it) never waits behind a running purge.
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task Start();

    /// <summary>Deletes what is past retention now; returns the number of events deleted (tests and operators).</summary>
    Task<int> RunOnce();
}
