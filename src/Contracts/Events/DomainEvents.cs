namespace LiveCommerce.Contracts.Events;

/// <summary>
/// Stream namespaces of the <c>events</c> stream provider. The same event is published to each stream whose
/// key it carries (room, streamer, merchant, a platform shard), so each consumer grain reads only its own key.
/// </summary>
public static class EventStreams
{
    public const string Provider = "events";
    public const string Rooms = "room-events";
    public const string Streamers = "streamer-events";
    public const string Merchants = "merchant-events";
    public const string Platform = "platform-events";

    /// <summary>Platform-wide consumers are sharded so no single grain sees every event.</summary>
    public const int PlatformShards = 32;

    public static string PlatformShard(string key) => PlatformShardName((int)((uint)StableHash(key) % PlatformShards));

    /// <summary>Every platform shard's key, in order.</summary>
    public static IEnumerable<string> AllPlatformShards => Enumerable.Range(0, PlatformShards).Select(PlatformShardName);

    private static string PlatformShardName(int index) => "shard-" + index;

    /// <summary>FNV-1a: stable across processes, unlike string.GetHashCode.</summary>
    public static int StableHash(string value)
    {
        unchecked
        {
            var hash = (int)2166136261;
            foreach (var c in value) hash = (hash ^ c) * 16777619;
            return hash;
        }
    }
}

/// <summary>
/// Base of every event on the domain streams. An Orleans stream carries one item type, so every stream of the
/// <c>events</c> provider is a stream of <see cref="DomainEvent"/> and consumers switch on the concrete type.
/// </summary>
[GenerateSerializer, Immutable]
public abstract record DomainEvent;

public enum OrderEventKind { Placed = 0, Paid = 1, Cancelled = 2, Shipped = 3, Delivered = 4, Confirmed = 5, Refunded = 6, Settled = 7 }

/// <summary>A step in an order's life, with what analytics and traffic need to know about the sale.</summary>
[GenerateSerializer, Immutable]
public sealed record OrderEvent(
    [property: Id(0)] OrderEventKind Kind,
    [property: Id(1)] string OrderId,
    [property: Id(2)] string BuyerId,
    [property: Id(3)] string? BuyerCity,
    [property: Id(4)] string RoomId,
    [property: Id(5)] string? RoomCity,
    [property: Id(6)] string StreamerId,
    [property: Id(7)] string MerchantId,
    [property: Id(8)] string ProductId,
    [property: Id(9)] string? Category,
    [property: Id(10)] int Quantity,
    [property: Id(11)] long UnitPrice,
    [property: Id(12)] long ListPrice,
    [property: Id(13)] long Amount,
    [property: Id(14)] long RefundAmount,
    [property: Id(15)] DateTimeOffset At,
    [property: Id(16)] DateTimeOffset PlacedAt,
    [property: Id(17)] bool AfterDelivery,
    // The address snapshot taken at placement (none for virtual goods); the merchant order list keeps it.
    [property: Id(18)] Orders.ShippingAddress? ShippingAddress = null) : DomainEvent;

/// <summary>A viewer entered a room.</summary>
[GenerateSerializer, Immutable]
public sealed record ViewerJoined(
    [property: Id(0)] string RoomId,
    [property: Id(1)] string StreamerId,
    [property: Id(2)] string ViewerId,
    [property: Id(3)] string? ViewerCity,
    [property: Id(4)] string RoomCity,
    [property: Id(5)] bool FirstVisit,
    [property: Id(6)] DateTimeOffset At) : DomainEvent;

/// <summary>
/// Interaction counts of a room since the previous batch. Likes, comments and shares are counted in memory
/// and published in batches, never one event per like.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RoomInteractions(
    [property: Id(0)] string RoomId,
    [property: Id(1)] string StreamerId,
    [property: Id(2)] long Likes,
    [property: Id(3)] long Comments,
    [property: Id(4)] long Shares,
    [property: Id(5)] long DistinctInteractors,
    [property: Id(6)] DateTimeOffset From,
    [property: Id(7)] DateTimeOffset To) : DomainEvent;

/// <summary>A buyer followed or unfollowed a streamer.</summary>
[GenerateSerializer, Immutable]
public sealed record FollowChanged(
    [property: Id(0)] string StreamerId,
    [property: Id(1)] string BuyerId,
    [property: Id(2)] bool Following,
    [property: Id(3)] DateTimeOffset At) : DomainEvent;

/// <summary>A risk rule tripped or a review was decided (stream <c>risk-events</c>/<c>all</c>).</summary>
[GenerateSerializer, Immutable]
public sealed record RiskEventPublished([property: Id(0)] Risk.RiskAlert Alert) : DomainEvent;
