using LiveCommerce.Contracts.Analytics;

namespace LiveCommerce.Grains.Analytics;

/// <summary>Turns counters into the report rows; pure functions, so the definitions are tested without a silo.</summary>
public static class Reports
{
    /// <summary>num / den as a fraction rounded to 4 decimals; 0 when there is no denominator.</summary>
    public static double Rate(long num, long den) => den <= 0 ? 0 : Math.Round((double)num / den, 4);

    /// <summary>GMV (fen) per thousand views, rounded to 2 decimals.</summary>
    public static double Gpm(long gmv, long views) => views <= 0 ? 0 : Math.Round(gmv * 1000.0 / views, 2);

    public static FunnelView Funnel(long views, Funnel f) =>
        new(views, f.Placed, f.Paid, f.Confirmed, f.Gmv, Rate(f.Placed, views), Rate(f.Paid, f.Placed), Rate(f.Confirmed, f.Paid), Rate(f.Paid, views));

    public static List<HourRow> Hours(long[] viewsByHour, IReadOnlyDictionary<int, Funnel> byHour) =>
        Enumerable.Range(0, 24).Select(h =>
        {
            var f = byHour.GetValueOrDefault(h) ?? new Funnel();
            return new HourRow(h, viewsByHour[h], f.Placed, f.Paid, f.Confirmed, f.Gmv, Rate(f.Paid, viewsByHour[h]));
        }).ToList();

    public static List<CityRow> Cities(IReadOnlyDictionary<string, long> views, IReadOnlyDictionary<string, Funnel> orders) =>
        views.Keys.Union(orders.Keys).Select(city =>
        {
            var v = views.GetValueOrDefault(city);
            var f = orders.GetValueOrDefault(city) ?? new Funnel();
            return new CityRow(city, v, f.Placed, f.Paid, f.Gmv, Rate(f.Paid, v));
        }).OrderByDescending(r => r.Paid).ThenByDescending(r => r.Views).ThenBy(r => r.City, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Price segments of a product in a room, in time order. Segment i runs from the first order at its price to
    /// the first order at the next price; the first segment reaches back to the room's start (and carries the
    /// unattributed views). Segment views = first visits in the segment's time span.
    /// </summary>
    public static List<PriceSegmentRow> Segments(ViewCounters views, ProductCounters product)
    {
        var points = product.Prices.OrderBy(p => p.Value.FirstSeenAt).ThenBy(p => p.Key).ToList();
        var rows = new List<PriceSegmentRow>(points.Count);
        for (var i = 0; i < points.Count; i++)
        {
            var (price, point) = (points[i].Key, points[i].Value);
            DateTimeOffset? until = i + 1 < points.Count ? points[i + 1].Value.FirstSeenAt : null;
            var segmentViews = i == 0 ? views.Between(null, until) + views.Unattributed : views.Between(point.FirstSeenAt, until);
            rows.Add(new PriceSegmentRow(price, point.FirstSeenAt, until, segmentViews, point.Funnel.Placed, point.Funnel.Paid,
                Rate(point.Funnel.Paid, segmentViews)));
        }
        return rows;
    }

    public static List<PriceChangeRow> Changes(IReadOnlyList<PriceSegmentRow> segments)
    {
        static double Raw(PriceSegmentRow s) => s.Views <= 0 ? 0 : (double)s.Paid / s.Views;
        var rows = new List<PriceChangeRow>();
        for (var i = 1; i < segments.Count; i++)
        {
            var (before, after) = (segments[i - 1], segments[i]);
            double? perYuan = null;
            if (after.UnitPrice < before.UnitPrice && Raw(before) > 0)
                perYuan = Math.Round((Raw(after) / Raw(before) - 1) / ((before.UnitPrice - after.UnitPrice) / 100.0), 4);
            rows.Add(new PriceChangeRow(before.UnitPrice, after.UnitPrice, after.From, before.Conversion, after.Conversion,
                Math.Round(Raw(after) - Raw(before), 4), perYuan));
        }
        return rows;
    }

    public static List<ProductRow> Products(ViewCounters views, OrderCounters orders) =>
        orders.Products.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
        {
            var segments = Segments(views, p.Value);
            return new ProductRow(p.Key, p.Value.MerchantId, Funnel(views.All, p.Value.Funnel), segments, Changes(segments));
        }).ToList();

