using LiveCommerce.Contracts.Offers;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Tests.Support;

/// <summary>A streamer live in a room with one product on the shelf, and helpers to buy it. Ids are unique per scenario.</summary>
public sealed class ShopScenario(IGrainFactory grains, string? prefix = null, string platformAccountId = "platform")
{
    public string Prefix { get; } = prefix ?? "t" + Guid.NewGuid().ToString("N")[..8];
    public string StreamerId => Prefix + "-streamer";
    public string MerchantId => Prefix + "-merchant";
    public string ProductId => Prefix + "-product";
    public string RoomId => Prefix + "-room";
    public string DistributorId(int level) => $"{Prefix}-d{level}";
    public ILiveRoomGrain Room => grains.GetGrain<ILiveRoomGrain>(RoomId);
    public string PlatformAccountId => platformAccountId;
    public IEnumerable<string> AccountIds => [MerchantId, StreamerId, platformAccountId, .. Enumerable.Range(1, 6).Select(DistributorId)];

    /// <summary>Seller 70%, streamer 15%, one distributor 10%, platform 5%.</summary>
    public SplitPlan DefaultPlan() => new([
        new SplitShare(PartyRole.Seller, MerchantId, 7000), new SplitShare(PartyRole.Streamer, StreamerId, 1500),
        new SplitShare(PartyRole.Distributor, DistributorId(1), 1000, 1), new SplitShare(PartyRole.Platform, platformAccountId, 500)]);

    /// <summary>Seller, streamer, platform and six distributor levels.</summary>
    public SplitPlan SixLevelPlan() => new([
        new SplitShare(PartyRole.Seller, MerchantId, 5000), new SplitShare(PartyRole.Streamer, StreamerId, 1500),
        new SplitShare(PartyRole.Platform, platformAccountId, 500),
        new SplitShare(PartyRole.Distributor, DistributorId(1), 1000, 1), new SplitShare(PartyRole.Distributor, DistributorId(2), 800, 2),
        new SplitShare(PartyRole.Distributor, DistributorId(3), 500, 3), new SplitShare(PartyRole.Distributor, DistributorId(4), 300, 4),
        new SplitShare(PartyRole.Distributor, DistributorId(5), 250, 5), new SplitShare(PartyRole.Distributor, DistributorId(6), 150, 6)]);

    public async Task SetUpAsync(int stock, long livePrice = 9900, SplitPlan? plan = null, int? perOrderLimit = null, string city = "Hangzhou",
        bool flashSale = false)
    {
        plan ??= DefaultPlan();
        await grains.GetGrain<IStreamerGrain>(StreamerId).CreateProfile(new CreateStreamerProfile("Streamer " + Prefix, city));
        // List price a sixth above the live price: a normal live discount, far from the price-deviation rule.
        await grains.GetGrain<IProductGrain>(ProductId).Create(MerchantId, new CreateProduct("Lipstick", "beauty", livePrice + livePrice / 5));
        await PublishOfferFor(plan);
        await Room.Open(StreamerId, new OpenRoom("Flash sale", city));
        await Room.ListProduct(StreamerId, new ListProduct(ProductId, livePrice, stock, plan, perOrderLimit, flashSale));
        await Room.StartLive(StreamerId);
    }

    /// <summary>
    /// The merchant publishes the offer that <paramref name="plan"/> is the listing of: its streamer and distributor
    /// shares are the commission, its seller share the floor (open to this scenario's streamer).
    /// </summary>
    public Task<OfferView> PublishOfferFor(SplitPlan plan, string? productId = null) =>
        grains.GetGrain<IDistributionOfferGrain>(productId ?? ProductId).Publish(MerchantId, new PublishOffer(
            plan.Shares.Where(s => s.Role is PartyRole.Streamer or PartyRole.Distributor).Sum(s => s.BasisPoints),
            plan.Shares.Single(s => s.Role == PartyRole.Seller).BasisPoints, false, [StreamerId]));

    public async Task<string[]> RegisterBuyersAsync(int count, string city = "Hangzhou")
    {
        var ids = Enumerable.Range(0, count).Select(i => $"{Prefix}-b{i}").ToArray();
        foreach (var chunk in ids.Chunk(200))
            await Task.WhenAll(chunk.Select(id => grains.GetGrain<IBuyerGrain>(id).Register(new RegisterBuyer(city, null))));
        // The scenario's product ships: an order of it needs an address.
        await GiveAddressesAsync(ids);
        return ids;
    }

    /// <summary>A default shipping address for each buyer: an order of physical goods without one is refused.</summary>
    public async Task GiveAddressesAsync(IEnumerable<string> buyerIds)
    {
        foreach (var chunk in buyerIds.Chunk(200))
            await Task.WhenAll(chunk.Select(id => grains.GetGrain<Contracts.Buyers.IAddressBookGrain>(id)
                .Add("home", new ShippingAddress(id, "13800138000", "Zhejiang", "Hangzhou", "Xihu", "1 Wensan Road"), makeDefault: true)));
    }

    public IOrderGrain Order(string buyerId, string key) => grains.GetGrain<IOrderGrain>(OrderIds.FromIdempotencyKey(buyerId, key));

    public Task<PlaceOrderResult> PlaceAsync(string buyerId, int quantity = 1, string key = "k1", string? clientIp = null, string? deviceId = null) =>
        Order(buyerId, key).Place(new PlaceOrder(buyerId, RoomId, ProductId, quantity, key, clientIp ?? IpOf(buyerId), deviceId));

    /// <summary>Each buyer its own address, as on a real network (one shared IP would trip the burst rules).</summary>
    public static string IpOf(string buyerId)
    {
        var h = (uint)Contracts.Events.EventStreams.StableHash(buyerId);
        return $"10.{(h >> 16) & 255}.{(h >> 8) & 255}.{h & 255}";
    }

    /// <summary>Starts payment at the sandbox and waits for its callback to mark the order paid.</summary>
    public async Task<OrderView> PayAsync(string buyerId, string key = "k1")
    {
        var order = Order(buyerId, key);
        await order.StartPayment(buyerId);
        return await WaitForAsync(order, o => o.Status != OrderStatus.PendingPayment);
    }

    public static async Task<OrderView> WaitForAsync(IOrderGrain order, Func<OrderView, bool> condition, int timeoutMs = 15_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            var view = await order.Get();
            if (condition(view)) return view;
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"Order {view.OrderId} stayed {view.Status}.");
            await Task.Delay(25);
        }
    }
}
