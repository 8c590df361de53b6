using LiveCommerce.Grains.Common;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Hosting;

namespace LiveCommerce.Grains.Rooms;

[GenerateSerializer]
public sealed class BuyerState
{
    [Id(0)] public bool Registered { get; set; }
    [Id(1)] public string City { get; set; } = "";
    [Id(2)] public string? DisplayName { get; set; }
    [Id(3)] public DateTimeOffset RegisteredAt { get; set; }
    [Id(4)] public HashSet<string> Following { get; set; } = [];
    // Ids 5 and 6 held an order history, now read from the stock lines (the orders' durable record); retired.
    [Id(7)] public int PaidOrderCount { get; set; }
    [Id(8)] public long TotalSpent { get; set; }
    [Id(9)] public DateTimeOffset? LastPurchaseAt { get; set; }
    /// <summary>The newest paid orders, to count a redelivered purchase once; capped at <see cref="BuyerGrain.RecentPaidLimit"/>.</summary>
    [Id(10)] public List<string> RecentPaid { get; set; } = [];
    /// <summary>A copy of the address book's default, which placement reads from here (one grain call instead of two).</summary>
    [Id(11)] public ShippingAddress? DefaultAddress { get; set; }
    /// <summary>False for a buyer stored before the copy existed: its default is read from the address book once.</summary>
    [Id(12)] public bool DefaultAddressKnown { get; set; }
}

public sealed class BuyerGrain(
    [PersistentState("buyer", StorageNames.Rooms)] IPersistentState<BuyerState> state,
    IRoomStockLedger stockLedger,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IBuyerGrain
{
    /// <summary>
    /// Purchases are redelivered only shortly after a crash (an order's outbox retries until acknowledged), so
    /// remembering the newest few hundred paid orders is enough to count each once.
    /// </summary>
    public const int RecentPaidLimit = 500;
    public const int MaxFollowing = 2000;

    private string BuyerId => this.GetPrimaryKeyString();

    public async Task<BuyerView> Register(RegisterBuyer command)
    {
        var city = Text.Require(command.City, "city", 50);
        string? name = null;
        if (command.DisplayName is not null) name = Text.Require(command.DisplayName, "displayName", 100);
        var s = state.State;
        if (s.Registered && s.City == city && s.DisplayName == name) return View();
        // Listed in the durable buyer directory before the registration is written: the analytics rebuild walks it.
        if (!s.Registered) await GrainFactory.Ref<IBuyerDirectoryGrain>(BuyerDirectory.ShardOf(BuyerId)).Add(BuyerId);
        if (!s.Registered) s.RegisteredAt = clock.GetUtcNow();
        s.Registered = true;
        s.City = city;
        s.DisplayName = name;
        await state.WriteStateAsync();
        return View();
    }

    public Task<BuyerView> Get()
    {
        RequireRegistered();
        return Task.FromResult(View());
    }

    public Task<BuyerView?> Find() => Task.FromResult(state.State.Registered ? View() : null);

    // The buyer's anomaly counter: memory only, the window is a minute long. Made on the first order attempt: most
    // active buyers are viewers who never order, and a silo holds hundreds of thousands of them.
    private Risk.SlidingWindow? _attempts;

    public Task<BuyerAttempt?> RecordOrderAttempt(DateTimeOffset at)
    {
        var s = state.State;
        if (!s.Registered) return Task.FromResult<BuyerAttempt?>(null);
        var (lastMinute, _) = (_attempts ??= new()).Record(BuyerId, at, Risk.SlidingWindow.Minute);
        return Task.FromResult<BuyerAttempt?>(new BuyerAttempt(View(), lastMinute, s.DefaultAddress, s.DefaultAddressKnown));
    }

    public async Task SetDefaultAddress(ShippingAddress? address)
    {
        var s = state.State;
        if (s.DefaultAddressKnown && s.DefaultAddress == address) return;
        s.DefaultAddress = address;
        s.DefaultAddressKnown = true;
        await state.WriteStateAsync();
    }

    public async Task<BuyerView> Follow(string streamerId)
    {
        RequireRegistered();
        Ids.Require(streamerId, "streamerId");
        if (state.State.Following.Contains(streamerId)) return View();
        if (state.State.Following.Count >= MaxFollowing)
            throw DomainException.Conflict("buyer.following_limit", $"A buyer can follow at most {MaxFollowing} streamers.");
        await GrainFactory.Ref<IStreamerGrain>(streamerId).AddFan(BuyerId, state.State.City);
        state.State.Following.Add(streamerId);
        await state.WriteStateAsync();
        return View();
    }

    public async Task<BuyerView> Unfollow(string streamerId)
    {
        RequireRegistered();
        Ids.Require(streamerId, "streamerId");
        if (!state.State.Following.Contains(streamerId)) return View();
        await GrainFactory.Ref<IStreamerGrain>(streamerId).RemoveFan(BuyerId);
        state.State.Following.Remove(streamerId);
        await state.WriteStateAsync();
        return View();
    }

    public async Task RecordPurchase(string orderId, long amount, DateTimeOffset paidAt)
    {
        var s = state.State;
        if (s.RecentPaid.Contains(orderId)) return;
        s.RecentPaid.Add(orderId);
        if (s.RecentPaid.Count > RecentPaidLimit) s.RecentPaid.RemoveRange(0, s.RecentPaid.Count - RecentPaidLimit);
        s.PaidOrderCount++;
        s.TotalSpent += amount;
        if (s.LastPurchaseAt is null || paidAt > s.LastPurchaseAt) s.LastPurchaseAt = paidAt;
        await state.WriteStateAsync();
    }

    /// <summary>Read from the stock lines: every placed order has one, written before the buyer was told it was placed.</summary>
    public async Task<BuyerOrderPage> ListOrders(int offset, int limit)
    {
        var (lines, total) = await stockLedger.ListByBuyerAsync(BuyerId, offset, limit);
        var items = lines.Select(l => new BuyerOrderEntry(l.Line.OrderId, l.RoomId, l.Line.ProductId, checked(l.Line.UnitPrice * l.Line.Quantity), l.Line.PlacedAt)).ToList();
        return new BuyerOrderPage(items, total, offset, limit);
    }

    private void RequireRegistered()
    {
        if (!state.State.Registered) throw DomainException.NotFound("buyer", BuyerId);
    }

    private BuyerView View()
    {
        var s = state.State;
        return new BuyerView(BuyerId, s.City, s.DisplayName, s.Following.Order().ToList(), s.PaidOrderCount,
            s.TotalSpent, s.LastPurchaseAt, s.RegisteredAt);
    }
}
