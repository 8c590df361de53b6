using LiveCommerce.Contracts.Payments;

namespace LiveCommerce.Contracts.Rooms;

public enum RoomStatus { Scheduled = 0, Live = 1, Ended = 2 }

/// <summary>
/// One live session of a streamer: status, shelf (price, stock, reservations, split plan), audience and GMV.
/// The room owns stock: every reservation and its release or commit goes through it, so it never oversells.
/// </summary>
public interface ILiveRoomGrain : IGrainWithStringKey
{
    // Streamer operations.
    Task<RoomView> Open(string streamerId, OpenRoom command);
    Task<RoomView> StartLive(string streamerId);
    Task<RoomView> EndLive(string streamerId);
    Task<ShelfItemView> ListProduct(string streamerId, ListProduct command);
    Task<ShelfItemView> ChangePrice(string streamerId, string productId, long livePrice);
    Task<ShelfItemView> AddStock(string streamerId, string productId, int quantity);

    /// <summary>Pins the product being explained now (null unpins); viewers see it on the channel.</summary>
    Task<RoomView> Pin(string streamerId, string? productId);

    /// <summary>The streamer bars a viewer from commenting here; the viewer's comments are taken off viewers' screens and never pushed again.</summary>
    Task BanCommenter(string streamerId, string viewerId);

    /// <summary>
    /// Takes one recent comment down: it is never pushed if it was not yet, and viewers are told to remove it if it
    /// was. Who may do it is the front door's check (the room's streamer or an admin). Not found: not a recent comment.
    /// </summary>
    Task DeleteComment(string commentId);

    /// <summary>The room's channel lost track (it moved, or missed a batch): the room sends its whole state at its next tick.</summary>
    [Orleans.Concurrency.OneWay]
    Task ResendToChannel();

    /// <summary>
    /// The product's distribution offer tells the room to stop taking orders for the listings it admitted at
    /// <paramref name="offerVersion"/> or before (withdrawn, or its terms changed). Idempotent; persisted before it returns.
    /// </summary>
    Task StopOffer(string productId, long offerVersion);

    // Audience. Counters are kept in memory and flushed periodically (bounded loss window, never orders or money).
    /// <summary>A registered buyer enters the room (idempotent while inside).</summary>
    Task<RoomView> Join(string viewerId);
    Task Leave(string viewerId);
    Task Like(string viewerId, int count);
    /// <summary>
    /// Posts a comment; returns its id (what the streamer names to delete it). With a <paramref name="key"/> the id
    /// derives from viewer and key, and a repeat of a recent key answers the same id without a second comment.
    /// </summary>
    Task<string> Comment(string viewerId, string text, string? key = null);
    Task Share(string viewerId);

    [Orleans.Concurrency.ReadOnly]
    Task<RoomView> GetView();

    /// <summary>What an order for the product would cost and who sells it, for the risk check before reserving.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<RoomQuote> Quote(string productId);

    // Stock, called by order grains.

    /// <summary>Reserves units for an order; answered only once the reservation is durable. Repeating it for the same order returns the same reservation.</summary>
    Task<ReserveResult> Reserve(ReserveRequest request);

    /// <summary>Turns the order's reservation into a sale (payment arrived). Idempotent.</summary>
    Task<CommitResult> Commit(string orderId, long amountPaid);

    /// <summary>Returns a reservation's units to the shelf (order cancelled or expired). Idempotent; unknown orders are a no-op.</summary>
    Task Release(string orderId);

    /// <summary>Returns sold units to the shelf (full refund of an order that never shipped); takes GMV back.</summary>
    Task ReturnSold(string orderId, string productId, int quantity, long amount);

    /// <summary>Asks each order whose reservation is past its deadline whether it may expire, and releases those.</summary>
    Task<int> ExpireDueReservations();
}

[GenerateSerializer, Immutable]
public sealed record OpenRoom(
    [property: Id(0)] string Title,
    [property: Id(1)] string City);

[GenerateSerializer, Immutable]
public sealed record ListProduct(
    [property: Id(0)] string ProductId,
    [property: Id(1)] long LivePrice,
    [property: Id(2)] int Stock,
    // Optional: streamer and distributor shares dividing the offer's commission; the plan is derived from the offer.
    [property: Id(3)] SplitPlan? SplitPlan,
    [property: Id(4)] int? PerOrderLimit,
    // A flash sale: the buyer-burst rule for flash sales applies to its orders (reject by default).
    [property: Id(5)] bool FlashSale = false);

