using LiveCommerce.Contracts.Traffic;

namespace LiveCommerce.Grains.Traffic;

/// <summary>What is known about the viewer a score is served to (none for the base score).</summary>
public sealed record ViewerFacts(string ViewerId, string City, bool Follows);

/// <summary>
/// The trust score, 0–100, from measured events only:
/// <list type="bullet">
/// <item>interaction rate: viewers who interacted / viewers, over 30 days (base);</item>
/// <item>return rate, lower is better: orders returned after delivery / orders delivered, smoothed towards 10% while
/// there is little history (base);</item>
/// <item>48-hour repurchase rate: paid orders that came within 48 h of the same buyer's previous paid order / paid orders (base);</item>
/// <item>same-city match: the viewer's city is the streamer's home city (viewer);</item>
/// <item>fan-circle penetration: 1 if the viewer follows the streamer, else the share of the streamer's fans who live in
/// the viewer's city (viewer).</item>
/// </list>
/// Each component is a value in [0, 1] times its weight (percent); the score is the sum of points.
/// </summary>
public static class TrustScoreCalculator
{
    /// <summary>Return-rate smoothing: as if every streamer started with this many deliveries at the prior rate.</summary>
    public const int PriorDeliveries = 10;
    public const double PriorReturnRate = 0.10;

    public static TrustScoreView Compute(string streamerId, TrustDay totals, string homeCity, long fanCount, IReadOnlyDictionary<string, long> fansByCity,
        ViewerFacts? viewer, RankingConfig config, DateTimeOffset at)
    {
        var interaction = totals.Viewers == 0 ? 0 : Math.Min(1.0, (double)totals.Interactors / totals.Viewers);
        var returnRate = (totals.Returns + PriorReturnRate * PriorDeliveries) / (totals.Delivered + PriorDeliveries);
        var repurchase = totals.Paid == 0 ? 0 : Math.Min(1.0, (double)totals.Repurchases / totals.Paid);
        var components = new List<TrustComponent>
        {
            new("interaction", interaction, config.InteractionWeight, interaction * config.InteractionWeight,
                $"{totals.Interactors} interacting of {totals.Viewers} viewers in {TrustStatistics.WindowDays} days"),
            new("returns", 1 - returnRate, config.ReturnWeight, (1 - returnRate) * config.ReturnWeight,
                $"{totals.Returns} returns of {totals.Delivered} delivered orders (rate {returnRate:P1}, smoothed towards {PriorReturnRate:P0})"),
            new("repurchase48h", repurchase, config.RepurchaseWeight, repurchase * config.RepurchaseWeight,
                $"{totals.Repurchases} of {totals.Paid} paid orders repeated a purchase within 48 h"),
        };
        var basePart = components.Sum(c => c.Points);
        double viewerPart = 0;
        if (viewer is not null)
        {
            var (sameCity, circle, inCity) = ViewerValues(viewer.City, viewer.Follows, homeCity, fanCount, fansByCity);
            components.Add(new("sameCity", sameCity, config.SameCityWeight, sameCity * config.SameCityWeight,
                $"viewer in {viewer.City}, streamer in {homeCity}"));
            components.Add(new("fanCircle", circle, config.FanCircleWeight, circle * config.FanCircleWeight,
                viewer.Follows ? "the viewer follows the streamer" : $"{inCity} of {fanCount} fans live in {viewer.City}"));
            viewerPart = components.Skip(3).Sum(c => c.Points);
        }
        return new TrustScoreView(streamerId, Math.Round(basePart + viewerPart, 2), Math.Round(basePart, 2), Math.Round(viewerPart, 2),
            viewer?.ViewerId, components, config.Version, at);
    }

    /// <summary>The viewer-specific points for a streamer, from its snapshot.</summary>
    public static double ViewerPoints(StreamerTrustSnapshot s, string viewerCity, bool follows, RankingConfig config)
    {
        var (sameCity, circle, _) = ViewerValues(viewerCity, follows, s.HomeCity, s.FanCount, s.FansByCity);
        return sameCity * config.SameCityWeight + circle * config.FanCircleWeight;
    }

    /// <summary>Same city (0 or 1), fan-circle penetration (1 for a follower) and the fans in the viewer's city.</summary>
    private static (double SameCity, double Circle, long InCity) ViewerValues(string viewerCity, bool follows, string homeCity, long fanCount,
        IReadOnlyDictionary<string, long> fansByCity)
    {
        var sameCity = string.Equals(viewerCity, homeCity, StringComparison.OrdinalIgnoreCase) ? 1.0 : 0.0;
        var inCity = fansByCity.TryGetValue(viewerCity, out var n) ? n : 0;
        var circle = follows ? 1.0 : fanCount == 0 ? 0 : (double)inCity / fanCount;
        return (sameCity, circle, inCity);
    }
}
