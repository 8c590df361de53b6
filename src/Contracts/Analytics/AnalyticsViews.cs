namespace LiveCommerce.Contracts.Analytics;

/// <summary>Price bands of the price-sensitivity report, by unit price in fen.</summary>
public enum PriceBand { Under20 = 0, From20To50 = 1, Over50 = 2 }

public static class PriceBands
{
    /// <summary>Below this unit price (fen) an offer is in the "&lt; 20 yuan" band.</summary>
    public const long LowUpperExclusive = 2000;

    /// <summary>Up to and including this unit price (fen) an offer is in the "20–50 yuan" band.</summary>
    public const long MiddleUpperInclusive = 5000;

    public static readonly PriceBand[] All = [PriceBand.Under20, PriceBand.From20To50, PriceBand.Over50];

    public static PriceBand Of(long unitPriceFen) =>
        unitPriceFen < LowUpperExclusive ? PriceBand.Under20 : unitPriceFen <= MiddleUpperInclusive ? PriceBand.From20To50 : PriceBand.Over50;

    public static string Label(PriceBand band) => band switch
    {
        PriceBand.Under20 => "< 20 yuan",
        PriceBand.From20To50 => "20-50 yuan",
        _ => "> 50 yuan",
    };
}

/// <summary>
/// The view → order → paid → confirmed funnel. Views are unique viewers (first visits); orders are counted once
/// each, in the cohort of the hour they were placed. Rates are fractions (0.25 = 25%), rounded to 4 decimals.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record FunnelView(
    [property: Id(0)] long Views,
    [property: Id(1)] long Placed,
    [property: Id(2)] long Paid,
    [property: Id(3)] long Confirmed,
    [property: Id(4)] long Gmv,
    /// <summary>placed / views</summary>
    [property: Id(5)] double OrderRate,
    /// <summary>paid / placed</summary>
    [property: Id(6)] double PaymentRate,
    /// <summary>confirmed / paid</summary>
    [property: Id(7)] double ConfirmationRate,
    /// <summary>paid / views: the conversion used everywhere in analytics</summary>
    [property: Id(8)] double Conversion);

[GenerateSerializer, Immutable]
public sealed record HourRow(
    [property: Id(0)] int Hour,
    [property: Id(1)] long Views,
    [property: Id(2)] long Placed,
    [property: Id(3)] long Paid,
    [property: Id(4)] long Confirmed,
    [property: Id(5)] long Gmv,
    [property: Id(6)] double Conversion);

[GenerateSerializer, Immutable]
public sealed record CityRow(
    [property: Id(0)] string City,
    [property: Id(1)] long Views,
    [property: Id(2)] long Placed,
    [property: Id(3)] long Paid,
    [property: Id(4)] long Gmv,
    [property: Id(5)] double Conversion);

/// <summary>
/// Conversion of a price band: paid orders at a unit price in the band / offer views of the band (for each
/// product offered at a price in the band, the views of its price segment).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record BandRow(
    [property: Id(0)] PriceBand Band,
    [property: Id(1)] string Label,
    [property: Id(2)] long OfferViews,
    [property: Id(3)] long Placed,
    [property: Id(4)] long Paid,
    [property: Id(5)] long Gmv,
    [property: Id(6)] double Conversion);

/// <summary>One price a product was sold at in a room: from the first order at that price to the next price.</summary>
[GenerateSerializer, Immutable]
public sealed record PriceSegmentRow(
    [property: Id(0)] long UnitPrice,
    [property: Id(1)] DateTimeOffset From,
    [property: Id(2)] DateTimeOffset? Until,
    [property: Id(3)] long Views,
    [property: Id(4)] long Placed,
    [property: Id(5)] long Paid,
    [property: Id(6)] double Conversion);

/// <summary>A change from one price segment to the next, with conversion before and after.</summary>
[GenerateSerializer, Immutable]
public sealed record PriceChangeRow(
    [property: Id(0)] long FromPrice,
    [property: Id(1)] long ToPrice,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] double ConversionBefore,
    [property: Id(4)] double ConversionAfter,
    /// <summary>conversionAfter − conversionBefore (fraction points)</summary>
    [property: Id(5)] double ConversionChange,
    /// <summary>For a price cut: (after / before − 1) / yuan cut, as a fraction (0.032 = +3.2% per yuan); null otherwise.</summary>
    [property: Id(6)] double? RelativeChangePerYuanCut);

