using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;

namespace LiveCommerce.Grains.Analytics;

/// <summary>
/// The order events an order's durable state implies, in time order, shaped like the ones the order grain
/// publishes: a rebuild replays them through the same code the live streams feed.
/// </summary>
public static class OrderReplay
{
    public static List<OrderEvent> EventsOf(OrderView o, string? buyerCity, string? roomCity)
    {
        OrderEvent At(OrderEventKind kind, DateTimeOffset at, long amount, long refund = 0, bool afterDelivery = false) =>
            new(kind, o.OrderId, o.BuyerId, buyerCity, o.RoomId, roomCity, o.StreamerId, o.MerchantId, o.ProductId, null,
                o.Quantity, o.UnitPrice, 0, amount, refund, at, o.PlacedAt, afterDelivery);

        var events = new List<OrderEvent> { At(OrderEventKind.Placed, o.PlacedAt, o.Amount) };
        if (o.PaidAt is { } paid) events.Add(At(OrderEventKind.Paid, paid, o.PaidAmount));
        if (o.CancelledAt is { } cancelled && o.Status == OrderStatus.Cancelled) events.Add(At(OrderEventKind.Cancelled, cancelled, o.Amount));
        if (o.ShippedAt is { } shipped) events.Add(At(OrderEventKind.Shipped, shipped, o.Amount));
        if (o.DeliveredAt is { } delivered) events.Add(At(OrderEventKind.Delivered, delivered, o.Amount));
        if (o.ConfirmedAt is { } confirmed) events.Add(At(OrderEventKind.Confirmed, confirmed, o.Amount));
        if (o.SettledAt is { } settled) events.Add(At(OrderEventKind.Settled, settled, o.Amount));
        foreach (var refund in o.Refunds)
            events.Add(At(OrderEventKind.Refunded, refund.At, o.Amount, refund.Amount, o.DeliveredAt is { } d && refund.At >= d));
        return events.OrderBy(e => e.At).ThenBy(e => (int)e.Kind).ToList();
    }
}
