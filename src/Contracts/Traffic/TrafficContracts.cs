namespace LiveCommerce.Contracts.Traffic;

/// <summary>Weights and mix of the ranking; versioned, every change recorded.</summary>
[GenerateSerializer, Immutable]
public sealed record RankingConfig(
    [property: Id(0)] long Version,
    // Trust score weights in percent (must add up to 100): base part (interaction, returns, repurchase), viewer part (same city, fan circle).
    [property: Id(1)] int InteractionWeight,
    [property: Id(2)] int ReturnWeight,
    [property: Id(3)] int RepurchaseWeight,
    [property: Id(4)] int SameCityWeight,
    [property: Id(5)] int FanCircleWeight,
    // Trade pool: trust vs recent conversion (percent, adding up to 100).
    [property: Id(6)] int TradeTrustWeight,
    [property: Id(7)] int TradeConversionWeight,
    // Content pool: interaction vs freshness (percent, adding up to 100); freshness halves every this many minutes.
    [property: Id(8)] int ContentInteractionWeight,
    [property: Id(9)] int ContentFreshnessWeight,
    [property: Id(10)] int FreshnessHalfLifeMinutes,
    // Feed mix: the content pool's share of the entries not taken by followed streamers, in percent, within 30..40.
    [property: Id(11)] int ContentSharePercent,
    // Cold start: rooms younger than this, or with fewer viewers, get the same-city boost (points out of 100).
    [property: Id(12)] int ColdStartMinutes,
    [property: Id(13)] int ColdStartMaxViewers,
    [property: Id(14)] int SameCityColdStartBoost)
{
    public static RankingConfig Default { get; } = new(1, 30, 25, 20, 15, 10, 60, 40, 70, 30, 30, 35, 15, 200, 15);
}

[GenerateSerializer, Immutable]
public sealed record RankingConfigChange(
    [property: Id(0)] long Version,
    [property: Id(1)] string ChangedBy,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] RankingConfig Old,
    [property: Id(4)] RankingConfig New,
    [property: Id(5)] IReadOnlyList<PoolEntryView> TradeTopBefore,
    [property: Id(6)] IReadOnlyList<PoolEntryView> TradeTopAfter,
    [property: Id(7)] IReadOnlyList<PoolEntryView> ContentTopBefore,
    [property: Id(8)] IReadOnlyList<PoolEntryView> ContentTopAfter);

/// <summary>A component of a trust score: its measured value (0..1), weight and points, and the counts behind it.</summary>
[GenerateSerializer, Immutable]
public sealed record TrustComponent(
    [property: Id(0)] string Name,
    [property: Id(1)] double Value,
    [property: Id(2)] int WeightPercent,
    [property: Id(3)] double Points,
    [property: Id(4)] string Basis);

[GenerateSerializer, Immutable]
public sealed record TrustScoreView(
    [property: Id(0)] string StreamerId,
    [property: Id(1)] double Score,
    [property: Id(2)] double BasePart,
    [property: Id(3)] double ViewerPart,
    [property: Id(4)] string? ViewerId,
    [property: Id(5)] IReadOnlyList<TrustComponent> Components,
    [property: Id(6)] long ConfigVersion,
    [property: Id(7)] DateTimeOffset ComputedAt);

[GenerateSerializer, Immutable]
public sealed record TrustHistoryEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] double BasePart,
    [property: Id(2)] double Interaction,
    [property: Id(3)] double ReturnRate,
    [property: Id(4)] double Repurchase,
    [property: Id(5)] long ConfigVersion);

/// <summary>
/// What traffic needs of a streamer: the base part of its trust score and how its fans are spread over cities (for
/// the viewer-specific parts).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record StreamerTrustSnapshot(
    [property: Id(0)] string StreamerId,
    [property: Id(1)] string HomeCity,
    [property: Id(2)] double BasePart,
    [property: Id(3)] long FanCount,
    [property: Id(4)] IReadOnlyDictionary<string, long> FansByCity,
    [property: Id(5)] long ConfigVersion);

/// <summary>A live room as it reports itself to the traffic pools.</summary>
[GenerateSerializer, Immutable]
public sealed record RoomReport(
    [property: Id(0)] string RoomId,
    [property: Id(1)] string StreamerId,
    [property: Id(2)] string Title,
    [property: Id(3)] string City,
    [property: Id(4)] bool Live,
    [property: Id(5)] DateTimeOffset? StartedAt,
    [property: Id(6)] long UniqueViewers,
    [property: Id(7)] long Interactions,
    [property: Id(8)] long OrdersPaid,
    [property: Id(9)] DateTimeOffset At);

public enum PoolKind { Trade = 0, Content = 1 }

[GenerateSerializer, Immutable]
public sealed record PoolEntryView(
    [property: Id(0)] string RoomId,
    [property: Id(1)] string StreamerId,
    [property: Id(2)] string Title,
    [property: Id(3)] string City,
    [property: Id(4)] PoolKind Pool,
    [property: Id(5)] double Score,
    [property: Id(6)] IReadOnlyDictionary<string, double> Breakdown,
    [property: Id(7)] long UniqueViewers,
    [property: Id(8)] DateTimeOffset? StartedAt);

public enum FeedSource { Following = 0, Trade = 1, Content = 2 }

[GenerateSerializer, Immutable]
public sealed record FeedEntry(
    [property: Id(0)] int Position,
    [property: Id(1)] string RoomId,
    [property: Id(2)] string StreamerId,
    [property: Id(3)] string Title,
    [property: Id(4)] string City,
    [property: Id(5)] FeedSource Source,
    [property: Id(6)] double Score,
    [property: Id(7)] IReadOnlyDictionary<string, double> Breakdown);

[GenerateSerializer, Immutable]
public sealed record FeedView(
    [property: Id(0)] string BuyerId,
    [property: Id(1)] IReadOnlyList<FeedEntry> Entries,
    [property: Id(2)] int ContentSharePercent,
    [property: Id(3)] long ConfigVersion);