[GenerateSerializer, Immutable]
public sealed record ProductRow(
    [property: Id(0)] string ProductId,
    [property: Id(1)] string MerchantId,
    [property: Id(2)] FunnelView Funnel,
    [property: Id(3)] IReadOnlyList<PriceSegmentRow> PriceSegments,
    [property: Id(4)] IReadOnlyList<PriceChangeRow> PriceChanges);

[GenerateSerializer, Immutable]
public sealed record RoomAnalyticsView(
    [property: Id(0)] string RoomId,
    [property: Id(1)] string? StreamerId,
    [property: Id(2)] string? City,
    [property: Id(3)] long Views,
    /// <summary>Views the room recorded durably that no event reported (restored by a rebuild; no hour or city).</summary>
    [property: Id(4)] long UnattributedViews,
    /// <summary>Gross GMV: every paid amount, refunds not deducted (fen).</summary>
    [property: Id(5)] long Gmv,
    [property: Id(6)] long RefundedAmount,
    [property: Id(7)] long NetGmv,
    /// <summary>Gross GMV per thousand views, fen.</summary>
    [property: Id(8)] double GpmFen,
    [property: Id(9)] double GpmYuan,
    [property: Id(10)] FunnelView Funnel,
    [property: Id(11)] IReadOnlyList<HourRow> ByHour,
    [property: Id(12)] IReadOnlyList<CityRow> ByCity,
    [property: Id(13)] IReadOnlyList<BandRow> PriceBands,
    [property: Id(14)] IReadOnlyList<ProductRow> Products,
    [property: Id(15)] DateTimeOffset? RebuiltAt);

/// <summary>48-hour repurchase and return rate of a streamer or merchant.</summary>
[GenerateSerializer, Immutable]
public sealed record RetentionView(
    /// <summary>Distinct buyers with at least one paid order.</summary>
    [property: Id(0)] long Buyers,
    /// <summary>Buyers with two paid orders no more than 48 hours apart.</summary>
    [property: Id(1)] long Repurchasers,
    [property: Id(2)] double RepurchaseRate,
    /// <summary>Orders delivered to the buyer.</summary>
    [property: Id(3)] long DeliveredOrders,
    /// <summary>Delivered orders with at least one refund after delivery.</summary>
    [property: Id(4)] long ReturnedOrders,
    [property: Id(5)] double ReturnRate,
    [property: Id(6)] double RepurchaseWindowHours);

[GenerateSerializer, Immutable]
public sealed record RoomSummaryRow(
    [property: Id(0)] string RoomId,
    [property: Id(1)] long Views,
    [property: Id(2)] long Paid,
    [property: Id(3)] long Gmv,
    [property: Id(4)] double GpmFen);

[GenerateSerializer, Immutable]
public sealed record StreamerAnalyticsView(
    [property: Id(0)] string StreamerId,
    [property: Id(1)] long Views,
    [property: Id(2)] long Gmv,
    [property: Id(3)] long RefundedAmount,
    [property: Id(4)] long NetGmv,
    [property: Id(5)] double GpmFen,
    [property: Id(6)] double GpmYuan,
    [property: Id(7)] FunnelView Funnel,
    [property: Id(8)] RetentionView Retention,
    [property: Id(9)] IReadOnlyList<RoomSummaryRow> Rooms,
    [property: Id(10)] IReadOnlyList<AfterSaleReasonRow>? AfterSale = null);

/// <summary>After-sale cases of one reason: how many opened, escalated, ended with money back (returns among them) or without.</summary>
[GenerateSerializer, Immutable]
public sealed record AfterSaleReasonRow(
    [property: Id(0)] string ReasonCode,
    [property: Id(1)] long Opened,
    [property: Id(2)] long Escalated,
    [property: Id(3)] long Refunded,
    [property: Id(4)] long Returned,
    [property: Id(5)] long RefundedAmount,
    [property: Id(6)] long ClosedWithoutRefund,
    [property: Id(7)] long ArbitratedAgainstBuyer,
    /// <summary>Cases of this reason refunded, per paid order.</summary>
    [property: Id(8)] double RefundRate);

