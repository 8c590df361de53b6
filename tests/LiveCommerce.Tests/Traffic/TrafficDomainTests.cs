using LiveCommerce.Contracts.Traffic;
using LiveCommerce.Grains.Traffic;

namespace LiveCommerce.Tests.Traffic;

public sealed class TrustScoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TrustDay Totals = new() { Viewers = 200, Interactors = 50, Delivered = 30, Returns = 3, Paid = 40, Repurchases = 6 };
    private static readonly Dictionary<string, long> Fans = new(StringComparer.OrdinalIgnoreCase) { ["Hangzhou"] = 25, ["Chengdu"] = 75 };

    [Fact]
    public void The_base_score_is_the_weighted_measured_rates()
    {
        var score = TrustScoreCalculator.Compute("s1", Totals, "Hangzhou", 100, Fans, null, RankingConfig.Default, Now);
        // interaction 50/200 = 0.25 × 30 = 7.5; returns (3 + 1)/(30 + 10) = 10% → 0.9 × 25 = 22.5; repurchase 6/40 = 0.15 × 20 = 3.
        Assert.Equal(33.0, score.BasePart);
        Assert.Equal(33.0, score.Score);
        Assert.Equal([7.5, 22.5, 3.0], score.Components.Select(c => Math.Round(c.Points, 6)));
        Assert.Contains("3 returns of 30 delivered", score.Components[1].Basis);
    }

    [Fact]
    public void The_viewer_part_adds_same_city_and_fan_circle()
    {
        var local = TrustScoreCalculator.Compute("s1", Totals, "Hangzhou", 100, Fans, new ViewerFacts("b1", "Hangzhou", false), RankingConfig.Default, Now);
        Assert.Equal((15 + 2.5, 50.5), (local.ViewerPart, local.Score)); // same city: 15; 25 of 100 fans in Hangzhou: 0.25 × 10
        var fan = TrustScoreCalculator.Compute("s1", Totals, "Hangzhou", 100, Fans, new ViewerFacts("b2", "Shanghai", true), RankingConfig.Default, Now);
        Assert.Equal((10.0, 43.0), (fan.ViewerPart, fan.Score)); // other city: 0; follows: full fan-circle 10
    }

    [Fact]
    public void More_returns_mean_a_lower_score_all_else_equal()
    {
        var clean = TrustScoreCalculator.Compute("a", Totals, "X", 0, Fans, null, RankingConfig.Default, Now);
        var returning = TrustScoreCalculator.Compute("b", new TrustDay { Viewers = 200, Interactors = 50, Delivered = 30, Returns = 9, Paid = 40, Repurchases = 6 }, "X", 0, Fans, null, RankingConfig.Default, Now);
        Assert.True(returning.BasePart < clean.BasePart);
    }

    [Fact]
    public void A_new_streamer_starts_from_the_return_prior_only()
    {
        var fresh = TrustScoreCalculator.Compute("n", new TrustDay(), "X", 0, Fans, null, RankingConfig.Default, Now);
        Assert.Equal(22.5, fresh.BasePart); // no interaction or repurchase measured yet; returns at the 10% prior
    }

    [Fact]
    public void Repurchases_count_within_48_hours_of_the_same_buyers_previous_payment()
    {
        var stats = new TrustStatistics();
        stats.Paid("b1", Now);
        stats.Paid("b1", Now.AddHours(47));   // repurchase
        stats.Paid("b1", Now.AddHours(96));   // 49 h after the previous one: not
        stats.Paid("b2", Now.AddHours(1));
        var totals = stats.Totals(Now.AddHours(96));
        Assert.Equal((4L, 1L), (totals.Paid, totals.Repurchases));
    }

    [Fact]
    public void An_order_refunded_in_parts_after_delivery_is_one_return_and_old_days_drop_out()
    {
        var stats = new TrustStatistics();
        stats.Delivered(Now);
        stats.Returned("o1", Now);
        stats.Returned("o1", Now.AddMinutes(5));
        Assert.Equal(1, stats.Totals(Now).Returns);
        stats.Prune(Now.AddDays(31));
        Assert.Equal(0, stats.Totals(Now.AddDays(31)).Delivered);
    }
}

