using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Contracts;
using LiveCommerce.Contracts.Platform;
using LiveCommerce.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using StandardWebhooks;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Platform;

/// <summary>
/// Webhooks end to end through HTTP, delivered to a sandbox receiver on 127.0.0.1: an admin registers an app, the
/// merchant grants it, the app subscribes and receives signed events for the merchant's orders; failures back off
/// and dead-letter, replays re-send with the same webhook-id, and an app without the merchant's grant gets nothing.
/// </summary>
public sealed class WebhookHttpTests(OpenPlatformApi api) : IClassFixture<OpenPlatformApi>, IAsyncDisposable
{
    private readonly List<SandboxWebhookReceiver> _receivers = [];

    private static string Id(string name) => name + "-" + Guid.NewGuid().ToString("N")[..8];

    private sealed record Subscribed(HttpShop Shop, string ClientId, HttpClient App, string Secret, SandboxWebhookReceiver Receiver);

    private SandboxWebhookReceiver Receiver()
    {
        var receiver = new SandboxWebhookReceiver();
        _receivers.Add(receiver);
        return receiver;
    }

    /// <summary>A shop whose merchant granted a new app webhooks, and the app subscribed to <paramref name="types"/>.</summary>
    private async Task<Subscribed> SubscribedAsync(params string[] types)
    {
        var shop = await OpenAsync(api, stock: 20, livePrice: 5000);
        var clientId = Id("hooks");
        var (_, clientSecret) = await api.RegisterAppAsync(shop.Admin, clientId, AppScopes.Webhooks, AppScopes.OrdersRead);
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/merchants/{shop.MerchantId}/app-grants/{clientId}", new { scopes = new[] { AppScopes.Webhooks, AppScopes.OrdersRead } }));
        var app = await api.AppClientAsync(clientId, clientSecret, shop.MerchantId);
        var receiver = Receiver();
        var config = await Ok(app.PutAsJsonAsync($"/v1/apps/{clientId}/webhook", new { url = receiver.Url, eventTypes = types }));
        var secret = config.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        return new Subscribed(shop, clientId, app, secret, receiver);
    }

    private static async Task<string> PaidOrderAsync(HttpShop shop, string buyerName)
    {
        var buyer = await shop.BuyerAsync(buyerName);
        var placed = await Read(await shop.PlaceAsync(buyer, buyerName + "-1"), HttpStatusCode.Created);
        var orderId = placed.GetProperty("orderId").GetString()!;
        await shop.PayAsync(buyer, orderId);
        return orderId;
    }

    private IWebhookDispatcherGrain Dispatcher(string clientId) => api.Services.GetRequiredService<IGrainFactory>().Ref<IWebhookDispatcherGrain>(clientId);

