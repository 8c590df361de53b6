namespace LiveCommerce.Grains.Common;

/// <summary>Order rules (<c>LiveCommerce:Orders</c>); every number is an operator setting.</summary>
public sealed class OrderPolicy
{
    public const string Section = "LiveCommerce:Orders";

    /// <summary>An unpaid order expires and its stock returns to the shelf after this long.</summary>
    public TimeSpan PaymentTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A delivered order confirms itself after this long.</summary>
    public TimeSpan AutoConfirmAfterDelivery { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A shipped order with no delivery event confirms itself after this long.</summary>
    public TimeSpan AutoConfirmAfterShipping { get; set; } = TimeSpan.FromDays(10);

    /// <summary>The buyer can return goods (refund) for this long after delivery.</summary>
    public TimeSpan ReturnWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Largest quantity of one order, whatever the shelf allows.</summary>
    public int MaxQuantityPerOrder { get; set; } = 99;

    /// <summary>
    /// Largest amount (fen) one payment may carry: a callback or result above it is refused before anything changes,
    /// so no sum of payments can overflow. The default is the largest order a shelf allows (the maximum product
    /// price times the maximum quantity).
    /// </summary>
    public long MaxPaymentAmount { get; set; } = 100_000_000_00L * 99;

    /// <summary>Throws a validation error unless <paramref name="amount"/> is a possible payment amount (0 only for a failure).</summary>
    public void RequirePaymentAmount(long amount, bool succeeded)
    {
        if (amount < 0 || (succeeded && amount == 0))
            throw DomainException.Invalid("amount", succeeded ? "amount must be positive." : "amount must not be negative.");
        if (amount > MaxPaymentAmount) throw DomainException.Invalid("amount", $"amount must be at most {MaxPaymentAmount} fen.");
    }

    /// <summary>
    /// An order's activation is collected after this long without a call. An order is busy for seconds around
    /// placement and payment, then idle for days until shipping; at Orleans' default (15 minutes) a silo held every
    /// order of the last quarter hour (1–2 GB under load). Must be above Orleans' collection quantum (1 minute).
    /// </summary>
    public TimeSpan IdleActivationAge { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>After-sale cases (<c>LiveCommerce:AfterSale</c>): every deadline is an operator setting.</summary>
public sealed class AfterSalePolicy
{
    public const string Section = "LiveCommerce:AfterSale";

    /// <summary>The merchant answers a new case within this long, or it is approved automatically.</summary>
    public TimeSpan MerchantAnswerWindow { get; set; } = TimeSpan.FromHours(48);

    /// <summary>An approved return must be shipped back within this long, or the case closes without a refund.</summary>
    public TimeSpan ReturnShipWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The merchant confirms a returned parcel within this long of its delivery (the carrier's <c>delivered</c> event
    /// for the return parcel), or receipt is confirmed automatically and the refund runs.
    /// </summary>
    public TimeSpan ReturnReceiptWindow { get; set; } = TimeSpan.FromDays(10);

    /// <summary>
    /// How long a shipped return may travel without the carrier reporting its delivery: after this plus
    /// <see cref="ReturnReceiptWindow"/> from shipping, receipt is confirmed automatically (a carrier that never reports
    /// must not hold the buyer's refund forever).
    /// </summary>
    public TimeSpan ReturnTransitAllowance { get; set; } = TimeSpan.FromDays(10);

    /// <summary>A rejected case (or an unanswered partial offer) waits this long for the buyer before it closes.</summary>
    public TimeSpan BuyerAnswerWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Most cases one order may have over its life (each closed before the next opens).</summary>
    public int MaxCasesPerOrder { get; set; } = 5;

    public int MaxEvidence { get; set; } = 9;
    public int MaxEvidenceUrlLength { get; set; } = 512;
    public int MaxDescriptionLength { get; set; } = 1000;
}

/// <summary>Live-room behaviour (<c>LiveCommerce:Rooms</c>).</summary>
public sealed class RoomSettings
{
    public const string Section = "LiveCommerce:Rooms";

    /// <summary>
    /// How often audience counters (likes, comments, shares, viewers) are persisted and published. A silo crash
    /// loses at most this much of those counters; orders and money are never in this window.
    /// </summary>
    public TimeSpan InteractionFlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often an active room looks for reservations past their payment deadline.</summary>
    public TimeSpan ReservationSweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Comments kept for the room view.</summary>
    public int RecentComments { get; set; } = 50;

    /// <summary>Longest comment.</summary>
    public int MaxCommentLength { get; set; } = 200;

    /// <summary>
    /// Most unpaid orders one buyer may hold for one product of a room (0 = no cap). Checked in the same turn that
    /// takes the stock, so a buyer cannot hoard a flash sale from many addresses: a reservation holds stock until it
    /// is paid, cancelled or expires (<c>PaymentTimeout</c>).
    /// </summary>
    public int MaxOpenOrdersPerBuyerPerProduct { get; set; } = 2;

    /// <summary>Most unpaid orders one buyer may hold in one room, all products together (0 = no cap).</summary>
    public int MaxOpenOrdersPerBuyerPerRoom { get; set; } = 5;
}

/// <summary>Settlement runs (<c>LiveCommerce:Settlement</c>).</summary>
public sealed class SettlementOptions
{
    public const string Section = "LiveCommerce:Settlement";

    /// <summary>Cycle of a new account: 0 = T+0, 1 = T+1, N = T+N business days.</summary>
    public int DefaultCycleDays { get; set; } = 1;

    /// <summary>Local time (business time zone) of each account's daily settlement run.</summary>
    public TimeOnly DailyRunAt { get; set; } = new(0, 10);

    /// <summary>Fastest cycle a merchant (or its app) may choose itself; faster ones are an operator's decision.</summary>
    public int SelfServiceMinCycleDays { get; set; } = 1;

    /// <summary>Slowest cycle a merchant may choose itself (operators may go up to 30).</summary>
    public int SelfServiceMaxCycleDays { get; set; } = 15;
}

/// <summary>Traffic pool behaviour (<c>LiveCommerce:Traffic</c>); technical intervals on real time, not the business clock.</summary>
public sealed class TrafficSettings
{
    public const string Section = "LiveCommerce:Traffic";

    /// <summary>How long the pool trusts a streamer's trust snapshot before reading it again.</summary>
    public TimeSpan SnapshotRefresh { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a computed ranking is served from cache.</summary>
    public TimeSpan RankingCache { get; set; } = TimeSpan.FromSeconds(2);
}
