using LiveCommerce.Contracts.Offers;
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
    /// <summary>One slice of the run in one mode: the orders that started inside it.</summary>
    public sealed class Slice(int index, bool enabled)
    {
        public int Index { get; } = index;
        public bool Enabled { get; } = enabled;
        public LongHistogram Latency { get; } = new(TimeStamp.Seconds(60), 3);
        public long Orders, Rejected, Flagged;
        public long From, To = long.MaxValue;
        public double Seconds { get; private set; }
        /// <summary>Process CPU (the silo and this driver) while the slice was open.</summary>
        public double CpuMicroseconds { get; private set; }
        public double CpuMicrosecondsPerOrder => CpuMicroseconds / Math.Max(1, Orders);
        private TimeSpan _cpuAtStart;

        public double PerSecond => Orders / Seconds;
        public double MeanMs => Latency.TotalCount == 0 ? 0 : Latency.GetMean() * 1000.0 / Stopwatch.Frequency;

        public void Open()
        {
            _cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
            From = Stopwatch.GetTimestamp();
        }

        public void Close()
        {
            To = Stopwatch.GetTimestamp();
            Seconds = Stopwatch.GetElapsedTime(From, To).TotalSeconds;
            CpuMicroseconds = (Process.GetCurrentProcess().TotalProcessorTime - _cpuAtStart).TotalMicroseconds;
        }

        public void Record(long startedAt, long elapsed, PlaceOrderResult result)
        {
            if (startedAt < From || startedAt >= Volatile.Read(ref To)) return;
            Interlocked.Increment(ref Orders);
            if (result.Outcome == PlaceOutcome.RiskRejected) Interlocked.Increment(ref Rejected);
            else if (result.Reasons.Count > 0) Interlocked.Increment(ref Flagged);
            lock (Latency) Latency.RecordValue(elapsed);
        }
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
        await grains.GetGrain<IDistributionOfferGrain>(product).Publish(merchant, new PublishOffer(500, 9000, true, []));
        await room.ListProduct(streamer, new ListProduct(product, 1000, 10_000_000, null, 10));
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

    /// <summary>
    /// One continuous load; the rules switch between all-off and all-on every <paramref name="slice"/>, in the order
    /// off, on, on, off, off, on, ... (each adjacent pair holds one slice of each mode, and a slow drift or a passing
    /// disturbance such as a database checkpoint falls on both modes alike). An order belongs to the slice in which it
    /// started; orders that start while the rules are being switched and settling belong to none.
    /// </summary>
    public static async Task<List<Slice>> RunInterleavedAsync(Setup setup, int concurrency, TimeSpan slice, int pairs, TimeSpan warmup, TimeSpan settle)
    {
        Slice? current = null;
        var done = false;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (!Volatile.Read(ref done))
            {
                var buyer = setup.Buyers[Interlocked.Increment(ref setup.Next) % setup.Buyers.Length];
                var key = Guid.NewGuid().ToString("N");
                var ip = $"10.{Random.Shared.Next(256)}.{Random.Shared.Next(256)}.{Random.Shared.Next(1, 255)}";
                var slice = Volatile.Read(ref current);
                var start = Stopwatch.GetTimestamp();
                var result = await setup.Grains.GetGrain<IOrderGrain>(OrderIds.FromIdempotencyKey(buyer, key))
                    .Place(new PlaceOrder(buyer, setup.RoomId, setup.ProductId, 1, key, ip, null));
                slice?.Record(start, Stopwatch.GetTimestamp() - start, result);
            }
        })).ToList();

        await SetAllRulesAsync(setup.Grains, false);
        await Task.Delay(warmup);
        var slices = new List<Slice>();
        for (var i = 0; i < pairs * 2; i++)
        {
            var next = new Slice(i, enabled: i % 4 is 1 or 2);
            await SetAllRulesAsync(setup.Grains, next.Enabled);
            await Task.Delay(settle);
            next.Open();
            Volatile.Write(ref current, next);
            await Task.Delay(slice);
            Volatile.Write(ref current, null);
            next.Close();
            slices.Add(next);
        }
        Volatile.Write(ref done, true);
        await Task.WhenAll(workers);
        return slices;
    }
}
