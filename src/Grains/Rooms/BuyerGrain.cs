using LiveCommerce.Grains.Common;
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
    /// <summary>Order history summary, oldest first; capped at <see cref="BuyerGrain.HistoryLimit"/> entries.</summary>
    [Id(5)] public List<BuyerOrderRecord> Orders { get; set; } = [];
    [Id(6)] public int OrderCount { get; set; }
    [Id(7)] public int PaidOrderCount { get; set; }
    [Id(8)] public long TotalSpent { get; set; }
    [Id(9)] public DateTimeOffset? LastPurchaseAt { get; set; }
}

[GenerateSerializer]
public sealed class BuyerOrderRecord
{
    [Id(0)] public BuyerOrderEntry Entry { get; set; } = null!;
    [Id(1)] public bool Paid { get; set; }
}

public sealed class BuyerGrain(
    [PersistentState("buyer", StorageNames.Rooms)] IPersistentState<BuyerState> state,
    [FromKeyedServices(DomainClock.Key)] TimeProvider clock) : Grain, IBuyerGrain
{
    /// <summary>The summary keeps the newest orders; older ones stay in their order grains.</summary>
    public const int HistoryLimit = 1000;
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
        if (!s.Registered) await GrainFactory.GetGrain<IBuyerDirectoryGrain>(BuyerDirectory.ShardOf(BuyerId)).Add(BuyerId);
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

    // The buyer's anomaly counter: memory only, the window is a minute long.
    private readonly Risk.SlidingWindow _attempts = new();

    public Task<BuyerAttempt?> RecordOrderAttempt(DateTimeOffset at)
    {
        if (!state.State.Registered) return Task.FromResult<BuyerAttempt?>(null);
        var (lastMinute, _) = _attempts.Record(BuyerId, at, Risk.SlidingWindow.Minute);
        return Task.FromResult<BuyerAttempt?>(new BuyerAttempt(View(), lastMinute));
    }

    public async Task<BuyerView> Follow(string streamerId)
    {
        RequireRegistered();
        Ids.Require(streamerId, "streamerId");
        if (state.State.Following.Contains(streamerId)) return View();
        if (state.State.Following.Count >= MaxFollowing)
            throw DomainException.Conflict("buyer.following_limit", $"A buyer can follow at most {MaxFollowing} streamers.");
        await GrainFactory.GetGrain<IStreamerGrain>(streamerId).AddFan(BuyerId, state.State.City);
        state.State.Following.Add(streamerId);
        await state.WriteStateAsync();
        return View();
    }

    public async Task<BuyerView> Unfollow(string streamerId)
    {
        RequireRegistered();
        Ids.Require(streamerId, "streamerId");
        if (!state.State.Following.Contains(streamerId)) return View();
        await GrainFactory.GetGrain<IStreamerGrain>(streamerId).RemoveFan(BuyerId);
        state.State.Following.Remove(streamerId);
        await state.WriteStateAsync();
        return View();
    }

    public async Task RecordOrder(BuyerOrderEntry entry)
    {
        var s = state.State;
        if (s.Orders.Any(o => o.Entry.OrderId == entry.OrderId)) return;
        s.Orders.Add(new BuyerOrderRecord { Entry = entry });
        s.OrderCount++;
        if (s.Orders.Count > HistoryLimit) s.Orders.RemoveRange(0, s.Orders.Count - HistoryLimit);
        await state.WriteStateAsync();
    }

    public async Task RecordPurchase(string orderId, long amount, DateTimeOffset paidAt)
    {
        var s = state.State;
        var record = s.Orders.FirstOrDefault(o => o.Entry.OrderId == orderId);
        if (record is null || record.Paid) return;
        record.Paid = true;
        s.PaidOrderCount++;
        s.TotalSpent += amount;
        if (s.LastPurchaseAt is null || paidAt > s.LastPurchaseAt) s.LastPurchaseAt = paidAt;
        await state.WriteStateAsync();
    }

    public Task<BuyerOrderPage> ListOrders(int offset, int limit)
    {
        var orders = state.State.Orders;
        var items = Enumerable.Range(0, orders.Count).Reverse().Skip(offset).Take(limit).Select(i => orders[i].Entry).ToList();
        return Task.FromResult(new BuyerOrderPage(items, orders.Count, offset, limit));
    }

    private void RequireRegistered()
    {
        if (!state.State.Registered) throw DomainException.NotFound("buyer", BuyerId);
    }

    private BuyerView View()
    {
        var s = state.State;
        return new BuyerView(BuyerId, s.City, s.DisplayName, s.Following.Order().ToList(), s.OrderCount, s.PaidOrderCount,
            s.TotalSpent, s.LastPurchaseAt, s.RegisteredAt);
    }
}
