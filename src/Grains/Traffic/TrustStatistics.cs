namespace LiveCommerce.Grains.Traffic;

/// <summary>
/// The measured events behind a streamer's trust score, in daily buckets over a rolling window, plus what the
/// 48-hour repurchase rule needs (each buyer's last paid order, kept 48 hours). Bounded: old days and buyers drop out.
/// </summary>
[GenerateSerializer]
public sealed class TrustStatistics
{
    public const int WindowDays = 30;
    public static readonly TimeSpan RepurchaseWindow = TimeSpan.FromHours(48);

    [Id(0)] public SortedDictionary<int, TrustDay> Days { get; set; } = [];
    [Id(1)] public Dictionary<string, DateTimeOffset> LastPaidByBuyer { get; set; } = [];
    /// <summary>Orders already counted as returns (partial refunds come as several events), with their day.</summary>
    [Id(2)] public Dictionary<string, int> ReturnedOrders { get; set; } = [];

    private static int DayOf(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime).DayNumber;

    private TrustDay Day(DateTimeOffset at)
    {
        var day = DayOf(at);
        if (!Days.TryGetValue(day, out var bucket)) Days[day] = bucket = new TrustDay();
        return bucket;
    }

    public void ViewerArrived(DateTimeOffset at) => Day(at).Viewers++;

    public void NewInteractors(long count, DateTimeOffset at) => Day(at).Interactors += count;

    public void Delivered(DateTimeOffset at) => Day(at).Delivered++;

    /// <summary>A refund after delivery makes the order a return, once.</summary>
    public void Returned(string orderId, DateTimeOffset at)
    {
        if (ReturnedOrders.TryAdd(orderId, DayOf(at))) Day(at).Returns++;
    }

    /// <summary>A paid order; a repurchase when the same buyer paid this streamer within the previous 48 hours.</summary>
    public void Paid(string buyerId, DateTimeOffset at)
    {
        var bucket = Day(at);
        bucket.Paid++;
        if (LastPaidByBuyer.TryGetValue(buyerId, out var last) && at - last <= RepurchaseWindow && at >= last) bucket.Repurchases++;
        LastPaidByBuyer[buyerId] = at;
    }

    public void Prune(DateTimeOffset now)
    {
        var first = DayOf(now) - WindowDays + 1;
        foreach (var old in Days.Keys.Where(d => d < first).ToList()) Days.Remove(old);
        foreach (var old in LastPaidByBuyer.Where(p => now - p.Value > RepurchaseWindow).Select(p => p.Key).ToList()) LastPaidByBuyer.Remove(old);
        foreach (var old in ReturnedOrders.Where(r => r.Value < first - 60).Select(r => r.Key).ToList()) ReturnedOrders.Remove(old);
    }

    /// <summary>Totals over the window ending at <paramref name="now"/>.</summary>
    public TrustDay Totals(DateTimeOffset now)
    {
        var first = DayOf(now) - WindowDays + 1;
        var total = new TrustDay();
        foreach (var (day, b) in Days)
        {
            if (day < first) continue;
            total.Viewers += b.Viewers;
            total.Interactors += b.Interactors;
            total.Paid += b.Paid;
            total.Repurchases += b.Repurchases;
            total.Delivered += b.Delivered;
            total.Returns += b.Returns;
        }
        return total;
    }
}

[GenerateSerializer]
public sealed class TrustDay
{
    /// <summary>First visits of viewers to the streamer's rooms (unique per session).</summary>
    [Id(0)] public long Viewers { get; set; }
    /// <summary>Viewers who liked, commented or shared (counted once per session).</summary>
    [Id(1)] public long Interactors { get; set; }
    [Id(2)] public long Paid { get; set; }
    [Id(3)] public long Repurchases { get; set; }
    [Id(4)] public long Delivered { get; set; }
    [Id(5)] public long Returns { get; set; }
}
