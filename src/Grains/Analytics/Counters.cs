using LiveCommerce.Contracts.Analytics;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Grains.Common;

namespace LiveCommerce.Grains.Analytics;

/// <summary>Order counts of one slice (a room, an hour, a city, a band, a product).</summary>
[GenerateSerializer]
public sealed class Funnel
{
    [Id(0)] public long Placed { get; set; }
    [Id(1)] public long Paid { get; set; }
    [Id(2)] public long Confirmed { get; set; }
    [Id(3)] public long Cancelled { get; set; }
    /// <summary>Gross GMV: sum of paid amounts (fen), refunds not deducted.</summary>
    [Id(4)] public long Gmv { get; set; }
    [Id(5)] public long RefundedAmount { get; set; }

    public void Apply(OrderEvent e)
    {
        switch (e.Kind)
        {
            case OrderEventKind.Placed: Placed++; break;
            case OrderEventKind.Paid: Gmv = checked(Gmv + e.Amount); Paid++; break;
            case OrderEventKind.Confirmed: Confirmed++; break;
            case OrderEventKind.Cancelled: Cancelled++; break;
            case OrderEventKind.Refunded: RefundedAmount = checked(RefundedAmount + e.RefundAmount); break;
        }
    }
}

/// <summary>Unique viewers (first visits) by hour of day, viewer city and minute (for price segments).</summary>
[GenerateSerializer]
public sealed class ViewCounters
{
    /// <summary>Minutes kept for price segments: two weeks, far longer than a live session.</summary>
    public const int MaxMinutes = 14 * 24 * 60;

    [Id(0)] public long Total { get; set; }
    [Id(1)] public long[] ByHour { get; set; } = new long[24];
    [Id(2)] public Dictionary<string, long> ByCity { get; set; } = [];
    /// <summary>First visits per minute (Unix minutes); only kept where price segments need it.</summary>
    [Id(3)] public SortedDictionary<long, long> ByMinute { get; set; } = [];
    /// <summary>Views restored by a rebuild from a room's durable count, with no hour, city or minute.</summary>
    [Id(4)] public long Unattributed { get; set; }

    public long All => Total + Unattributed;

    public void Apply(ViewerJoined e, BusinessCalendar calendar, bool byMinute)
    {
        if (!e.FirstVisit) return;
        Total++;
        ByHour[calendar.HourOf(e.At)]++;
        var city = CityKey(e.ViewerCity);
        ByCity[city] = ByCity.GetValueOrDefault(city) + 1;
        if (!byMinute) return;
        var minute = e.At.ToUnixTimeSeconds() / 60;
        ByMinute[minute] = ByMinute.GetValueOrDefault(minute) + 1;
        while (ByMinute.Count > MaxMinutes) ByMinute.Remove(ByMinute.Keys.First());
    }

    /// <summary>First visits in [from, until) (null bounds are open).</summary>
    public long Between(DateTimeOffset? from, DateTimeOffset? until)
    {
        var lo = from is { } f ? f.ToUnixTimeSeconds() / 60 : long.MinValue;
        var hi = until is { } u ? u.ToUnixTimeSeconds() / 60 : long.MaxValue;
        long sum = 0;
        foreach (var (minute, count) in ByMinute)
            if (minute >= lo && minute < hi) sum += count;
        return sum;
    }

    public static string CityKey(string? city) => string.IsNullOrWhiteSpace(city) ? "unknown" : city;
}

/// <summary>One unit price a product was ordered at: its segment starts at the first order placed at that price.</summary>
[GenerateSerializer]
public sealed class PricePoint
{
    [Id(0)] public DateTimeOffset FirstSeenAt { get; set; } = DateTimeOffset.MaxValue;
    [Id(1)] public Funnel Funnel { get; set; } = new();
}

[GenerateSerializer]
public sealed class ProductCounters
{
    [Id(0)] public string MerchantId { get; set; } = "";
    [Id(1)] public Funnel Funnel { get; set; } = new();
    [Id(2)] public Dictionary<long, PricePoint> Prices { get; set; } = [];
}

/// <summary>
/// Keys of recently applied events, so a redelivered event (or one a rebuild already replayed) counts once.
/// Bounded: a duplicate arriving after <see cref="Capacity"/> newer events is counted again.
/// </summary>
[GenerateSerializer]
public sealed class RecentKeys
{
    public const int Capacity = 4096;

    [Id(0)] public List<string> Keys { get; set; } = [];
    [NonSerialized] private HashSet<string>? _set;

    public bool Add(string key)
    {
        _set ??= [.. Keys];
        if (!_set.Add(key)) return false;
        Keys.Add(key);
        if (Keys.Count > Capacity)
        {
            var drop = Keys.Count - Capacity;
            foreach (var old in Keys.Take(drop)) _set.Remove(old);
            Keys.RemoveRange(0, drop);
        }
        return true;
    }

    public void Clear()
    {
        Keys.Clear();
        _set = null;
    }

    public static string Of(DomainEvent e) => e switch
    {
        OrderEvent o when o.Kind == OrderEventKind.Refunded => $"{o.OrderId}:{o.Kind}:{o.RefundAmount}:{o.At.UtcTicks}",
        OrderEvent o => $"{o.OrderId}:{o.Kind}",
        ViewerJoined v => $"view:{v.ViewerId}:{v.At.UtcTicks}",
        AfterSaleCaseChanged c => $"{c.CaseId}:{c.Status}",
        _ => e.ToString(),
    };
}

/// <summary>
/// Order-derived counters of a room or merchant: total, by hour of placement (business time zone), by buyer city,
/// by price band of the unit price and by product (with price points). Every order counts in the slice of its
/// placement: a payment or confirmation adds to the hour, city and band the order was placed in.
/// </summary>
[GenerateSerializer]
public sealed class OrderCounters
{
    [Id(0)] public Funnel Total { get; set; } = new();
    [Id(1)] public Dictionary<int, Funnel> ByHour { get; set; } = [];
    [Id(2)] public Dictionary<string, Funnel> ByCity { get; set; } = [];
    [Id(3)] public Dictionary<PriceBand, Funnel> ByBand { get; set; } = [];
    [Id(4)] public Dictionary<string, ProductCounters> Products { get; set; } = [];

    public void Apply(OrderEvent e, BusinessCalendar calendar)
    {
        if (e.Kind is OrderEventKind.Shipped or OrderEventKind.Delivered or OrderEventKind.Settled) return;
        Total.Apply(e);
        Slice(ByHour, calendar.HourOf(e.PlacedAt)).Apply(e);
        Slice(ByCity, ViewCounters.CityKey(e.BuyerCity)).Apply(e);
        Slice(ByBand, PriceBands.Of(e.UnitPrice)).Apply(e);
        if (!Products.TryGetValue(e.ProductId, out var product)) Products[e.ProductId] = product = new ProductCounters();
        product.MerchantId = e.MerchantId;
        product.Funnel.Apply(e);
        if (!product.Prices.TryGetValue(e.UnitPrice, out var point)) product.Prices[e.UnitPrice] = point = new PricePoint();
        if (e.PlacedAt < point.FirstSeenAt) point.FirstSeenAt = e.PlacedAt;
        point.Funnel.Apply(e);
    }

    private static Funnel Slice<TKey>(Dictionary<TKey, Funnel> slices, TKey key) where TKey : notnull
    {
        if (!slices.TryGetValue(key, out var funnel)) slices[key] = funnel = new Funnel();
        return funnel;
    }
}