public sealed class FeedComposerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static FeedComposer.Candidate Room(string id, string streamer, PoolKind pool, double score, string city = "Beijing", long viewers = 5000, int ageMinutes = 120) =>
        new(new PoolEntryView(id, streamer, id, city, pool, score, new Dictionary<string, double> { ["base"] = score }, viewers, Now.AddMinutes(-ageMinutes)),
            new RoomReport(id, streamer, id, city, true, Now.AddMinutes(-ageMinutes), viewers, 0, 0, Now));

    [Theory]
    [InlineData(20, 35, 7)]
    [InlineData(8, 30, 3)]   // 2 of 8 would be 25%: below the range
    [InlineData(10, 40, 4)]
    [InlineData(4, 35, 1)]   // no count fits 30–40% of 4; 25% is nearest
    public void The_content_share_stays_within_30_to_40_percent(int slots, int share, int expected) =>
        Assert.Equal(expected, FeedComposer.ContentSlots(slots, share));

    [Fact]
    public void Followed_streamers_come_first_then_pools_in_the_configured_mix()
    {
        var followed = new[] { Room("f1", "sf", PoolKind.Trade, 10) };
        var trade = Enumerable.Range(0, 30).Select(i => Room($"t{i}", $"st{i}", PoolKind.Trade, 90 - i)).ToList();
        var content = Enumerable.Range(0, 30).Select(i => Room($"c{i}", $"sc{i}", PoolKind.Content, 80 - i)).ToList();
        var feed = FeedComposer.Compose(21, "Shanghai", new HashSet<string> { "sf" }, followed, trade, content,
            new Dictionary<string, StreamerTrustSnapshot>(), RankingConfig.Default, Now);

        Assert.Equal(21, feed.Count);
        Assert.Equal(("f1", FeedSource.Following), (feed[0].RoomId, feed[0].Source));
        var mixed = feed.Skip(1).ToList();
        Assert.Equal(7, mixed.Count(e => e.Source == FeedSource.Content)); // 35% of 20
        Assert.Equal(Enumerable.Range(1, 21), feed.Select(e => e.Position));
        Assert.Equal(feed.Count, feed.Select(e => e.RoomId).Distinct().Count());
        // Content is spread out, not bunched at the end.
        Assert.Contains(mixed.Take(10), e => e.Source == FeedSource.Content);
    }

    [Fact]
    public void A_same_city_room_in_cold_start_is_boosted_past_a_better_ranked_one()
    {
        var trade = new[] { Room("far", "s1", PoolKind.Trade, 70), Room("near-new", "s2", PoolKind.Trade, 60, city: "Shanghai", viewers: 20, ageMinutes: 5) };
        var feed = FeedComposer.Compose(2, "Shanghai", new HashSet<string>(), [], trade, [], new Dictionary<string, StreamerTrustSnapshot>(), RankingConfig.Default, Now);
        Assert.Equal("near-new", feed[0].RoomId);
        Assert.Equal(15, feed[0].Breakdown["sameCityColdStart"]);
        var established = new[] { Room("far", "s1", PoolKind.Trade, 70), Room("near-old", "s2", PoolKind.Trade, 60, city: "Shanghai", viewers: 20_000, ageMinutes: 300) };
        Assert.Equal("far", FeedComposer.Compose(2, "Shanghai", new HashSet<string>(), [], established, [], new Dictionary<string, StreamerTrustSnapshot>(), RankingConfig.Default, Now)[0].RoomId);
    }

    [Fact]
    public void Pools_score_trust_and_conversion_or_interaction_and_freshness()
    {
        var facts = new RoomFacts();
        facts.Add(new RoomReport("r", "s", "t", "c", true, Now.AddMinutes(-30), 100, 50, 2, Now.AddMinutes(-2)), TimeSpan.FromMinutes(1));
        facts.Add(new RoomReport("r", "s", "t", "c", true, Now.AddMinutes(-30), 200, 150, 7, Now), TimeSpan.FromMinutes(1));
        // Last minute: 100 new viewers, 5 paid orders (5% of the 10% full mark), 100 interactions (1 per viewer of 2).
        var (trade, tb) = PoolRanking.Trade(facts, streamerBasePart: 37.5, RankingConfig.Default);
        Assert.Equal((30.0, 20.0, 50.0), (tb["trust"], tb["conversion"], trade)); // 37.5/75 × 60; 0.5 × 40
        var (content, cb) = PoolRanking.Content(facts, Now, RankingConfig.Default);
        Assert.Equal((35.0, 15.0, 50.0), (cb["interaction"], cb["freshness"], content)); // 0.5 × 70; half-life 30 min: 0.5 × 30
    }
}
