using LiveCommerce.Contracts.Common;

namespace LiveCommerce.Contracts.Rooms;

/// <summary>A streamer: profile, fans and (later) trust score. Keyed by streamer id.</summary>
public interface IStreamerGrain : IGrainWithStringKey
{
    /// <summary>Creates the profile. Repeating the same request is a no-op; a different one is a conflict.</summary>
    Task<StreamerProfile> CreateProfile(CreateStreamerProfile command);

    /// <summary>The profile; <see cref="ErrorKind.NotFound"/> when none was created.</summary>
    [Orleans.Concurrency.ReadOnly]
    Task<StreamerProfile> GetProfile();

    /// <summary>A buyer (living in <paramref name="city"/>) follows the streamer (idempotent); returns the fan count.</summary>
    Task<long> AddFan(string buyerId, string city);

    /// <summary>A buyer stops following (idempotent); returns the fan count.</summary>
    Task<long> RemoveFan(string buyerId);

    /// <summary>The trust score with its components and the counts behind them; with a viewer, the viewer's parts too.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<Traffic.TrustScoreView> GetTrustScore(string? viewerId);

    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<Traffic.TrustHistoryEntry>> GetTrustHistory(int limit);

    /// <summary>Base trust and fan geography, for the traffic pools.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<Traffic.StreamerTrustSnapshot> GetTrustSnapshot();
}

[GenerateSerializer, Immutable]
public sealed record CreateStreamerProfile(
    [property: Id(0)] string DisplayName,
    [property: Id(1)] string HomeCity);

[GenerateSerializer, Immutable]
public sealed record StreamerProfile(
    [property: Id(0)] string StreamerId,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] string HomeCity,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] long FanCount);
