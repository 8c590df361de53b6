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
    [property: Id(1)] int OrdersInLastMinute);

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
