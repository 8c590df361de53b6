using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Grains.Analytics;

/// <summary>What a shard remembers of one of a buyer's orders.</summary>
[GenerateSerializer]
public sealed class BuyerOrderMark
{
    [Id(0)] public string StreamerId { get; set; } = "";
    [Id(1)] public string MerchantId { get; set; } = "";
    [Id(2)] public DateTimeOffset PlacedAt { get; set; }
    [Id(3)] public bool Placed { get; set; }
    [Id(4)] public DateTimeOffset? PaidAt { get; set; }
    [Id(5)] public long PaidAmount { get; set; }
    [Id(6)] public bool Confirmed { get; set; }
    [Id(7)] public bool Delivered { get; set; }
    [Id(8)] public bool Returned { get; set; }
    [Id(9)] public List<long> RefundKeys { get; set; } = [];
}

[GenerateSerializer]
public sealed class BuyerRecord
{
    [Id(0)] public string? City { get; set; }
    [Id(1)] public Dictionary<string, BuyerOrderMark> Orders { get; set; } = [];
    [Id(2)] public int PaidOrders { get; set; }
    [Id(3)] public long PaidTotal { get; set; }
    [Id(4)] public long RefundedTotal { get; set; }
    [Id(5)] public DateTimeOffset? FirstPaidAt { get; set; }
    [Id(6)] public DateTimeOffset? LastPaidAt { get; set; }
    [Id(7)] public HashSet<string> Streamers { get; set; } = [];
    [Id(8)] public HashSet<string> Merchants { get; set; } = [];
    [Id(9)] public HashSet<string> RepurchasedStreamers { get; set; } = [];
    [Id(10)] public HashSet<string> RepurchasedMerchants { get; set; } = [];
}

[GenerateSerializer]
public sealed class RetentionCounters
{
    [Id(0)] public long Buyers { get; set; }
    [Id(1)] public long Repurchasers { get; set; }
    [Id(2)] public long Delivered { get; set; }
    [Id(3)] public long Returned { get; set; }

    public RetentionCounts View() => new(Buyers, Repurchasers, Delivered, Returned);
}

[GenerateSerializer]
public sealed class ResponseCounters
{
    [Id(0)] public long Placed { get; set; }
    [Id(1)] public long Paid { get; set; }
    [Id(2)] public long Gmv { get; set; }
    [Id(3)] public long Confirmed { get; set; }
}

/// <summary>
/// Order-derived state of a platform shard: per buyer, the orders it placed (bounded), and from them per
/// streamer and merchant the buyers, 48-hour repurchasers, delivered and returned orders, plus the shard's part
/// of the price–time–region table. Every event is deduplicated by the buyer's order record, so replays and
/// redeliveries count once.
/// </summary>
[GenerateSerializer]
public sealed class BuyerLedger
{
    [Id(0)] public Dictionary<string, BuyerRecord> Buyers { get; set; } = [];
    [Id(1)] public Dictionary<string, RetentionCounters> Streamers { get; set; } = [];
    [Id(2)] public Dictionary<string, RetentionCounters> Merchants { get; set; } = [];
    /// <summary>"band|hour|city" → counters, by the order's unit price, placement hour (business time zone) and buyer city.</summary>
    [Id(3)] public Dictionary<string, ResponseCounters> Cells { get; set; } = [];

    public static string CellKey(PriceBand band, int hour, string city) => $"{(int)band}|{hour}|{city}";

    public void Apply(OrderEvent e, BusinessCalendar calendar, TimeSpan repurchaseWindow, int ordersPerBuyer)
    {
        if (!Buyers.TryGetValue(e.BuyerId, out var buyer)) Buyers[e.BuyerId] = buyer = new BuyerRecord();
        if (e.BuyerCity is not null) buyer.City = e.BuyerCity;
        if (!buyer.Orders.TryGetValue(e.OrderId, out var order))
        {
            buyer.Orders[e.OrderId] = order = new BuyerOrderMark { StreamerId = e.StreamerId, MerchantId = e.MerchantId, PlacedAt = e.PlacedAt };
            Trim(buyer, ordersPerBuyer);
        }
        var cellKey = CellKey(PriceBands.Of(e.UnitPrice), calendar.HourOf(e.PlacedAt), ViewCounters.CityKey(e.BuyerCity ?? buyer.City));
        switch (e.Kind)
        {
            case OrderEventKind.Placed when !order.Placed:
                order.Placed = true;
                Cell(cellKey).Placed++;
                break;
            case OrderEventKind.Paid when order.PaidAt is null:
                order.PaidAt = e.At;
                order.PaidAmount = e.Amount;
                buyer.PaidOrders++;
                buyer.PaidTotal = checked(buyer.PaidTotal + e.Amount);
                if (buyer.FirstPaidAt is null || e.At < buyer.FirstPaidAt) buyer.FirstPaidAt = e.At;
                if (buyer.LastPaidAt is null || e.At > buyer.LastPaidAt) buyer.LastPaidAt = e.At;
                var cell = Cell(cellKey);
                cell.Paid++;
                cell.Gmv = checked(cell.Gmv + e.Amount);
                CountPurchase(buyer, order, e.OrderId, repurchaseWindow);
                break;
            case OrderEventKind.Confirmed when !order.Confirmed:
                order.Confirmed = true;
                Cell(cellKey).Confirmed++;
                break;
            case OrderEventKind.Delivered:
                MarkDelivered(order);
                break;
            case OrderEventKind.Refunded when !order.RefundKeys.Contains(e.At.UtcTicks ^ e.RefundAmount):
                order.RefundKeys.Add(e.At.UtcTicks ^ e.RefundAmount);
                buyer.RefundedTotal = checked(buyer.RefundedTotal + e.RefundAmount);
                if (e.AfterDelivery && !order.Returned)
                {
                    MarkDelivered(order); // a return proves delivery even if the delivery event was lost
                    order.Returned = true;
                    Retention(Streamers, order.StreamerId).Returned++;
                    Retention(Merchants, order.MerchantId).Returned++;
                }
                break;
        }
    }

