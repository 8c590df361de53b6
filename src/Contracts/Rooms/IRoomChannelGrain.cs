using System.Text.Json.Serialization;

namespace LiveCommerce.Contracts.Rooms;

/// <summary>
/// What a room's viewers see, split off the room so audience traffic (snapshots, resumes, subscriptions) never queues
/// behind flash-sale reservations. The room sends it one batch of deltas per tick (one-way); the channel numbers the
/// batches, keeps a snapshot and a bounded replay buffer, and sends each batch once to every subscribed front door.
/// </summary>
public interface IRoomChannelGrain : IGrainWithStringKey
{
    /// <summary>The room's deltas since its previous batch. One-way: the room never waits for its audience.</summary>
    [Orleans.Concurrency.OneWay]
    Task Publish(RoomChannelBatch batch);

    /// <summary>Subscribes (or refreshes) a front door's observer; subscriptions expire unless refreshed.</summary>
    Task Subscribe(IRoomChannelObserver observer);

    Task Unsubscribe(IRoomChannelObserver observer);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<RoomChannelSnapshot> GetSnapshot();

    /// <summary>The ticks after <paramref name="afterSequence"/>, or a fresh snapshot when they are no longer all buffered.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<RoomChannelCatchUp> GetSince(long afterSequence);
}

/// <summary>A front door's subscription to a room channel: one call per tick, fanned out locally to its viewers.</summary>
public interface IRoomChannelObserver : IGrainObserver
{
    [Orleans.Concurrency.OneWay]
    Task OnTick(RoomChannelTick tick);
}

/// <summary>A room's deltas since its previous batch, numbered by the room (contiguous within one room activation).</summary>
[GenerateSerializer, Immutable]
public sealed record RoomChannelBatch(
    [property: Id(0)] string RoomId,
    [property: Id(1)] long RoomSequence,
    [property: Id(2)] IReadOnlyList<RoomDelta> Deltas,
    [property: Id(3)] DateTimeOffset At,
    // The room's whole state for the channel, sent with the first batch of a room activation (the channel may have
    // missed batches of a previous activation) and whenever the channel asks to resynchronise.
    [property: Id(4)] RoomChannelSnapshot? Reset = null);

/// <summary>One tick as the viewers get it: the channel's sequence number (the SSE event id) and the deltas.</summary>
[GenerateSerializer, Immutable]
public sealed record RoomChannelTick(
    [property: Id(0)] long Sequence,
    [property: Id(1)] IReadOnlyList<RoomDelta> Deltas,
    [property: Id(2)] DateTimeOffset At);

[GenerateSerializer, Immutable]
public sealed record RoomChannelSnapshot(
    [property: Id(0)] string RoomId,
    [property: Id(1)] long Sequence,
    [property: Id(2)] RoomStatus Status,
    [property: Id(3)] string Title,
    [property: Id(4)] IReadOnlyList<ChannelShelfItem> Shelf,
    [property: Id(5)] ChannelCounts Counts,
    [property: Id(6)] string? PinnedProductId,
    [property: Id(7)] IReadOnlyList<ChannelComment> RecentComments,
    // The room's sequence the shelf is current to.
    [property: Id(8)] long RoomSequence,
    [property: Id(9)] bool Exists = true);

/// <summary>Either the missed ticks, in order, or (too far behind) a fresh snapshot.</summary>
[GenerateSerializer, Immutable]
public sealed record RoomChannelCatchUp(
    [property: Id(0)] IReadOnlyList<RoomChannelTick>? Ticks,
    [property: Id(1)] RoomChannelSnapshot? Snapshot);

[GenerateSerializer, Immutable]
public sealed record ChannelShelfItem(
    [property: Id(0)] string ProductId,
    [property: Id(1)] string Name,
    [property: Id(2)] long LivePrice,
    [property: Id(3)] long ListPrice,
    [property: Id(4)] int StockLeft,
    [property: Id(5)] bool Selling);

[GenerateSerializer, Immutable]
public sealed record ChannelCounts(
    [property: Id(0)] int ViewersNow,
    [property: Id(1)] long Likes,
    [property: Id(2)] long Comments,
    [property: Id(3)] long Shares);

/// <summary>A comment as pushed: the author is its per-room handle (<see cref="CommentAuthors"/>), never the buyer id. The id lets a deletion name it.</summary>
[GenerateSerializer, Immutable]
public sealed record ChannelComment(
    [property: Id(0)] string Author,
    [property: Id(1)] string Text,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string? Id = null);

/// <summary>One change viewers see. Shelf deltas carry the room's sequence number: a viewer can tell they are current.</summary>
[GenerateSerializer, Immutable]
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(ShelfItemAdded), "shelfAdded")]
[JsonDerivedType(typeof(StockChanged), "stock")]
[JsonDerivedType(typeof(PriceChanged), "price")]
[JsonDerivedType(typeof(PinnedChanged), "pinned")]
[JsonDerivedType(typeof(StatusChanged), "status")]
[JsonDerivedType(typeof(CountsChanged), "counts")]
[JsonDerivedType(typeof(CommentPosted), "comment")]
[JsonDerivedType(typeof(OrderTicker), "ticker")]
[JsonDerivedType(typeof(CommentsRemoved), "commentsRemoved")]
[JsonDerivedType(typeof(CommentDeleted), "commentDeleted")]
public abstract record RoomDelta;

[GenerateSerializer, Immutable]
public sealed record ShelfItemAdded([property: Id(0)] ChannelShelfItem Item, [property: Id(1)] long RoomSequence) : RoomDelta;

/// <summary>Units left (0: sold out) and whether the listing still sells.</summary>
[GenerateSerializer, Immutable]
public sealed record StockChanged([property: Id(0)] string ProductId, [property: Id(1)] int StockLeft, [property: Id(2)] bool Selling,
    [property: Id(3)] long RoomSequence) : RoomDelta
{
    public bool SoldOut => StockLeft == 0;
}

[GenerateSerializer, Immutable]
public sealed record PriceChanged([property: Id(0)] string ProductId, [property: Id(1)] long LivePrice, [property: Id(2)] long RoomSequence) : RoomDelta;

/// <summary>The product being explained now (null: none).</summary>
[GenerateSerializer, Immutable]
public sealed record PinnedChanged([property: Id(0)] string? ProductId) : RoomDelta;

[GenerateSerializer, Immutable]
public sealed record StatusChanged([property: Id(0)] RoomStatus Status) : RoomDelta;

/// <summary>Counts as of the tick (merged: the latest values, not increments).</summary>
[GenerateSerializer, Immutable]
public sealed record CountsChanged([property: Id(0)] ChannelCounts Counts) : RoomDelta;

[GenerateSerializer, Immutable]
public sealed record CommentPosted([property: Id(0)] ChannelComment Comment) : RoomDelta;

/// <summary>A banned commenter's comments (by their handle) are taken down.</summary>
[GenerateSerializer, Immutable]
public sealed record CommentsRemoved([property: Id(0)] string Author) : RoomDelta;

/// <summary>One comment taken down by the streamer or an admin (viewers that were shown it remove it).</summary>
[GenerateSerializer, Immutable]
public sealed record CommentDeleted([property: Id(0)] string CommentId) : RoomDelta;

/// <summary>"A buyer bought 2": no buyer id or other personal data.</summary>
[GenerateSerializer, Immutable]
public sealed record OrderTicker([property: Id(0)] string ProductId, [property: Id(1)] string ProductName, [property: Id(2)] int Quantity,
    [property: Id(3)] DateTimeOffset At) : RoomDelta;
