using LiveCommerce.Contracts.Orders;

namespace LiveCommerce.Contracts.Rooms;

/// <summary>A buyer (viewer): city, followed streamers, purchase summary; lists its orders from their stock lines.</summary>
public interface IBuyerGrain : IGrainWithStringKey
{
    /// <summary>Registers the buyer or updates its city. Idempotent.</summary>
    Task<BuyerView> Register(RegisterBuyer command);

    [Orleans.Concurrency.ReadOnly]
    Task<BuyerView> Get();

    /// <summary>Whether the buyer registered; cheaper than catching not-found on the order path.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<BuyerView?> Find();

    /// <summary>
    /// Counts an order attempt in the buyer's own anomaly window (orders in the last 60 s, this one included) and
    /// returns the buyer; null when the buyer never registered.
    /// </summary>
    Task<BuyerAttempt?> RecordOrderAttempt(DateTimeOffset at);

    /// <summary>The address book's default address (null: none), told by the address book after each of its changes.</summary>
    Task SetDefaultAddress(ShippingAddress? address);

    Task<BuyerView> Follow(string streamerId);
    Task<BuyerView> Unfollow(string streamerId);

    /// <summary>Records a paid purchase (idempotent by order id).</summary>
    Task RecordPurchase(string orderId, long amount, DateTimeOffset paidAt);

    /// <summary>The buyer's orders, newest first.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<BuyerOrderPage> ListOrders(int offset, int limit);
}

[GenerateSerializer, Immutable]
public sealed record RegisterBuyer(
    [property: Id(0)] string City,
    [property: Id(1)] string? DisplayName);

[GenerateSerializer, Immutable]
public sealed record BuyerView(
    [property: Id(0)] string BuyerId,
    [property: Id(1)] string City,
    [property: Id(2)] string? DisplayName,
    [property: Id(3)] IReadOnlyList<string> Following,
    [property: Id(5)] int PaidOrderCount,
    [property: Id(6)] long TotalSpent,
    [property: Id(7)] DateTimeOffset? LastPurchaseAt,
    [property: Id(8)] DateTimeOffset RegisteredAt);

[GenerateSerializer, Immutable]
public sealed record BuyerAttempt(
    [property: Id(0)] BuyerView Buyer,
    [property: Id(1)] int OrdersInLastMinute,
    // The address an order ships to when it names none: kept on the buyer so placement needs no address-book call.
    [property: Id(2)] ShippingAddress? DefaultAddress = null,
    // False for a buyer stored before the copy existed: ask the address book (ShareDefault) once.
    [property: Id(3)] bool DefaultAddressKnown = false);

[GenerateSerializer, Immutable]
public sealed record BuyerOrderEntry(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string RoomId,
    [property: Id(2)] string ProductId,
    [property: Id(3)] long Amount,
    [property: Id(4)] DateTimeOffset PlacedAt);

[GenerateSerializer, Immutable]
public sealed record BuyerOrderPage(
    [property: Id(0)] IReadOnlyList<BuyerOrderEntry> Items,
    [property: Id(1)] int Total,
    [property: Id(2)] int Offset,
    [property: Id(3)] int Limit);
