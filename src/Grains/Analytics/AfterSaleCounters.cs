using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Events;

namespace LiveCommerce.Grains.Analytics;

/// <summary>After-sale outcomes of one slice by reason code, fed by <see cref="AfterSaleCaseChanged"/> (one count per case and status).</summary>
[GenerateSerializer]
public sealed class AfterSaleCounters
{
    [Id(0)] public Dictionary<string, AfterSaleReasonCounts> ByReason { get; set; } = [];

    public void Apply(AfterSaleCaseChanged e)
    {
        if (!ByReason.TryGetValue(e.ReasonCode, out var counts))
        {
            // The reason list is fixed and short; anything else is folded into one bucket so the map stays bounded.
            var key = Contracts.Orders.AfterSaleReasons.IsKnown(e.ReasonCode) ? e.ReasonCode : "other";
            if (!ByReason.TryGetValue(key, out counts)) ByReason[key] = counts = new AfterSaleReasonCounts();
        }
        switch (e.Status)
        {
            case AfterSaleStatus.AwaitingMerchant: counts.Opened++; break;
            case AfterSaleStatus.InArbitration: counts.Escalated++; break;
            case AfterSaleStatus.Refunded:
                counts.Refunded++;
                counts.RefundedAmount = checked(counts.RefundedAmount + e.AmountRefunded);
                if (e.Kind == AfterSaleKind.ReturnAndRefund) counts.Returned++;
                break;
            case AfterSaleStatus.Closed:
                counts.ClosedWithoutRefund++;
                if (e.ArbitratedAgainstBuyer) counts.ArbitratedAgainstBuyer++;
                break;
        }
    }

    /// <summary>Rows by reason; the refund rate is refunded cases per paid order of the slice.</summary>
    public IReadOnlyList<AfterSaleReasonRow> Rows(long paidOrders) =>
        ByReason.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => new AfterSaleReasonRow(r.Key, r.Value.Opened, r.Value.Escalated, r.Value.Refunded,
            r.Value.Returned, r.Value.RefundedAmount, r.Value.ClosedWithoutRefund, r.Value.ArbitratedAgainstBuyer,
            paidOrders == 0 ? 0 : Math.Round((double)r.Value.Refunded / paidOrders, 4))).ToList();
}

[GenerateSerializer]
public sealed class AfterSaleReasonCounts
{
    [Id(0)] public long Opened { get; set; }
    [Id(1)] public long Escalated { get; set; }
    [Id(2)] public long Refunded { get; set; }
    [Id(3)] public long Returned { get; set; }
    [Id(4)] public long RefundedAmount { get; set; }
    [Id(5)] public long ClosedWithoutRefund { get; set; }
    [Id(6)] public long ArbitratedAgainstBuyer { get; set; }
}
