using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Rooms;

namespace LiveCommerce.Grains.Rooms;

/// <summary>
/// The room itself: status and shelf (products, prices, units listed, split plans). Changes rarely (streamer
/// actions). Reservations and sales are stock lines in <see cref="IRoomStockLedger"/>, so this state stays small
/// however many orders the room takes.
/// </summary>
[GenerateSerializer]
public sealed class LiveRoomState
{
    [Id(0)] public bool Opened { get; set; }
    [Id(1)] public string StreamerId { get; set; } = "";
    [Id(2)] public string Title { get; set; } = "";
    [Id(3)] public string City { get; set; } = "";
    [Id(4)] public RoomStatus Status { get; set; }
    [Id(5)] public DateTimeOffset OpenedAt { get; set; }
    [Id(6)] public DateTimeOffset? StartedAt { get; set; }
    [Id(7)] public DateTimeOffset? EndedAt { get; set; }
    [Id(8)] public Dictionary<string, ShelfItem> Shelf { get; set; } = [];
    /// <summary>
    /// Stops sent by distribution offers, by product: listings admitted at this offer version or before take no new
    /// orders (the offer was withdrawn or its terms changed). Kept apart from the shelf so a stop that overtakes a
    /// listing in flight still applies to it.
    /// </summary>
    [Id(9)] public Dictionary<string, long> OfferStops { get; set; } = [];
    /// <summary>The product the streamer is explaining now (shown pinned to viewers).</summary>
    [Id(10)] public string? PinnedProductId { get; set; }
}

[GenerateSerializer]
public sealed class ShelfItem
{
    [Id(0)] public string ProductId { get; set; } = "";
    [Id(1)] public string MerchantId { get; set; } = "";
    [Id(2)] public string Name { get; set; } = "";
    [Id(3)] public string Category { get; set; } = "";
    [Id(4)] public long ListPrice { get; set; }
    [Id(5)] public long LivePrice { get; set; }
    /// <summary>Every unit ever put on this shelf: StockLeft + Reserved + Sold always equals it.</summary>
    [Id(6)] public int StockListed { get; set; }
    // Derived from the stock lines when the room activates, kept current in memory; not persisted here.
    [NonSerialized] public int Reserved;
    [NonSerialized] public int Sold;
    public int StockLeft => StockListed - Reserved - Sold;
    [Id(10)] public int PerOrderLimit { get; set; }
    [Id(11)] public SplitPlan SplitPlan { get; set; } = new([]);
    /// <summary>The product's historical average before the current live price was set (what risk compares against).</summary>
    [Id(12)] public long ReferencePrice { get; set; }
    [Id(13)] public string? PriceFlag { get; set; }
    /// <summary>The distribution offer version this listing was admitted under (0: listed before offers existed, never sells).</summary>
    [Id(14)] public long OfferVersion { get; set; }
    /// <summary>A flash sale: the flash-sale burst rule applies to its orders.</summary>
    [Id(15)] public bool FlashSale { get; set; }

    public ShelfItemView View(bool selling) =>
        new(ProductId, MerchantId, Name, LivePrice, ListPrice, StockListed, StockLeft, Reserved, Sold, PerOrderLimit, SplitPlan, ReferencePrice, PriceFlag, Category,
            OfferVersion, selling, FlashSale);
}

/// <summary>
/// Audience and interaction counters: persisted by a periodic flush, not per call, so likes never cost a storage
/// write. A crash loses at most one flush interval of these counters.
/// </summary>
[GenerateSerializer]
public sealed class RoomAudienceState
{
    [Id(0)] public HashSet<string> UniqueViewers { get; set; } = [];
    [Id(1)] public HashSet<string> CurrentViewers { get; set; } = [];
    [Id(2)] public long Likes { get; set; }
    [Id(3)] public long Comments { get; set; }
    [Id(4)] public long Shares { get; set; }
    [Id(5)] public List<CommentView> RecentComments { get; set; } = [];
    /// <summary>Viewers who liked, commented or shared in this session.</summary>
    [Id(6)] public HashSet<string> Interactors { get; set; } = [];
    /// <summary>Viewers the streamer barred from commenting in this room.</summary>
    [Id(7)] public HashSet<string> BannedCommenters { get; set; } = [];
}