    /// <summary>Band rows: orders by the band of their unit price; offer views summed over the price segments in the band.</summary>
    public static List<BandRow> Bands(IEnumerable<PriceSegmentRow> segments, IReadOnlyDictionary<PriceBand, Funnel> byBand)
    {
        var offerViews = segments.GroupBy(s => PriceBands.Of(s.UnitPrice)).ToDictionary(g => g.Key, g => g.Sum(s => s.Views));
        return PriceBands.All.Select(band =>
        {
            var f = byBand.GetValueOrDefault(band) ?? new Funnel();
            var v = offerViews.GetValueOrDefault(band);
            return new BandRow(band, PriceBands.Label(band), v, f.Placed, f.Paid, f.Gmv, Rate(f.Paid, v));
        }).ToList();
    }

    public static RoomAnalyticsView Room(string roomId, string? streamerId, string? city, ViewCounters views, OrderCounters orders, DateTimeOffset? rebuiltAt)
    {
        var products = Products(views, orders);
        var t = orders.Total;
        return new RoomAnalyticsView(roomId, streamerId, city, views.All, views.Unattributed, t.Gmv, t.RefundedAmount, t.Gmv - t.RefundedAmount,
            Gpm(t.Gmv, views.All), Math.Round(Gpm(t.Gmv, views.All) / 100, 4), Funnel(views.All, t),
            Hours(views.ByHour, orders.ByHour), Cities(views.ByCity, orders.ByCity),
            Bands(products.SelectMany(p => p.PriceSegments), orders.ByBand), products, rebuiltAt);
    }

    public static RetentionView Retention(RetentionCounts c, TimeSpan window) =>
        new(c.Buyers, c.Repurchasers, Rate(c.Repurchasers, c.Buyers), c.Delivered, c.Returned, Rate(c.Returned, c.Delivered), window.TotalHours);

    /// <summary>
    /// A merchant's report: its own order counters, with views from the rooms that sold its products (their unique
    /// viewers, by hour and city; for bands and products, the segments of its own products in those rooms).
    /// </summary>
    public static MerchantAnalyticsView Merchant(string merchantId, OrderCounters orders, IReadOnlyList<RoomAnalyticsView> rooms, RetentionView retention)
    {
        var views = rooms.Sum(r => r.Views);
        var viewsByHour = new long[24];
        var viewsByCity = new Dictionary<string, long>();
        foreach (var room in rooms)
        {
            foreach (var h in room.ByHour) viewsByHour[h.Hour] += h.Views;
            foreach (var c in room.ByCity) viewsByCity[c.City] = viewsByCity.GetValueOrDefault(c.City) + c.Views;
        }
        var own = rooms.SelectMany(r => r.Products.Where(p => p.MerchantId == merchantId).Select(p => (Room: r, Product: p))).ToList();
        var products = orders.Products.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
        {
            var inRooms = own.Where(o => o.Product.ProductId == p.Key).ToList();
            var productViews = inRooms.Sum(o => o.Room.Views);
            return new ProductRow(p.Key, merchantId, Funnel(productViews, p.Value.Funnel), inRooms.SelectMany(o => o.Product.PriceSegments).ToList(),
                inRooms.SelectMany(o => o.Product.PriceChanges).ToList());
        }).ToList();
        var t = orders.Total;
        var roomRows = rooms.Select(r =>
        {
            var sold = r.Products.Where(p => p.MerchantId == merchantId).ToList();
            var gmv = sold.Sum(p => p.Funnel.Gmv);
            return new RoomSummaryRow(r.RoomId, r.Views, sold.Sum(p => p.Funnel.Paid), gmv, Gpm(gmv, r.Views));
        }).ToList();
        return new MerchantAnalyticsView(merchantId, views, t.Gmv, t.RefundedAmount, t.Gmv - t.RefundedAmount, Gpm(t.Gmv, views),
            Math.Round(Gpm(t.Gmv, views) / 100, 4), Funnel(views, t), retention, Hours(viewsByHour, orders.ByHour),
            Cities(viewsByCity, orders.ByCity), Bands(own.SelectMany(o => o.Product.PriceSegments), orders.ByBand), products, roomRows);
    }
}
