using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace LiveCommerce.LoadTest;

/// <summary>The shops, rooms and buyers a run creates (ids are scoped to the run), and what it was told happened.</summary>
public sealed class World
{
    public static readonly string[] Cities = ["Hangzhou", "Chengdu", "Linyi", "Shanghai", "Guangzhou"];

    public string Run { get; } = "lt" + DateTime.UtcNow.ToString("MMddHHmmss") + Random.Shared.Next(100, 999);
    public List<RoomInfo> Rooms { get; } = [];
    public List<string> Buyers { get; } = [];
    public string Admin => Run + "-admin";
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Every order the front door acknowledged (201), once per idempotency key.</summary>
    public ConcurrentDictionary<string, string> AcknowledgedOrders { get; } = new();
    /// <summary>Orders the buyer's poll saw paid, with the <see cref="System.Diagnostics.Stopwatch"/> timestamp it did.</summary>
    public ConcurrentDictionary<string, long> PaidOrders { get; } = new();
    public ConcurrentBag<string> DuplicateAcknowledgements { get; } = [];
    private readonly ConcurrentDictionary<string, string> _keyByOrder = new();

    public sealed record RoomInfo(string RoomId, string StreamerId, string MerchantId, string ProductId, int Stock);

    public string BuyerIp(string buyerId) => Api.ClientIpOf(buyerId);

    /// <summary>Streamers, merchants, products and live rooms; buyers registered; viewers in rooms.</summary>
    public async Task SetUpAsync(Api api, Options options, int rooms, int stockPerRoom, Action<string> progress, bool flashSale = false)
    {
        for (var r = 0; r < rooms; r++)
        {
            var streamer = $"{Run}-s{r}";
            var merchant = $"{Run}-m{r}";
            var product = $"{Run}-p{r}";
            await Must(api.Send("setup", HttpMethod.Put, $"/v1/streamers/{streamer}", (streamer, "streamer"),
                new { displayName = "Streamer " + r, homeCity = Cities[r % Cities.Length] }, record: false));
            await Must(api.Send("setup", HttpMethod.Put, $"/v1/products/{product}", (merchant, "merchant"),
                new { name = "Product " + r, category = "beauty", listPrice = 12000 }, record: false));
            // The merchant's distribution offer, open to this room's streamer: 1,500 bp for the selling side, the seller
            // keeps at least 8,000 bp (with the platform's 500 bp fee it keeps exactly that).
            await Must(api.Send("setup", HttpMethod.Put, $"/v1/merchants/{merchant}/offers/{product}", (merchant, "merchant"),
                new { commissionBasisPoints = 1500, sellerFloorBasisPoints = 8000, streamerIds = new[] { streamer } }, record: false));
            var room = await Must(api.Send("setup", HttpMethod.Post, "/v1/rooms", (streamer, "streamer"),
                new { title = "Evening " + r, city = Cities[r % Cities.Length] }, idempotencyKey: $"room-{r}", record: false));
            var roomId = room.Body.GetProperty("roomId").GetString()!;
            await Must(api.Send("setup", HttpMethod.Put, $"/v1/rooms/{roomId}/shelf/{product}", (streamer, "streamer"), new
            {
                livePrice = 9900, stock = stockPerRoom, perOrderLimit = 5, flashSale,
                // The streamer divides the offer's commission: 1,000 bp for itself, 500 bp for its distributor.
                splitPlan = new
                {
                    shares = new object[]
                    {
                        new { role = "streamer", accountId = streamer, basisPoints = 1000 },
                        new { role = "distributor", accountId = $"{Run}-d{r}", basisPoints = 500, level = 1 },
                    },
                },
            }, record: false));
            await Must(api.Send("setup", HttpMethod.Post, $"/v1/rooms/{roomId}/start", (streamer, "streamer"), record: false));
            Rooms.Add(new RoomInfo(roomId, streamer, merchant, product, stockPerRoom));
        }
        progress($"{rooms} room(s) live");

        Buyers.AddRange(Enumerable.Range(0, options.Buyers).Select(i => $"{Run}-b{i}"));
        var registered = 0;
        await Parallel.ForEachAsync(Buyers, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (buyer, _) =>
        {
            await Must(api.Send("setup", HttpMethod.Put, $"/v1/buyers/{buyer}", (buyer, "buyer"),
                new { city = Cities[Math.Abs(buyer.GetHashCode(StringComparison.Ordinal)) % Cities.Length] }, record: false));
            // The products ship, so an order needs an address: each buyer gets a default one.
            await Must(api.Send("setup", HttpMethod.Post, $"/v1/buyers/{buyer}/addresses", (buyer, "buyer"),
                new { recipient = buyer, phone = "13800138000", province = "Zhejiang", city = "Hangzhou", district = "Xihu", detail = "1 West Lake Road" },
                idempotencyKey: "home", record: false));
            if (Interlocked.Increment(ref registered) % 5000 == 0) progress($"{registered} buyers registered");
        });
        progress($"{Buyers.Count} buyers registered");
    }

    public async Task JoinViewersAsync(Api api, int viewers, Func<int, RoomInfo> roomFor)
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, Math.Min(viewers, Buyers.Count)), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
        {
            await api.Send("join", HttpMethod.Post, $"/v1/rooms/{roomFor(i).RoomId}/viewers", (Buyers[i], "buyer"), clientIp: BuyerIp(Buyers[i]));
        });
    }

    public void Acknowledge(string idempotencyKey, Reply reply)
    {
        if (reply.Status != HttpStatusCode.Created) return;
        var orderId = reply.Body.GetProperty("orderId").GetString()!;
        // Two different keys acknowledged with one order id would be one order counted twice.
        if (_keyByOrder.GetOrAdd(orderId, idempotencyKey) != idempotencyKey) DuplicateAcknowledgements.Add(orderId);
        AcknowledgedOrders[idempotencyKey] = orderId;
    }

    public static async Task<Reply> Must(Task<Reply> call)
    {
        var reply = await call;
        if (!reply.Ok) throw new InvalidOperationException($"setup call failed: {reply.Error} {reply.Body}");
        return reply;
    }

    public static string OrderId(JsonElement body) => body.GetProperty("orderId").GetString()!;
}
