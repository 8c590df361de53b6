using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LiveCommerce.Tests.Support;

namespace LiveCommerce.Tests.Api;

/// <summary>
/// A seeded marketplace through HTTP: three streamers with a room each (prices in each band), 240 buyers in five
/// cities, orders with repeat purchases, deliveries and returns. The test keeps its own books of what it did and
/// checks every analytics answer against them, live and after a rebuild.
/// </summary>
public sealed class AnalyticsSeededScenarioTests(AnalyticsApiFactory api) : IClassFixture<AnalyticsApiFactory>
{
    private sealed class Books
    {
        public long Views, Placed, Paid, Gmv, Refunded;
        public readonly HashSet<string> Buyers = [];
        public int Repurchasers, Delivered, Returned;
    }

    private static long L(JsonElement e, string name) => e.GetProperty(name).GetInt64();

    [Fact]
    public async Task Hundreds_of_buyers_across_streamers_rooms_and_cities_add_up_live_and_after_rebuild()
    {
        long[] prices = [1500, 3500, 6800];
        var shops = new List<HttpShop>();
        foreach (var price in prices) shops.Add(await HttpShop.OpenAsync(api, stock: 2000, livePrice: price));
        string[] cities = ["Chengdu", "Linyi", "Hangzhou", "Nanning", "Ganzhou"];
        var books = shops.Select(_ => new Books()).ToArray();
        var gate = new object();

        async Task BuyerLife(int i)
        {
            var s = i % 3;
            var j = i / 3; // the buyer's index within its room
            var shop = shops[s];
            var book = books[s];
            var random = new Random(1000 + i);
            var buyer = await shop.BuyerAsync("c" + i, cities[i % cities.Length]);
            await HttpShop.Ok(buyer.PostAsync($"/v1/rooms/{shop.RoomId}/viewers", null));
            lock (gate) book.Views++;
            if (random.NextDouble() >= 0.7) return;
            var quantity = 1 + i % 2;
            var placed = await HttpShop.Read(await shop.PlaceAsync(buyer, "k1", quantity), HttpStatusCode.Created);
            var orderId = placed.GetProperty("orderId").GetString()!;
            lock (gate) book.Placed++;
            if (random.NextDouble() >= 0.85)
            {
                await HttpShop.Ok(buyer.PostAsync($"/v1/orders/{orderId}/cancel", null));
                return;
            }
            await shop.PayAsync(buyer, orderId);
            var amount = prices[s] * quantity;
            lock (gate)
            {
                book.Paid++;
                book.Gmv += amount;
                book.Buyers.Add(shop.Prefix + "-c" + i);
            }
            if (j % 4 == 0)
            {
                var again = await HttpShop.Read(await shop.PlaceAsync(buyer, "k2", 1), HttpStatusCode.Created);
                await shop.PayAsync(buyer, again.GetProperty("orderId").GetString()!);
                lock (gate) { book.Placed++; book.Paid++; book.Gmv += prices[s]; book.Repurchasers++; }
            }
            if (j % 3 == 0)
            {
                await HttpShop.Ok(shop.Merchant.PostAsync($"/v1/orders/{orderId}/ship", JsonContent.Create(new { trackingNumber = "T" + i })));
                await HttpShop.Ok(shop.Merchant.PostAsync($"/v1/orders/{orderId}/delivery", null));
                lock (gate) book.Delivered++;
                if (j % 6 == 0)
                {
                    var refund = new HttpRequestMessage(HttpMethod.Post, $"/v1/orders/{orderId}/refunds") { Content = JsonContent.Create(new { amount, reason = "return" }) };
                    refund.Headers.Add("Idempotency-Key", "ret-" + i);
                    await HttpShop.Ok(shop.Merchant.SendAsync(refund)); // the merchant refunds the return
                    lock (gate) { book.Returned++; book.Refunded += amount; }
                }
            }
        }

        foreach (var chunk in Enumerable.Range(0, 240).Chunk(24)) await Task.WhenAll(chunk.Select(BuyerLife));

        var admin = shops[0].Admin;
        async Task<JsonElement> Room(int s) => await HttpShop.Ok(admin.GetAsync($"/v1/analytics/rooms/{shops[s].RoomId}"));
        async Task<JsonElement> Streamer(int s) => await HttpShop.Ok(admin.GetAsync($"/v1/analytics/streamers/{shops[s].StreamerId}"));

        async Task CheckAsync(bool waitForConvergence)
        {
            for (var s = 0; s < 3; s++)
            {
                var b = books[s];
                var deadline = Environment.TickCount64 + (waitForConvergence ? 20_000 : 0);
                JsonElement room, streamer;
                while (true)
                {
                    room = await Room(s);
                    streamer = await Streamer(s);
                    var t = streamer.GetProperty("retention");
                    var converged = L(room, "views") == b.Views && L(room.GetProperty("funnel"), "paid") == b.Paid && L(room, "refundedAmount") == b.Refunded
                                    && L(t, "returnedOrders") == b.Returned && L(t, "repurchasers") == b.Repurchasers && L(streamer, "refundedAmount") == b.Refunded
                                    // Room and streamer hear each event on their own streams: wait for both.
                                    && L(streamer, "views") == b.Views && L(streamer.GetProperty("funnel"), "paid") == b.Paid && L(streamer, "gmv") == b.Gmv;
                    if (converged || Environment.TickCount64 > deadline) break;
                    await Task.Delay(100);
                }
                Assert.Equal((b.Views, b.Placed, b.Paid, b.Gmv, b.Refunded),
                    (L(room, "views"), L(room.GetProperty("funnel"), "placed"), L(room.GetProperty("funnel"), "paid"), L(room, "gmv"), L(room, "refundedAmount")));
                Assert.Equal(Math.Round(b.Gmv * 1000.0 / b.Views, 2), room.GetProperty("gpmFen").GetDouble());
                Assert.Equal((b.Views, b.Paid, b.Gmv), (L(streamer, "views"), L(streamer.GetProperty("funnel"), "paid"), L(streamer, "gmv")));
                var r = streamer.GetProperty("retention");
                Assert.Equal((b.Buyers.Count, b.Repurchasers, b.Delivered, b.Returned),
                    ((int)L(r, "buyers"), (int)L(r, "repurchasers"), (int)L(r, "deliveredOrders"), (int)L(r, "returnedOrders")));
                Assert.True(b.Repurchasers > 0 && b.Returned > 0, "the seed has repurchases and returns in every room");
                // One product per room, one price: the room's band holds every paid order.
                var band = room.GetProperty("priceBands").EnumerateArray().Single(x => L(x, "paid") > 0);
                Assert.Equal((b.Paid, b.Views), (L(band, "paid"), L(band, "offerViews")));
                var cityViews = room.GetProperty("byCity").EnumerateArray().Sum(c => L(c, "views"));
                Assert.Equal(b.Views, cityViews);
            }
            var platform = await HttpShop.Ok(admin.GetAsync("/v1/analytics/platform"));
            var deadlineP = Environment.TickCount64 + 20_000;
            while (L(platform, "views") != books.Sum(b => b.Views) && Environment.TickCount64 < deadlineP)
            {
                await Task.Delay(100);
                platform = await HttpShop.Ok(admin.GetAsync("/v1/analytics/platform"));
            }
            Assert.Equal((books.Sum(b => b.Views), books.Sum(b => b.Placed), books.Sum(b => b.Paid), books.Sum(b => b.Gmv)),
                (L(platform, "views"), L(platform, "placed"), L(platform, "paid"), L(platform, "gmv")));
            Assert.Equal(5, platform.GetProperty("byCity").GetArrayLength());
            Assert.Equal(books.Sum(b => b.Paid), platform.GetProperty("responseTable").EnumerateArray().Sum(c => L(c, "paid")));
            Assert.Equal(3, platform.GetProperty("priceBands").EnumerateArray().Count(x => L(x, "paid") > 0));
        }

        await CheckAsync(waitForConvergence: true);
        var rebuild = await HttpShop.Ok(admin.PostAsync("/v1/admin/analytics/rebuild", null));
        Assert.Equal(240, rebuild.GetProperty("buyers").GetInt32());
        Assert.Equal(books.Sum(b => b.Placed), rebuild.GetProperty("orders").GetInt32());
        await CheckAsync(waitForConvergence: false);

        // With 240 buyers the lifetime model is fitted per shard (about 30 buyers each) or falls back to defaults;
        // either way a repeat buyer is worth more than a one-order buyer of the same room.
        var repeat = Enumerable.Range(0, 240).First(i => i / 3 % 4 == 0 && books[i % 3].Buyers.Contains(shops[i % 3].Prefix + "-c" + i) && i / 3 % 6 != 0);
        var clv = await HttpShop.Ok(admin.GetAsync($"/v1/analytics/buyers/{shops[repeat % 3].Prefix}-c{repeat}/lifetime-value"));
        Assert.Equal(2, clv.GetProperty("paidOrders").GetInt32());
        Assert.True(L(clv, "predictedValue") > 0);
    }
}
