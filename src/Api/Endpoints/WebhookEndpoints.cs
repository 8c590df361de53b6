using LiveCommerce.Api.Infrastructure;
using LiveCommerce.Api.Platform;
using LiveCommerce.Contracts.Common;
using LiveCommerce.Contracts.Platform;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveCommerce.Api.Endpoints;

/// <summary>
/// An app's webhook subscription, signing secret, delivery log and replays. Open to admins and to the app itself
/// (a client-credentials token of that app with the <c>webhooks</c> scope, for any merchant that granted it).
/// </summary>
public static class WebhookEndpoints
{
    public sealed record WebhookSubscriptionRequest(string? Url, IReadOnlyList<string>? EventTypes);
    public sealed record ReplayRequest(string? EventId = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int? Limit = null);
    public sealed record ReplayResult(int Replayed);
    public sealed record AttemptList(IReadOnlyList<WebhookAttemptView> Attempts);

    public const int DefaultPageSize = 50;

    public static void MapWebhookEndpoints(this RouteGroupBuilder v1)
    {
        var hooks = v1.MapGroup("/apps/{clientId}/webhook").WithTags("Webhooks")
            .RequireAuthorization("authenticated").AllowApps(AppScopes.Webhooks);

        hooks.MapPut("/", async Task<Ok<WebhookConfigChange>> (string clientId, WebhookSubscriptionRequest body, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await App(http, grains, clientId).SetWebhook(body.Url ?? "", WebhookEventTypes.Require(body.EventTypes, "eventTypes"))))
            .RetrySafe().Produces<WebhookConfigChange>().Declares(StatusCodes.Status409Conflict)
            .WithSummary("Sets the app's webhook URL and event types (the app itself or an admin). The first call issues the signing secret, shown once in `secret`; repeating the same subscription changes nothing.");

        hooks.MapGet("/", async Task<Ok<WebhookConfigView>> (string clientId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await App(http, grains, clientId).WebhookConfig()))
            .Produces<WebhookConfigView>().Declares()
            .WithSummary("The app's webhook subscription, without its secret (the app itself or an admin).");

        hooks.MapPost("/secret", async Task<Ok<WebhookConfigChange>> (string clientId, HttpContext http, IGrainFactory grains) =>
            TypedResults.Ok(await App(http, grains, clientId).RotateWebhookSecret()))
            .RetrySafe(RetrySafety.NotIdempotent).Produces<WebhookConfigChange>().Declares(StatusCodes.Status409Conflict)
            .WithSummary("Rotates the signing secret (the app itself or an admin): the new one is shown once; the previous one signs too during the grace period (24 h by default).");

        hooks.MapGet("/deliveries", async Task<Ok<WebhookDeliveryPage>> (string clientId, string? status, long? after, int? limit, HttpContext http, IGrainFactory grains) =>
        {
            await App(http, grains, clientId).WebhookConfig();
            return TypedResults.Ok(await Dispatcher(grains, clientId).Deliveries(Status(status), After(after), PageSize(limit)));
        }).Produces<WebhookDeliveryPage>().Declares()
          .WithSummary("The app's delivery log in log order (the app itself or an admin): status, attempts, next attempt, last status code, error and latency. Keyset paged: pass `next` as `after`.");

        hooks.MapGet("/deliveries/{eventId}/attempts", async Task<Ok<AttemptList>> (string clientId, string eventId, int? limit, HttpContext http, IGrainFactory grains) =>
        {
            await App(http, grains, clientId).WebhookConfig();
            return TypedResults.Ok(new AttemptList(await Dispatcher(grains, clientId).Attempts(Text.Require(eventId, "eventId", 300), PageSize(limit))));
        }).Produces<AttemptList>().Declares()
          .WithSummary("Every attempt of one delivery, newest first (the app itself or an admin).");

        hooks.MapPost("/replay", async Task<Ok<ReplayResult>> (string clientId, ReplayRequest body, HttpContext http, IGrainFactory grains) =>
        {
            await App(http, grains, clientId).WebhookConfig();
            var replay = new WebhookReplay(body.EventId, body.From, body.To, body.Limit ?? (body.EventId is null ? 100 : 1));
            return TypedResults.Ok(new ReplayResult(await Dispatcher(grains, clientId).Replay(replay)));
        }).RetrySafe(RetrySafety.NotIdempotent).Produces<ReplayResult>().Declares()
          .WithSummary("Re-sends one event (`eventId`) or the deliveries of events that occurred in [`from`, `to`) (at most `limit`, up to 1000, 31 days) as new attempts with the same webhook-id (the app itself or an admin).");
    }

    private static IPlatformAppGrain App(HttpContext http, IGrainFactory grains, string clientId)
    {
        Ids.Require(clientId, "clientId");
        http.User.EnsureAppOrAdmin(clientId);
        return grains.Ref<IPlatformAppGrain>(clientId);
    }

    private static IWebhookDispatcherGrain Dispatcher(IGrainFactory grains, string clientId) => grains.Ref<IWebhookDispatcherGrain>(clientId);

    private static WebhookDeliveryStatus? Status(string? status) => status switch
    {
        null => null,
        "pending" => WebhookDeliveryStatus.Pending,
        "delivered" => WebhookDeliveryStatus.Delivered,
        "dead" => WebhookDeliveryStatus.Dead,
        _ => throw DomainException.Invalid("status", "status must be pending, delivered or dead."),
    };

    private static long After(long? after) =>
        after is null or >= 0 ? after ?? 0 : throw DomainException.Invalid("after", "after must not be negative.");

    private static int PageSize(int? limit) => limit switch
    {
        null => DefaultPageSize,
        >= 1 and <= 200 => limit.Value,
        _ => throw DomainException.Invalid("limit", "limit must be between 1 and 200."),
    };
}