[GenerateSerializer, Immutable]
public sealed record MerchantAnalyticsView(
    [property: Id(0)] string MerchantId,
    /// <summary>Unique viewers of the rooms that sold the merchant's products.</summary>
    [property: Id(1)] long Views,
    [property: Id(2)] long Gmv,
    [property: Id(3)] long RefundedAmount,
    [property: Id(4)] long NetGmv,
    [property: Id(5)] double GpmFen,
    [property: Id(6)] double GpmYuan,
    [property: Id(7)] FunnelView Funnel,
    [property: Id(8)] RetentionView Retention,
    [property: Id(9)] IReadOnlyList<HourRow> ByHour,
    [property: Id(10)] IReadOnlyList<CityRow> ByCity,
    [property: Id(11)] IReadOnlyList<BandRow> PriceBands,
    [property: Id(12)] IReadOnlyList<ProductRow> Products,
    [property: Id(13)] IReadOnlyList<RoomSummaryRow> Rooms,
    [property: Id(14)] IReadOnlyList<AfterSaleReasonRow>? AfterSale = null);

/// <summary>One cell of the price–time–region response table.</summary>
[GenerateSerializer, Immutable]
public sealed record ResponseCell(
    [property: Id(0)] PriceBand Band,
    [property: Id(1)] int Hour,
    [property: Id(2)] string City,
    [property: Id(3)] long Placed,
    [property: Id(4)] long Paid,
    [property: Id(5)] long Gmv);

[GenerateSerializer, Immutable]
public sealed record PlatformAnalyticsView(
    [property: Id(0)] long Views,
    [property: Id(1)] long Placed,
    [property: Id(2)] long Paid,
    [property: Id(3)] long Gmv,
    [property: Id(4)] double Conversion,
    [property: Id(5)] IReadOnlyList<HourRow> ByHour,
    [property: Id(6)] IReadOnlyList<CityRow> ByCity,
    [property: Id(7)] IReadOnlyList<BandRow> PriceBands,
    [property: Id(8)] IReadOnlyList<ResponseCell> ResponseTable);

[GenerateSerializer, Immutable]
public sealed record LifetimeModelParameters(
    [property: Id(0)] double R,
    [property: Id(1)] double Alpha,
    [property: Id(2)] double A,
    [property: Id(3)] double B,
    [property: Id(4)] double P,
    [property: Id(5)] double Q,
    [property: Id(6)] double Gamma,
    /// <summary>Buyers the model was fitted on (those with at least one paid order in the shard).</summary>
    [property: Id(7)] int FittedOn,
    /// <summary>True when too few buyers were available and the documented default parameters were used.</summary>
    [property: Id(8)] bool Defaults);

[GenerateSerializer, Immutable]
public sealed record LifetimeValueView(
    [property: Id(0)] string BuyerId,
    [property: Id(1)] int PaidOrders,
    [property: Id(2)] long TotalPaid,
    [property: Id(3)] long TotalRefunded,
    [property: Id(4)] DateTimeOffset? FirstPurchaseAt,
    [property: Id(5)] DateTimeOffset? LastPurchaseAt,
    [property: Id(6)] int HorizonWeeks,
    [property: Id(7)] double ExpectedPurchases,
    [property: Id(8)] double ProbabilityAlive,
    /// <summary>Expected net value of one future order, fen.</summary>
    [property: Id(9)] double ExpectedOrderValue,
    /// <summary>Expected purchases × expected order value over the horizon, fen.</summary>
    [property: Id(10)] long PredictedValue,
    [property: Id(11)] string Model,
    [property: Id(12)] LifetimeModelParameters Parameters);

[GenerateSerializer, Immutable]
public sealed record DormantBuyerRow(
    [property: Id(0)] string BuyerId,
    [property: Id(1)] string? City,
    [property: Id(2)] DateTimeOffset LastPurchaseAt,
    [property: Id(3)] int PaidOrders,
    [property: Id(4)] long TotalPaid,
    [property: Id(5)] IReadOnlyList<string> Following);

[GenerateSerializer, Immutable]
public sealed record DormantBuyerPage(
    [property: Id(0)] IReadOnlyList<DormantBuyerRow> Items,
    [property: Id(1)] int Total,
    [property: Id(2)] int Offset,
    [property: Id(3)] int Limit,
    [property: Id(4)] DateTimeOffset Cutoff,
    [property: Id(5)] int DormantDays);

[GenerateSerializer, Immutable]
public sealed record RebuildResult(
    [property: Id(0)] string RunId,
    [property: Id(1)] int Buyers,
    [property: Id(2)] int Orders,
    [property: Id(3)] int Rooms,
    [property: Id(4)] int Streamers,
    [property: Id(5)] int Merchants,
    [property: Id(6)] DateTimeOffset StartedAt,
    [property: Id(7)] DateTimeOffset FinishedAt);
