namespace LiveCommerce.Contracts.Traffic;

/// <summary>The ranking configuration (key <c>default</c>): versioned weights and mix, with a log of changes.</summary>
public interface IRankingConfigGrain : IGrainWithStringKey
{
    [Orleans.Concurrency.AlwaysInterleave]
    Task<RankingConfig> Get();

    /// <summary>Applies a new configuration (its version is assigned here); records the top of each pool before and after.</summary>
    Task<RankingConfig> Change(RankingConfig proposed, string changedBy);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<RankingConfigChange>> Changes(int limit);
}

/// <summary>
/// The live-room pool (key <c>live</c>): rooms report their facts; the trade and content pools are two rankings of
/// those facts, kept sorted and cached, so a feed never scans every room.
/// </summary>
public interface ITrafficPoolGrain : IGrainWithStringKey
{
    Task Report(RoomReport report);

    /// <summary>The top of a pool under the current configuration, or under <paramref name="config"/> when given.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<PoolEntryView>> Top(PoolKind pool, int limit, RankingConfig? config);

    /// <summary>Live rooms of the given streamers (the buyer's private domain).</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<PoolEntryView>> RoomsOf(IReadOnlyList<string> streamerIds);

    /// <summary>Trust snapshots of the streamers of the given rooms, as the pool holds them.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyDictionary<string, StreamerTrustSnapshot>> Snapshots(IReadOnlyList<string> streamerIds);
}

/// <summary>Builds a buyer's feed from the pools (stateless, one activation per silo).</summary>
public interface IFeedGrain : IGrainWithStringKey
{
    Task<FeedView> Build(string buyerId, int size);
}
