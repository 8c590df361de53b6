using System.Net;
using System.Net.Http.Json;
using LiveCommerce.Contracts;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Contracts.Traffic;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using StandardWebhooks;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Platform;

/// <summary>
/// The webhook events that are not an order's: a merchant's settlement batch and payouts (written in the settlement
/// account's own save) and the platform-wide ranking configuration change (one log row, read by every app's
/// dispatcher). Each is logged once per change, signed per Standard Webhooks, and reaches only apps that subscribed
/// to its type and that a merchant granted <c>webhooks</c>.
/// </summary>
public sealed class PlatformWebhookEventsHttpTests(OpenPlatformApi api) : IClassFixture<OpenPlatformApi>, IAsyncDisposable
{
    private readonly List<SandboxWebhookReceiver> _receivers = [];

    private static string Id(string name) => name + "-" + Guid.NewGuid().ToString("N")[..8];

    private sealed record App(string ClientId, string? Secret, SandboxWebhookReceiver Receiver);

    private IGrainFactory Grains => api.Services.GetRequiredService<IGrainFactory>();

    /// <summary>
    /// A new app of <paramref name="shop"/>'s merchant, granted <paramref name="grantedScopes"/> and subscribed by an
    /// admin to <paramref name="types"/>; its dispatcher has made its first round, so it reads the log from here on.
    /// </summary>
    private async Task<App> AppAsync(HttpShop shop, string[] grantedScopes, params string[] types)
    {
        var clientId = Id("hooks2");
        await api.RegisterAppAsync(shop.Admin, clientId, AppScopes.Webhooks, AppScopes.OrdersRead, AppScopes.SettlementRead);
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/app-grants/{clientId}", new { scopes = grantedScopes }));
        var receiver = new SandboxWebhookReceiver();
        _receivers.Add(receiver);
        var config = await Ok(shop.Admin.PutAsJsonAsync($"/v1/apps/{clientId}/webhook", new { url = receiver.Url, eventTypes = types }));
        await Dispatcher(clientId).RunOnce();
        return new App(clientId, config.GetProperty("secret").GetString(), receiver);
    }

    private static readonly string[] Hooks = [AppScopes.Webhooks, AppScopes.OrdersRead];

    private IWebhookDispatcherGrain Dispatcher(string clientId) => Grains.Ref<IWebhookDispatcherGrain>(clientId);

    /// <summary>Every event of the log of one type under one merchant id (the embedded profile's log is process memory).</summary>
    private static async Task<List<WebhookEvent>> LoggedAsync(string merchantId, string type) =>
        (await EmbeddedStores.Webhooks.ReadAsync([merchantId], [type], 0, 100_000)).Select(l => l.Event).ToList();

    private static async Task<string> ConfirmedOrderAsync(HttpShop shop, string buyerName)
    {
        var buyer = await shop.BuyerAsync(buyerName);
        var orderId = (await Read(await shop.PlaceAsync(buyer, buyerName + "-1"), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;
        await shop.PayAsync(buyer, orderId);
        await Ok(shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { trackingNumber = "SF-" + buyerName }));
        await Ok(shop.Merchant.PostAsync($"/v1/orders/{orderId}/delivery", null));
        await Ok(buyer.PostAsync($"/v1/orders/{orderId}/confirm", null));
        return orderId;
    }

    private static Task<HttpResponseMessage> PayoutAsync(HttpShop shop, string key, long amount)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/accounts/{shop.MerchantId}/payouts") { Content = JsonContent.Create(new { amount }) };
        request.Headers.Add("Idempotency-Key", key);
        return shop.Merchant.SendAsync(request);
    }