    private void MarkDelivered(BuyerOrderMark order)
    {
        if (order.Delivered) return;
        order.Delivered = true;
        Retention(Streamers, order.StreamerId).Delivered++;
        Retention(Merchants, order.MerchantId).Delivered++;
    }

    /// <summary>
    /// A paid order makes the buyer a buyer of its streamer and merchant; with another paid order of the same
    /// streamer (merchant) no more than the window apart, in either order of arrival, a repurchaser of it.
    /// </summary>
    private void CountPurchase(BuyerRecord buyer, BuyerOrderMark paid, string orderId, TimeSpan window)
    {
        if (buyer.Streamers.Add(paid.StreamerId)) Retention(Streamers, paid.StreamerId).Buyers++;
        if (buyer.Merchants.Add(paid.MerchantId)) Retention(Merchants, paid.MerchantId).Buyers++;
        var at = paid.PaidAt!.Value;
        bool Near(BuyerOrderMark o) => o.PaidAt is { } t && (t - at).Duration() <= window;
        var others = buyer.Orders.Where(o => o.Key != orderId).Select(o => o.Value);
        if (!buyer.RepurchasedStreamers.Contains(paid.StreamerId) && others.Any(o => o.StreamerId == paid.StreamerId && Near(o)))
        {
            buyer.RepurchasedStreamers.Add(paid.StreamerId);
            Retention(Streamers, paid.StreamerId).Repurchasers++;
        }
        if (!buyer.RepurchasedMerchants.Contains(paid.MerchantId) && others.Any(o => o.MerchantId == paid.MerchantId && Near(o)))
        {
            buyer.RepurchasedMerchants.Add(paid.MerchantId);
            Retention(Merchants, paid.MerchantId).Repurchasers++;
        }
    }

    private static void Trim(BuyerRecord buyer, int limit)
    {
        if (buyer.Orders.Count <= limit) return;
        foreach (var old in buyer.Orders.OrderBy(o => o.Value.PlacedAt).Take(buyer.Orders.Count - limit).Select(o => o.Key).ToList())
            buyer.Orders.Remove(old);
    }

    private ResponseCounters Cell(string key)
    {
        if (!Cells.TryGetValue(key, out var cell)) Cells[key] = cell = new ResponseCounters();
        return cell;
    }

    private static RetentionCounters Retention(Dictionary<string, RetentionCounters> map, string id)
    {
        if (!map.TryGetValue(id, out var counters)) map[id] = counters = new RetentionCounters();
        return counters;
    }

    public RetentionCounts RetentionOf(RetentionScope scope, string id) =>
        (scope == RetentionScope.Streamer ? Streamers : Merchants).GetValueOrDefault(id)?.View() ?? new RetentionCounts(0, 0, 0, 0);

    public IEnumerable<ResponseCell> CellRows(Func<ResponseCounters, (long Placed, long Paid, long Gmv)> pick) => Cells.Select(c =>
    {
        var parts = c.Key.Split('|', 3);
        var (placed, paid, gmv) = pick(c.Value);
        return new ResponseCell((PriceBand)int.Parse(parts[0]), int.Parse(parts[1]), parts[2], placed, paid, gmv);
    });

    /// <summary>Buyers with a purchase whose last purchase is before the cutoff, oldest first.</summary>
    public IEnumerable<DormantCandidate> Dormant(DateTimeOffset cutoff) => Buyers
        .Where(b => b.Value.LastPaidAt is { } last && last < cutoff)
        .Select(b => new DormantCandidate(b.Key, b.Value.City, b.Value.LastPaidAt!.Value, b.Value.PaidOrders, b.Value.PaidTotal))
        .OrderBy(d => d.LastPurchaseAt).ThenBy(d => d.BuyerId, StringComparer.Ordinal);
}
