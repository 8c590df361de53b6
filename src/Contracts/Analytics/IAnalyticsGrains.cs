using LiveCommerce.Contracts.Events;

namespace LiveCommerce.Contracts.Analytics;

/// <summary>
/// Order events a rebuild recomputed from durable order state for one analytics grain. The grain replaces every
/// order-derived counter with the replay of these events; view counters (which no order records) are kept, and
/// raised to the durable unique-viewer counts of rooms when those are higher.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RebuildBatch(
    [property: Id(0)] string RunId,
    [property: Id(1)] IReadOnlyList<OrderEvent> Events,
    /// <summary>Unique viewers each room recorded in its own (durable) audience state, by room id.</summary>
    [property: Id(2)] IReadOnlyDictionary<string, long> DurableRoomViews,
    [property: Id(3)] DateTimeOffset At);

/// <summary>Something an analytics rebuild can reset from durable order state.</summary>
public interface IAnalyticsRebuildTarget
{
    Task Rebuild(RebuildBatch batch);
}

/// <summary>Per room: GPM, the funnel by hour, city, product and price, price bands. Keyed by room id.</summary>
public interface IRoomAnalyticsGrain : IGrainWithStringKey, IAnalyticsRebuildTarget
{
    [Orleans.Concurrency.ReadOnly]
    Task<RoomAnalyticsView> GetReport();
}

/// <summary>Per streamer: GPM over its rooms, funnel, room list; retention is read from the buyer shards.</summary>
public interface IStreamerAnalyticsGrain : IGrainWithStringKey, IAnalyticsRebuildTarget
{
    [Orleans.Concurrency.ReadOnly]
    Task<StreamerAnalyticsView> GetReport();
}

/// <summary>Per merchant: orders of its products; views come from the rooms that sold them.</summary>
public interface IMerchantAnalyticsGrain : IGrainWithStringKey, IAnalyticsRebuildTarget
{
    [Orleans.Concurrency.ReadOnly]
    Task<MerchantAnalyticsView> GetReport();
}

public enum RetentionScope { Streamer = 0, Merchant = 1 }

[GenerateSerializer, Immutable]
public sealed record RetentionCounts(
    [property: Id(0)] long Buyers,
    [property: Id(1)] long Repurchasers,
    [property: Id(2)] long Delivered,
    [property: Id(3)] long Returned);

/// <summary>New first visits a room reports to a platform shard: "hour|city" → count.</summary>
[GenerateSerializer, Immutable]
public sealed record ViewDelta([property: Id(0)] IReadOnlyDictionary<string, long> ByHourCity);

[GenerateSerializer, Immutable]
public sealed record PlatformPart(
    [property: Id(0)] IReadOnlyDictionary<string, long> ViewsByHourCity,
    [property: Id(1)] IReadOnlyList<ResponseCell> Cells,
    [property: Id(2)] IReadOnlyList<ResponseCell> Confirmed);

[GenerateSerializer, Immutable]
public sealed record DormantCandidate(
    [property: Id(0)] string BuyerId,
    [property: Id(1)] string? City,
    [property: Id(2)] DateTimeOffset LastPurchaseAt,
    [property: Id(3)] int PaidOrders,
    [property: Id(4)] long TotalPaid);

[GenerateSerializer, Immutable]
public sealed record DormantSlice(
    [property: Id(0)] IReadOnlyList<DormantCandidate> First,
    [property: Id(1)] int Total);

/// <summary>
/// Per-buyer analytics of one platform shard (<c>shard-0</c>..<c>shard-7</c>, by buyer): purchase history
/// summaries for lifetime value and dormancy, 48-hour repurchase and returns per streamer and merchant, and its
/// part of the platform's price–time–region table.
/// </summary>
public interface IBuyerAnalyticsShardGrain : IGrainWithStringKey, IAnalyticsRebuildTarget
{
    [Orleans.Concurrency.ReadOnly]
    Task<RetentionCounts> GetRetention(RetentionScope scope, string id);

    [Orleans.Concurrency.ReadOnly]
    Task<PlatformPart> GetPlatformPart();

    /// <summary>Lifetime value of a buyer of this shard over <paramref name="horizonWeeks"/> weeks.</summary>
    Task<LifetimeValueView> GetLifetimeValue(string buyerId, int horizonWeeks);

    /// <summary>The first <paramref name="take"/> buyers whose last purchase is before <paramref name="cutoff"/> (oldest first), and how many there are.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<DormantSlice> GetDormant(DateTimeOffset cutoff, int take);

    /// <summary>Views of rooms hashed to this shard, for the platform table.</summary>
    Task AddViews(ViewDelta delta);
}

/// <summary>Reads that merge several analytics grains (platform, dormant buyers, lifetime value). Stateless.</summary>
public interface IAnalyticsQueryGrain : IGrainWithIntegerKey
{
    Task<PlatformAnalyticsView> GetPlatform();
    Task<DormantBuyerPage> GetDormantBuyers(int offset, int limit);
    /// <summary>Lifetime value over <paramref name="horizonWeeks"/> weeks (the configured default when null).</summary>
    Task<LifetimeValueView> GetLifetimeValue(string buyerId, int? horizonWeeks);
}

/// <summary>
/// Durable list of registered buyers, sharded (<c>buyers-0</c>..<c>buyers-15</c>): the rebuild walks it to reach
/// every buyer's orders.
/// </summary>
public interface IBuyerDirectoryGrain : IGrainWithStringKey
{
    Task Add(string buyerId);

    [Orleans.Concurrency.ReadOnly]
    Task<BuyerDirectoryPage> List(int offset, int limit);
}

[GenerateSerializer, Immutable]
public sealed record BuyerDirectoryPage(
    [property: Id(0)] IReadOnlyList<string> BuyerIds,
    [property: Id(1)] int Total);

public static class BuyerDirectory
{
    public const int Shards = 16;

    public static string ShardOf(string buyerId) => "buyers-" + (int)((uint)EventStreams.StableHash(buyerId) % Shards);

    public static IEnumerable<string> AllShards => Enumerable.Range(0, Shards).Select(i => "buyers-" + i);
}

/// <summary>Recomputes every order-derived aggregate from durable order state. Runs are serialized; each is idempotent.</summary>
public interface IAnalyticsRebuildGrain : IGrainWithStringKey
{
    Task<RebuildResult> Run();
}
