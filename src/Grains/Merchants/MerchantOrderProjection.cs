using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Merchants;
using LiveCommerce.Contracts.Orders;

namespace LiveCommerce.Grains.Merchants;

/// <summary>
/// One order in the merchant order list's projection, as stored. Besides the row it keeps what makes applying events
/// idempotent and order-independent: the refunds already counted and the time of the after-sale step shown.
/// </summary>
public sealed class MerchantOrderRecord
{
    public string OrderId { get; set; } = "";
    public string MerchantId { get; set; } = "";
    public string BuyerId { get; set; } = "";
    public string RoomId { get; set; } = "";
    public string StreamerId { get; set; } = "";
    public string ProductId { get; set; } = "";
    public int Quantity { get; set; }
    public long UnitPrice { get; set; }
    public long Amount { get; set; }
    public OrderStatus Status { get; set; }
    /// <summary>Null while only after-sale events arrived (they do not carry it): such a record is not listed yet.</summary>
    public DateTimeOffset? PlacedAt { get; set; }
    public DateTimeOffset? PaidAt { get; set; }
    public DateTimeOffset? ShippedAt { get; set; }
    public long RefundedAmount { get; set; }
    /// <summary>Refunds counted, by their key (refund time and amount): a redelivered refund is not counted twice.</summary>
    public List<string> RefundKeys { get; set; } = [];
    public AfterSaleStatus AfterSale { get; set; }
    public DateTimeOffset? AfterSaleAt { get; set; }
    public ShippingAddress? ShippingAddress { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public bool Listed => PlacedAt is not null;

    public MerchantOrderRow ToRow() => new(OrderId, MerchantId, BuyerId, RoomId, StreamerId, ProductId, Quantity, UnitPrice, Amount, Status,
        PlacedAt ?? DateTimeOffset.MinValue, PaidAt, ShippedAt, RefundedAmount, AfterSale, ShippingAddress, UpdatedAt);

    public MerchantOrderRecord Copy()
    {
        var copy = (MerchantOrderRecord)MemberwiseClone();
        copy.RefundKeys = [.. RefundKeys];
        return copy;
    }
}

/// <summary>
/// Folds order and after-sale events into <see cref="MerchantOrderRecord"/>s. Events may arrive twice and out of
/// order (streams redeliver, the order's and the case's events travel separately), so every rule is idempotent and
/// monotone: a status only moves forward along <see cref="Rank"/>, a refund counts once, the newest after-sale step
/// wins. Every order event carries the order's facts, so whichever arrives first creates the record.
/// </summary>
public static class MerchantOrderProjection
{
    /// <summary>
    /// How far along its life an order is. The lifecycle only moves forward, and the two ends (cancelled, refunded)
    /// come after every step they can follow: a paid order can be cancelled by risk, a settled one refunded in full.
    /// </summary>
    public static int Rank(OrderStatus status) => status switch
    {
        OrderStatus.PendingPayment => 0,
        OrderStatus.Paid => 1,
        OrderStatus.Shipped => 2,
        OrderStatus.Delivered => 3,
        OrderStatus.Confirmed => 4,
        OrderStatus.Settled => 5,
        OrderStatus.Cancelled => 6,
        OrderStatus.Refunded => 7,
        _ => -1,
    };

    /// <summary>The status an event of this kind moves the order to; null for a refund (decided by the amount) and kinds this code does not know.</summary>
    public static OrderStatus? StatusAfter(OrderEventKind kind) => kind switch
    {
        OrderEventKind.Placed => OrderStatus.PendingPayment,
        OrderEventKind.Paid => OrderStatus.Paid,
        OrderEventKind.Cancelled => OrderStatus.Cancelled,
        OrderEventKind.Shipped => OrderStatus.Shipped,
        OrderEventKind.Delivered => OrderStatus.Delivered,
        OrderEventKind.Confirmed => OrderStatus.Confirmed,
        OrderEventKind.Settled => OrderStatus.Settled,
        _ => null,
    };

    /// <summary>A refund event's identity: the same refund redelivered has the same time and amount.</summary>
    public static string RefundKey(OrderEvent e) => RefundKey(e.At, e.RefundAmount);