    private static async Task<JsonElement> DeliveryAsync(HttpClient client, string clientId, string eventId, Func<JsonElement, bool> until)
    {
        var deadline = Environment.TickCount64 + 15_000;
        while (true)
        {
            var page = await Ok(client.GetAsync($"/v1/apps/{clientId}/webhook/deliveries?limit=200"));
            var row = page.GetProperty("items").EnumerateArray().FirstOrDefault(d => d.GetProperty("eventId").GetString() == eventId);
            if (row.ValueKind == JsonValueKind.Object && until(row)) return row;
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"delivery {eventId} never reached the expected state: {page}");
            await Task.Delay(50);
        }
    }

    private static bool Is(JsonElement row, string status) => row.GetProperty("status").GetString() == status;

    [Fact]
    public async Task An_app_receives_a_signed_order_paid_webhook_for_a_paid_order_within_seconds()
    {
        var s = await SubscribedAsync(WebhookEventTypes.OrderPaid);
        var orderId = await PaidOrderAsync(s.Shop, "ann");

        var got = await s.Receiver.WaitForAsync(r => r.Type == WebhookEventTypes.OrderPaid);
        new StandardWebhook(s.Secret).Verify(got.Body, got.Headers);
        Assert.Equal($"{orderId}:1:order.paid", got.Id);
        var body = got.Json;
        Assert.Equal((orderId, s.Shop.MerchantId, 1L), (body.GetProperty("resourceId").GetString(), body.GetProperty("merchantId").GetString(), body.GetProperty("sequence").GetInt64()));
        Assert.Equal(5000, body.GetProperty("data").GetProperty("order").GetProperty("paidAmount").GetInt64());
        Assert.DoesNotContain(PhoneOf("ann"), got.Body);
        Assert.DoesNotContain("West Lake", got.Body);

        var row = await DeliveryAsync(s.App, s.ClientId, got.Id, r => Is(r, "delivered"));
        Assert.Equal((1, 200), (row.GetProperty("attempts").GetInt32(), row.GetProperty("lastStatusCode").GetInt32()));
        Assert.Single(s.Receiver.Requests);
    }

    [Fact]
    public async Task An_app_the_merchant_did_not_grant_webhooks_receives_nothing()
    {
        var s = await SubscribedAsync(WebhookEventTypes.OrderPaid);
        var other = Id("nogrant");
        await api.RegisterAppAsync(s.Shop.Admin, other, AppScopes.Webhooks, AppScopes.OrdersRead);
        await Ok(s.Shop.Merchant.PutAsJsonAsync($"/v1/merchants/{s.Shop.MerchantId}/app-grants/{other}", new { scopes = new[] { AppScopes.OrdersRead } }));
        var otherReceiver = Receiver();
        // Only an admin can subscribe it: the app's own token for this merchant has no webhooks scope.
        await Ok(s.Shop.Admin.PutAsJsonAsync($"/v1/apps/{other}/webhook", new { url = otherReceiver.Url, eventTypes = new[] { WebhookEventTypes.OrderPaid } }));

        await PaidOrderAsync(s.Shop, "bob");
        await s.Receiver.WaitForAsync(r => r.Type == WebhookEventTypes.OrderPaid);
        Assert.Equal(0, await Dispatcher(other).RunOnce());
        Assert.Empty(otherReceiver.Requests);
        Assert.Empty((await Ok(s.Shop.Admin.GetAsync($"/v1/apps/{other}/webhook/deliveries"))).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_failed_delivery_backs_off_and_later_events_of_the_order_wait_for_it_in_sequence()
    {
        var s = await SubscribedAsync(WebhookEventTypes.OrderPaid, WebhookEventTypes.OrderShipped);
        // The first answer is lost in effect (500): the receiver sees the paid event twice, a duplicate by webhook-id.
        s.Receiver.Behaviour = (n, _) => new SandboxWebhookReceiver.Answer(n == 1 ? 500 : 200);
        var orderId = await PaidOrderAsync(s.Shop, "cy");
        var paidId = $"{orderId}:1:order.paid";
        await DeliveryAsync(s.Shop.Admin, s.ClientId, paidId, r => r.GetProperty("attempts").GetInt32() == 1);

        await Ok(s.Shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { trackingNumber = "SF100" }));
        var shippedId = $"{orderId}:2:order.shipped";
        var shipped = await DeliveryAsync(s.Shop.Admin, s.ClientId, shippedId, _ => true);
        Assert.Equal(0, await Dispatcher(s.ClientId).RunOnce());
        Assert.Single(s.Receiver.Requests);
        Assert.True(Is(shipped, "pending"));
        var paid = await DeliveryAsync(s.Shop.Admin, s.ClientId, paidId, _ => true);
        Assert.Equal((500, "pending"), (paid.GetProperty("lastStatusCode").GetInt32(), paid.GetProperty("status").GetString()));
        Assert.Equal(api.Clock.GetUtcNow().AddSeconds(5), paid.GetProperty("nextAttemptAt").GetDateTimeOffset());

        api.Clock.Advance(TimeSpan.FromSeconds(5));
        await Dispatcher(s.ClientId).RunOnce();
        await DeliveryAsync(s.Shop.Admin, s.ClientId, shippedId, r => Is(r, "delivered"));
        Assert.Equal([paidId, paidId, shippedId], s.Receiver.Requests.Select(r => r.Id));
        Assert.All(s.Receiver.Requests, r => new StandardWebhook(s.Secret).Verify(r.Body, r.Headers));
    }

    [Fact]
    public async Task Retries_stop_at_the_dead_letter_and_a_replay_re_sends_with_the_same_webhook_id()
    {
        var s = await SubscribedAsync(WebhookEventTypes.OrderPaid);
        s.Receiver.Behaviour = (_, _) => new SandboxWebhookReceiver.Answer(503);
        var orderId = await PaidOrderAsync(s.Shop, "dee");
        var eventId = $"{orderId}:1:order.paid";
        await DeliveryAsync(s.Shop.Admin, s.ClientId, eventId, r => r.GetProperty("attempts").GetInt32() == 1);

        // Admin calls from here on: the app's token lives 10 minutes of the business clock, which the test moves by hours.
        foreach (var wait in new[] { 5, 60, 300, 1800, 7200, 18000, 36000 })
        {
            api.Clock.Advance(TimeSpan.FromSeconds(wait));
            await Dispatcher(s.ClientId).RunOnce();
        }
        var dead = await DeliveryAsync(s.Shop.Admin, s.ClientId, eventId, r => Is(r, "dead"));
        Assert.Equal(8, dead.GetProperty("attempts").GetInt32());
        api.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await Dispatcher(s.ClientId).RunOnce());
        Assert.Equal(8, s.Receiver.Requests.Count);
        var deadList = await Ok(s.Shop.Admin.GetAsync($"/v1/apps/{s.ClientId}/webhook/deliveries?status=dead"));
        Assert.Equal(eventId, Assert.Single(deadList.GetProperty("items").EnumerateArray()).GetProperty("eventId").GetString());

        s.Receiver.Behaviour = (_, _) => new SandboxWebhookReceiver.Answer(200);
        var replayed = await Ok(s.Shop.Admin.PostAsJsonAsync($"/v1/apps/{s.ClientId}/webhook/replay", new { eventId }));
        Assert.Equal(1, replayed.GetProperty("replayed").GetInt32());
        var again = await s.Receiver.WaitForAsync(r => r.Number == 9);
        Assert.Equal(eventId, again.Id);
        var delivered = await DeliveryAsync(s.Shop.Admin, s.ClientId, eventId, r => Is(r, "delivered"));
        Assert.Equal(9, delivered.GetProperty("attempts").GetInt32());
        var attempts = await Ok(s.Shop.Admin.GetAsync($"/v1/apps/{s.ClientId}/webhook/deliveries/{eventId}/attempts"));
        Assert.Equal([9, 8, 7, 6, 5, 4, 3, 2, 1], attempts.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("attempt").GetInt32()));

        // A time-range replay re-sends delivered events too.
        var from = api.Clock.GetUtcNow().AddDays(-3);
        var range = await Ok(s.Shop.Admin.PostAsJsonAsync($"/v1/apps/{s.ClientId}/webhook/replay", new { from, to = api.Clock.GetUtcNow() }));
        Assert.Equal(1, range.GetProperty("replayed").GetInt32());
        Assert.Equal(eventId, (await s.Receiver.WaitForAsync(r => r.Number == 10)).Id);
    }

    [Fact]
    public async Task Only_the_app_itself_or_an_admin_manages_its_webhook_and_bad_input_is_a_400()
    {
        var s = await SubscribedAsync(WebhookEventTypes.OrderPaid);
        Assert.Equal(HttpStatusCode.OK, (await s.App.GetAsync($"/v1/apps/{s.ClientId}/webhook")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await s.Shop.Admin.GetAsync($"/v1/apps/{s.ClientId}/webhook")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await s.Shop.Merchant.GetAsync($"/v1/apps/{s.ClientId}/webhook")).StatusCode);
        var other = await SubscribedAsync(WebhookEventTypes.OrderPaid);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.App.GetAsync($"/v1/apps/{s.ClientId}/webhook/deliveries")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.App.PostAsync($"/v1/apps/{s.ClientId}/webhook/secret", null)).StatusCode);

        foreach (var (body, field) in new (object, string)[]
        {
            (new { url = "ftp://x.example/in", eventTypes = new[] { "order.paid" } }, "url"),
            (new { url = s.Receiver.Url, eventTypes = new[] { "order.eaten" } }, "eventTypes"),
            (new { url = s.Receiver.Url, eventTypes = Array.Empty<string>() }, "eventTypes"),
        })
        {
            var refused = await s.App.PutAsJsonAsync($"/v1/apps/{s.ClientId}/webhook", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(field, await refused.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await s.App.GetAsync($"/v1/apps/{s.ClientId}/webhook/deliveries?status=lost")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await s.App.GetAsync($"/v1/apps/{s.ClientId}/webhook/deliveries?limit=5000")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await s.App.PostAsJsonAsync($"/v1/apps/{s.ClientId}/webhook/replay", new { limit = 5 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await s.App.PostAsJsonAsync($"/v1/apps/{s.ClientId}/webhook/replay", new { eventId = "nope:1:order.paid" })).StatusCode);
        // No refused request changed the subscription.
        var kept = await Ok(s.App.GetAsync($"/v1/apps/{s.ClientId}/webhook"));
        Assert.Equal(s.Receiver.Url, kept.GetProperty("url").GetString());
        Assert.Equal(["order.paid"], kept.GetProperty("eventTypes").EnumerateArray().Select(e => e.GetString()));
        // The same subscription again issues no new secret; the unchanged config still has one.
        var same = await Ok(s.App.PutAsJsonAsync($"/v1/apps/{s.ClientId}/webhook", new { url = s.Receiver.Url, eventTypes = new[] { "order.paid" } }));
        Assert.Equal(JsonValueKind.Null, same.GetProperty("secret").ValueKind);
        Assert.True(same.GetProperty("config").GetProperty("hasSecret").GetBoolean());
    }

    [Fact]
    public async Task Every_webhook_route_refuses_no_token_other_apps_and_user_roles_and_changes_nothing()
    {
        var s = await SubscribedAsync(WebhookEventTypes.OrderPaid);
        var other = await SubscribedAsync(WebhookEventTypes.OrderPaid);
        var anonymous = api.CreateClient();
        var buyer = await api.ClientAs(Id("buyer"), "buyer");
        var streamer = await api.ClientAs(Id("streamer"), "streamer");
        var routes = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Put, "", new { url = other.Receiver.Url, eventTypes = new[] { "order.refunded" } }),
            (HttpMethod.Get, "", null),
            (HttpMethod.Post, "/secret", null),
            (HttpMethod.Get, "/deliveries", null),
            (HttpMethod.Get, "/deliveries/x:1:order.paid/attempts", null),
            (HttpMethod.Post, "/replay", new { from = DateTimeOffset.UtcNow.AddDays(-1), to = DateTimeOffset.UtcNow }),
        };
        foreach (var (method, path, body) in routes)
            foreach (var (caller, expected) in new (HttpClient, HttpStatusCode)[]
            {
                (anonymous, HttpStatusCode.Unauthorized), (other.App, HttpStatusCode.Forbidden),
                (s.Shop.Merchant, HttpStatusCode.Forbidden), (buyer, HttpStatusCode.Forbidden), (streamer, HttpStatusCode.Forbidden),
            })
            {
                using var request = new HttpRequestMessage(method, $"/v1/apps/{s.ClientId}/webhook{path}") { Content = body is null ? null : JsonContent.Create(body) };
                var response = await caller.SendAsync(request);
                Assert.True(expected == response.StatusCode, $"{method} {path}: {(int)response.StatusCode}, expected {(int)expected}");
            }

        var kept = await Ok(s.App.GetAsync($"/v1/apps/{s.ClientId}/webhook"));
        Assert.Equal(s.Receiver.Url, kept.GetProperty("url").GetString());
        Assert.Equal(["order.paid"], kept.GetProperty("eventTypes").EnumerateArray().Select(e => e.GetString()));
        await PaidOrderAsync(s.Shop, "frank"); // the secret was not rotated by anyone refused: it still verifies
        var got = await s.Receiver.WaitForAsync(r => r.Type == WebhookEventTypes.OrderPaid);
        new StandardWebhook(s.Secret).Verify(got.Body, got.Headers);
    }

    [Fact]
    public async Task After_a_rotation_deliveries_carry_both_signatures_during_the_grace_period()
    {
        var s = await SubscribedAsync(WebhookEventTypes.OrderPaid);
        var rotated = await Ok(s.App.PostAsync($"/v1/apps/{s.ClientId}/webhook/secret", null));
        var fresh = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(s.Secret, fresh);
        await PaidOrderAsync(s.Shop, "eve");
        var got = await s.Receiver.WaitForAsync(r => r.Type == WebhookEventTypes.OrderPaid);
        new StandardWebhook(fresh).Verify(got.Body, got.Headers);
        // The previous secret's signature is the second entry (checked alone: see WebhookRulesTests on the package's loop).
        var signatures = got.Signature.Split(' ');
        Assert.Equal(2, signatures.Length);
        new StandardWebhook(s.Secret).Verify(got.Body, WebhookRulesTests.Headers(got.Id, DateTimeOffset.FromUnixTimeSeconds(long.Parse(got.Timestamp)), signatures[1]));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var receiver in _receivers) await receiver.DisposeAsync();
    }
}
