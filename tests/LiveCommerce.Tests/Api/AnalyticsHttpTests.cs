using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Tests.Support;
using Microsoft.AspNetCore.Hosting;

namespace LiveCommerce.Tests.Api;

/// <summary>The front door with analytics aggregates written every second, so tests see platform views quickly.</summary>
public class AnalyticsApiFactory : ApiFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("LiveCommerce:Analytics:FlushInterval", "00:00:01");
    }
}

/// <summary>
/// A small deterministic scenario through HTTP whose every metric is computed by hand (see the comments), checked
/// live from the streams, again after a rebuild from durable order state (twice), and then for dormancy.
/// </summary>
public sealed class AnalyticsHttpTests(AnalyticsApiFactory api) : IClassFixture<AnalyticsApiFactory>
{
    private static async Task<JsonElement> Get(HttpClient client, string url, HttpStatusCode expected = HttpStatusCode.OK) =>
        await HttpShop.Read(await client.GetAsync(url), expected);

    private static async Task<JsonElement> Eventually(Func<Task<JsonElement>> read, Func<JsonElement, bool> done, int timeoutMs = 15_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (Environment.TickCount64 > deadline) throw new TimeoutException("analytics did not converge: " + value);
            await Task.Delay(50);
        }
    }

    private static long L(JsonElement e, string name) => e.GetProperty(name).GetInt64();
    private static double D(JsonElement e, string name) => e.GetProperty(name).GetDouble();
    private static JsonElement Row(JsonElement e, string array, string key, string value) =>
        e.GetProperty(array).EnumerateArray().Single(r => r.GetProperty(key).ToString() == value);

    private async Task<string> OrderAsync(HttpShop shop, HttpClient buyer, string key, string productId, int quantity, bool pay = true)
    {
        var placed = await HttpShop.Read(await shop.PlaceAsync(buyer, key, quantity, productId), HttpStatusCode.Created);
        var orderId = placed.GetProperty("orderId").GetString()!;
        if (pay) await shop.PayAsync(buyer, orderId);
        return orderId;
    }

    private static Task<JsonElement> Post(HttpClient client, string url, object? body = null, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = body is null ? null : JsonContent.Create(body) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return HttpShop.Ok(client.SendAsync(request));
    }

    [Fact]
    public async Task Hand_computed_scenario_answers_every_metric_live_after_rebuild_and_for_dormancy()
    {
        // ---- the scenario ---------------------------------------------------------------------------
        // One streamer S, one merchant M, room R in Hangzhou. P1 at 15.00 yuan (< 20), P2 at 30.00 (20-50),
        // P3 at 80.00 (> 50). t0 = 20:00 Asia/Shanghai (12:00 UTC).
        var shop = await HttpShop.OpenAsync(api, stock: 100, livePrice: 1500);
        string p1 = shop.ProductId, p2 = shop.Prefix + "-p2", p3 = shop.Prefix + "-p3";
        foreach (var (id, price) in new[] { (p2, 3000L), (p3, 8000L) })
        {
            await HttpShop.Ok(shop.Merchant.PutAsJsonAsync($"/v1/products/{id}", new { name = "Item " + id, category = "home", listPrice = price + 1000 }));
            await shop.PublishOfferAsync(id);
            await HttpShop.Ok(shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{id}", new { livePrice = price, stock = 100, splitPlan = shop.SixLevelPlan() }));
        }
        api.Clock.Advance(TimeSpan.FromHours(10)); // 02:00 UTC + 10 h = 12:00 UTC = 20:00 local

        var cities = new Dictionary<string, string>
        {
            ["b1"] = "Chengdu", ["b2"] = "Chengdu", ["b3"] = "Chengdu", ["b4"] = "Hangzhou", ["b5"] = "Hangzhou",
            ["b6"] = "Linyi", ["l1"] = "Linyi", ["l2"] = "Linyi",
        };
        var c = new Dictionary<string, HttpClient>();
        foreach (var (name, city) in cities) c[name] = await shop.BuyerAsync(name, city);
        string Id(string name) => $"{shop.Prefix}-{name}";
        await HttpShop.Ok(c["b1"].PutAsync($"/v1/buyers/{Id("b1")}/following/{shop.StreamerId}", null));

        // t0: b1..b6 enter the room (6 unique viewers, hour 20).
        foreach (var b in new[] { "b1", "b2", "b3", "b4", "b5", "b6" }) await HttpShop.Ok(c[b].PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));

        api.Clock.Advance(TimeSpan.FromMinutes(5));
        await OrderAsync(shop, c["b1"], "o1", p1, 1);                    // o1: 1500 paid
        api.Clock.Advance(TimeSpan.FromMinutes(1));
        var o2 = await OrderAsync(shop, c["b4"], "o2", p1, 2);           // o2: 3000 paid, shipped, delivered, confirmed
        api.Clock.Advance(TimeSpan.FromMinutes(1));
        var o3 = await OrderAsync(shop, c["b2"], "o3", p2, 2);           // o3: 6000 paid, delivered, returned in full
        api.Clock.Advance(TimeSpan.FromMinutes(1));
        var o4 = await OrderAsync(shop, c["b3"], "o4", p3, 1, pay: false); // o4: 8000 placed, cancelled
        await Post(c["b3"], $"/v1/orders/{o4}/cancel");
        api.Clock.Advance(TimeSpan.FromMinutes(1));
        var o5 = await OrderAsync(shop, c["b5"], "o5", p3, 1);           // o5: 8000 paid, shipped, delivered, confirmed
        foreach (var o in new[] { o2, o3, o5 })
        {
            await Post(shop.Merchant, $"/v1/orders/{o}/ship", new { trackingNumber = "SF" + o[..6] });
            await Post(shop.Merchant, $"/v1/orders/{o}/delivery");
        }
        await Post(c["b4"], $"/v1/orders/{o2}/confirm");
        await Post(c["b5"], $"/v1/orders/{o5}/confirm");
        // The merchant refunds the return (a buyer goes through an after-sale case).
        await Post(shop.Merchant, $"/v1/orders/{o3}/refunds", new { amount = 6000, reason = "does not fit" }, key: "return-1");

        // t0+30: P1 cut from 15.00 to 12.00 yuan; t0+40: the first order at the new price.
        api.Clock.Advance(TimeSpan.FromMinutes(21));
        await HttpShop.Ok(shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{p1}/price", new { livePrice = 1200 }));
        api.Clock.Advance(TimeSpan.FromMinutes(10));
        await OrderAsync(shop, c["b6"], "o6", p1, 1);                    // o6: 1200 paid
        // t0+45: two more viewers who never buy.
        api.Clock.Advance(TimeSpan.FromMinutes(5));
        foreach (var b in new[] { "l1", "l2" }) await HttpShop.Ok(c[b].PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
        // t0+65 (21:05 local): b1 buys again, within 48 h of o1.
        api.Clock.Advance(TimeSpan.FromMinutes(20));
        await OrderAsync(shop, c["b1"], "o7", p2, 1);                    // o7: 3000 paid, hour 21
        // t0+72h+10m (20:10 local, three days later): b4 buys again, outside 48 h.
        api.Clock.Advance(TimeSpan.FromHours(72) - TimeSpan.FromMinutes(55));
        await OrderAsync(shop, c["b4"], "o8", p1, 2);                    // o8: 2 x 1200 = 2400 paid

        var admin = shop.Admin;
        var roomUrl = $"/v1/analytics/rooms/{shop.RoomId}";
        var room = await Eventually(() => Get(admin, roomUrl), r =>
            L(r, "views") == 8 && L(r.GetProperty("funnel"), "paid") == 7 && L(r.GetProperty("funnel"), "confirmed") == 2 && L(r, "refundedAmount") == 6000);
        AssertRoom(room);

        var streamerUrl = $"/v1/analytics/streamers/{shop.StreamerId}";
        var streamer = await Eventually(() => Get(shop.Streamer, streamerUrl), s =>
            L(s, "views") == 8 && L(s.GetProperty("funnel"), "paid") == 7 && L(s.GetProperty("retention"), "returnedOrders") == 1 && L(s, "refundedAmount") == 6000);
        AssertOwner(streamer);
        var merchantUrl = $"/v1/analytics/merchants/{shop.MerchantId}";
        var merchant = await Eventually(() => Get(shop.Merchant, merchantUrl), m =>
            L(m.GetProperty("funnel"), "paid") == 7 && L(m.GetProperty("retention"), "returnedOrders") == 1 && L(m, "refundedAmount") == 6000);
        AssertOwner(merchant);
        AssertMerchant(merchant);
        var platform = await Eventually(() => Get(admin, "/v1/analytics/platform"), p => L(p, "views") == 8 && L(p, "paid") == 7);
        AssertPlatform(platform);

        // ---- authorization --------------------------------------------------------------------------
        var stranger = await api.ClientAs(shop.Prefix + "-other", "merchant");
        var otherStreamer = await api.ClientAs(shop.Prefix + "-s2", "streamer");
        await Get(stranger, merchantUrl, HttpStatusCode.Forbidden);
        await Get(stranger, roomUrl, HttpStatusCode.Forbidden);
        await Get(otherStreamer, streamerUrl, HttpStatusCode.Forbidden);
        await Get(c["b1"], roomUrl, HttpStatusCode.Forbidden);
        await Get(shop.Merchant, "/v1/analytics/platform", HttpStatusCode.Forbidden);
        await Get(shop.Merchant, "/v1/analytics/dormant-buyers", HttpStatusCode.Forbidden);
        await Get(c["b2"], $"/v1/analytics/buyers/{Id("b1")}/lifetime-value", HttpStatusCode.Forbidden);
        await Get(admin, "/v1/analytics/rooms/no-such-room", HttpStatusCode.NotFound);
        await Get(admin, "/v1/analytics/dormant-buyers?limit=500", HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.Forbidden, (await shop.Merchant.PostAsync("/v1/admin/analytics/rebuild", null)).StatusCode);
        // The merchant's view of the room shows its own products (here all of them).
        Assert.Equal(3, (await Get(shop.Merchant, roomUrl)).GetProperty("products").GetArrayLength());

        // ---- lifetime value -------------------------------------------------------------------------
        var clv = await Get(c["b1"], $"/v1/analytics/buyers/{Id("b1")}/lifetime-value?weeks=26");
        Assert.Equal((2, 4500L, 26), (clv.GetProperty("paidOrders").GetInt32(), L(clv, "totalPaid"), clv.GetProperty("horizonWeeks").GetInt32()));
        Assert.True(D(clv, "expectedPurchases") > 0 && L(clv, "predictedValue") > 0);
        Assert.True(clv.GetProperty("parameters").GetProperty("defaults").GetBoolean()); // 5 buyers: too few to fit
        var returned = await Get(admin, $"/v1/analytics/buyers/{Id("b2")}/lifetime-value");
        Assert.Equal((1, 6000L), (returned.GetProperty("paidOrders").GetInt32(), L(returned, "totalRefunded")));
        var never = await Get(admin, $"/v1/analytics/buyers/{Id("l1")}/lifetime-value");
        Assert.Equal((0, 0L), (never.GetProperty("paidOrders").GetInt32(), L(never, "predictedValue")));

        // ---- rebuild from durable order state: same answers, twice --------------------------------------
        var roomBefore = Strip(room);
        for (var run = 0; run < 2; run++)
        {
            var result = await Post(admin, "/v1/admin/analytics/rebuild");
            Assert.Equal((8, 8), (result.GetProperty("buyers").GetInt32(), result.GetProperty("orders").GetInt32()));
            var rebuilt = await Get(admin, roomUrl);
            AssertRoom(rebuilt);
            Assert.Equal(roomBefore, Strip(rebuilt));
            AssertOwner(await Get(admin, streamerUrl));
            var m = await Get(admin, merchantUrl);
            AssertOwner(m);
            AssertMerchant(m);
            AssertPlatform(await Get(admin, "/v1/analytics/platform"));
        }

        // ---- dormant buyers: 181 days later every paying buyer is dormant, oldest purchase first --------
        Assert.Equal(0, (await Get(admin, "/v1/analytics/dormant-buyers")).GetProperty("total").GetInt32());
        api.Clock.Advance(TimeSpan.FromDays(181));
        var page1 = await Get(admin, "/v1/analytics/dormant-buyers?offset=0&limit=2");
        Assert.Equal((5, 180), (page1.GetProperty("total").GetInt32(), page1.GetProperty("dormantDays").GetInt32()));
        Assert.Equal([Id("b2"), Id("b5")], page1.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("buyerId").GetString()!).ToArray());
        var page2 = await Get(admin, "/v1/analytics/dormant-buyers?offset=2&limit=10");
        var items = page2.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([Id("b6"), Id("b1"), Id("b4")], items.Select(i => i.GetProperty("buyerId").GetString()!).ToArray());
        var b1 = items[1];
        Assert.Equal(("Chengdu", 2, 4500L), (b1.GetProperty("city").GetString(), b1.GetProperty("paidOrders").GetInt32(), L(b1, "totalPaid")));
        Assert.Equal([shop.StreamerId], b1.GetProperty("following").EnumerateArray().Select(f => f.GetString()!).ToArray());
        Assert.Empty(items[0].GetProperty("following").EnumerateArray());
    }

    private static string Strip(JsonElement room) =>
        JsonSerializer.Serialize(room.EnumerateObject().Where(p => p.Name != "rebuiltAt").ToDictionary(p => p.Name, p => p.Value));

    /// <summary>
    /// Room, by hand: views 8 (6 at 20:00, 2 at 20:45). Orders placed 8 (o1..o8), paid 7 (all but o4),
    /// confirmed 2 (o2, o5). Gross GMV 1500+3000+6000+8000+1200+3000+2400 = 25100 fen; refunded 6000; net 19100.
    /// GPM = 25100 × 1000 / 8 = 3137500 fen = 31375 yuan per thousand views.
    /// </summary>
    private static void AssertRoom(JsonElement r)
    {
        Assert.Equal((8L, 0L, 25100L, 6000L, 19100L), (L(r, "views"), L(r, "unattributedViews"), L(r, "gmv"), L(r, "refundedAmount"), L(r, "netGmv")));
        Assert.Equal((3137500.0, 31375.0), (D(r, "gpmFen"), D(r, "gpmYuan")));
        var f = r.GetProperty("funnel");
        Assert.Equal((8L, 8L, 7L, 2L), (L(f, "views"), L(f, "placed"), L(f, "paid"), L(f, "confirmed")));
        // placed/views 8/8, paid/placed 7/8, confirmed/paid 2/7, paid/views 7/8
        Assert.Equal((1.0, 0.875, 0.2857, 0.875), (D(f, "orderRate"), D(f, "paymentRate"), D(f, "confirmationRate"), D(f, "conversion")));

        // Hour 20: all 8 views, o1-o6 and o8 (7 placed, 6 paid: 22100 fen), conversion 6/8. Hour 21: o7 only.
        var h20 = Row(r, "byHour", "hour", "20");
        Assert.Equal((8L, 7L, 6L, 2L, 22100L, 0.75), (L(h20, "views"), L(h20, "placed"), L(h20, "paid"), L(h20, "confirmed"), L(h20, "gmv"), D(h20, "conversion")));
        var h21 = Row(r, "byHour", "hour", "21");
        Assert.Equal((0L, 1L, 1L, 3000L), (L(h21, "views"), L(h21, "placed"), L(h21, "paid"), L(h21, "gmv")));
        Assert.Equal(24, r.GetProperty("byHour").GetArrayLength());

        // Cities: Chengdu 3 viewers, o1 o3 o4 o7 (3 paid, 10500); Hangzhou 2 viewers, o2 o5 o8 (3 paid, 13400);
        // Linyi 3 viewers, o6 (1200).
        var chengdu = Row(r, "byCity", "city", "Chengdu");
        Assert.Equal((3L, 4L, 3L, 10500L, 1.0), (L(chengdu, "views"), L(chengdu, "placed"), L(chengdu, "paid"), L(chengdu, "gmv"), D(chengdu, "conversion")));
        var hangzhou = Row(r, "byCity", "city", "Hangzhou");
        Assert.Equal((2L, 3L, 3L, 13400L, 1.5), (L(hangzhou, "views"), L(hangzhou, "placed"), L(hangzhou, "paid"), L(hangzhou, "gmv"), D(hangzhou, "conversion")));
        var linyi = Row(r, "byCity", "city", "Linyi");
        Assert.Equal((3L, 1L, 1L, 1200L, 0.3333), (L(linyi, "views"), L(linyi, "placed"), L(linyi, "paid"), L(linyi, "gmv"), D(linyi, "conversion")));

        // Bands. < 20: P1's segments, 15.00 (6 views: those before the first 12.00 order) and 12.00 (2 views),
        // o1 o2 o6 o8 paid (8100): 4/8. 20-50: P2 (one price, all 8 views), o3 o7: 2/8. > 50: P3, o5 paid of o4 o5: 1/8.
        var low = Row(r, "priceBands", "band", "under20");
        Assert.Equal((8L, 4L, 4L, 8100L, 0.5), (L(low, "offerViews"), L(low, "placed"), L(low, "paid"), L(low, "gmv"), D(low, "conversion")));
        var mid = Row(r, "priceBands", "band", "from20To50");
        Assert.Equal((8L, 2L, 2L, 9000L, 0.25), (L(mid, "offerViews"), L(mid, "placed"), L(mid, "paid"), L(mid, "gmv"), D(mid, "conversion")));
        var high = Row(r, "priceBands", "band", "over50");
        Assert.Equal((8L, 2L, 1L, 8000L, 0.125), (L(high, "offerViews"), L(high, "placed"), L(high, "paid"), L(high, "gmv"), D(high, "conversion")));

        // The P1 price cut: before 2 paid / 6 views, after 2 paid / 2 views; (1 / (1/3) − 1) / 3 yuan = +66.67% per yuan.
        var p1 = r.GetProperty("products").EnumerateArray().Single(p => p.GetProperty("priceSegments").GetArrayLength() == 2);
        var segments = p1.GetProperty("priceSegments").EnumerateArray().ToList();
        Assert.Equal((1500L, 6L, 2L, 1200L, 2L, 2L), (L(segments[0], "unitPrice"), L(segments[0], "views"), L(segments[0], "paid"),
            L(segments[1], "unitPrice"), L(segments[1], "views"), L(segments[1], "paid")));
        var change = p1.GetProperty("priceChanges").EnumerateArray().Single();
        Assert.Equal((1500L, 1200L, 0.3333, 1.0, 0.6667, 0.6667), (L(change, "fromPrice"), L(change, "toPrice"), D(change, "conversionBefore"),
            D(change, "conversionAfter"), D(change, "conversionChange"), D(change, "relativeChangePerYuanCut")));
        var pf = p1.GetProperty("funnel");
        Assert.Equal((8L, 4L, 4L, 8100L, 0.5), (L(pf, "views"), L(pf, "placed"), L(pf, "paid"), L(pf, "gmv"), D(pf, "conversion")));
    }

    /// <summary>
    /// Streamer and merchant: the same 8 views, 7 paid, 25100 gross. Buyers with a paid order: b1 b2 b4 b5 b6 = 5;
    /// 48-hour repurchasers: b1 (o1 and o7, one hour apart); b4's second order is 72 h after its first: 1/5.
    /// Delivered: o2 o3 o5; returned after delivery: o3: 1/3.
    /// </summary>
    private static void AssertOwner(JsonElement s)
    {
        Assert.Equal((8L, 25100L, 6000L, 19100L, 3137500.0), (L(s, "views"), L(s, "gmv"), L(s, "refundedAmount"), L(s, "netGmv"), D(s, "gpmFen")));
        var f = s.GetProperty("funnel");
        Assert.Equal((8L, 7L, 2L, 0.875), (L(f, "placed"), L(f, "paid"), L(f, "confirmed"), D(f, "conversion")));
        var t = s.GetProperty("retention");
        Assert.Equal((5L, 1L, 0.2, 3L, 1L, 0.3333, 48.0), (L(t, "buyers"), L(t, "repurchasers"), D(t, "repurchaseRate"), L(t, "deliveredOrders"),
            L(t, "returnedOrders"), D(t, "returnRate"), D(t, "repurchaseWindowHours")));
        var room = s.GetProperty("rooms").EnumerateArray().Single();
        Assert.Equal((8L, 7L, 25100L), (L(room, "views"), L(room, "paid"), L(room, "gmv")));
    }

    private static void AssertMerchant(JsonElement m)
    {
        var h20 = Row(m, "byHour", "hour", "20");
        Assert.Equal((8L, 7L, 6L, 0.75), (L(h20, "views"), L(h20, "placed"), L(h20, "paid"), D(h20, "conversion")));
        var low = Row(m, "priceBands", "band", "under20");
        Assert.Equal((8L, 4L, 0.5), (L(low, "offerViews"), L(low, "paid"), D(low, "conversion")));
        var hangzhou = Row(m, "byCity", "city", "Hangzhou");
        Assert.Equal((2L, 3L, 1.5), (L(hangzhou, "views"), L(hangzhou, "paid"), D(hangzhou, "conversion")));
        Assert.Equal(3, m.GetProperty("products").GetArrayLength());
    }

    /// <summary>Platform: the same 8 views and orders; the response table cell (< 20, 20:00, Hangzhou) holds o2 and o8.</summary>
    private static void AssertPlatform(JsonElement p)
    {
        Assert.Equal((8L, 8L, 7L, 25100L, 0.875), (L(p, "views"), L(p, "placed"), L(p, "paid"), L(p, "gmv"), D(p, "conversion")));
        var h20 = Row(p, "byHour", "hour", "20");
        Assert.Equal((8L, 7L, 6L, 2L, 0.75), (L(h20, "views"), L(h20, "placed"), L(h20, "paid"), L(h20, "confirmed"), D(h20, "conversion")));
        var linyi = Row(p, "byCity", "city", "Linyi");
        Assert.Equal((3L, 1L, 0.3333), (L(linyi, "views"), L(linyi, "paid"), D(linyi, "conversion")));
        var cell = p.GetProperty("responseTable").EnumerateArray()
            .Single(c => c.GetProperty("band").GetString() == "under20" && c.GetProperty("hour").GetInt32() == 20 && c.GetProperty("city").GetString() == "Hangzhou");
        Assert.Equal((2L, 2L, 5400L), (L(cell, "placed"), L(cell, "paid"), L(cell, "gmv")));
    }
}
