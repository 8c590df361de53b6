using System.Net;
using System.Net.Http.Json;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// Role AND subject for every resource kind: each endpoint that acts on a party's resource, called by every role
/// with a token whose subject is that party's id. Only the owning role (and admins) may pass; a buyer token whose
/// subject is a merchant's id is not that merchant, and no token may carry the platform account's id.
/// </summary>
public sealed class ResourceAuthorizationTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static readonly string[] UserRoles = ["buyer", "streamer", "merchant"];

    private sealed record Case(string Resource, HttpMethod Method, string Path, string Owner, string[] Allowed, object? Body = null, bool AdminMay = true);

    private HttpClient As(string subject, string role)
    {
        var now = api.Clock.GetUtcNow().ToUnixTimeSeconds();
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TokenValidationTests.Mint(new()
        {
            ["sub"] = subject, ["role"] = role, ["iat"] = now, ["nbf"] = now, ["exp"] = now + 3600,
        }));
        return client;
    }

    [Fact]
    public async Task Every_resource_is_reachable_only_with_its_role_and_subject()
    {
        var shop = await HttpShop.OpenAsync(api);
        var buyer = await shop.BuyerAsync("b");
        var b = shop.Prefix + "-b";
        var placed = await HttpShop.Read(await shop.PlaceAsync(buyer, "authz-1"), HttpStatusCode.Created);
        var orderId = placed.GetProperty("orderId").GetString()!;
        await shop.PayAsync(buyer, orderId);
        string s = shop.StreamerId, m = shop.MerchantId, d1 = shop.Prefix + "-d1", p = shop.ProductId, room = shop.RoomId;
        var range = "from=2026-11-01&to=2026-11-30";
        // An after-sale case on the paid order (refund only: not shipped), and another buyer and merchant who are not its parties.
        var opened = new HttpRequestMessage(HttpMethod.Post, $"/v1/orders/{orderId}/after-sales")
        {
            Content = JsonContent.Create(new { kind = "refundOnly", reasonCode = "not_as_described", description = "", evidence = Array.Empty<string>(), amount = 100 }),
        };
        opened.Headers.Add("Idempotency-Key", "authz-case-1");
        var caseId = (await HttpShop.Read(await buyer.SendAsync(opened), HttpStatusCode.Created)).GetProperty("caseId").GetString()!;
        string afterSale = $"/v1/after-sales/{caseId}", otherBuyer = shop.Prefix + "-b2", otherMerchant = shop.Prefix + "-m2";

        Case[] cases =
        [
            // buyer
            new("buyer", HttpMethod.Get, $"/v1/buyers/{b}", b, ["buyer"]),
            new("buyer", HttpMethod.Get, $"/v1/buyers/{b}/orders", b, ["buyer"]),
            new("buyer", HttpMethod.Put, $"/v1/buyers/{b}", b, ["buyer"], new { city = "Hangzhou" }, AdminMay: false),
            new("buyer", HttpMethod.Put, $"/v1/buyers/{b}/following/{s}", b, ["buyer"], AdminMay: false),
            new("buyer", HttpMethod.Get, $"/v1/buyers/{b}/repurchase-plans/{p}", b, ["buyer"]),
            new("buyer", HttpMethod.Delete, $"/v1/buyers/{b}/repurchase-plans/{p}", b, ["buyer"]),
            new("buyer", HttpMethod.Get, $"/v1/buyers/{b}/feed", b, ["buyer"]),
            new("buyer", HttpMethod.Get, $"/v1/streamers/{s}/trust?viewerId={b}", b, ["buyer"]),
            new("buyer", HttpMethod.Get, $"/v1/analytics/buyers/{b}/lifetime-value", b, ["buyer"]),
            // streamer
            new("streamer", HttpMethod.Put, $"/v1/streamers/{s}", s, ["streamer"], new { displayName = "Streamer", homeCity = "Hangzhou" }, AdminMay: false),
            new("streamer", HttpMethod.Get, $"/v1/analytics/streamers/{s}", s, ["streamer"]),
            // merchant
            new("merchant", HttpMethod.Get, $"/v1/analytics/merchants/{m}", m, ["merchant"]),
            // settlement accounts: the merchant's and the streamer's (streamer and distributor shares)
            new("account", HttpMethod.Get, $"/v1/accounts/{m}", m, ["merchant", "streamer"]),
            new("account", HttpMethod.Get, $"/v1/accounts/{m}/batches?{range}", m, ["merchant", "streamer"]),
            new("account", HttpMethod.Get, $"/v1/accounts/{m}/statement.csv?{range}", m, ["merchant", "streamer"]),
            new("account", HttpMethod.Post, $"/v1/accounts/{m}/payouts", m, ["merchant", "streamer"], new { amount = 1_000_000_000 }),
            new("account", HttpMethod.Get, $"/v1/accounts/{s}", s, ["merchant", "streamer"]),
            // system account: no user token may carry its id
            new("system account", HttpMethod.Get, "/v1/accounts/platform", "platform", []),
            new("system account", HttpMethod.Post, "/v1/accounts/platform/payouts", "platform", [], new { amount = 1 }),
            // order: its buyer and its merchant; its split: the merchant and the parties in it, each in its share's role
            new("order", HttpMethod.Get, $"/v1/orders/{orderId}", b, ["buyer"]),
            new("order", HttpMethod.Get, $"/v1/orders/{orderId}", m, ["merchant"]),
            new("order split", HttpMethod.Get, $"/v1/orders/{orderId}/split", m, ["merchant"]),
            new("order split", HttpMethod.Get, $"/v1/orders/{orderId}/split", s, ["streamer"]),
            new("order split", HttpMethod.Get, $"/v1/orders/{orderId}/split", d1, ["streamer"]),
            new("order split", HttpMethod.Get, $"/v1/orders/{orderId}/split", b, []),
            new("order delivery", HttpMethod.Post, $"/v1/orders/{orderId}/delivery", m, ["merchant"]),
            new("order delivery", HttpMethod.Post, $"/v1/orders/{orderId}/delivery", b, []),
            // buyer's address book: the buyer writes it; the buyer and admins read it
            new("address book", HttpMethod.Get, $"/v1/buyers/{b}/addresses", b, ["buyer"]),
            // merchant's order list and its export: the merchant (apps only with a grant; see OpenPlatformHttpTests)
            new("merchant orders", HttpMethod.Get, $"/v1/merchants/{m}/orders", m, ["merchant"]),
            new("merchant orders", HttpMethod.Get, $"/v1/merchants/{m}/orders/export.csv", m, ["merchant"]),
            // app grants: only the merchant itself grants, revokes or lists
            new("app grants", HttpMethod.Get, $"/v1/merchants/{m}/app-grants", m, ["merchant"], AdminMay: false),
            // settlement cycle: the merchant within the self-service range, operators any; not the streamer of the account's sales
            new("settlement cycle", HttpMethod.Put, $"/v1/accounts/{m}/cycle", m, ["merchant"], new { cycleDays = 2 }),
            // after-sale case: its buyer and the order's merchant read it, each takes only its own steps (admins decide by
            // arbitration, not by standing in), arbitration is admins' only; other buyers and merchants are refused. In this
            // order: the merchant rejects, the buyer escalates, an admin arbitrates; the steps after that are 409s (allowed).
            new("after-sale case", HttpMethod.Get, afterSale, b, ["buyer"]),
            new("after-sale case", HttpMethod.Get, afterSale, m, ["merchant"]),
            new("after-sale case", HttpMethod.Get, afterSale, otherBuyer, []),
            new("after-sale case", HttpMethod.Get, afterSale, otherMerchant, []),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/reject", otherMerchant, [], new { reason = "no" }, AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/reject", m, ["merchant"], new { reason = "sealed when shipped" }, AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/escalate", otherBuyer, [], AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/escalate", b, ["buyer"], AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"/v1/admin/after-sales/{caseId}/arbitration", m, [], new { outcome = "refundNone", note = "intact" }),
            new("after-sale case", HttpMethod.Post, $"/v1/admin/after-sales/{caseId}/arbitration", b, [], new { outcome = "refundNone", note = "intact" }),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/approve", m, ["merchant"], AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/offer", m, ["merchant"], new { amount = 50 }, AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/return-receipt", m, ["merchant"], AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/approve", otherMerchant, [], AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/accept-offer", b, ["buyer"], AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/withdraw", b, ["buyer"], AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/return-shipment", b, ["buyer"], new { carrier = "sandbox", trackingNumber = "RET-1" }, AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"{afterSale}/withdraw", otherBuyer, [], AdminMay: false),
            new("after-sale case", HttpMethod.Post, $"/v1/orders/{orderId}/after-sales", otherBuyer, [],
                new { kind = "refundOnly", reasonCode = "not_as_described", description = "", evidence = Array.Empty<string>(), amount = 100 }, AdminMay: false),
            // regulatory export: admins only, not even the merchant it is about (nor its apps)
            new("regulatory export", HttpMethod.Get, $"/v1/admin/merchants/{m}/income-report?{range}", m, []),
            new("regulatory export", HttpMethod.Get, $"/v1/admin/merchants/{m}/income-report.csv?{range}", m, []),
            new("regulatory export", HttpMethod.Get, $"/v1/admin/merchants/{m}/payment-records?{range}", m, []),
            new("regulatory export", HttpMethod.Get, $"/v1/admin/merchants/{m}/payment-records.csv?{range}", m, []),
            new("regulatory export", HttpMethod.Put, $"/v1/admin/merchants/{m}/identity", m, [],
                new { legalName = "Example Co.", unifiedSocialCreditCode = "91330100799655058B" }),
            new("regulatory export", HttpMethod.Get, $"/v1/admin/merchants/{m}/identity", m, []),
            // room: its streamer; a merchant that sold in it
            new("room analytics", HttpMethod.Get, $"/v1/analytics/rooms/{room}", s, ["streamer"]),
            new("room analytics", HttpMethod.Get, $"/v1/analytics/rooms/{room}", m, ["merchant"]),
        ];

        var failures = new List<string>();
        foreach (var c in cases)
        {
            foreach (var role in UserRoles)
            {
                var status = await Send(As(c.Owner, role), c);
                var allowed = c.Allowed.Contains(role);
                var ok = c.Owner == "platform" ? status == HttpStatusCode.Unauthorized
                    : allowed ? status is not (HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized) && (int)status < 500
                    : status == HttpStatusCode.Forbidden;
                if (!ok) failures.Add($"{c.Resource}: {c.Method} {c.Path} as {role} '{c.Owner}' -> {(int)status} (expected {(allowed ? "allowed" : c.Owner == "platform" ? "401" : "403")})");
            }
            // No token at all: 401 before anything else.
            var anonymous = await Send(api.CreateClient(), c);
            if (anonymous != HttpStatusCode.Unauthorized) failures.Add($"{c.Resource}: {c.Method} {c.Path} without a token -> {(int)anonymous}");
            // Operators reach every resource (but act as a buyer or streamer only through those roles' own endpoints).
            if (!c.AdminMay) continue;
            var admin = await Send(As(shop.Prefix + "-admin", "admin"), c);
            if (admin is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized || (int)admin >= 500)
                failures.Add($"{c.Resource}: {c.Method} {c.Path} as admin -> {(int)admin}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        // Nothing the refused calls tried happened: the order was not marked delivered.
        var order = await HttpShop.Ok(buyer.GetAsync($"/v1/orders/{orderId}"));
        Assert.NotEqual("delivered", order.GetProperty("status").GetString());
        // The case went the way its own parties and the admin took it, and no refused call added a step or a case.
        var decided = await HttpShop.Ok(buyer.GetAsync(afterSale));
        Assert.Equal(["opened", "rejected", "escalated", "arbitrated_none"], decided.GetProperty("timeline").EnumerateArray().Select(t => t.GetProperty("action").GetString()));
        Assert.Equal(caseId, Assert.Single((await HttpShop.Ok(buyer.GetAsync($"/v1/orders/{orderId}"))).GetProperty("afterSaleCaseIds").EnumerateArray()).GetString());
    }

    private static async Task<HttpStatusCode> Send(HttpClient client, Case c)
    {
        using var request = new HttpRequestMessage(c.Method, c.Path);
        if (c.Body is not null) request.Content = JsonContent.Create(c.Body);
        request.Headers.Add("Idempotency-Key", "authz-" + Guid.NewGuid().ToString("N")[..12]);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
