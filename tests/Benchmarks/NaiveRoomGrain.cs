using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Hosting;
using Orleans;
using Orleans.Runtime;

namespace LiveCommerce.Benchmarks;

/// <summary>The baseline: the same stock check and the same state, but one storage write per reservation, one call at a time.</summary>
public interface INaiveRoomGrain : IGrainWithStringKey
{
    Task Stock(string productId, int units);
    Task<bool> Reserve(ReserveRequest request);
    Task Commit(string orderId);
}

/// <summary>The naive design: shelf and every open reservation in one state blob.</summary>
[GenerateSerializer]
public sealed class NaiveRoomState
{
    [Id(0)] public Dictionary<string, NaiveShelfItem> Shelf { get; set; } = [];
    [Id(1)] public Dictionary<string, NaiveReservation> Reservations { get; set; } = [];
}

[GenerateSerializer]
public sealed class NaiveShelfItem
{
    [Id(0)] public string ProductId { get; set; } = "";
    [Id(1)] public int StockLeft { get; set; }
    [Id(2)] public int Reserved { get; set; }
    [Id(3)] public int Sold { get; set; }
    [Id(4)] public long LivePrice { get; set; }
}

[GenerateSerializer]
public sealed class NaiveReservation
{
    [Id(0)] public string ProductId { get; set; } = "";
    [Id(1)] public string BuyerId { get; set; } = "";
    [Id(2)] public int Quantity { get; set; }
    [Id(3)] public long UnitPrice { get; set; }
    [Id(4)] public DateTimeOffset ExpiresAt { get; set; }
}

public sealed class NaiveRoomGrain(
    [PersistentState("naiveRoom", StorageNames.Rooms)] IPersistentState<NaiveRoomState> state) : Grain, INaiveRoomGrain
{
    public async Task Stock(string productId, int units)
    {
        state.State.Shelf[productId] = new NaiveShelfItem { ProductId = productId, StockLeft = units, LivePrice = 100 };
        await state.WriteStateAsync();
    }

    public async Task<bool> Reserve(ReserveRequest request)
    {
        var item = state.State.Shelf[request.ProductId];
        if (item.StockLeft < request.Quantity) return false;
        item.StockLeft -= request.Quantity;
        item.Reserved += request.Quantity;
        state.State.Reservations[request.OrderId] = new NaiveReservation
        {
            ProductId = item.ProductId, BuyerId = request.BuyerId, Quantity = request.Quantity, UnitPrice = item.LivePrice, ExpiresAt = request.ExpiresAt,
        };
        await state.WriteStateAsync();
        return true;
    }

    public async Task Commit(string orderId)
    {
        if (!state.State.Reservations.Remove(orderId, out var r)) return;
        var item = state.State.Shelf[r.ProductId];
        item.Reserved -= r.Quantity;
        item.Sold += r.Quantity;
        await state.WriteStateAsync();
    }
}
