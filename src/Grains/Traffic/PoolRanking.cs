using LiveCommerce.Contracts.Traffic;

namespace LiveCommerce.Grains.Traffic;

/// <summary>The facts a pool keeps about a live room: its latest report and the one about a minute before.</summary>
public sealed class RoomFacts
{
    public RoomReport Latest { get; set; } = null!;
    public RoomReport? Earlier { get; set; }
    /// <summary>Reports since <see cref="Earlier"/>, oldest first, so "recent" means about the last minute.</summary>
    public Queue<RoomReport> Recent { get; } = new();

    public void Add(RoomReport report, TimeSpan recentWindow)
    {
        Recent.Enqueue(report);
        while (Recent.Count > 1 && report.At - Recent.Peek().At > recentWindow) Earlier = Recent.Dequeue();
        Latest = report;
    }

    /// <summary>(paid orders, new viewers, interactions) over the recent window, or over the whole session when young.</summary>
    public (long Paid, long Viewers, long Interactions) RecentDeltas()
    {
        if (Earlier is not { } from) return (Latest.OrdersPaid, Latest.UniqueViewers, Latest.Interactions);
        return (Latest.OrdersPaid - from.OrdersPaid, Latest.UniqueViewers - from.UniqueViewers, Latest.Interactions - from.Interactions);
    }
}

/// <summary>
/// The two pools, as scores in [0, 100]:
/// <list type="bullet">
/// <item>trade: trust (the streamer's base trust over the base weights) and recent conversion (paid orders per new
/// viewer; 10% or more counts as full);</item>
/// <item>content: recent interaction (interactions per new viewer; 2 or more counts as full) and freshness (halving
/// every half-life since the session started).</item>
/// </list>
/// </summary>
public static class PoolRanking
{
    public const double FullConversion = 0.10;
    public const double FullInteraction = 2.0;

    public static (double Score, Dictionary<string, double> Breakdown) Trade(RoomFacts room, double streamerBasePart, RankingConfig config)
    {
        var baseMax = (double)(config.InteractionWeight + config.ReturnWeight + config.RepurchaseWeight);
        var trust = baseMax == 0 ? 0 : Math.Clamp(streamerBasePart / baseMax, 0, 1);
        var (paid, viewers, _) = room.RecentDeltas();
        var conversion = viewers <= 0 ? 0 : Math.Min(1, (double)paid / viewers / FullConversion);
        var breakdown = new Dictionary<string, double>
        {
            ["trust"] = Math.Round(trust * config.TradeTrustWeight, 2),
            ["conversion"] = Math.Round(conversion * config.TradeConversionWeight, 2),
        };
        return (Math.Round(breakdown.Values.Sum(), 2), breakdown);
    }

    public static (double Score, Dictionary<string, double> Breakdown) Content(RoomFacts room, DateTimeOffset now, RankingConfig config)
    {
        var (_, viewers, interactions) = room.RecentDeltas();
        var interaction = viewers <= 0 ? 0 : Math.Min(1, (double)interactions / viewers / FullInteraction);
        var age = room.Latest.StartedAt is { } started ? Math.Max(0, (now - started).TotalMinutes) : 0;
        var freshness = Math.Pow(0.5, age / Math.Max(1, config.FreshnessHalfLifeMinutes));
        var breakdown = new Dictionary<string, double>
        {
            ["interaction"] = Math.Round(interaction * config.ContentInteractionWeight, 2),
            ["freshness"] = Math.Round(freshness * config.ContentFreshnessWeight, 2),
        };
        return (Math.Round(breakdown.Values.Sum(), 2), breakdown);
    }

    public static bool IsColdStart(RoomReport room, DateTimeOffset now, RankingConfig config) =>
        room.UniqueViewers < config.ColdStartMaxViewers
        || room.StartedAt is { } started && now - started < TimeSpan.FromMinutes(config.ColdStartMinutes);
}

/// <summary>
/// A buyer's feed: live rooms of followed streamers first (private domain), then the trade and content pools mixed so
/// the content pool has its configured share (30–40%) of the rest, each re-ranked for this viewer (the viewer part of
/// trust; same-city rooms boosted while in cold start).
/// </summary>
public static class FeedComposer
{
    public sealed record Candidate(PoolEntryView Entry, RoomReport Room);

