using LiveCommerce.Contracts.Payments;

namespace LiveCommerce.Contracts.Orders;

/// <summary>
/// What an order knew when it was placed, kept on the room's stock line (the order's durable record until the order
/// first writes its own state). The order fills its half; the room fills the shelf's half in the same turn that takes
/// the stock, so the split plan and list price are the ones the buyer actually ordered under.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record OrderSeed(
    [property: Id(0)] string? BuyerCity,
    [property: Id(1)] string ClientIp,
    [property: Id(2)] string? DeviceId,
    [property: Id(3)] string IdempotencyKey,
    [property: Id(4)] long ReferencePrice,
    [property: Id(5)] DateTimeOffset BuyerRegisteredAt,
    [property: Id(6)] int BuyerPreviousOrders,
    [property: Id(7)] RiskDecisionView Placement,
    // Filled by the room.
    [property: Id(8)] string? MerchantId = null,
    [property: Id(9)] string? StreamerId = null,
    [property: Id(10)] string? RoomCity = null,
    [property: Id(11)] string? Category = null,
    [property: Id(12)] long ListPrice = 0,
    [property: Id(13)] SplitPlan? Plan = null,
    // The order's half, kept on the line like the rest: an order rebuilt from its line keeps its address.
    [property: Id(14)] ShippingAddress? ShippingAddress = null)
{
    /// <summary>The room's half: the shelf facts the order was placed under.</summary>
    public OrderSeed WithShelf(string? merchantId, string? streamerId, string? roomCity, string? category, long listPrice, SplitPlan? plan) =>
        this with { MerchantId = merchantId, StreamerId = streamerId, RoomCity = roomCity, Category = category, ListPrice = listPrice, Plan = plan };
}
