using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;

namespace LiveCommerce.Contracts.Merchants;

/// <summary>One order as the merchant's order list shows it (a row of the projection, not the order grain).</summary>
[GenerateSerializer, Immutable]
public sealed record MerchantOrderRow(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string MerchantId,
    [property: Id(2)] string BuyerId,
    [property: Id(3)] string RoomId,
    [property: Id(4)] string StreamerId,
    [property: Id(5)] string ProductId,
    [property: Id(6)] int Quantity,
    [property: Id(7)] long UnitPrice,
    [property: Id(8)] long Amount,
    [property: Id(9)] OrderStatus Status,
    [property: Id(10)] DateTimeOffset PlacedAt,
    [property: Id(11)] DateTimeOffset? PaidAt,
    [property: Id(12)] DateTimeOffset? ShippedAt,
    [property: Id(13)] long RefundedAmount,
    [property: Id(14)] AfterSaleStatus AfterSale,
    [property: Id(15)] ShippingAddress? ShippingAddress,
    [property: Id(16)] DateTimeOffset UpdatedAt);

/// <summary>Where a page of the list ends: the keyset position (placed time, then order id), both descending.</summary>
[GenerateSerializer, Immutable]
public sealed record OrderListPosition([property: Id(0)] DateTimeOffset PlacedAt, [property: Id(1)] string OrderId);

/// <summary>Filters of the merchant order list; empty lists and nulls filter nothing. Time range is [from, to).</summary>
[GenerateSerializer, Immutable]
public sealed record MerchantOrderFilter(
    [property: Id(0)] IReadOnlyList<OrderStatus> Statuses,
    [property: Id(1)] string? RoomId,
    [property: Id(2)] string? ProductId,
    [property: Id(3)] DateTimeOffset? PlacedFrom,
    [property: Id(4)] DateTimeOffset? PlacedTo,
    [property: Id(5)] IReadOnlyList<AfterSaleStatus> AfterSale)
{
    public static readonly MerchantOrderFilter None = new([], null, null, null, null, []);

    /// <summary>The same filter without its status part: status counts are over every status.</summary>
    public MerchantOrderFilter WithoutStatus() => this with { Statuses = [] };

    public bool Matches(MerchantOrderRow row) =>
        (Statuses.Count == 0 || Statuses.Contains(row.Status))
        && (RoomId is null || row.RoomId == RoomId)
        && (ProductId is null || row.ProductId == ProductId)
        && (PlacedFrom is not { } from || row.PlacedAt >= from)
        && (PlacedTo is not { } to || row.PlacedAt < to)
        && (AfterSale.Count == 0 || AfterSale.Contains(row.AfterSale));
}

[GenerateSerializer, Immutable]
public sealed record MerchantOrderPage(
    [property: Id(0)] IReadOnlyList<MerchantOrderRow> Items,
    [property: Id(1)] OrderListPosition? Next);

[GenerateSerializer, Immutable]
public sealed record StatusCount([property: Id(0)] OrderStatus Status, [property: Id(1)] int Count);

/// <summary>
/// Reads the merchant order list from its projection (an indexed table in the postgres profile), never from the
/// order grains. Stateless worker: any silo answers.
/// </summary>
public interface IMerchantOrdersGrain : IGrainWithIntegerKey
{
    Task<MerchantOrderPage> List(string merchantId, MerchantOrderFilter filter, OrderListPosition? after, int limit);

    /// <summary>Orders per status under the filter's other parts (room, product, time, after-sale).</summary>
    Task<IReadOnlyList<StatusCount>> Count(string merchantId, MerchantOrderFilter filter);

    /// <summary>One row of the merchant's list; null when the merchant has no such order in it.</summary>
    Task<MerchantOrderRow?> Find(string merchantId, string orderId);
}

/// <summary>The feed of the merchant order list (key: merchant id); fed by the merchant's event stream.</summary>
public interface IMerchantOrderFeedGrain : IGrainWithStringKey
{
    /// <summary>Takes one event as if the stream delivered it (the stream's own path; also how tests redeliver).</summary>
    Task Accept(DomainEvent item);
}
