using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;

namespace LiveCommerce.Grains.Merchants;

/// <summary>A row rebuilt from an order's durable state, with the moment (business clock) just before the order was read.</summary>
public sealed record RebuiltRecord(MerchantOrderRecord Record, DateTimeOffset ReadAt);

/// <summary>What a replace did: rows stored (changed or not), those that differed, rows removed, and orders whose row moved after the read.</summary>
public sealed record ReplaceOutcome(int Written, int Changed, int Removed, IReadOnlyList<string> Moved)
{
    public static readonly ReplaceOutcome Empty = new(0, 0, 0, []);
}

public enum ReplaceDecision
{
    /// <summary>The stored row already is the rebuilt one: stored again, nothing changes.</summary>
    Same,
    /// <summary>The rebuilt row replaces the stored one (or stands in for a missing one).</summary>
    Replace,
    /// <summary>The stored row was updated after the order was read: the order moved on meanwhile, so read it again.</summary>
    Moved,
}

/// <summary>
/// The merchant order list's row that an order's durable state implies, and the rule that lets a rebuilt row replace a
/// stored one. The row is what <see cref="MerchantOrderProjection"/> folds from every event the order and its cases
/// published, computed from their state instead: a lost event cannot leave it behind.
/// </summary>
public static class MerchantOrderRebuild
{
    /// <summary>
    /// The row of <paramref name="order"/> with its after-sale <paramref name="cases"/> (those that exist). Times are
    /// the state's own step times (an event's time is when it was published, a few milliseconds later in production).
    /// </summary>
    public static MerchantOrderRecord RowOf(OrderView order, IReadOnlyList<AfterSaleCaseView> cases)
    {
        var micros = MerchantOrderProjection.Micros;
        var record = new MerchantOrderRecord
        {
            OrderId = order.OrderId,
            MerchantId = order.MerchantId,
            BuyerId = order.BuyerId,
            RoomId = order.RoomId,
            StreamerId = order.StreamerId,
            ProductId = order.ProductId,
            Quantity = order.Quantity,
            UnitPrice = order.UnitPrice,
            // A paid event carries the amount paid, every other the order's amount; the fold keeps the larger.
            Amount = order.PaidAt is null ? order.Amount : Math.Max(order.Amount, order.PaidAmount),
            Status = order.Status,
            PlacedAt = micros(order.PlacedAt),
            PaidAt = order.PaidAt is { } paid ? micros(paid) : null,
            ShippedAt = order.ShippedAt is { } shipped ? micros(shipped) : null,
            ShippingAddress = order.ShippingAddress,
        };
        var refunded = 0L;
        foreach (var refund in order.Refunds)
        {
            refunded = checked(refunded + refund.Amount);
            record.RefundKeys.Add(MerchantOrderProjection.RefundKey(refund.At, refund.Amount));
        }
        record.RefundedAmount = refunded;

        // The newest step of any of the order's cases, ties to the later state: the rule the fold applies to case events.
        var newest = cases.SelectMany(c => c.Timeline)
            .Select(s => (At: micros(s.At), s.Status))
            .OrderBy(s => s.At).ThenBy(s => s.Status)
            .LastOrDefault();
        if (cases.Any(c => c.Timeline.Count > 0))
        {
            record.AfterSale = newest.Status;
            record.AfterSaleAt = newest.At;
        }

        DateTimeOffset?[] steps =
        [
            order.PlacedAt, order.PaidAt, order.Status == OrderStatus.Cancelled ? order.CancelledAt : null, order.ShippedAt, order.DeliveredAt,
            order.ConfirmedAt, order.SettledAt, record.AfterSaleAt,
        ];
        record.UpdatedAt = steps.OfType<DateTimeOffset>().Concat(order.Refunds.Select(r => r.At)).Select(micros).Max();
        return record;
    }

    /// <summary>
    /// Whether <paramref name="rebuilt"/> may replace <paramref name="stored"/>. A stored row updated after the order was
    /// read holds a step the rebuilt row may lack: replacing it could move the row backwards, so it is left for a re-read.
    /// </summary>
    public static ReplaceDecision Decide(MerchantOrderRecord? stored, RebuiltRecord rebuilt)
    {
        if (stored is null) return ReplaceDecision.Replace;
        if (Same(stored, rebuilt.Record)) return ReplaceDecision.Same;
        return stored.UpdatedAt > MerchantOrderProjection.Micros(rebuilt.ReadAt) ? ReplaceDecision.Moved : ReplaceDecision.Replace;
    }

    /// <summary>Every stored field equal, refunds counted included.</summary>
    public static bool Same(MerchantOrderRecord a, MerchantOrderRecord b) =>
        a.ToRow() == b.ToRow() && a.Listed == b.Listed && a.AfterSaleAt == b.AfterSaleAt
        && a.RefundKeys.Order(StringComparer.Ordinal).SequenceEqual(b.RefundKeys.Order(StringComparer.Ordinal));

    /// <summary>
    /// Decides every rebuilt row of one merchant against the stored ones: the rows to write (those that differ), what
    /// moved; <see cref="ReplaceOutcome.Written"/> counts the rows that equal their rebuilt row afterwards. Both stores
    /// run this under the merchant's lock (the feed's writes take the same one).
    /// </summary>
    public static (List<MerchantOrderRecord> Write, ReplaceOutcome Outcome) Plan(string merchantId, IReadOnlyList<RebuiltRecord> rows,
        IReadOnlyList<string> removals, Func<string, MerchantOrderRecord?> stored)
    {
        var write = new List<MerchantOrderRecord>();
        var moved = new List<string>();
        var same = 0;
        foreach (var row in rows)
        {
            if (row.Record.MerchantId != merchantId)
                throw new ArgumentException($"Order {row.Record.OrderId} belongs to merchant {row.Record.MerchantId}, not {merchantId}.", nameof(rows));
            switch (Decide(stored(row.Record.OrderId), row))
            {
                case ReplaceDecision.Moved:
                    moved.Add(row.Record.OrderId);
                    break;
                case ReplaceDecision.Replace:
                    write.Add(row.Record);
                    break;
                default:
                    same++;
                    break;
            }
        }
        var removed = removals.Distinct().Count(id => stored(id) is not null);
        return (write, new ReplaceOutcome(same + write.Count, write.Count, removed, moved));
    }
}
