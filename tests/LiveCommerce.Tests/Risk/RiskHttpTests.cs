using System.Net;
using System.Net.Http.Json;
using LiveCommerce.Tests.Support;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Risk;

public sealed class RiskHttpTests(RiskApiFactory api) : IClassFixture<RiskApiFactory>
{
    private static HttpRequestMessage Order(HttpShop shop, string key, string peer, string? forwardedFor = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/orders") { Content = JsonContent.Create(new { roomId = shop.RoomId, productId = shop.ProductId, quantity = 1 }) };
        request.Headers.Add("Idempotency-Key", key);
        request.Headers.Add("X-Test-Peer", peer);
        if (forwardedFor is not null) request.Headers.Add("X-Forwarded-For", forwardedFor);
        return request;
    }

    [Fact]
    public async Task The_sixth_order_from_one_ip_within_a_minute_is_rejected_and_a_spoofed_header_does_not_help()
    {
        var shop = await OpenAsync(api, stock: 30);
        var buyers = new List<HttpClient>();
        for (var i = 0; i < 7; i++) buyers.Add(await shop.BuyerAsync("ip" + i));

        // One client at 203.0.113.50 tries to look like five others by sending its own X-Forwarded-For.
        for (var i = 0; i < 5; i++)
            await Read(await buyers[i].SendAsync(Order(shop, "k", "203.0.113.50", $"198.51.100.{i + 1}")), HttpStatusCode.Created);
        var sixth = await Read(await buyers[5].SendAsync(Order(shop, "k", "203.0.113.50", "198.51.100.99")), (HttpStatusCode)422);
        Assert.Equal("risk.rejected", sixth.GetProperty("code").GetString());
        Assert.Contains("ip-burst", sixth.GetProperty("reasons")[0].GetString());
        Assert.Equal(25, (await Ok(buyers[0].GetAsync($"/v1/rooms/{shop.RoomId}"))).GetProperty("shelf")[0].GetProperty("stockLeft").GetInt32());

        // Through the trusted proxy the address it saw is used: other clients are not caught by that burst.
        await Read(await buyers[6].SendAsync(Order(shop, "k", RiskApiFactory.TrustedProxy, "1.2.3.4, 203.0.113.51")), HttpStatusCode.Created);
        api.Clock.Advance(TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task A_price_31_percent_below_the_historical_average_is_flagged_and_29_percent_is_not()
    {
        var shop = await OpenAsync(api, stock: 5, livePrice: 10000);
        async Task<System.Text.Json.JsonElement> List(string product, long price)
        {
            await Ok(shop.Merchant.PutAsJsonAsync($"/v1/products/{product}", new { name = "Tea", category = "food", listPrice = 10000 }));
            await shop.PublishOfferAsync(product, commissionBasisPoints: 1000, sellerFloorBasisPoints: 8500);
            return await Ok(shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{product}", new { livePrice = price, stock = 10 }));
        }
        var cheap = await List(shop.Prefix + "-tea31", 6900);
        Assert.Equal(10000, cheap.GetProperty("referencePrice").GetInt64());
        Assert.Contains("31% below", cheap.GetProperty("priceFlag").GetString());
        var fine = await List(shop.Prefix + "-tea29", 7100);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, fine.GetProperty("priceFlag").ValueKind);

        var alerts = await Ok(shop.Admin.GetAsync($"/v1/admin/risk/alerts?ruleId=price-deviation&merchantId={shop.MerchantId}"));
        Assert.Single(alerts.EnumerateArray());
        Assert.Equal(shop.Prefix + "-tea31", alerts[0].GetProperty("productId").GetString());

        // An order at the flagged price is held for review when it is paid.
        var buyer = await shop.BuyerAsync("tea");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/orders") { Content = JsonContent.Create(new { roomId = shop.RoomId, productId = shop.Prefix + "-tea31", quantity = 1 }) };
        request.Headers.Add("Idempotency-Key", "tea");
        var placed = await Read(await buyer.SendAsync(request), HttpStatusCode.Created);
        Assert.Equal("review", placed.GetProperty("riskDecisions")[0].GetProperty("verdict").GetString());
        var paid = await shop.PayAsync(buyer, placed.GetProperty("orderId").GetString()!);
        Assert.True(paid.GetProperty("onHold").GetBoolean());
    }

    [Fact]
    public async Task A_night_surge_from_a_seeded_baseline_goes_to_review_and_release_moves_the_money_to_escrow()
    {
        var shop = await OpenAsync(api, stock: 100, livePrice: 2000);
        var now = api.Clock.GetUtcNow();
        var night = new DateTimeOffset(now.UtcDateTime.Date.AddHours(18).AddMinutes(5), TimeSpan.Zero); // 02:05 in Shanghai
        if (night <= now) night = night.AddDays(1);
        api.Clock.SetUtcNow(night);
        for (var day = 1; day <= 7; day++)
            Assert.Equal(HttpStatusCode.NoContent, (await shop.Admin.PostAsJsonAsync($"/v1/admin/risk/scopes/product:{shop.ProductId}/baseline",
                new { hour = night.AddDays(-day), orders = 1 })).StatusCode);

        var buyers = new List<HttpClient>();
        for (var i = 0; i < 5; i++) buyers.Add(await shop.BuyerAsync("n" + i));
        string? surged = null;
        foreach (var (buyer, i) in buyers.Select((b, i) => (b, i)))
        {
            var placed = await Read(await shop.PlaceAsync(buyer, "night"), HttpStatusCode.Created);
            var verdict = placed.GetProperty("riskDecisions")[0].GetProperty("verdict").GetString();
            Assert.Equal(i < 4 ? "allow" : "review", verdict); // 5 orders against an average of 1 = 500%
            if (i == 4) surged = placed.GetProperty("orderId").GetString();
        }
        var paid = await shop.PayAsync(buyers[4], surged!);
        Assert.True(paid.GetProperty("onHold").GetBoolean());
        var queue = await Ok(shop.Admin.GetAsync("/v1/admin/risk/reviews"));
        Assert.Contains(queue.GetProperty("items").EnumerateArray(), i => i.GetProperty("orderId").GetString() == surged);
        Assert.Equal(1000, (await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"))).GetProperty("onHold").GetInt64());

        Assert.Equal(HttpStatusCode.Forbidden, (await shop.Merchant.PostAsJsonAsync($"/v1/admin/risk/reviews/{surged}", new { decision = "release" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await shop.Admin.PostAsJsonAsync($"/v1/admin/risk/reviews/{surged}", new { })).StatusCode);
        var released = await Ok(shop.Admin.PostAsJsonAsync($"/v1/admin/risk/reviews/{surged}", new { decision = "release", note = "known customer" }));
        Assert.False(released.GetProperty("onHold").GetBoolean());
        var balance = await Ok(shop.Merchant.GetAsync($"/v1/accounts/{shop.MerchantId}"));
        Assert.Equal((0, 1000), (balance.GetProperty("onHold").GetInt64(), balance.GetProperty("pending").GetInt64())); // only the held order was paid
        api.Clock.Advance(TimeSpan.FromHours(3));
    }

    [Fact]
    public async Task Rule_changes_through_the_admin_api_are_audited_and_validated()
    {
        var admin = await api.ClientAs("risk-officer-1", "admin");
        var merchant = await api.ClientAs("risk-merchant", "merchant");
        Assert.Equal(HttpStatusCode.Forbidden, (await merchant.GetAsync("/v1/admin/risk/rules")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("/v1/admin/risk/rules/buyer-burst", new { thresholds = new { nope = 1 } })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsJsonAsync("/v1/admin/risk/rules/no-such-rule", new { enabled = false })).StatusCode);

        var updated = await Ok(admin.PutAsJsonAsync("/v1/admin/risk/rules/buyer-burst", new { action = "reject", thresholds = new { maxOrdersPerMinute = 4 } }));
        var rule = updated.GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("ruleId").GetString() == "buyer-burst");
        Assert.Equal(("reject", 4), (rule.GetProperty("action").GetString(), rule.GetProperty("thresholds").GetProperty("maxOrdersPerMinute").GetInt32()));
        var changes = await Ok(admin.GetAsync("/v1/admin/risk/rules/changes?ruleId=buyer-burst"));
        var change = changes[0];
        Assert.Equal("risk-officer-1", change.GetProperty("changedBy").GetString());
        Assert.Equal(3, change.GetProperty("old").GetProperty("thresholds").GetProperty("maxOrdersPerMinute").GetInt32());
        Assert.Equal("review", change.GetProperty("old").GetProperty("action").GetString());
        await Ok(admin.PutAsJsonAsync("/v1/admin/risk/rules/buyer-burst", new { action = "review", thresholds = new { maxOrdersPerMinute = 3 } }));
    }
}