    /// <summary>
    /// A refund's identity from its time and amount. The order stamps a refund event with the refund's own time, so a
    /// row rebuilt from the order's refunds has the keys the events gave it, and a late event is not counted again.
    /// </summary>
    public static string RefundKey(DateTimeOffset at, long amount) => $"{at.UtcTicks}:{amount}";

    /// <summary>The order and merchant an event is about, when it is one this projection keeps.</summary>
    public static (string MerchantId, string OrderId)? KeyOf(DomainEvent e) => e switch
    {
        OrderEvent o => (o.MerchantId, o.OrderId),
        AfterSaleCaseChanged c => (c.MerchantId, c.OrderId),
        _ => null,
    };

    /// <summary>Applies one event to the record (null: none yet); returns the record to store.</summary>
    public static MerchantOrderRecord Apply(MerchantOrderRecord? current, DomainEvent e)
    {
        var record = current?.Copy() ?? new MerchantOrderRecord();
        switch (e)
        {
            case OrderEvent o:
                ApplyOrder(record, o);
                break;
            case AfterSaleCaseChanged c:
                ApplyCase(record, c);
                break;
            default:
                throw new ArgumentException($"{e.GetType().Name} is not an event of the merchant order list.", nameof(e));
        }
        return record;
    }

    private static void ApplyOrder(MerchantOrderRecord r, OrderEvent o)
    {
        var isNew = !r.Listed;
        r.OrderId = o.OrderId;
        r.MerchantId = o.MerchantId;
        r.BuyerId = o.BuyerId;
        r.RoomId = o.RoomId;
        r.StreamerId = o.StreamerId;
        r.ProductId = o.ProductId;
        r.Quantity = o.Quantity;
        r.UnitPrice = o.UnitPrice;
        if (o.Amount > 0) r.Amount = Math.Max(r.Amount, o.Amount);
        r.PlacedAt = Micros(o.PlacedAt);
        r.ShippingAddress ??= o.ShippingAddress;
        if (isNew) r.Status = OrderStatus.PendingPayment;

        switch (o.Kind)
        {
            case OrderEventKind.Paid:
                r.PaidAt ??= Micros(o.At);
                break;
            case OrderEventKind.Shipped:
                r.ShippedAt ??= Micros(o.At);
                break;
            case OrderEventKind.Refunded when o.RefundAmount > 0:
                var key = RefundKey(o);
                if (!r.RefundKeys.Contains(key))
                {
                    r.RefundKeys.Add(key);
                    r.RefundedAmount = checked(r.RefundedAmount + o.RefundAmount);
                }
                break;
        }

        var next = StatusAfter(o.Kind);
        if (o.Kind == OrderEventKind.Refunded && r.Amount > 0 && r.RefundedAmount >= r.Amount) next = OrderStatus.Refunded;
        if (next is { } status && Rank(status) > Rank(r.Status)) r.Status = status;
        if (Micros(o.At) > r.UpdatedAt) r.UpdatedAt = Micros(o.At);
    }

    private static void ApplyCase(MerchantOrderRecord r, AfterSaleCaseChanged c)
    {
        if (string.IsNullOrEmpty(r.OrderId))
        {
            // The case overtook the order's events: keep what it knows; the first order event completes the record.
            r.OrderId = c.OrderId;
            r.MerchantId = c.MerchantId;
            r.BuyerId = c.BuyerId;
            r.RoomId = c.RoomId;
            r.StreamerId = c.StreamerId;
            r.ProductId = c.ProductId;
        }
        var at = Micros(c.At);
        // The newest step wins; two steps at the same instant: the later state in the enum (states are appended in life order).
        if (r.AfterSaleAt is not { } shown || at > shown || (at == shown && c.Status > r.AfterSale))
        {
            r.AfterSale = c.Status;
            r.AfterSaleAt = at;
        }
        if (at > r.UpdatedAt) r.UpdatedAt = at;
    }

    /// <summary>PostgreSQL keeps microseconds: both stores cut times there, so cursors mean the same in each.</summary>
    public static DateTimeOffset Micros(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % 10, TimeSpan.Zero);
}