    [Fact]
    public async Task A_settlement_batch_and_each_payout_are_logged_once_and_reach_only_subscribed_granted_apps_signed()
    {
        var shop = await OpenAsync(api, stock: 20, livePrice: 5000);
        var m = shop.MerchantId;
        var money = await AppAsync(shop, [.. Hooks, AppScopes.SettlementRead], WebhookEventTypes.SettlementBatchPaid, WebhookEventTypes.PayoutPaid);
        // Granted webhooks and orders.read, not settlement.read: the API refuses it the account's statements, so no money events either.
        var unscoped = await AppAsync(shop, Hooks, WebhookEventTypes.SettlementBatchPaid, WebhookEventTypes.PayoutPaid);
        var ordersOnly = await AppAsync(shop, Hooks, WebhookEventTypes.OrderPaid);
        // Subscribed to the money events by an admin, but the merchant granted it no webhooks.
        var ungranted = await AppAsync(shop, [AppScopes.OrdersRead], WebhookEventTypes.SettlementBatchPaid, WebhookEventTypes.PayoutPaid);

        var orderId = await ConfirmedOrderAsync(shop, "gus");
        api.Clock.Advance(TimeSpan.FromDays(4)); // past the next business day whatever weekday it is
        var run = await Ok(shop.Admin.PostAsync($"/v1/accounts/{m}/settlement-runs", null));
        var batchId = run.GetProperty("batchId").GetString()!;
        var net = run.GetProperty("total").GetInt64();
        Assert.True(net > 0);
        // A second run finds nothing due: no second batch, no second event.
        Assert.Null((await Ok(shop.Admin.PostAsync($"/v1/accounts/{m}/settlement-runs", null))).GetProperty("batchId").GetString());

        var batch = await money.Receiver.WaitForAsync(r => r.Type == WebhookEventTypes.SettlementBatchPaid);
        new StandardWebhook(money.Secret!).Verify(batch.Body, batch.Headers);
        Assert.Equal($"settlements:{m}:1:settlement.batch_paid", batch.Id);
        var body = batch.Json;
        Assert.Equal((m, $"settlements:{m}", 1L), (body.GetProperty("merchantId").GetString(), body.GetProperty("resourceId").GetString(), body.GetProperty("sequence").GetInt64()));
        var data = body.GetProperty("data");
        Assert.Equal((batchId, m, 1, net), (data.GetProperty("batchId").GetString(), data.GetProperty("accountId").GetString(),
            data.GetProperty("orders").GetInt32(), data.GetProperty("net").GetInt64()));
        Assert.Equal(net, data.GetProperty("gross").GetInt64() - data.GetProperty("refundedBeforeSettlement").GetInt64());
        Assert.Equal(("CNY", "fen"), (data.GetProperty("currency").GetString(), data.GetProperty("unit").GetString()));
        Assert.Equal(api.Clock.GetUtcNow(), data.GetProperty("paidAt").GetDateTimeOffset());
        Assert.DoesNotContain(PhoneOf("gus"), batch.Body);
        Assert.DoesNotContain(orderId, batch.Body); // the batch's orders are for the settlement API, not the event

        // A payout, then the same payout again (its Idempotency-Key replayed), then another one.
        var first = net / 5;
        await Ok(PayoutAsync(shop, "po-1", first));
        await Ok(PayoutAsync(shop, "po-1", first));
        await Ok(PayoutAsync(shop, "po-2", 1));
        var payouts = new[]
        {
            await money.Receiver.WaitForAsync(r => r.Type == WebhookEventTypes.PayoutPaid),
            await money.Receiver.WaitForAsync(r => r.Type == WebhookEventTypes.PayoutPaid && r.Json.GetProperty("data").GetProperty("payoutId").GetString() == "po-2"),
        };
        foreach (var p in payouts) new StandardWebhook(money.Secret!).Verify(p.Body, p.Headers);
        // The sequence is the account's paid-out total after the payout: it orders the account's payouts.
        Assert.Equal([$"payouts:{m}:{first}:payout.paid", $"payouts:{m}:{first + 1}:payout.paid"], payouts.Select(p => p.Id));
        var paid = payouts[0].Json.GetProperty("data");
        Assert.Equal(("po-1", first, $"payout:{m}:po-1", net - first), (paid.GetProperty("payoutId").GetString(), paid.GetProperty("amount").GetInt64(),
            paid.GetProperty("receipt").GetString(), paid.GetProperty("availableAfter").GetInt64()));

        // Exactly one log row per change: one batch, two payouts (the replayed key added none).
        Assert.Single(await LoggedAsync(m, WebhookEventTypes.SettlementBatchPaid));
        Assert.Equal(2, (await LoggedAsync(m, WebhookEventTypes.PayoutPaid)).Count);
        await Dispatcher(money.ClientId).RunOnce();
        Assert.Equal(3, money.Receiver.Requests.Count);

        // The app subscribed to order events only, and the app without the grant, got none of them.
        await ordersOnly.Receiver.WaitForAsync(r => r.Type == WebhookEventTypes.OrderPaid);
        Assert.Equal(0, await Dispatcher(ordersOnly.ClientId).RunOnce());
        Assert.All(ordersOnly.Receiver.Requests, r => Assert.Equal(WebhookEventTypes.OrderPaid, r.Type));
        Assert.Equal(0, await Dispatcher(ungranted.ClientId).RunOnce());
        Assert.Empty(ungranted.Receiver.Requests);
        Assert.Equal(0, await Dispatcher(unscoped.ClientId).RunOnce());
        Assert.Empty(unscoped.Receiver.Requests);
        Assert.Empty((await Ok(shop.Admin.GetAsync($"/v1/apps/{unscoped.ClientId}/webhook/deliveries"))).GetProperty("items").EnumerateArray());
        Assert.Empty((await Ok(shop.Admin.GetAsync($"/v1/apps/{ungranted.ClientId}/webhook/deliveries"))).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_ranking_change_is_one_platform_wide_event_that_reaches_the_subscribed_apps_of_two_merchants()
    {
        var shopA = await OpenAsync(api, stock: 5, livePrice: 5000);
        var shopB = await OpenAsync(api, stock: 5, livePrice: 5000);
        var appA = await AppAsync(shopA, Hooks, WebhookEventTypes.RankingConfigChanged, WebhookEventTypes.OrderPaid);
        var appB = await AppAsync(shopB, Hooks, WebhookEventTypes.RankingConfigChanged);
        var notSubscribed = await AppAsync(shopA, Hooks, WebhookEventTypes.OrderPaid);
        var ungranted = await AppAsync(shopB, [AppScopes.OrdersRead], WebhookEventTypes.RankingConfigChanged);
        // An app both merchants granted gets the platform-wide event once, not once per merchant.
        var shared = await AppAsync(shopA, Hooks, WebhookEventTypes.RankingConfigChanged);
        await Ok(shopB.Merchant.PutAsJsonAsync($"/v1/merchants/{shopB.MerchantId}/app-grants/{shared.ClientId}", new { scopes = Hooks }));

        // Its own configuration grain (the embedded log is shared by every test in this process, and "default" is the
        // front door's): the change is the same code path the admin's PUT takes.
        var key = Id("rank");
        var config = Grains.Ref<IRankingConfigGrain>(key);
        var current = await config.Get();
        var next = await config.Change(current with { ContentSharePercent = current.ContentSharePercent == 36 ? 37 : 36 }, "admin-hooks2");
        Assert.Equal(current.Version + 1, next.Version);
        // Unchanged: no new version, no event.
        Assert.Equal(next.Version, (await config.Change(next, "admin-hooks2")).Version);

        var eventId = $"ranking:{key}:{next.Version}:ranking.config_changed";
        var mine = (await LoggedAsync(WebhookEventTypes.PlatformMerchantId, WebhookEventTypes.RankingConfigChanged)).Where(e => e.ResourceId == $"ranking:{key}").ToList();
        Assert.Equal(eventId, Assert.Single(mine).EventId);
        Assert.Empty((await LoggedAsync(shopA.MerchantId, WebhookEventTypes.RankingConfigChanged)).Concat(await LoggedAsync(shopB.MerchantId, WebhookEventTypes.RankingConfigChanged)));

        // No grain knows every app, so nothing pokes them: each dispatcher's round (its 1-minute reminder) reads it.
        foreach (var app in new[] { appA, appB, notSubscribed, ungranted, shared }) await Dispatcher(app.ClientId).RunOnce();
        foreach (var app in new[] { appA, appB, shared })
        {
            var got = await app.Receiver.WaitForAsync(r => r.Id == eventId);
            new StandardWebhook(app.Secret!).Verify(got.Body, got.Headers);
            Assert.Equal((WebhookEventTypes.PlatformMerchantId, next.Version), (got.Json.GetProperty("merchantId").GetString(), got.Json.GetProperty("sequence").GetInt64()));
            var data = got.Json.GetProperty("data");
            Assert.Equal((next.Version, current.Version), (data.GetProperty("version").GetInt64(), data.GetProperty("previousVersion").GetInt64()));
            Assert.Equal(["contentSharePercent"], data.GetProperty("changed").EnumerateArray().Select(c => c.GetString()));
            Assert.DoesNotContain("admin-hooks2", got.Body);
        }
        await Dispatcher(shared.ClientId).RunOnce();
        Assert.Single(shared.Receiver.Requests, r => r.Id == eventId);
        Assert.DoesNotContain(notSubscribed.Receiver.Requests, r => r.Type == WebhookEventTypes.RankingConfigChanged);
        Assert.Empty(ungranted.Receiver.Requests);
        Assert.Empty((await Ok(shopB.Admin.GetAsync($"/v1/apps/{ungranted.ClientId}/webhook/deliveries"))).GetProperty("items").EnumerateArray());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var receiver in _receivers) await receiver.DisposeAsync();
    }
}