    public static IReadOnlyList<FeedEntry> Compose(int size, string viewerCity, IReadOnlySet<string> following,
        IReadOnlyList<Candidate> followed, IReadOnlyList<Candidate> trade, IReadOnlyList<Candidate> content,
        IReadOnlyDictionary<string, StreamerTrustSnapshot> snapshots, RankingConfig config, DateTimeOffset now)
    {
        var result = new List<FeedEntry>();
        var used = new HashSet<string>(StringComparer.Ordinal);

        foreach (var c in followed.OrderByDescending(c => c.Entry.Score).ThenBy(c => c.Entry.RoomId, StringComparer.Ordinal))
        {
            if (result.Count >= size) break;
            if (used.Add(c.Entry.RoomId)) result.Add(Entry(result.Count, c, Contracts.Traffic.FeedSource.Following, c.Entry.Score, c.Entry.Breakdown));
        }

        var remaining = size - result.Count;
        var contentTarget = ContentSlots(remaining, config.ContentSharePercent);
        var tradeQueue = new Queue<(Candidate C, double Score, Dictionary<string, double> B)>(
            trade.Where(c => !used.Contains(c.Entry.RoomId)).Select(c => Personalize(c, viewerCity, following, snapshots, config, now, withTrust: true))
                 .OrderByDescending(x => x.Score).ThenBy(x => x.C.Entry.RoomId, StringComparer.Ordinal));
        var contentQueue = new Queue<(Candidate C, double Score, Dictionary<string, double> B)>(
            content.Where(c => !used.Contains(c.Entry.RoomId)).Select(c => Personalize(c, viewerCity, following, snapshots, config, now, withTrust: false))
                   .OrderByDescending(x => x.Score).ThenBy(x => x.C.Entry.RoomId, StringComparer.Ordinal));

        var placedContent = 0;
        var placedOthers = 0;
        while (result.Count < size && (tradeQueue.Count > 0 || contentQueue.Count > 0))
        {
            // Spread content evenly: by the k-th mixed slot, floor(k × target / remaining) content entries.
            var k = placedContent + placedOthers + 1;
            var wantContent = placedContent < (long)k * contentTarget / remaining;
            var queue = wantContent && contentQueue.Count > 0 || tradeQueue.Count == 0 ? contentQueue : tradeQueue;
            var source = ReferenceEquals(queue, contentQueue) ? Contracts.Traffic.FeedSource.Content : Contracts.Traffic.FeedSource.Trade;
            var next = queue.Dequeue();
            if (!used.Add(next.C.Entry.RoomId)) continue;
            result.Add(Entry(result.Count, next.C, source, next.Score, next.B));
            if (source == Contracts.Traffic.FeedSource.Content) placedContent++; else placedOthers++;
        }
        return result;
    }

    /// <summary>
    /// How many of <paramref name="slots"/> mixed entries go to the content pool: the count whose share is nearest the
    /// configured one while staying within 30–40% when any count can (with 4 slots none can, and 1 of 4 is nearest).
    /// </summary>
    public static int ContentSlots(int slots, int sharePercent)
    {
        if (slots <= 0) return 0;
        var inRange = Enumerable.Range(0, slots + 1).Where(k => k * 100 >= 30 * slots && k * 100 <= 40 * slots).ToList();
        var candidates = inRange.Count > 0 ? inRange : Enumerable.Range(0, slots + 1).ToList();
        return candidates.OrderBy(k => Math.Abs(k * 100.0 / slots - sharePercent)).ThenBy(k => k).First();
    }

    private static (Candidate C, double Score, Dictionary<string, double> B) Personalize(Candidate c, string viewerCity, IReadOnlySet<string> following,
        IReadOnlyDictionary<string, StreamerTrustSnapshot> snapshots, RankingConfig config, DateTimeOffset now, bool withTrust)
    {
        var breakdown = new Dictionary<string, double>(c.Entry.Breakdown);
        var score = c.Entry.Score;
        if (withTrust && snapshots.TryGetValue(c.Entry.StreamerId, out var snapshot))
        {
            // The pool ranked by base trust; add this viewer's part of trust, in the trade pool's trust weight.
            var viewerPoints = TrustScoreCalculator.ViewerPoints(snapshot, viewerCity, following.Contains(c.Entry.StreamerId), config);
            var viewerShare = Math.Round(viewerPoints / 100.0 * config.TradeTrustWeight, 2);
            breakdown["viewerTrust"] = viewerShare;
            score += viewerShare;
        }
        if (PoolRanking.IsColdStart(c.Room, now, config) && string.Equals(c.Room.City, viewerCity, StringComparison.OrdinalIgnoreCase))
        {
            breakdown["sameCityColdStart"] = config.SameCityColdStartBoost;
            score += config.SameCityColdStartBoost;
        }
        return (c, Math.Round(score, 2), breakdown);
    }

    private static FeedEntry Entry(int position, Candidate c, Contracts.Traffic.FeedSource source, double score, IReadOnlyDictionary<string, double> breakdown) =>
        new(position + 1, c.Entry.RoomId, c.Entry.StreamerId, c.Entry.Title, c.Entry.City, source, score, breakdown);
}
