using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Tests.Support;
using static LiveCommerce.Tests.Support.HttpShop;

namespace LiveCommerce.Tests.Traffic;

/// <summary>
/// Trust scores from real events, and the feed, through HTTP: three streamers sell the same product to the same
/// buyers; one of them gets returns.
/// </summary>
public sealed class TrafficHttpTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static async Task<JsonElement> Eventually(Func<Task<JsonElement>> read, Func<JsonElement, bool> done)
    {
        var deadline = Environment.TickCount64 + 20_000;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (Environment.TickCount64 > deadline) throw new TimeoutException("not reached: " + value);
            await Task.Delay(100);
        }
    }

    private static JsonElement Component(JsonElement score, string name) =>
        score.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Trust_follows_the_events_a_streamer_with_more_returns_ranks_lower_and_the_feed_mixes_pools()
    {
        var a = await OpenAsync(api, stock: 100, livePrice: 3000);
        var b = await OpenAsync(api, stock: 100, livePrice: 3000);
        var c = await OpenAsync(api, stock: 100, livePrice: 3000);
        var shops = new[] { a, b, c };
        var buyers = new List<(HttpClient Client, string Id)>();
        for (var i = 0; i < 20; i++) buyers.Add((await a.BuyerAsync("t" + i, i % 2 == 0 ? "Hangzhou" : "Chengdu"), $"{a.Prefix}-t{i}"));

        // Identical sessions: everybody watches, likes and buys once in each room; all orders are delivered.
        foreach (var (client, id) in buyers)
        {
            foreach (var shop in shops)
            {
                await Ok(client.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
                await Read(await client.PostAsJsonAsync($"/v1/rooms/{shop.RoomId}/likes", new { count = 3 }), HttpStatusCode.Accepted);
                var orderId = (await Read(await shop.PlaceAsync(client, id + shop.Prefix), HttpStatusCode.Created)).GetProperty("orderId").GetString()!;
                await shop.PayAsync(client, orderId);
                await Ok(shop.Merchant.PostAsJsonAsync($"/v1/orders/{orderId}/ship", new { }));
                await Ok(shop.Merchant.PostAsync($"/v1/orders/{orderId}/delivery", null));
                // B's customers send back every other order.
                if (shop == b && buyers.FindIndex(x => x.Id == id) % 2 == 0)
                {
                    var refund = new HttpRequestMessage(HttpMethod.Post, $"/v1/orders/{orderId}/refunds") { Content = JsonContent.Create(new { amount = 3000, reason = "faded after one wash" }) };
                    refund.Headers.Add("Idempotency-Key", "return-" + orderId);
                    await Ok(shop.Merchant.SendAsync(refund)); // the merchant refunds the return
                }
            }
        }

        var admin = a.Admin;
        async Task<JsonElement> Trust(HttpShop s) => await Ok(admin.GetAsync($"/v1/streamers/{s.StreamerId}/trust"));
        // The streamers read their rooms' events from their streams: wait until every delivery is counted.
        var scores = new List<JsonElement>();
        foreach (var shop in shops)
            scores.Add(await Eventually(() => Trust(shop), s => Component(s, "returns").GetProperty("basis").GetString()!.Contains("of 20 delivered")
                && Component(s, "interaction").GetProperty("basis").GetString()!.StartsWith("20 interacting")));

        var (trustA, trustB, trustC) = (scores[0], scores[1], scores[2]);
        Assert.Contains("10 returns of 20 delivered", Component(trustB, "returns").GetProperty("basis").GetString());
        Assert.True(trustB.GetProperty("basePart").GetDouble() < trustA.GetProperty("basePart").GetDouble());
        Assert.Equal(trustA.GetProperty("basePart").GetDouble(), trustC.GetProperty("basePart").GetDouble());
        // interaction 20/20 × 30 + returns (0 + 1)/(20 + 10) → 0.9667 × 25; no repurchase.
        Assert.Equal(30 + Math.Round((1 - 1.0 / 30) * 25, 2), trustA.GetProperty("basePart").GetDouble(), 2);
        Assert.Equal(30 + Math.Round((1 - 11.0 / 30) * 25, 2), trustB.GetProperty("basePart").GetDouble(), 2);

        // The viewer part: a Hangzhou viewer gets the same-city points for these Hangzhou streamers.
        var viewer = buyers[0];
        var personal = await Ok(viewer.Client.GetAsync($"/v1/streamers/{a.StreamerId}/trust?viewerId={viewer.Id}"));
        Assert.Equal(15, Component(personal, "sameCity").GetProperty("points").GetDouble());
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.Client.GetAsync($"/v1/streamers/{a.StreamerId}/trust?viewerId={buyers[1].Id}")).StatusCode);
        var history = await Ok(admin.GetAsync($"/v1/streamers/{b.StreamerId}/trust/history"));
        Assert.True(history.GetArrayLength() >= 2);

        // The trade pool re-reads streamer trust periodically (every second in tests): B's room ranks below A's and C's.
        var pool = await Eventually(() => Ok(admin.GetAsync("/v1/admin/ranking/pools/trade?limit=100")), p =>
            p.EnumerateArray().Where(e => shops.Any(s => s.RoomId == e.GetProperty("roomId").GetString()))
             .All(e => e.GetProperty("breakdown").GetProperty("trust").GetDouble() > 30));
        var order = pool.EnumerateArray().Select(e => e.GetProperty("roomId").GetString()).Where(id => shops.Any(s => s.RoomId == id)).ToList();
        Assert.Equal(b.RoomId, order.Last());

        // Ten more rooms, then a feed of 11 for a buyer following C: C first, then 10 mixed, 30–40% from the content pool.
        for (var i = 0; i < 10; i++) await OpenAsync(api, stock: 5);
        var follower = buyers[1];
        await Ok(follower.Client.PutAsync($"/v1/buyers/{follower.Id}/following/{c.StreamerId}", null));
        var feed = await Ok(follower.Client.GetAsync($"/v1/buyers/{follower.Id}/feed?size=11"));
        var entries = feed.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(11, entries.Count);
        Assert.Equal((c.RoomId, "following"), (entries[0].GetProperty("roomId").GetString(), entries[0].GetProperty("source").GetString()));
        Assert.Equal(3, entries.Skip(1).Count(e => e.GetProperty("source").GetString() == "content")); // 35% of 10: 3 and 4 tie, the lower wins
        Assert.All(entries, e => Assert.True(e.GetProperty("breakdown").EnumerateObject().Any()));

        // Operators move the mix to 40%: the change is versioned, logged with the pools' tops, and the feed follows.
        var config = await Ok(admin.GetAsync("/v1/admin/ranking/config"));
        var changed = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(config.GetRawText())!;
        changed["contentSharePercent"] = JsonSerializer.SerializeToElement(40);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("/v1/admin/ranking/config",
            changed.ToDictionary(kv => kv.Key, kv => kv.Key == "contentSharePercent" ? JsonSerializer.SerializeToElement(55) : kv.Value))).StatusCode);
        var updated = await Ok(admin.PutAsJsonAsync("/v1/admin/ranking/config", changed));
        Assert.Equal(config.GetProperty("version").GetInt64() + 1, updated.GetProperty("version").GetInt64());
        var log = (await Ok(admin.GetAsync("/v1/admin/ranking/changes")))[0];
        Assert.Equal(a.Prefix + "-admin", log.GetProperty("changedBy").GetString());
        Assert.True(log.GetProperty("tradeTopBefore").GetArrayLength() > 0 && log.GetProperty("contentTopAfter").GetArrayLength() > 0);
        var feed40 = await Ok(follower.Client.GetAsync($"/v1/buyers/{follower.Id}/feed?size=11"));
        Assert.Equal(4, feed40.GetProperty("entries").EnumerateArray().Skip(1).Count(e => e.GetProperty("source").GetString() == "content")); // 40% of 10
    }
}
