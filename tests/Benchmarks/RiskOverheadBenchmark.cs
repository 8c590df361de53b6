using System.Diagnostics;
using HdrHistogram;
using LiveCommerce.Contracts.Events;
using LiveCommerce.Contracts.Orders;
using LiveCommerce.Contracts.Payments;
using LiveCommerce.Contracts.Risk;
using LiveCommerce.Contracts.Rooms;
using Orleans;

namespace LiveCommerce.Benchmarks;

/// <summary>
/// Order placement (reservation and a durable order, PostgreSQL storage) with every risk rule enabled against every
/// rule disabled, alternating in one run on the same silo. Orders come from a crowd: a random client IP each, and
/// buyers taken in turn from a pool large enough that no buyer orders more than the buyer-burst rule allows (a pool
/// that is too small turns the "enabled" mode into a review queue benchmark: every order flagged, an alert each).
/// </summary>
public static class RiskOverheadBenchmark
{
    public sealed record Result(string Mode, long Orders, double Seconds, LongHistogram Latency, long Rejected, long Flagged,
        int Gen2Collections, double GcPausePercent)
    {
        public double PerSecond => Orders / Seconds;
        public double MeanMs => Latency.GetMean() * 1000.0 / Stopwatch.Frequency;
    }

    public sealed class Setup(IGrainFactory grains, string roomId, string productId, string[] buyers)
    {
        public IGrainFactory Grains { get; } = grains;
        public string RoomId { get; } = roomId;
        public string ProductId { get; } = productId;
        public string[] Buyers { get; } = buyers;
        public int Next;
    }

    public static async Task<Setup> PrepareAsync(IGrainFactory grains, int buyerCount)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var streamer = "rb-streamer-" + run;
        var merchant = "rb-merchant-" + run;
        var product = "rb-product-" + run;
        var roomId = "rb-room-" + run;
        await grains.GetGrain<IStreamerGrain>(streamer).CreateProfile(new CreateStreamerProfile("Bench", "Hangzhou"));
        await grains.GetGrain<IProductGrain>(product).Create(merchant, new CreateProduct("Snack", "food", 1200));
        var room = grains.GetGrain<ILiveRoomGrain>(roomId);
        await room.Open(streamer, new OpenRoom("Risk benchmark", "Hangzhou"));
        var plan = new SplitPlan([new SplitShare(PartyRole.Seller, merchant, 9000), new SplitShare(PartyRole.Platform, "platform", 1000)]);
        await room.ListProduct(streamer, new ListProduct(product, 1000, 10_000_000, plan, 10));
        await room.StartLive(streamer);
        var buyers = Enumerable.Range(0, buyerCount).Select(i => $"rb-{run}-b{i}").ToArray();
        foreach (var chunk in buyers.Chunk(1000))
            await Task.WhenAll(chunk.Select(b => grains.GetGrain<IBuyerGrain>(b).Register(new RegisterBuyer("Hangzhou", null))));
        return new Setup(grains, roomId, product, buyers);
    }

    public static async Task SetAllRulesAsync(IGrainFactory grains, bool enabled)
    {
        var rules = grains.GetGrain<IRiskRulesGrain>("default");
        foreach (var rule in (await rules.GetRules()).Rules)
            await rules.UpdateRule(rule.RuleId, new RiskRuleUpdate(enabled, null, null, null), "benchmark");
    }

    public static async Task<Result> RunAsync(Setup setup, string mode, int concurrency, TimeSpan duration, TimeSpan warmup)
    {
        var histogram = new LongHistogram(TimeStamp.Seconds(60), 3);
        long counted = 0, rejected = 0, flagged = 0;
        int gen2Before = 0;
        TimeSpan pauseBefore = default;
        var measureFrom = DateTime.UtcNow + warmup;
        var end = measureFrom + duration;
        var stopwatch = new Stopwatch();
        var started = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (DateTime.UtcNow < end)
            {
                var buyer = setup.Buyers[Interlocked.Increment(ref setup.Next) % setup.Buyers.Length];
                var key = Guid.NewGuid().ToString("N");
                var ip = $"10.{Random.Shared.Next(256)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";
                var start = Stopwatch.GetTimestamp();
                var result = await setup.Grains.GetGrain<IOrderGrain>(OrderIds.FromIdempotencyKey(buyer, key))
                    .Place(new PlaceOrder(buyer, setup.RoomId, setup.ProductId, 1, key, ip, null));
                var elapsed = Stopwatch.GetTimestamp() - start;
                if (DateTime.UtcNow < measureFrom) continue;
                if (Interlocked.Exchange(ref started, 1) == 0)
                    lock (stopwatch)
                    {
                        gen2Before = GC.CollectionCount(2);
                        pauseBefore = GC.GetTotalPauseDuration();
                        stopwatch.Start();
                    }
                Interlocked.Increment(ref counted);
                if (result.Outcome == PlaceOutcome.RiskRejected) Interlocked.Increment(ref rejected);
                else if (result.Reasons.Count > 0) Interlocked.Increment(ref flagged);
                lock (histogram) histogram.RecordValue(elapsed);
            }
        }));
        stopwatch.Stop();
        var paused = (GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds / stopwatch.Elapsed.TotalSeconds * 100;
        return new Result(mode, counted, stopwatch.Elapsed.TotalSeconds, histogram, rejected, flagged, GC.CollectionCount(2) - gen2Before, paused);
    }
}
