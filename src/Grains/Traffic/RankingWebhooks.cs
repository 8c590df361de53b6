using LiveCommerce.Contracts.Platform;
using LiveCommerce.Contracts.Traffic;
using LiveCommerce.Grains.Platform.Webhooks;

namespace LiveCommerce.Grains.Traffic;

/// <summary>
/// The ranking configuration changed: its new and previous version and which settings moved (their names, not their
/// values, which stay with the platform's operators), so a merchant sees when the algorithm changed.
/// </summary>
public sealed record RankingConfigChangedWebhook(long Version, long PreviousVersion, IReadOnlyList<string> Changed, DateTimeOffset ChangedAt) : WebhookPayload
{
    public override string Type => WebhookEventTypes.RankingConfigChanged;
}

/// <summary>The ranking configuration's webhook event: platform-wide, one per version (the version is its sequence).</summary>
public static class RankingWebhooks
{
    public static string Resource(string configKey) => "ranking:" + configKey;

    public static WebhookEvent Changed(string configKey, RankingConfig old, RankingConfig next, DateTimeOffset at) =>
        new RankingConfigChangedWebhook(next.Version, old.Version, ChangedSettings(old, next), at)
            .ToEvent(WebhookEventTypes.PlatformMerchantId, Resource(configKey), next.Version, at);

    /// <summary>The names (as in the API's JSON) of the settings that differ, in declaration order.</summary>
    public static IReadOnlyList<string> ChangedSettings(RankingConfig old, RankingConfig next) =>
        Settings(old).Zip(Settings(next)).Where(p => p.First.Value != p.Second.Value).Select(p => p.First.Name).ToList();

    private static (string Name, int Value)[] Settings(RankingConfig c) =>
    [
        ("interactionWeight", c.InteractionWeight), ("returnWeight", c.ReturnWeight), ("repurchaseWeight", c.RepurchaseWeight),
        ("sameCityWeight", c.SameCityWeight), ("fanCircleWeight", c.FanCircleWeight), ("tradeTrustWeight", c.TradeTrustWeight),
        ("tradeConversionWeight", c.TradeConversionWeight), ("contentInteractionWeight", c.ContentInteractionWeight),
        ("contentFreshnessWeight", c.ContentFreshnessWeight), ("freshnessHalfLifeMinutes", c.FreshnessHalfLifeMinutes),
        ("contentSharePercent", c.ContentSharePercent), ("coldStartMinutes", c.ColdStartMinutes),
        ("coldStartMaxViewers", c.ColdStartMaxViewers), ("sameCityColdStartBoost", c.SameCityColdStartBoost),
    ];
}