[GenerateSerializer, Immutable]
public sealed record ShelfItemView(
    [property: Id(0)] string ProductId,
    [property: Id(1)] string MerchantId,
    [property: Id(2)] string Name,
    [property: Id(3)] long LivePrice,
    [property: Id(4)] long ListPrice,
    [property: Id(5)] int StockListed,
    [property: Id(6)] int StockLeft,
    [property: Id(7)] int Reserved,
    [property: Id(8)] int Sold,
    [property: Id(9)] int PerOrderLimit,
    [property: Id(10)] SplitPlan SplitPlan,
    // The product's historical average price before the live price was set, and the risk flag the price got.
    [property: Id(11)] long ReferencePrice,
    [property: Id(12)] string? PriceFlag,
    [property: Id(13)] string Category = "",
    // The distribution offer version the listing was admitted under; false once the offer told the room to stop.
    [property: Id(14)] long OfferVersion = 0,
    [property: Id(15)] bool Selling = true,
    [property: Id(16)] bool FlashSale = false);

[GenerateSerializer, Immutable]
public sealed record RoomQuote(
    [property: Id(0)] RoomStatus Status,
    [property: Id(1)] bool OnShelf,
    [property: Id(2)] string StreamerId,
    [property: Id(3)] string? MerchantId,
    [property: Id(4)] long LivePrice,
    [property: Id(5)] long ReferencePrice,
    [property: Id(6)] bool FlashSale = false,
    [property: Id(7)] string? Category = null);

[GenerateSerializer, Immutable]
public sealed record RoomView(
    [property: Id(0)] string RoomId,
    [property: Id(1)] string StreamerId,
    [property: Id(2)] string Title,
    [property: Id(3)] string City,
    [property: Id(4)] RoomStatus Status,
    [property: Id(5)] int ViewersNow,
    [property: Id(6)] long UniqueViewers,
    [property: Id(7)] long Likes,
    [property: Id(8)] long Comments,
    [property: Id(9)] long Shares,
    [property: Id(10)] long Gmv,
    [property: Id(11)] long OrdersPaid,
    [property: Id(12)] IReadOnlyList<ShelfItemView> Shelf,
    [property: Id(13)] IReadOnlyList<CommentView> RecentComments,
    [property: Id(14)] DateTimeOffset? StartedAt,
    [property: Id(15)] DateTimeOffset? EndedAt,
    [property: Id(16)] string? PinnedProductId = null);

[GenerateSerializer, Immutable]
public sealed record CommentView(
    [property: Id(0)] string ViewerId,
    [property: Id(1)] string Text,
    [property: Id(2)] DateTimeOffset At,
    // Null for comments kept before comments had ids (they cannot be deleted one by one).
    [property: Id(3)] string? Id = null);

[GenerateSerializer, Immutable]
public sealed record ReserveRequest(
    [property: Id(0)] string OrderId,
    [property: Id(1)] string BuyerId,
    [property: Id(2)] string ProductId,
    [property: Id(3)] int Quantity,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    // A repeat order under a buyer's standing authorization may buy from the shelf after the session ended.
    [property: Id(5)] bool StandingAuthorization = false,
    // When the order was placed and what it knew then; kept on the stock line, the order's durable record.
    [property: Id(6)] DateTimeOffset PlacedAt = default,
    [property: Id(7)] Orders.OrderSeed? Seed = null);

public enum ReserveOutcome
{
    Reserved = 0,
    SoldOut = 1,
    RoomNotLive = 2,
    NotOnShelf = 3,
    OverPerOrderLimit = 4,
    /// <summary>The merchant withdrew the offer (or changed its terms) this listing was admitted under.</summary>
    OfferWithdrawn = 5,
    /// <summary>The buyer already holds the most unpaid orders allowed for this product or in this room.</summary>
    OpenOrderLimit = 6,
}

/// <summary>What the order needs to know about the sale, captured at reservation time.</summary>
[GenerateSerializer, Immutable]
public sealed record ReserveResult(
    [property: Id(0)] ReserveOutcome Outcome,
    [property: Id(1)] string? MerchantId,
    [property: Id(2)] string? StreamerId,
    [property: Id(3)] long UnitPrice,
    [property: Id(4)] SplitPlan? SplitPlan,
    [property: Id(5)] int StockLeft,
    [property: Id(6)] string? RoomCity,
    [property: Id(7)] long ListPrice,
    [property: Id(8)] string? Category,
    // Why a refusal happened, in words, when the outcome alone does not say (the open-order caps).
    [property: Id(9)] string? Detail = null);

public enum CommitOutcome
{
    Committed = 0,
    /// <summary>
    /// No reservation for the order. The room releases a reservation only after its order agreed to expire or
    /// cancelled (both durable on the order first), so an order that is still committing a payment and gets this
    /// answer is retrying a commit that already happened.
    /// </summary>
    NotReserved = 1,
}

[GenerateSerializer, Immutable]
public sealed record CommitResult([property: Id(0)] CommitOutcome Outcome);
