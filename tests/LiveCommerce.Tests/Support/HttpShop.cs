using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LiveCommerce.Tests.Support;

/// <summary>A live room set up through HTTP: a streamer, a merchant with one product on the shelf, and an admin.</summary>
public sealed class HttpShop
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private HttpShop(ApiFactory api, string prefix) { Api = api; Prefix = prefix; }

    public ApiFactory Api { get; }
    public string Prefix { get; }
    public string StreamerId => Prefix + "-s";
    public string MerchantId => Prefix + "-m";
    public string ProductId => Prefix + "-p";
    public string RoomId { get; private set; } = "";
    public HttpClient Streamer { get; private set; } = null!;
    public HttpClient Merchant { get; private set; } = null!;
    public HttpClient Admin { get; private set; } = null!;

    public object SixLevelPlan() => new
    {
        shares = new object[]
        {
            new { role = "seller", accountId = MerchantId, basisPoints = 5000 },
            new { role = "streamer", accountId = StreamerId, basisPoints = 1500 },
            new { role = "platform", accountId = "platform", basisPoints = 500 },
            new { role = "distributor", accountId = Prefix + "-d1", basisPoints = 1000, level = 1 },
            new { role = "distributor", accountId = Prefix + "-d2", basisPoints = 800, level = 2 },
            new { role = "distributor", accountId = Prefix + "-d3", basisPoints = 500, level = 3 },
            new { role = "distributor", accountId = Prefix + "-d4", basisPoints = 300, level = 4 },
            new { role = "distributor", accountId = Prefix + "-d5", basisPoints = 250, level = 5 },
            new { role = "distributor", accountId = Prefix + "-d6", basisPoints = 150, level = 6 },
        },
    };

    public static async Task<HttpShop> OpenAsync(ApiFactory api, int stock = 100, long livePrice = 9900, int? perOrderLimit = null, bool startLive = true)
    {
        var shop = new HttpShop(api, "h" + Guid.NewGuid().ToString("N")[..8]);
        shop.Streamer = await api.ClientAs(shop.StreamerId, "streamer");
        shop.Merchant = await api.ClientAs(shop.MerchantId, "merchant");
        shop.Admin = await api.ClientAs(shop.Prefix + "-admin", "admin");
        await Ok(shop.Streamer.PutAsJsonAsync($"/v1/streamers/{shop.StreamerId}", new { displayName = "Streamer", homeCity = "Hangzhou" }));
        await Ok(shop.Merchant.PutAsJsonAsync($"/v1/products/{shop.ProductId}", new { name = "Face cream", category = "beauty", listPrice = livePrice + livePrice / 5 }));
        await shop.PublishOfferAsync(shop.ProductId);
        var open = new HttpRequestMessage(HttpMethod.Post, "/v1/rooms") { Content = JsonContent.Create(new { title = "Evening show", city = "Hangzhou" }) };
        open.Headers.Add("Idempotency-Key", shop.Prefix);
        var room = await Read(await shop.Streamer.SendAsync(open), HttpStatusCode.Created);
        shop.RoomId = room.GetProperty("roomId").GetString()!;
        await Ok(shop.Streamer.PutAsJsonAsync($"/v1/rooms/{shop.RoomId}/shelf/{shop.ProductId}",
            new { livePrice, stock, splitPlan = shop.SixLevelPlan(), perOrderLimit }));
        if (startLive) await Ok(shop.Streamer.PostAsync($"/v1/rooms/{shop.RoomId}/start", null));
        return shop;
    }

    /// <summary>
    /// The merchant publishes a distribution offer for one of its products, open to this shop's streamer. The defaults
    /// fit <see cref="SixLevelPlan"/>: a 4,500 bp commission for the selling side, the seller keeps 5,000 bp (the
    /// platform fee is 500 bp).
    /// </summary>
    public Task<JsonElement> PublishOfferAsync(string productId, int commissionBasisPoints = 4500, int sellerFloorBasisPoints = 5000) =>
        Ok(Merchant.PutAsJsonAsync($"/v1/merchants/{MerchantId}/offers/{productId}",
            new { commissionBasisPoints, sellerFloorBasisPoints, streamerIds = new[] { StreamerId } }));

    public async Task<HttpClient> BuyerAsync(string name, string city = "Hangzhou")
    {
        var id = $"{Prefix}-{name}";
        var client = await Api.ClientAs(id, "buyer");
        await Ok(client.PutAsJsonAsync($"/v1/buyers/{id}", new { city }));
        // Physical goods ship: every buyer of the shop has a default address (its phone is 138 + 8 digits of the name's hash).
        var address = new HttpRequestMessage(HttpMethod.Post, $"/v1/buyers/{id}/addresses") { Content = JsonContent.Create(AddressOf(name, city)) };
        address.Headers.Add("Idempotency-Key", "home");
        await Read(await client.SendAsync(address), HttpStatusCode.Created);
        return client;
    }

    public static object AddressOf(string name, string city = "Hangzhou") => new
    {
        recipient = "Recipient " + name, phone = PhoneOf(name), province = "Zhejiang", city, district = "Xihu", detail = "1 West Lake Road",
    };

    public static string PhoneOf(string name) => "138" + ((uint)LiveCommerce.Contracts.Events.EventStreams.StableHash(name) % 100_000_000).ToString("D8");

    public Task<HttpResponseMessage> PlaceAsync(HttpClient buyer, string key, int quantity = 1, string? productId = null, string? roomId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/orders")
        {
            Content = JsonContent.Create(new { roomId = roomId ?? RoomId, productId = productId ?? ProductId, quantity }),
        };
        request.Headers.Add("Idempotency-Key", key);
        return buyer.SendAsync(request);
    }

    /// <summary>Pays through the sandbox and waits for its signed callback to reach the front door.</summary>
    public async Task<JsonElement> PayAsync(HttpClient buyer, string orderId)
    {
        await Ok(buyer.PostAsync($"/v1/orders/{orderId}/payments", null));
        var deadline = Environment.TickCount64 + 15_000;
        while (true)
        {
            var order = await Read(await buyer.GetAsync($"/v1/orders/{orderId}"));
            if (order.GetProperty("status").GetString() != "pendingPayment") return order;
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"order {orderId} was not paid");
            await Task.Delay(25);
        }
    }

    public static async Task<JsonElement> Read(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task<JsonElement> Ok(Task<HttpResponseMessage> call) => await Read(await call);
}
