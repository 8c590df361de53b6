using LiveCommerce.Contracts.Rooms;
using LiveCommerce.Grains.Hosting;
using LiveCommerce.Grains.Rooms;
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

public sealed class NaiveRoomGrain(
    [PersistentState("naiveRoom", StorageNames.Rooms)] IPersistentState<LiveRoomState> state) : Grain, INaiveRoomGrain
{
    public async Task Stock(string productId, int units)
    {
        state.State.Opened = true;
        state.State.Shelf[productId] = new ShelfItem { ProductId = productId, StockListed = units, StockLeft = units, PerOrderLimit = 10, LivePrice = 100 };
        await state.WriteStateAsync();
    }

    public async Task<bool> Reserve(ReserveRequest request)
    {
        var item = state.State.Shelf[request.ProductId];
        if (item.StockLeft < request.Quantity) return false;
        item.StockLeft -= request.Quantity;
        item.Reserved += request.Quantity;
        state.State.Reservations[request.OrderId] = new Reservation
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
